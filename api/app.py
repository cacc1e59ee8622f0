"""The FastAPI application: REST under /api/v1, health, OpenAPI at /docs.

`create_app(settings)` builds an app whose runtime (engine, reference data, file store) starts with the
lifespan under a server, or explicitly / lazily when driven in-process (httpx's ASGITransport runs no
lifespan): `await app.state.runtime.start()`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.metadata import version as _version
from typing import Any

from fastapi import FastAPI, Request
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api import health, metrics, openapi, problems
from api.conflicts import StateChanged
from api.deps import etag
from api.guard import Guard
from api.health import RunnerProbe
from api.routes import actions, admin, auth, batch, delegations, inbox, network, notices, reference
from api.schemas import ProblemOut, delegation_out
from api.state import Runtime
from api.web import error_page as web_error_page
from api.web import install as install_web_pages
from api.web import is_page_path
from delegation.accounts.auth import LoginThrottle
from delegation.core.errors import DomainError
from jiaodong.settings import Settings, get_settings

PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {
        "model": ProblemOut,
        "description": description,
        "content": {problems.PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/ProblemOut"}}},
    }
    for status, description in (
        (400, "Malformed request (e.g. an If-Match that is no ETag of this API)"),
        (401, "Not logged in, or the token is unknown, revoked or expired"),
        (403, "Known to the caller, but the caller's part does not allow this (or a missing CSRF token)"),
        (404, "Not found, or not visible to the caller (a foreign court's matter)"),
        (409, "Stale If-Match version, or the state does not allow the action; `current` holds the state now"),
        (413, "The upload is larger than the limit"),
        (415, "Not a PDF, JPEG or PNG"),
        (422, "Invalid input; `errors` lists every invalid field"),
        (428, "If-Match is missing"),
        (429, "Too many failed logins; see Retry-After"),
        (503, "The database is unreachable for a moment; retry after Retry-After seconds"),
    )
}

_SECURITY_HEADERS: list[tuple[bytes, bytes]] = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
]


class SecurityHeaders:
    """Headers every response carries; API responses (personal data) are never cached by intermediaries."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        is_api = str(scope.get("path", "")).startswith("/api/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {name.lower() for name, _ in headers}
                headers += [h for h in _SECURITY_HEADERS if h[0] not in names]
                if is_api and b"cache-control" not in names:
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


def megabytes(size: int) -> str:
    """A size in MB as the documentation states it (20 MB for 20971520 bytes)."""
    mb = size / (1024 * 1024)
    return f"{mb:.0f} MB" if mb >= 1 and mb == int(mb) else f"{mb:.2g} MB"


class BodyTooLarge(StarletteHTTPException):
    """A body over the allowance: the 413 states the upload limit, the figure the documentation gives."""

    def __init__(self, upload_limit: int) -> None:
        size = megabytes(upload_limit)
        super().__init__(413, f"The request body is larger than the upload limit of {size} ({upload_limit} bytes).")
        self.title_zh = f"请求内容过大：上传的文件不得超过{size.replace(' ', '')}"


class BodyLimit:
    """Refuse bodies over the limit before they are read: by Content-Length at once, and by counting the
    bytes of a body sent without one. The allowance is the upload limit plus `form_allowance` (the multipart
    form around the file); the answer states the upload limit, a problem+json 413 with the request id like
    every other error (the middleware sits inside the Guard, which gives each request its id)."""

    def __init__(self, app: ASGIApp, upload_limit: int, form_allowance: int = 64 * 1024) -> None:
        self.app = app
        self.upload_limit = upload_limit
        self.limit = upload_limit + form_allowance

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = next((v for k, v in scope.get("headers", []) if k == b"content-length"), None)
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            refused = BodyTooLarge(self.upload_limit)
            response = problems.problem(
                Request(scope),
                413,
                "payload_too_large",
                refused.title_zh,
                refused.detail,
                headers={"Connection": "close"},
            )
            await response(scope, receive, send)
            return
        seen = 0

        async def counting_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise BodyTooLarge(self.upload_limit)
            return message

        await self.app(scope, counting_receive, send)


def _render_context(_request: Request, exc: DomainError) -> dict[str, Any]:
    current = exc.current if isinstance(exc, StateChanged) else None
    if current is not None:
        return {
            "current": delegation_out(current).model_dump(mode="json"),
            "_headers": {"ETag": etag(current.row.version)},
        }
    return {}


def create_app(
    settings: Settings | None = None,
    *,
    engine: AsyncEngine | None = None,
    throttle: LoginThrottle | None = None,
    runner_probe: RunnerProbe | None = None,
) -> FastAPI:
    settings = settings or get_settings()
    runtime = Runtime(settings, throttle or LoginThrottle(), engine)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await runtime.start()
        try:
            yield
        finally:
            await runtime.stop()

    app = FastAPI(
        title="胶东五市跨院委托执行协作平台 API",
        summary="Jiaodong cross-court delegation of enforcement matters",
        description=(
            "REST API for requesting courts, assisting courts and command centers. Log in with "
            "`POST /api/v1/auth/login` (session cookie; send `X-CSRF-Token` on changes) or send "
            "`Authorization: Bearer <token>`. Every change to a delegation takes its version in `If-Match`. "
            "Errors are RFC 9457 problem details. See docs/api.md."
        ),
        version=_version("jiaodong-delegation"),
        lifespan=lifespan,
        default_response_class=problems.ApiJSONResponse,
    )
    app.state.runtime = runtime
    app.state.runner_probe = runner_probe
    problems.install(app, _render_context)
    # Innermost first: bodies over the limit are refused inside the guard (which gives every answer its request
    # id) and the guard answers what nothing else handled, inside the security headers.
    app.add_middleware(BodyLimit, upload_limit=settings.max_upload_bytes)  # the file plus its form
    app.add_middleware(Guard, render_page=web_error_page, is_page=is_page_path)
    app.add_middleware(SecurityHeaders)
    metrics.install(app, runtime)  # outermost: it sees every answer, 413s and 500s included

    routers = (auth.router, delegations.router, actions.router, reference.router, admin.router, inbox.router)
    for router in (*routers, network.router, batch.router, notices.router):
        app.include_router(router, responses=PROBLEM_RESPONSES)
    app.include_router(health.router)

    install_web_pages(app)  # the pages for people: api/web (routes, static files, headers, error pages)
    openapi.install(app)
    return app
