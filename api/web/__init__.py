"""Web pages for people: server-rendered Jinja2 from templates/, Chinese first, on the same service layer,
authorization, session cookie and clock as the REST API.

`install(app)` adds the page routes, the static files, the pages' security headers and the error pages
(an error on a page is a page in the reader's language, never a stack trace; the API keeps its problem
details).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.web import labels
from api.web.context import CsrfRejected, LoginRequired, WebContext
from api.web.i18n import LANG_COOKIE, compile_all, pick_locale
from api.web.routes import admin, auth, board, connectors, delegation, filing, inbox, stats, work
from api.web.security import PageSecurityHeaders
from api.web.templating import Helpers, render_template
from delegation.core.errors import DomainError

log = logging.getLogger("jiaodong.web")

STATIC_DIR = Path(__file__).resolve().parent / "static"
NOT_PAGES = ("/api/", "/docs", "/redoc", "/openapi.json", "/healthz", "/readyz", "/static/", "/web/")
STATUS_BY_CODE = {
    "validation_failed": 422,
    "not_found": 404,
    "permission_denied": 403,
    "transition_not_allowed": 409,
    "conflict": 409,
    "too_many_attempts": 429,
    "payload_too_large": 413,
    "unsupported_media_type": 415,
}


def is_page(request: Request) -> bool:
    return not request.url.path.startswith(NOT_PAGES)


async def error_page(request: Request, status: int, code: str, title_zh: str | None = None) -> Response:
    """An error as a page: the domain's Chinese title (or the English message for the code), and the way
    back. Rendered without touching the database again (it may be what failed)."""
    ctx: WebContext | None = getattr(request.state, "web", None)
    locale = ctx.locale if ctx else pick_locale(request.cookies.get(LANG_COOKIE))
    runtime = request.app.state.runtime
    now = ctx.now if ctx else datetime.now(UTC)
    h = Helpers(locale, ctx.ref if ctx else runtime.reference, now) if (ctx or runtime.started) else None
    message = labels.PROBLEM.get(code, labels.PROBLEM["internal_error"])
    text = title_zh if (title_zh and locale.startswith("zh")) else None
    values: dict[str, Any] = {
        "h": h,
        "request": request,
        "principal": ctx.principal if ctx else None,
        "actor": ctx.principal.actor if ctx and ctx.principal else None,
        "court": None,
        "csrf_token": ctx.principal.csrf_token if ctx and ctx.principal else "",
        "nav": [],
        "path": request.url.path,
        "current_url": request.url.path,
        "message": "",
        "notice": "",
        "errors": {},
        "status": status,
        "problem_text": text,
        "problem_message": message,
    }
    if ctx and ctx.principal:
        values["court"] = ctx.ref.registry.find(ctx.principal.actor.court_code or "")
    return HTMLResponse(render_template(locale, "pages/error.html", values), status_code=status)


PageHandler = Callable[[Request, Exception], Awaitable[Response]]


def _wrap(app: FastAPI, kind: type[Exception] | int, page_handler: PageHandler) -> None:
    """Send errors on pages to `page_handler`, and everything else to the handler the API installed."""
    api_handler = app.exception_handlers.get(kind)

    async def handler(request: Request, exc: Exception) -> Response:
        if is_page(request) or api_handler is None:
            return await page_handler(request, exc)
        result = api_handler(request, exc)
        response: Response = await result if hasattr(result, "__await__") else result
        return response

    app.add_exception_handler(kind, handler)


async def _login_required(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, LoginRequired)
    query = {"next": exc.next_url}
    if exc.expired:
        query["expired"] = "1"
    if exc.unsent:
        query["unsent"] = "1"
    return RedirectResponse("/login?" + urlencode(query), status_code=303)


async def _domain(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, DomainError)
    code = "csrf" if isinstance(exc, CsrfRejected) else exc.code
    status = STATUS_BY_CODE.get(exc.code, 400)
    return await error_page(request, status, code, exc.title_zh)


async def _http(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    code = {404: "not_found", 403: "permission_denied"}.get(exc.status_code, "validation_failed")
    return await error_page(request, exc.status_code, code)


async def _invalid(request: Request, exc: Exception) -> Response:
    """A page address that names nothing (/delegations/abc, an id out of range) is 404 like any unknown
    address; a bad query or form value is 400."""
    assert isinstance(exc, RequestValidationError)
    if any(error.get("loc", ("",))[0] == "path" for error in exc.errors()):
        return await error_page(request, 404, "not_found")
    return await error_page(request, 400, "validation_failed")


def is_page_path(path: str) -> bool:
    return not path.startswith(NOT_PAGES)


def install(app: FastAPI) -> None:
    compile_all()
    routers = (
        auth.router,
        work.router,
        filing.router,
        delegation.router,
        stats.router,
        board.router,
        admin.router,
        connectors.router,
        inbox.router,
    )
    for router in routers:
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.add_middleware(PageSecurityHeaders)
    app.add_exception_handler(LoginRequired, _login_required)
    _wrap(app, DomainError, _domain)
    _wrap(app, StarletteHTTPException, _http)
    _wrap(app, RequestValidationError, _invalid)
