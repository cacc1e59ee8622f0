"""The token cache through the app: on PostgreSQL a bearer token's second request is answered from memory and a
revocation made elsewhere refuses the next request once its notification arrives; SQLite caches nothing."""

from __future__ import annotations

from delegation.accounts import auth as auth_service
from tests.api.actors import Api
from tests.api.support import ok


def _on_postgres(api: Api) -> bool:
    return bool(api.app.state.runtime.engine.dialect.name == "postgresql")


async def _token_id(api: Api, username: str) -> int:
    async with api.sessions() as session:
        return next(row.id or 0 for row, name in await auth_service.list_tokens(session, username))


async def test_a_tokens_second_request_is_answered_from_the_cache_on_postgresql_only(api: Api) -> None:
    cache = api.token_cache
    async with api.client("zhifu-clerk") as clerk:
        for _ in range(3):
            assert ok(await clerk.get("/api/v1/me"))["via"] == "token"
    if _on_postgres(api):
        assert api.app.state.runtime.token_listener.listening and cache.enabled
        assert (cache.misses, cache.hits) == (1, 2)
    else:
        assert api.app.state.runtime.token_listener is None and not cache.enabled
        assert (cache.hits, len(cache)) == (0, 0)


async def test_a_token_revoked_elsewhere_gets_401_on_the_next_request(api: Api) -> None:
    token_id = await _token_id(api, "zhifu-clerk")
    async with api.client("zhifu-clerk") as clerk:
        ok(await clerk.get("/api/v1/delegations?box=inbox"))
        ok(await clerk.get("/api/v1/me"))  # PostgreSQL: from the cache
        since = api.token_cache.generation
        async with api.sessions() as other:  # as `jiaodong token revoke` would, from its own connection
            await auth_service.revoke_token(other, token_id, api.clock.now)
        await api.heard(since)
        refused = await clerk.get("/api/v1/me")
        assert refused.status_code == 401 and refused.json()["code"] == "not_authenticated"
    async with api.client("shinan-officer") as officer:  # other tokens are unaffected
        ok(await officer.get("/api/v1/me"))


async def test_stopping_the_runtime_stops_its_listener_and_turns_the_cache_off(api: Api) -> None:
    runtime = api.app.state.runtime
    listener = runtime.token_listener
    await runtime.stop()
    assert runtime.token_listener is None and not runtime.tokens.enabled
    assert listener is None or not listener.listening
    await runtime.start()  # the fixture stops it again
