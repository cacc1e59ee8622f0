"""Signing in and out, and the language switch."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from fastapi.responses import RedirectResponse, Response

from api.auth import (
    DEVICE_COOKIE,
    DEVICE_TTL_SECONDS,
    SESSION_COOKIE,
    device_cookie_value,
    is_trusted_device,
    sign_session,
)
from api.deps import client_address
from api.web.context import (
    LOGIN_CSRF_COOKIE,
    AnyPage,
    Page,
    check_login_csrf,
    home_of,
    login_csrf,
    safe_next,
)
from api.web.i18n import LANG_COOKIE, LOCALES
from delegation.accounts import auth as auth_service
from delegation.accounts.auth import NotAuthenticated, TooManyAttempts

router = APIRouter(include_in_schema=False)


@router.get("/")
async def home(ctx: AnyPage) -> Response:
    if ctx.principal is None:
        return ctx.redirect("/login")
    return ctx.redirect(home_of(ctx.actor))


async def _login_page(
    ctx: AnyPage,
    *,
    next_url: str,
    status_code: int = 200,
    message: str = "",
    username: str = "",
    notice: str = "",
    expired: bool = False,
    invalid: tuple[str, ...] = (),
) -> Response:
    """The login page; `invalid` names the inputs the error is about (marked invalid, described by it)."""
    token, new = login_csrf(ctx.request)
    response = await ctx.render(
        "pages/login.html",
        status_code,
        login_token=token,
        next_url=next_url,
        login_error=message,  # shown in the login card, not in the page's message area
        login_notice=notice,
        expired=expired,
        username=username,
        invalid=invalid,
    )
    if new:
        response.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="lax", path="/login")
    return response


@router.get("/login")
async def login_form(
    ctx: AnyPage,
    next_url: Annotated[str | None, Query(alias="next", max_length=500)] = None,
    expired: bool = False,
    bye: bool = False,
    unsent: bool = False,
) -> Response:
    if ctx.principal is not None:
        return ctx.redirect(safe_next(next_url, home_of(ctx.actor)))
    notice = ""
    if unsent:
        notice = ctx._("You were no longer logged in, so what you just sent was not done. Log in and do it again.")
        expired = True  # shown as a warning
    elif expired:
        notice = ctx._("Your session has expired. Please log in again.")
    elif bye:
        notice = ctx._("You have logged out.")
    return await _login_page(ctx, next_url=safe_next(next_url, ""), notice=notice, expired=expired)


@router.post("/login")
async def login(ctx: AnyPage) -> Response:
    form = await ctx.request.form()
    next_url = safe_next(str(form.get("next") or ""), "")
    username = str(form.get("username") or "").strip()[:64]
    password = str(form.get("password") or "")[:1024]
    if not check_login_csrf(ctx.request, form.get("csrf_token")):
        message = ctx._("The login form has expired; please try again.")
        return await _login_page(ctx, next_url=next_url, status_code=403, message=message, username=username)
    if not username or not password:
        message = ctx._("Enter your username and password.")
        empty = tuple(name for name, value in (("username", username), ("password", password)) if not value)
        return await _login_page(
            ctx, next_url=next_url, status_code=422, message=message, username=username, invalid=empty
        )
    try:
        secret, principal = await auth_service.login(
            ctx.session,
            username,
            password,
            client_address(ctx.request),
            ctx.now,
            ctx.runtime.throttle,
            trusted_device=is_trusted_device(ctx.request, ctx.runtime.settings, username),
        )
    except TooManyAttempts as exc:
        wait = int(exc.context.get("retry_after") or 60)  # type: ignore[call-overload]
        message = ctx._("Too many failed logins. Try again in %(minutes)d minutes.", minutes=max(1, -(-wait // 60)))
        return await _login_page(ctx, next_url=next_url, status_code=429, message=message, username=username)
    except NotAuthenticated:
        message = ctx._("Wrong username or password.")
        both = ("username", "password")
        return await _login_page(
            ctx, next_url=next_url, status_code=401, message=message, username=username, invalid=both
        )
    response = ctx.redirect(next_url or home_of(principal.actor))
    response.set_cookie(
        SESSION_COOKIE,
        sign_session(ctx.runtime.settings, secret),
        max_age=int(auth_service.SESSION_TTL.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=ctx.request.url.scheme == "https",
        path="/",
    )
    response.set_cookie(
        DEVICE_COOKIE,
        device_cookie_value(ctx.runtime.settings, username),
        max_age=DEVICE_TTL_SECONDS,
        httponly=True,
        samesite="lax",
        secure=ctx.request.url.scheme == "https",
        path="/",
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


@router.post("/logout")
async def logout(ctx: Page) -> Response:
    await ctx.form()
    assert ctx.principal is not None
    await auth_service.logout(ctx.session, ctx.principal, ctx.now)
    response = ctx.redirect("/login", bye=1)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax")
    return response


@router.get("/lang/{locale}")
async def switch_language(
    locale: Annotated[str, Path(max_length=10)],
    next_url: Annotated[str | None, Query(alias="next", max_length=500)] = None,
) -> Response:
    response = RedirectResponse(safe_next(next_url, "/"), status_code=303)
    if locale in LOCALES:
        response.set_cookie(LANG_COOKIE, locale, max_age=365 * 24 * 3600, samesite="lax", path="/")
    return response
