"""The admin preview page: token-protected, and usable in a real (headless) browser."""

import os
import shutil
from pathlib import Path

import httpx
import pytest
from playwright.async_api import async_playwright

from bot.core import IncomingMessage
from bot.preview import preview_routes
from bot.web import create_app
from tests.conftest import ROOT
from tests.support import serving

TOKEN = "preview-token-0123456789abcdef"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture
async def site(dialog, journal):
    app = create_app(dialog, {}, pages=preview_routes(dialog, journal, TOKEN))
    async with serving(app) as url:
        yield url


async def test_the_page_and_its_api_need_the_token(site):
    async with httpx.AsyncClient(base_url=site) as http:
        assert (await http.get("/admin")).status_code == 401
        assert (await http.get("/admin", params={"token": "wrong"})).status_code == 401
        assert (await http.post("/admin/api/preview", json={"text": "hi"})).status_code == 401
        signed = await http.get("/admin", params={"token": TOKEN})
        assert signed.status_code == 303 and signed.headers["location"] == "/admin"
        cookie = signed.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=strict" in cookie
        assert (await http.get("/admin")).status_code == 200, "the cookie signs the browser in"
    bearer = {"Authorization": f"Bearer {TOKEN}"}
    async with httpx.AsyncClient(base_url=site, headers=bearer) as http:
        reply = (await http.post("/admin/api/preview", json={"text": "what is an EMG test"})).json()
        assert reply["reply"]["entry_id"] == "emg-what"
        assert reply["candidates"][0] == {
            "id": "emg-what",
            "question": "What is an EMG test?",
            "score": reply["candidates"][0]["score"],
        }
        assert (await http.post("/admin/api/preview", content=b"not json")).status_code == 400
        assert (await http.get("/admin/api/misses", params={"since": "forever"})).status_code == 400


async def test_a_preview_changes_nothing(site, dialog, journal, store):
    async with httpx.AsyncClient(
        base_url=site, headers={"Authorization": f"Bearer {TOKEN}"}
    ) as http:
        await http.post("/admin/api/preview", json={"text": "qwzx vbnm plkj"})
    assert await journal.misses(since=0) == []
    assert (await journal.usage(1)).messages == 0


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is installed by scripts/test")
async def test_staff_preview_a_question_and_read_the_misses_in_a_browser(
    site, dialog, tmp_path: Path
):
    await dialog.handle(IncomingMessage("line", "someone", "can I park at the clinic overnight?"))
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = await browser.new_page(viewport={"width": 1100, "height": 900})
        await page.goto(f"{site}/admin?token={TOKEN}")
        assert page.url == f"{site}/admin", "the token left the address bar"
        await page.wait_for_selector("#misses tr")
        assert "can I park at the clinic overnight?" in await page.inner_text("#misses")
        await page.fill("#question", "Does an EMG hurt?")
        await page.click("button[type=submit]")
        await page.wait_for_selector("#result:not([hidden])")
        assert await page.inner_text("#kind") == "answer"
        assert await page.inner_text("#title") == "Does an EMG hurt?"
        first = page.locator("#candidates tr").first
        assert "emg-pain" in await first.inner_text()
        await page.fill("#question", "I can't breathe")
        await page.click("button[type=submit]")
        await page.wait_for_function("document.querySelector('#kind').textContent === 'emergency'")
        await page.fill("#question", "my muscles keep jumping")
        await page.click("button[type=submit]")
        await page.wait_for_function("document.querySelector('#kind').textContent !== 'emergency'")
        shot = tmp_path / "admin.png"
        await page.screenshot(path=str(shot), full_page=True)
        if os.environ.get("UPDATE_SCREENSHOT"):
            shutil.copy(shot, ROOT / "docs" / "admin-preview.png")
        await browser.close()
    assert shot.stat().st_size > 10_000
