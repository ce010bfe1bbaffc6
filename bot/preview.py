"""GET /admin: a small page where staff try a question and read the unanswered ones.

Protected by ADMIN_TOKEN: open /admin?token=… once (or use the form) and an HttpOnly,
SameSite=Strict cookie keeps you signed in. Previews touch no session and record nothing.
"""

from __future__ import annotations

import functools
import hmac
import time
from collections.abc import Awaitable, Callable
from importlib import resources
from typing import Protocol

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from bot.adapters.console import as_json
from bot.core import Reply
from bot.journal import Journal, group_misses
from bot.knowledge import Knowledge
from bot.matcher import Match
from bot.reports import misses_json, parse_since

COOKIE = "faqbot_admin"
MAX_QUESTION = 2000  # characters; a preview is for one question, not a document


class Previewer(Protocol):
    @property
    def knowledge(self) -> Knowledge: ...

    async def preview(self, text: str, locale: str | None = None) -> tuple[Reply, list[Match]]: ...


def preview_routes(dialog: Previewer, journal: Journal, token: str) -> list[Route]:
    def signed_in(request: Request) -> bool:
        given = request.cookies.get(COOKIE) or request.headers.get("authorization", "")
        given = given.removeprefix("Bearer ").strip()
        return bool(given) and hmac.compare_digest(given.encode(), token.encode())

    def guarded(
        handler: Callable[[Request], Awaitable[Response]],
    ) -> Callable[[Request], Awaitable[Response]]:
        async def check(request: Request) -> Response:
            if not signed_in(request):
                return JSONResponse({"error": "sign in at /admin"}, status_code=401)
            return await handler(request)

        return check

    async def page(request: Request) -> Response:
        offered = request.query_params.get("token", "")
        if offered:
            if not hmac.compare_digest(offered.encode(), token.encode()):
                return HTMLResponse(_asset("login.html"), status_code=401)
            return _signed_in_redirect(request, offered)
        if not signed_in(request):
            return HTMLResponse(_asset("login.html"), status_code=401)
        return HTMLResponse(_asset("admin.html"))

    async def login(request: Request) -> Response:
        form = await request.form()
        offered = str(form.get("token", ""))
        if not hmac.compare_digest(offered.encode(), token.encode()):
            return HTMLResponse(_asset("login.html"), status_code=401)
        return _signed_in_redirect(request, offered)

    async def ask(request: Request) -> Response:
        try:
            body = await request.json()
            text = str(body["text"]).strip()[:MAX_QUESTION]
        except (ValueError, KeyError, TypeError):
            return JSONResponse({"error": 'send {"text": "a question"}'}, status_code=400)
        if not text:
            return JSONResponse({"error": "empty question"}, status_code=400)
        reply, matches = await dialog.preview(text, body.get("locale"))
        faq = dialog.knowledge.faq
        candidates = [
            {
                "id": match.entry_id,
                "question": entry.question.get(reply.locale)
                if (entry := faq.get(match.entry_id))
                else "",
                "score": round(match.score, 3),
            }
            for match in matches
        ]
        return JSONResponse({"reply": as_json(reply), "candidates": candidates})

    async def misses(request: Request) -> Response:
        try:
            since = parse_since(request.query_params.get("since", "7d"), time.time())
        except ValueError as error:
            return JSONResponse({"error": str(error)}, status_code=400)
        groups = group_misses(await journal.misses(since))
        return JSONResponse({"misses": misses_json(groups)})

    return [
        Route("/admin", page, methods=["GET"]),
        Route("/admin/login", login, methods=["POST"]),
        Route("/admin/api/preview", guarded(ask), methods=["POST"]),
        Route("/admin/api/misses", guarded(misses), methods=["GET"]),
    ]


def _signed_in_redirect(request: Request, token: str) -> Response:
    # The token leaves the address bar (and browser history) at once.
    response = RedirectResponse("/admin", status_code=303)
    response.set_cookie(
        COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        max_age=12 * 3600,
        path="/admin",
    )
    return response


@functools.cache
def _asset(name: str) -> str:
    return resources.files("bot").joinpath("assets", name).read_text(encoding="utf-8")
