"""Login, logout and who-am-I."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response, status

from api.auth import (
    DEVICE_COOKIE,
    DEVICE_TTL_SECONDS,
    SESSION_COOKIE,
    device_cookie_value,
    is_trusted_device,
    sign_session,
)
from api.deps import CurrentPrincipal, Now, RuntimeDep, Session, client_address
from api.schemas import LoginIn, MeOut
from delegation.accounts import auth as auth_service
from delegation.accounts.auth import Principal

router = APIRouter(prefix="/api/v1", tags=["auth"])


def _me(principal: Principal) -> MeOut:
    actor = principal.actor
    return MeOut(
        username=actor.username,
        display_name=actor.display_name,
        court_code=actor.court_code,
        roles=sorted(r.value for r in actor.roles),
        via="session" if principal.via == "session" else "token",
        csrf_token=principal.csrf_token,
    )


@router.post(
    "/auth/login",
    operation_id="login",
    summary="Log in with username and password; sets the session cookie",
    response_model=MeOut,
)
async def login(
    body: LoginIn, request: Request, response: Response, session: Session, runtime: RuntimeDep, now: Now
) -> MeOut:
    secret, principal = await auth_service.login(
        session,
        body.username,
        body.password,
        client_address(request),
        now,
        runtime.throttle,
        trusted_device=is_trusted_device(request, runtime.settings, body.username),
    )
    response.set_cookie(
        SESSION_COOKIE,
        sign_session(runtime.settings, secret),
        max_age=int(auth_service.SESSION_TTL.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/",
    )
    response.set_cookie(
        DEVICE_COOKIE,
        device_cookie_value(runtime.settings, body.username),
        max_age=DEVICE_TTL_SECONDS,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/",
    )
    return _me(principal)


@router.post(
    "/auth/logout",
    operation_id="logout",
    summary="End the session (a bearer token is revoked with `jiaodong token revoke` instead)",
    status_code=status.HTTP_204_NO_CONTENT,
)
async def logout(principal: CurrentPrincipal, session: Session, now: Now) -> Response:
    await auth_service.logout(session, principal, now)
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax")
    return response


@router.get("/me", operation_id="me", summary="The caller: user, court, roles, and the CSRF token of a session")
async def me(principal: CurrentPrincipal) -> MeOut:
    return _me(principal)
