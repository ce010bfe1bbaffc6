import pytest

from bot.sessions import MemorySessionStore, Session, user_key


async def test_saves_only_the_changed_fields():
    store = MemorySessionStore()
    await store.save("u", {"locale": "en"})
    await store.save("u", {"last_entry_id": "emg-what"})
    assert await store.get("u") == Session(last_entry_id="emg-what", locale="en")


async def test_idle_sessions_expire():
    now = [0.0]
    store = MemorySessionStore(ttl_seconds=10, clock=lambda: now[0])
    await store.save("u", {"welcomed": True})
    now[0] = 9.0
    assert (await store.get("u")).welcomed
    await store.save("u", {"locale": "en"})  # activity extends the session
    now[0] = 18.0
    assert (await store.get("u")).welcomed
    now[0] = 30.0
    assert await store.get("u") == Session()


async def test_forget_removes_everything():
    store = MemorySessionStore()
    await store.save("u", {"welcomed": True})
    await store.forget("u")
    assert await store.get("u") == Session()


async def test_unknown_fields_are_refused():
    with pytest.raises(ValueError, match="unknown session fields"):
        await MemorySessionStore().save("u", {"nope": 1})


def test_user_keys_are_keyed_hashes_per_platform():
    key = user_key("secret", "telegram", "555")
    assert key.startswith("telegram:")
    assert "555" not in key
    assert key == user_key("secret", "telegram", "555")
    assert key != user_key("other", "telegram", "555")
    assert key.split(":")[1] != user_key("secret", "line", "555").split(":")[1]


async def test_first_delivery_is_true_once_per_event_within_the_window():
    now = [0.0]
    store = MemorySessionStore(clock=lambda: now[0], dedupe_seconds=60)
    assert await store.first_delivery("telegram:1")
    assert not await store.first_delivery("telegram:1")
    assert await store.first_delivery("line:1")
    now[0] = 61.0
    assert await store.first_delivery("telegram:1")
