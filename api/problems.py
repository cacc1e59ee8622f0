"""Errors at the edge: every failure leaves as RFC 9457 problem details, mapped here and only here.

A problem has a stable machine `code` (also in `type`, as urn:jiaodong:problem:<code>), a Chinese `title`
for clerks, an English `detail` for integrators, field-level `errors` for invalid input, and never a
stack trace. Domain errors carry their code; this module only decides the HTTP status for each code.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse, Response
from starlette.routing import Match

from courts.calendar import CalendarRangeError
from courts.registry import UnknownCourt
from delegation.core.errors import DomainError, FieldError

log = logging.getLogger("jiaodong.api")

PROBLEM_MEDIA_TYPE = "application/problem+json"

# The one table from domain error codes to HTTP statuses.
STATUS_BY_CODE: Mapping[str, int] = {
    "validation_failed": 422,
    "not_found": 404,
    "permission_denied": 403,
    "transition_not_allowed": 409,
    "conflict": 409,
    "not_authenticated": 401,
    "too_many_attempts": 429,
    "payload_too_large": 413,
    "unsupported_media_type": 415,
}

TITLES_BY_STATUS: Mapping[int, tuple[str, str]] = {
    400: ("bad_request", "请求格式有误"),
    401: ("not_authenticated", "请先登录"),
    403: ("permission_denied", "您无权执行该操作"),
    404: ("not_found", "未找到该记录"),
    405: ("method_not_allowed", "不支持该请求方法"),
    406: ("not_acceptable", "无法提供所要求的格式"),
    409: ("conflict", "记录已被他人修改，请刷新后重试"),
    413: ("payload_too_large", "请求内容过大"),
    415: ("unsupported_media_type", "不支持的内容类型"),
    422: ("validation_failed", "输入有误，请检查标出的字段"),
    428: ("precondition_required", "请携带If-Match请求头（记录版本号）"),
    429: ("too_many_requests", "请求过于频繁，请稍后再试"),
    500: ("internal_error", "系统内部错误，请稍后再试"),
    503: ("service_unavailable", "服务暂时不可用"),
}

# Chinese messages for pydantic's error types, for field-level errors of request bodies and parameters.
_ZH_BY_TYPE: Mapping[str, str] = {
    "missing": "缺少必填项",
    "extra_forbidden": "不认识的字段（可能拼写错误）",
    "string_type": "应为文本",
    "string_too_short": "内容过短",
    "string_too_long": "内容过长",
    "string_pattern_mismatch": "格式不正确",
    "int_type": "应为整数",
    "int_parsing": "应为整数",
    "int_from_float": "应为整数",
    "bool_type": "应为true或false",
    "bool_parsing": "应为true或false",
    "date_type": "应为日期（YYYY-MM-DD）",
    "date_parsing": "应为日期（YYYY-MM-DD）",
    "date_from_datetime_parsing": "应为日期（YYYY-MM-DD）",
    "datetime_type": "应为时间（ISO 8601）",
    "datetime_parsing": "应为时间（ISO 8601）",
    "datetime_from_date_parsing": "应为时间（ISO 8601）",
    "timezone_aware": "时间须带时区",
    "greater_than_equal": "数值过小",
    "less_than_equal": "数值过大",
    "greater_than": "数值过小",
    "less_than": "数值过大",
    "literal_error": "取值不在允许范围内",
    "enum": "取值不在允许范围内",
    "list_type": "应为列表",
    "dict_type": "应为对象",
    "model_type": "应为对象",
    "model_attributes_type": "应为对象",
    "json_invalid": "不是有效的JSON",
    "json_type": "不是有效的JSON",
    "too_long": "项目过多",
    "too_short": "项目过少",
    "value_error": "取值无效",
    "assertion_error": "取值无效",
    "uuid_parsing": "格式不正确",
}


class HttpProblem(Exception):
    """A failure that belongs to HTTP itself (missing If-Match, bad header), raised by the edge only."""

    def __init__(
        self,
        status: int,
        code: str,
        title_zh: str,
        detail_en: str,
        *,
        headers: Mapping[str, str] | None = None,
        errors: Sequence[FieldError] = (),
    ) -> None:
        super().__init__(detail_en)
        self.status = status
        self.code = code
        self.title_zh = title_zh
        self.detail_en = detail_en
        self.headers = dict(headers or {})
        self.errors = list(errors)


def _escape_html(data: bytes) -> bytes:
    # In JSON text, <, > and & occur only inside strings, where \u escapes mean the same characters:
    # a browser that sniffs the body as HTML finds no markup, and every JSON client reads the same text.
    return data.replace(b"<", b"\\u003c").replace(b">", b"\\u003e").replace(b"&", b"\\u0026")


def dumps(content: Any) -> bytes:
    return _escape_html(orjson.dumps(content, option=orjson.OPT_NON_STR_KEYS))


class ApiJSONResponse(JSONResponse):
    """JSON via orjson, with <, > and & escaped so user text can never become markup."""

    def render(self, content: Any) -> bytes:
        return dumps(content)


class ProblemResponse(ApiJSONResponse):
    media_type = PROBLEM_MEDIA_TYPE


def problem(
    request: Request,
    status: int,
    code: str,
    title_zh: str,
    detail_en: str,
    *,
    errors: Sequence[FieldError] = (),
    headers: Mapping[str, str] | None = None,
    **extra: Any,
) -> ProblemResponse:
    body: dict[str, Any] = {
        "type": f"urn:jiaodong:problem:{code}",
        "title": title_zh,
        "status": status,
        "detail": detail_en,
        "instance": request.url.path,
        "code": code,
    }
    request_id = request.scope.get("state", {}).get("request_id")
    if request_id:
        body["request_id"] = request_id  # the same id as the X-Request-ID header and the log line
    if errors:
        body["errors"] = [{"field": e.field, "message_zh": e.message_zh, "message_en": e.message_en} for e in errors]
    body.update({k: v for k, v in extra.items() if v is not None})
    return ProblemResponse(body, status_code=status, headers=dict(headers or {}))


# Renders extra context of a domain error (e.g. the current state after a 409); set by the app.
ContextRenderer = Callable[[Request, DomainError], dict[str, Any]]


def install(app: FastAPI, render_context: ContextRenderer) -> None:
    """Register the handlers; with api.guard (unexpected errors and database outages), every error the app
    can produce is a problem+json response."""

    async def domain_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, DomainError)
        status = STATUS_BY_CODE.get(exc.code, 400)
        headers: dict[str, str] = {}
        retry_after = exc.context.get("retry_after")
        if retry_after is not None:
            headers["Retry-After"] = str(retry_after)
        if status == 401:
            headers["WWW-Authenticate"] = 'Bearer realm="jiaodong"'
        extra = render_context(request, exc)
        allowed = getattr(exc, "allowed", None)
        return problem(
            request,
            status,
            exc.code,
            exc.title_zh,
            exc.detail_en,
            errors=getattr(exc, "errors", []),
            headers=headers | extra.pop("_headers", {}),
            allowed_actions=allowed,
            **extra,
        )

    async def http_problem(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HttpProblem)
        return problem(
            request, exc.status, exc.code, exc.title_zh, exc.detail_en, errors=exc.errors, headers=exc.headers
        )

    async def validation_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        errors = [_field_error(err) for err in exc.errors()]
        summary = "; ".join(f"{e.field}: {e.message_en}" for e in errors[:10])
        return problem(
            request, 422, "validation_failed", TITLES_BY_STATUS[422][1], f"Invalid request: {summary}", errors=errors
        )

    async def starlette_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        code, title = TITLES_BY_STATUS.get(exc.status_code, ("http_error", "请求无法处理"))
        title = getattr(exc, "title_zh", None) or title  # a more precise title (e.g. the upload limit of a 413)
        detail = exc.detail if isinstance(exc.detail, str) else "The request could not be handled."
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            headers["Allow"] = ", ".join(allowed_methods(request))
        return problem(request, exc.status_code, code, title, detail, headers=headers)

    async def calendar_range(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, CalendarRangeError)
        error = FieldError("date", exc.message_zh, exc.message_en)
        return problem(request, 422, "validation_failed", "日期超出工作日历支持的范围", exc.message_en, errors=[error])

    async def unknown_court(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, UnknownCourt)
        error = FieldError("court", exc.message_zh, exc.message_en)
        return problem(request, 422, "validation_failed", "法院代码不存在", exc.message_en, errors=[error])

    app.add_exception_handler(DomainError, domain_error)
    app.add_exception_handler(HttpProblem, http_problem)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(StarletteHTTPException, starlette_error)
    app.add_exception_handler(CalendarRangeError, calendar_range)
    app.add_exception_handler(UnknownCourt, unknown_court)


_METHODS = ("DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT")


def allowed_methods(request: Request) -> list[str]:
    """Every method some route answers at this path. Starlette's own 405 names only the first matching
    route's methods, and FastAPI makes one route per method, so each method is tried against the router."""
    routes = request.app.router.routes
    allowed = []
    for method in _METHODS:
        scope = {**request.scope, "method": method}
        if any(route.matches(scope)[0] is Match.FULL for route in routes):
            allowed.append(method)
    return allowed


def _field_error(err: Mapping[str, Any]) -> FieldError:
    loc = [str(part) for part in err.get("loc", ())]
    if loc and loc[0] in ("body", "query", "path", "header", "cookie"):
        where, loc = loc[0], loc[1:]
    else:
        where = ""
    path = ""
    for part in loc:
        path += f"[{part}]" if part.isdigit() else (f".{part}" if path else part)
    if where == "header":
        path = path.replace("_", "-")
    field = path or where or "body"
    kind = str(err.get("type", ""))
    zh = _ZH_BY_TYPE.get(kind, "取值无效")
    expected = (err.get("ctx") or {}).get("expected")
    if kind in ("enum", "literal_error") and expected:
        zh += f"（可选值：{expected}）"  # the English message names them too
    en = str(err.get("msg", "Invalid value"))
    return FieldError(field, zh, en)
