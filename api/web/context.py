"""What every page handler gets: the request, a database session, the reference data, `now` (from the
API's clock dependency, which tests set), the reader's locale, and the signed-in user.

People sign in with the API's session cookie (api/auth.py: signed id, HttpOnly, SameSite=Lax, 12 hours);
a page asked for without a valid session redirects to the login page, saying when the session expired.
Every form carries the session's CSRF token (the login form a pre-session one, double-submitted) and a
form without the right token is refused before anything is read from it.
"""

from __future__ import annotations

import gc
import hmac
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlencode, urlsplit

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.datastructures import FormData

from api.auth import SESSION_COOKIE, unsign_session
from api.deps import Now, Ref, RuntimeDep, Session
from api.state import Runtime
from api.web.i18n import LANG_COOKIE, pick_locale
from api.web.templating import Helpers, render_template
from delegation.accounts import auth as auth_service
from delegation.accounts.auth import NotAuthenticated, Principal
from delegation.core.access import Actor, UserRole
from delegation.core.errors import DomainError
from delegation.core.reference import Reference
from delegation.reading import dashboard as dashboard_service
from delegation.reading import inbox as inbox_service
from delegation.reading import topbar as topbar_service
from delegation.store.context import Context

LOGIN_CSRF_COOKIE = "jd_login_csrf"
STATISTICS_ROLES = frozenset(
    {UserRole.COMMAND_CENTER, UserRole.REGIONAL_COORDINATOR, UserRole.REQUESTING_OFFICER, UserRole.ASSISTING_CLERK}
)
CSRF_FIELD = "csrf_token"


class LoginRequired(Exception):
    """No valid session on a page: the handler redirects to the login page (and back afterwards). `unsent`: a
    form was posted without a session, so what it asked was not done (the login page says so)."""

    def __init__(self, next_url: str, expired: bool, unsent: bool = False) -> None:
        super().__init__(next_url)
        self.next_url = next_url
        self.expired = expired
        self.unsent = unsent


class CsrfRejected(DomainError):
    code = "permission_denied"
    title_zh = "页面已过期（缺少或错误的表单令牌），请刷新页面后重试"


def safe_next(value: str | None, default: str = "/") -> str:
    """A local path to go back to; anything else (other hosts, schemes, //host) becomes `default`."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return default
    if any(ch.isspace() or ord(ch) < 32 for ch in value):  # "/\t/host" is "//host" to some browsers
        return default
    return value


def home_of(actor: Actor) -> str:
    if actor.roles & {UserRole.COMMAND_CENTER, UserRole.REGIONAL_COORDINATOR}:
        return "/dashboard"
    if actor.roles & {UserRole.REQUESTING_OFFICER, UserRole.ASSISTING_CLERK}:
        return "/work"
    return "/notices"


@dataclass
class NavItem:
    href: str
    label: str
    active: bool
    badge: int = 0


@dataclass
class WebContext:
    request: Request
    session: AsyncSession
    runtime: Runtime
    ref: Reference
    now: datetime
    locale: str
    principal: Principal | None = None
    extra_headers: dict[str, str] = field(default_factory=dict)
    # The top bar's figures, read with the session on a GET (web_context), when nothing has changed them yet.
    unread: inbox_service.UnreadState | None = None
    unacknowledged: int | None = None

    @property
    def actor(self) -> Actor:
        assert self.principal is not None, "page needs a signed-in user"
        return self.principal.actor

    @property
    def domain(self) -> Context:
        """The service layer's Context of this request (session, reference data, user, now)."""
        return Context(self.session, self.ref, self.actor, self.now)

    @property
    def h(self) -> Helpers:
        return Helpers(self.locale, self.ref, self.now)

    def _(self, message: str, **values: Any) -> str:
        return self.h._(message, **values)

    async def form(self) -> FormData:
        """The posted form, after checking its CSRF token against the session's."""
        form = await self.request.form()
        sent = form.get(CSRF_FIELD)
        expected = self.principal.csrf_token if self.principal else None
        if not isinstance(sent, str) or not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
            raise CsrfRejected("The form's CSRF token is missing or wrong; reload the page.")
        return form

    async def nav(self) -> list[NavItem]:
        if self.principal is None:
            return []
        actor = self.actor
        path = self.request.url.path
        items: list[NavItem] = []
        if actor.roles & {UserRole.COMMAND_CENTER, UserRole.REGIONAL_COORDINATOR}:
            items.append(NavItem("/dashboard", self._("Command center"), path.startswith("/dashboard")))
        view = self.request.query_params.get("view") if path == "/work" else None
        mine = path == "/work" and view == "mine"
        court_work = bool(actor.roles & {UserRole.REQUESTING_OFFICER, UserRole.ASSISTING_CLERK})
        # One item marked: "All matters" for the view=all list (or any list, for those without a court's work).
        everything = path == "/work" and not mine and (view == "all" or not court_work)
        if court_work:
            items.append(NavItem("/work", self._("My court's work"), path == "/work" and not mine and not everything))
        if UserRole.HANDLER in actor.roles:
            items.append(NavItem("/work?view=mine", self._("Handled by me"), mine))
        else:
            items.append(NavItem("/work?view=all", self._("All matters"), everything))
        if UserRole.REQUESTING_OFFICER in actor.roles:
            items.append(NavItem("/delegations/new", self._("File a delegation"), path == "/delegations/new"))
        if actor.roles & STATISTICS_ROLES:
            items.append(NavItem("/stats", self._("Statistics"), path.startswith("/stats")))
        waiting = self.unacknowledged
        if waiting is None:
            waiting = await dashboard_service.unacknowledged_count(self.session, actor)
        items.append(NavItem("/notices", self._("Notices"), path.startswith("/notices"), waiting))
        if UserRole.ADMIN in actor.roles:
            items.append(NavItem("/admin/users", self._("Users"), path.startswith("/admin/users")))
            items.append(
                NavItem("/admin/connectors", self._("Registry connectors"), path.startswith("/admin/connectors"))
            )
        return items

    async def render(self, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
        principal = self.principal
        court = self.ref.registry.find(principal.actor.court_code or "") if principal else None
        # The top bar's badge: this user's unread inbox items (kept current by app.js polling its tag).
        inbox = self.unread
        if inbox is None and principal is not None:
            inbox = await inbox_service.unread_state(self.session, principal.actor.username)
        values = {
            "h": self.h,
            "request": self.request,
            "principal": principal,
            "actor": principal.actor if principal else None,
            "court": court,
            "csrf_token": principal.csrf_token if principal else "",
            "nav": await self.nav(),
            "inbox": inbox,
            "path": self.request.url.path,
            "current_url": _current_url(self.request),
            "message": "",
            "notice": "",
            "errors": {},
            **context,
        }
        html = render_template(self.locale, template, values)
        response = HTMLResponse(html, status_code=status_code)
        for name, value in self.extra_headers.items():
            response.headers[name] = value
        return response

    def redirect(self, path: str, **query: object) -> RedirectResponse:
        params = {k: v for k, v in query.items() if v is not None and v != ""}
        url = path + (("&" if "?" in path else "?") + urlencode(params) if params else "")
        return RedirectResponse(url, status_code=303)


def _current_url(request: Request) -> str:
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


_heap_settled = False


def _settle_heap() -> None:
    """Once, after start-up (reference data, calendar tables, catalogues and templates loaded): move what
    lives for the whole process out of the garbage collector's full passes, which otherwise walk those
    hundreds of thousands of objects and stall a page now and then (gc.freeze)."""
    global _heap_settled
    if not _heap_settled:
        _heap_settled = True
        gc.collect()
        gc.freeze()


async def web_context(request: Request, session: Session, runtime: RuntimeDep, ref: Ref, now: Now) -> WebContext:
    """The page's context, signed in or not (the login page). A GET reads the top bar's figures with the
    session: nothing a GET does changes them before the page is rendered (a POST reads them when it renders)."""
    _settle_heap()
    ctx = WebContext(request, session, runtime, ref, now, pick_locale(request.cookies.get(LANG_COOKIE)))
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        try:
            secret = unsign_session(runtime.settings, cookie)
            if request.method in ("GET", "HEAD"):
                found = await topbar_service.signed_in(session, secret, now)
                ctx.principal, ctx.unread, ctx.unacknowledged = found.principal, found.unread, found.unacknowledged
            else:
                ctx.principal = await auth_service.resolve_session(session, secret, now)
        except NotAuthenticated:
            ctx.principal = None
    request.state.web = ctx
    return ctx


AnyPage = Annotated[WebContext, Depends(web_context)]


async def signed_in(ctx: AnyPage) -> WebContext:
    if ctx.principal is None:
        had_cookie = bool(ctx.request.cookies.get(SESSION_COOKIE))
        if ctx.request.method in ("GET", "HEAD"):
            raise LoginRequired(_current_url(ctx.request), expired=had_cookie)
        # A form posted after the session ended (expired, or logged out in another tab): after logging in, back
        # to the page the form was on, not to the form's address (a GET there is a 405).
        raise LoginRequired(_posted_from(ctx.request), expired=had_cookie, unsent=True)
    return ctx


def _posted_from(request: Request) -> str:
    """The page a form was posted from: the Referer when it is a page of this site, else the home page."""
    referer = request.headers.get("referer", "")
    parsed = urlsplit(referer)
    if parsed.netloc and parsed.netloc != request.url.netloc:
        return "/"
    path = parsed.path + (f"?{parsed.query}" if parsed.query else "")
    return safe_next(path, "/")


Page = Annotated[WebContext, Depends(signed_in)]


def login_csrf(request: Request) -> tuple[str, bool]:
    """The pre-session CSRF token of the login form (from its cookie, or new); True when it is new."""
    current = request.cookies.get(LOGIN_CSRF_COOKIE)
    if current and 20 <= len(current) <= 100:
        return current, False
    return secrets.token_urlsafe(32), True


def check_login_csrf(request: Request, sent: object) -> bool:
    expected = request.cookies.get(LOGIN_CSRF_COOKIE) or ""
    return isinstance(sent, str) and bool(expected) and hmac.compare_digest(sent.encode(), expected.encode())
