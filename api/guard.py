"""Every request gets a request id and an HTTP answer, whatever fails below.

The innermost of the app's own middleware (so the security headers added outside it reach every answer,
including 500 and 503): an exception nothing else handled becomes a 503 with Retry-After when the database
is unreachable (connection refused or reset, restarting, pool timeout), else a 500; a problem+json for the
API, a page in the reader's language for people. The exception is not raised on to the server, which would
log its traceback again and close the connection under a client still sending its body (a TCP reset).

One log line per failure, with the request id (`X-Request-ID`, taken from a proxy when well-formed, else
made here, and echoed on the answer); a traceback only for the unexpected, never for an outage.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api import problems
from delegation.core import trace
from delegation.store.availability import is_unavailable

log = logging.getLogger("jiaodong.api")

REQUEST_ID_HEADER = b"x-request-id"
RETRY_AFTER_SECONDS = 5
UNAVAILABLE_TITLE = "服务暂时不可用"
_WELL_FORMED_ID = re.compile(rb"^[A-Za-z0-9._:-]{8,64}$")


# Renders a failure as a page (set by the web pages): (request, status, code) -> response.
PageRenderer = Callable[[Request, int, str], Awaitable[Response]]
IsPage = Callable[[str], bool]


def new_request_id(scope: Scope) -> str:
    given = next((v for k, v in scope.get("headers", []) if k == REQUEST_ID_HEADER), None)
    if given is not None and _WELL_FORMED_ID.match(given):
        return str(given.decode("ascii"))
    return uuid.uuid4().hex


class Guard:
    def __init__(self, app: ASGIApp, render_page: PageRenderer | None = None, is_page: IsPage | None = None) -> None:
        self.app = app
        self.render_page = render_page
        self.is_page: IsPage = is_page or (lambda _path: False)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = new_request_id(scope)
        scope.setdefault("state", {})["request_id"] = rid
        token = trace.request_id.set(rid)
        started = False

        async def send_with_id(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                message["headers"] = [*message.get("headers", []), (REQUEST_ID_HEADER, rid.encode("ascii"))]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception as exc:
            await self._fail(scope, receive, send_with_id, exc, rid, started)
        finally:
            trace.request_id.reset(token)

    async def _fail(self, scope: Scope, receive: Receive, send: Send, exc: Exception, rid: str, started: bool) -> None:
        method, path = scope.get("method", ""), scope.get("path", "")
        unavailable = is_unavailable(exc)
        if unavailable:
            log.error(
                "request %s %s %s: database unavailable (%s: %s)", rid, method, path, type(exc).__name__, _short(exc)
            )
        else:
            log.error("request %s %s %s: unexpected error", rid, method, path, exc_info=exc)
        if started:  # part of an answer is out: nothing more can be said on this connection
            return
        status = 503 if unavailable else 500
        request = Request(scope, receive)
        response: Response | None = None
        if self.render_page is not None and self.is_page(path):
            code = "unavailable" if unavailable else "internal_error"
            try:
                response = await self.render_page(request, status, code)
            except Exception:
                log.error("request %s: the error page failed too", rid)
                response = Response(
                    f"<!doctype html><title>{status}</title><p>{status}</p>", status, media_type="text/html"
                )
        if response is None:
            response = _problem(request, unavailable)
        if unavailable:
            response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        await response(scope, receive, send)


def _problem(request: Request, unavailable: bool) -> Response:
    if unavailable:
        return problems.problem(
            request,
            503,
            "service_unavailable",
            UNAVAILABLE_TITLE,
            "The database cannot be reached or has no free connection at the moment; retry after the number of "
            "seconds in Retry-After.",
        )
    code, title = problems.TITLES_BY_STATUS[500]
    return problems.problem(request, 500, code, title, "An unexpected error occurred; it has been logged.")


def _short(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text[:200]
