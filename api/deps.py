"""Dependencies every route shares: the clock, the runtime, a database session, the caller, If-Match."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Header, Request
from fastapi.security import HTTPAuthorizationCredentials
from sqlmodel.ext.asyncio.session import AsyncSession

from api.auth import authenticate, bearer_scheme, cookie_scheme
from api.problems import HttpProblem
from api.state import Runtime
from delegation.accounts.auth import Principal
from delegation.core.access import Actor
from delegation.core.reference import Reference
from delegation.store.context import Context

# Dependencies are `async def` although they do not await: FastAPI runs plain `def` dependencies in a
# thread pool, a thread hop per dependency per request.


async def get_now() -> datetime:
    """The one source of time for every route (tests override it through app.dependency_overrides)."""
    return datetime.now(UTC)


async def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    await runtime.ready()
    return runtime


async def get_session(runtime: Annotated[Runtime, Depends(get_runtime)]) -> AsyncIterator[AsyncSession]:
    async with runtime.sessions() as session:
        yield session


async def get_reference(runtime: Annotated[Runtime, Depends(get_runtime)]) -> Reference:
    return runtime.reference


Now = Annotated[datetime, Depends(get_now)]
Session = Annotated[AsyncSession, Depends(get_session)]
Ref = Annotated[Reference, Depends(get_reference)]
RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


async def get_principal(
    request: Request,
    session: Session,
    runtime: RuntimeDep,
    now: Now,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
    cookie: Annotated[str | None, Depends(cookie_scheme)],
) -> Principal:
    principal = await authenticate(request, session, runtime.settings, bearer, cookie, now, runtime.tokens)
    # For the request's log line (who, which court; never personal data).
    request.state.log_user = principal.actor.username
    request.state.log_court = principal.actor.court_code
    return principal


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]


async def get_actor(principal: CurrentPrincipal) -> Actor:
    return principal.actor


CurrentActor = Annotated[Actor, Depends(get_actor)]


async def get_context(
    request: Request,
    now: Now,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
    cookie: Annotated[str | None, Depends(cookie_scheme)],
) -> AsyncIterator[Context]:
    """The request's one Context (session, reference data, caller, now) for the service layer.

    One dependency rather than the tree of the ones above (runtime, session, reference, principal, actor):
    FastAPI solves every dependency of a route on every request, ~0.1 ms of CPU each, on every request of the
    filing path. The clock and the two credential schemes stay dependencies: tests override the clock, and
    the schemes are the operations' security in the OpenAPI document. A route takes Ctx or the separate
    dependencies, never both (each would open its own session)."""
    runtime = await get_runtime(request)
    async with runtime.sessions() as session:
        principal = await get_principal(request, session, runtime, now, bearer, cookie)
        yield Context(session, runtime.reference, principal.actor, now)


Ctx = Annotated[Context, Depends(get_context)]

# If-Match uses the strong comparison (RFC 9110 §13.1.1): one strong entity-tag, quoted. A weak tag (W/"4")
# never matches, and a bare version (5) is no entity-tag at all; both are refused rather than guessed at.
IF_MATCH_PATTERN = r'^"[0-9]{1,9}"$'
_ETAG = re.compile(IF_MATCH_PATTERN)


async def expected_version(
    if_match: Annotated[
        str | None,
        Header(
            alias="If-Match",
            description='The version you last saw, as its strong ETag (e.g. "3"). Required for every change.',
        ),
    ] = None,
) -> int:
    if if_match is None or not if_match.strip():
        raise HttpProblem(
            428,
            "precondition_required",
            "请携带If-Match请求头（记录版本号）",
            "Send the delegation's ETag (its version) in If-Match; changes without it are refused.",
        )
    value = if_match.strip()
    if _ETAG.match(value) is None:
        weak = value.startswith("W/")
        raise HttpProblem(
            400,
            "invalid_if_match",
            'If-Match请求头格式不正确：应为带引号的版本号，如 "3"' + ("（不接受弱ETag）" if weak else ""),
            ("If-Match compares strongly (RFC 9110): a weak ETag (W/...) never matches. " if weak else "")
            + f'If-Match must be one strong ETag as returned by this API, e.g. "3"; got {value[:40]!r}.',
        )
    return int(value[1:-1])


ExpectedVersion = Annotated[int, Depends(expected_version)]


def client_address(request: Request) -> str:
    return request.client.host if request.client else ""


def etag(version: int) -> str:
    return f'"{version}"'
