"""Administrators' page of the registry connectors (网络查控, docs/network.md): the list, a new connector, editing
one, switching one off or on again. The secret is configured only by reference (env:NAME or file:/path); the
page shows the reference and whether a secret is found there, never the secret. Everything goes through the
same service as `jiaodong connectors` (network.save_connector, network.set_active)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response
from pydantic import ValidationError
from starlette.datastructures import FormData

from api.web.context import Page
from api.web.routes.delegation import done_text, problem_text
from courts.registry import CourtLevel
from delegation.core.access import UserRole
from delegation.core.errors import DomainError, FieldError, PermissionDenied, ValidationFailed
from delegation.network import service as network
from delegation.network.model import MATTER_ROUTES, REGISTRY_LABELS, ConnectorConfig, RegistryKind
from delegation.store.tables import ConnectorRow

router = APIRouter(include_in_schema=False)

ConnectorId = Annotated[int, Path(ge=1, le=2**31 - 1)]

# The inputs of the form, in the order the error summary lists them.
INPUTS = (
    "scope",
    "registry",
    "name",
    "matter_types",
    "endpoint",
    "secret_ref",
    "rate_per_minute",
    "max_in_flight",
    "request_timeout_seconds",
    "answer_timeout_seconds",
    "business_hours.start",
    "business_hours.end",
    "business_hours",
)
NUMBERS = ("rate_per_minute", "max_in_flight", "request_timeout_seconds", "answer_timeout_seconds")
LABELS_ZH = {
    "scope": "适用范围",
    "registry": "登记机关",
    "name": "名称",
    "matter_types": "可办事项",
    "endpoint": "接口地址",
    "secret_ref": "密钥引用",
    "rate_per_minute": "每分钟请求上限",
    "max_in_flight": "同时在途请求上限",
    "request_timeout_seconds": "单次请求超时（秒）",
    "answer_timeout_seconds": "答复等待时限（秒）",
    "business_hours.start": "营业开始时间",
    "business_hours.end": "营业结束时间",
    "business_hours": "营业时间",
}


def _require_admin(ctx: Page) -> None:
    if UserRole.ADMIN not in ctx.actor.roles:
        raise PermissionDenied(
            "Only an administrator configures registry connectors.", title_zh="只有管理员可以配置查控接口"
        )


def _field_of(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if not isinstance(p, int)]
    name = ".".join(parts)
    if name.startswith("matter_types"):
        return "matter_types"
    return name if name in LABELS_ZH else (parts[0] if parts and parts[0] in LABELS_ZH else "")


def _message_zh(error: Any) -> tuple[str, str]:
    """A clerk-readable Chinese message (and its English) for one of pydantic's errors of ConnectorConfig."""
    kind, context = error["type"], error.get("ctx") or {}
    if kind == "value_error":
        text = str(error["msg"]).removeprefix("Value error, ")
        zh, _, en = text.partition(" / ")
        return zh, en or zh
    known = {
        "missing": ("必填", "required"),
        "int_parsing": ("应为整数", "must be a whole number"),
        "float_parsing": ("应为数字", "must be a number"),
        "enum": ("请选择登记机关", "choose a registry"),
        "string_too_short": ("不能为空", "must not be empty"),
        "too_short": ("至少选择一项", "choose at least one"),
    }
    if kind in known:
        return known[kind]
    if kind == "greater_than_equal":
        return f"不能小于{context.get('ge')}", f"must be at least {context.get('ge')}"
    if kind == "less_than_equal":
        return f"不能大于{context.get('le')}", f"must be at most {context.get('le')}"
    if kind == "greater_than":
        return f"应大于{context.get('gt')}", f"must be more than {context.get('gt')}"
    if kind == "string_too_long":
        return f"不能超过{context.get('max_length')}个字符", f"at most {context.get('max_length')} characters"
    return "格式不正确", str(error["msg"])


def _errors_of(exc: ValidationError) -> list[FieldError]:
    out = []
    for error in exc.errors():
        field = _field_of(tuple(error["loc"])) or ("matter_types" if "事项" in str(error["msg"]) else "")
        zh, en = _message_zh(error)
        label = LABELS_ZH.get(field, "")
        out.append(FieldError(field or "connector", f"{label}：{zh}" if label else zh, en))
    return out


def _values(form: FormData, row: ConnectorRow | None) -> dict[str, Any]:
    """What the form posted, as typed (to show again) - the scope and registry of an existing connector are
    its own, not the form's: editing changes a connector, it does not move it."""
    values: dict[str, Any] = {name: str(form.get(name) or "").strip() for name in INPUTS if "." not in name}
    values["matter_types"] = [str(v) for v in form.getlist("matter_types")]
    values["hours_start"] = str(form.get("hours_start") or "").strip()
    values["hours_end"] = str(form.get("hours_end") or "").strip()
    values["working_days_only"] = form.get("working_days_only") == "1"
    values["auto_accept"] = form.get("auto_accept") == "1"
    values["active"] = form.get("active") == "1"
    if row is not None:
        values["scope"], values["registry"] = row.scope, row.registry_kind
    return values


def _config(values: dict[str, Any]) -> ConnectorConfig:
    data: dict[str, Any] = {
        "scope": values["scope"],
        "registry": values["registry"],
        "name": values["name"],
        "matter_types": tuple(values["matter_types"]),
        "endpoint": values["endpoint"],
        "secret_ref": values["secret_ref"],
        "business_hours": {
            "start": values["hours_start"],
            "end": values["hours_end"],
            "working_days_only": values["working_days_only"],
        },
        "auto_accept": values["auto_accept"],
        "active": values["active"],
    }
    for name in NUMBERS:
        if values[name] != "":
            data[name] = values[name]
    return ConnectorConfig.model_validate(data)


def _form_values(row: ConnectorRow | None) -> dict[str, Any]:
    if row is None:
        return {
            "scope": "",
            "registry": "",
            "name": "",
            "matter_types": [],
            "endpoint": "",
            "secret_ref": "",
            "rate_per_minute": "60",
            "max_in_flight": "4",
            "request_timeout_seconds": "10",
            "answer_timeout_seconds": "600",
            "hours_start": "08:30",
            "hours_end": "17:30",
            "working_days_only": True,
            "auto_accept": False,
            "active": True,
        }
    hours = row.business_hours or {}
    return {
        "scope": row.scope,
        "registry": row.registry_kind,
        "name": row.name,
        "matter_types": list(row.matter_types),
        "endpoint": row.endpoint,
        "secret_ref": row.secret_ref,
        "rate_per_minute": str(row.rate_per_minute),
        "max_in_flight": str(row.max_in_flight),
        "request_timeout_seconds": f"{row.request_timeout_seconds:g}",
        "answer_timeout_seconds": str(row.answer_timeout_seconds),
        "hours_start": hours.get("start", "08:30"),
        "hours_end": hours.get("end", "17:30"),
        "working_days_only": bool(hours.get("working_days_only", True)),
        "auto_accept": row.auto_accept,
        "active": row.active,
    }


@dataclass(frozen=True)
class Listed:
    row: ConnectorRow
    secret_found: bool  # a secret of at least 16 characters is where the reference says (never shown)


def _secret_found(ref: str) -> bool:
    try:
        network.resolve_secret(ref)
    except network.SecretUnavailable:
        return False
    return True


def _scopes(ctx: Page) -> list[tuple[str, str]]:
    """Courts that take matters, and each city's intermediate court (a city-wide connector)."""
    registry = ctx.ref.registry
    out = []
    for court in registry.courts():
        if court.level == CourtLevel.INTERMEDIATE:
            out.append((court.code, f"{court.code} {court.name}（全市）"))
        elif court.takes_matters:
            out.append((court.code, f"{court.code} {court.name}"))
    return sorted(out)


def _matter_choices() -> list[tuple[str, str, list[str]]]:
    """(registry code, its name, the matter types it can do) for the matter checkboxes."""
    return [
        (kind.value, REGISTRY_LABELS[kind][0], [m for m, (k, _a) in MATTER_ROUTES.items() if k is kind])
        for kind in RegistryKind
        if any(k is kind for k, _a in MATTER_ROUTES.values())
    ]


@router.get("/admin/connectors")
async def connectors_page(
    ctx: Page,
    ok: Annotated[str | None, Query(max_length=40)] = None,
    saved: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
) -> Response:
    _require_admin(ctx)
    rows = await network.list_connectors(ctx.session)
    listed = [Listed(r, _secret_found(r.secret_ref)) for r in rows]
    return await ctx.render(
        "pages/admin_connectors.html",
        connectors=listed,
        notice=done_text(ctx, ok),
        saved=saved,
        policy_version=ctx.ref.policies.in_force(ctx.now).version,
    )


async def _render_form(
    ctx: Page,
    row: ConnectorRow | None,
    values: dict[str, Any],
    errors: list[FieldError] | None = None,
    message: str = "",
    status_code: int = 200,
) -> Response:
    by_field: dict[str, list[FieldError]] = {}
    for e in errors or []:
        by_field.setdefault(e.field if e.field in LABELS_ZH else "connector", []).append(e)
    targets = {"business_hours": "c-business_hours-start"}
    items = [
        (targets.get(e.field, f"c-{e.field.replace('.', '-')}") if e.field in LABELS_ZH else "c-form", e)
        for e in errors or []
    ]
    return await ctx.render(
        "pages/admin_connector_form.html",
        status_code,
        row=row,
        v=values,
        field_errors=by_field,
        error_items=items,
        message=message,
        scopes=_scopes(ctx),
        registries=[(k.value, REGISTRY_LABELS[k][0] if ctx.h.zh() else REGISTRY_LABELS[k][1]) for k in RegistryKind],
        matter_choices=_matter_choices(),
        secret_found=_secret_found(row.secret_ref) if row is not None else None,
        policy_version=ctx.ref.policies.in_force(ctx.now).version,
    )


@router.get("/admin/connectors/new")
async def new_connector(ctx: Page) -> Response:
    _require_admin(ctx)
    return await _render_form(ctx, None, _form_values(None))


@router.get("/admin/connectors/{connector_id}")
async def edit_connector(ctx: Page, connector_id: ConnectorId) -> Response:
    _require_admin(ctx)
    row = await network.get_connector(ctx.session, connector_id)
    return await _render_form(ctx, row, _form_values(row))


async def _save(ctx: Page, row: ConnectorRow | None) -> Response:
    form = await ctx.form()
    values = _values(form, row)
    try:
        config = _config(values)
    except ValidationError as exc:
        return await _render_form(ctx, row, values, _errors_of(exc), ctx._("Please correct the marked fields."), 422)
    if row is None:
        taken = [
            c
            for c in await network.list_connectors(ctx.session)
            if (c.scope, c.registry_kind) == (config.scope, config.registry.value)
        ]
        if taken:
            problem = FieldError(
                "registry",
                f"登记机关：{config.scope}已有{REGISTRY_LABELS[config.registry][0]}的查控接口（{taken[0].name}），请编辑它",
                "This scope already has a connector to this registry; edit that one.",
            )
            return await _render_form(ctx, row, values, [problem], ctx._("Please correct the marked fields."), 422)
    try:
        saved = await network.save_connector(ctx.domain, config)
    except ValidationFailed as exc:
        return await _render_form(ctx, row, values, list(exc.errors), ctx._("Please correct the marked fields."), 422)
    except DomainError as exc:
        if exc.code in ("not_found", "permission_denied"):
            raise
        return await _render_form(ctx, row, values, [], problem_text(ctx, exc), 409)
    return ctx.redirect("/admin/connectors", ok="connector_saved", saved=saved.id)


@router.post("/admin/connectors")
async def create_connector(ctx: Page) -> Response:
    _require_admin(ctx)
    return await _save(ctx, None)


@router.post("/admin/connectors/{connector_id}")
async def update_connector(ctx: Page, connector_id: ConnectorId) -> Response:
    _require_admin(ctx)
    row = await network.get_connector(ctx.session, connector_id)
    return await _save(ctx, row)


async def _switch(ctx: Page, connector_id: int, active: bool) -> Response:
    _require_admin(ctx)
    await ctx.form()  # checks the CSRF token
    await network.set_active(ctx.domain, connector_id, active)
    return ctx.redirect("/admin/connectors", ok="connector_saved", saved=connector_id)


@router.post("/admin/connectors/{connector_id}/disable")
async def disable_connector(ctx: Page, connector_id: ConnectorId) -> Response:
    return await _switch(ctx, connector_id, False)


@router.post("/admin/connectors/{connector_id}/enable")
async def enable_connector(ctx: Page, connector_id: ConnectorId) -> Response:
    return await _switch(ctx, connector_id, True)
