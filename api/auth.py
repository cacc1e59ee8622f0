"""How a request proves who it is: a signed session cookie (people) or a bearer token (systems).

The cookie holds a random session id signed with the secret key (itsdangerous), so a forged or altered
cookie is refused before the database is asked. Changes made with the cookie (POST, PUT, PATCH, DELETE)
must carry the session's CSRF token in X-CSRF-Token; a bearer token is not sent by browsers on their own,
so bearer requests need none.
"""

from __future__ import annotations

import hmac
from datetime import datetime

from fastapi import Request
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlmodel.ext.asyncio.session import AsyncSession

from api.problems import HttpProblem
from delegation.accounts import auth as auth_service
from delegation.accounts.auth import NotAuthenticated, Principal
from delegation.accounts.token_cache import TokenCache
from delegation.core.errors import DomainError
from jiaodong.settings import Settings

SESSION_COOKIE = "jd_session"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

bearer_scheme = HTTPBearer(auto_error=False, description="An API token: `jiaodong token create USER`.")
cookie_scheme = APIKeyCookie(name=SESSION_COOKIE, auto_error=False, description="Set by POST /api/v1/auth/login.")


def _serializer(settings: Settings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings.secret_key, salt="jiaodong-session")


def sign_session(settings: Settings, secret: str) -> str:
    return _serializer(settings).dumps(secret)


def unsign_session(settings: Settings, value: str) -> str:
    try:
        secret = _serializer(settings).loads(value, max_age=int(auth_service.SESSION_TTL.total_seconds()))
    except BadSignature:
        raise NotAuthenticated("The session cookie is invalid or expired; log in again.") from None
    if not isinstance(secret, str):
        raise NotAuthenticated("The session cookie is invalid; log in again.")
    return secret


class CsrfFailed(DomainError):
    code = "permission_denied"
    title_zh = "缺少或错误的CSRF令牌，请刷新页面后重试"


async def authenticate(
    request: Request,
    session: AsyncSession,
    settings: Settings,
    bearer: HTTPAuthorizationCredentials | None,
    cookie: str | None,
    now: datetime,
    tokens: TokenCache | None = None,
) -> Principal:
    if bearer is not None:
        if bearer.scheme.lower() != "bearer" or not bearer.credentials:
            raise HttpProblem(401, "not_authenticated", "请先登录", "Use `Authorization: Bearer <token>`.")
        return await auth_service.resolve_token(session, bearer.credentials, now, tokens)
    if cookie:
        principal = await auth_service.resolve_session(session, unsign_session(settings, cookie), now)
        if request.method not in SAFE_METHODS:
            sent = request.headers.get(CSRF_HEADER, "")
            expected = principal.csrf_token or ""
            if not sent or not hmac.compare_digest(sent.encode(), expected.encode()):
                raise CsrfFailed(f"Changes made with the session cookie need the {CSRF_HEADER} header.")
        return principal
    raise NotAuthenticated("Log in (POST /api/v1/auth/login) or send `Authorization: Bearer <token>`.")


# ---------------------------------------------------------------- device cookies (the login throttle)

DEVICE_COOKIE = "jd_device"
DEVICE_TTL_SECONDS = 180 * 24 * 3600


def _device_serializer(settings: Settings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings.secret_key, salt="jiaodong-device")


def device_cookie_value(settings: Settings, username: str) -> str:
    """Set after a successful login: this browser has logged in as `username` before."""
    return _device_serializer(settings).dumps(username.strip().lower())


def is_trusted_device(request: Request, settings: Settings, username: str) -> bool:
    """Did this browser log in as `username` before? Its owner is then never delayed by others' failures."""
    value = request.cookies.get(DEVICE_COOKIE)
    if not value:
        return False
    try:
        known = _device_serializer(settings).loads(value, max_age=DEVICE_TTL_SECONDS)
    except BadSignature:
        return False
    return isinstance(known, str) and hmac.compare_digest(known, username.strip().lower())
