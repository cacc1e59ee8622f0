"""Filing a delegation: choose the matter type, fill in the form generated from its field schema, attach
the required documents; the draft is saved and shown with a preview of its 委托函, then submitted there."""

from __future__ import annotations

import secrets
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import Response
from starlette.datastructures import FormData

from api.web import forms
from api.web.context import Page, WebContext
from delegation.catalogue.fields import DOCUMENT_KINDS
from delegation.catalogue.policy import MatterType
from delegation.core.access import Operation, authorize, enforce
from delegation.core.errors import FieldError, ValidationFailed
from delegation.filing import documents as document_service
from delegation.handling.service import create_draft

router = APIRouter(include_in_schema=False)


def _courts_by_city(ctx: WebContext) -> list[tuple[str, list[Any]]]:
    own = ctx.actor.court_code
    registry = ctx.ref.registry
    return [(city, [c for c in registry.by_city(city) if c.code != own]) for city in registry.cities()]


async def _form_page(
    ctx: WebContext,
    matter: MatterType,
    values: dict[str, Any],
    *,
    status_code: int = 200,
    errors: list[FieldError] | None = None,
    message: str = "",
    suggestion: Any = None,
    files_lost: bool = False,
) -> Response:
    policy = ctx.ref.policies.in_force(ctx.now)
    values.setdefault("fields", {})
    if not values.get("parties"):
        values["parties"] = forms.initial_parties(policy.party_fields)
    placed = forms.place_errors(errors or [], forms.filing_anchors(matter, policy.party_fields, values))
    return await ctx.render(
        "pages/new_form.html",
        status_code,
        policy=policy,
        matter=matter,
        values=values,
        errors=placed,
        error_list=[(forms.input_id(anchor) if anchor else "", e) for anchor, found in placed.items() for e in found],
        message=message,
        suggestion=suggestion,
        files_lost=files_lost,
        courts_by_city=_courts_by_city(ctx),
        idempotency_key=values.get("idempotency_key") or secrets.token_urlsafe(16),
        forms=forms,
    )


@router.get("/delegations/new")
async def new_delegation(
    ctx: Page, matter_type: Annotated[str | None, Query(max_length=64, pattern=r"^[a-z0-9_]*$")] = None
) -> Response:
    enforce(authorize(ctx.actor, Operation.CREATE_DRAFT), "Delegations", Operation.CREATE_DRAFT)
    policy = ctx.ref.policies.in_force(ctx.now)
    if matter_type:
        try:
            matter = policy.matter(matter_type)
        except ValidationFailed:
            matter = None
        if matter is not None:
            return await _form_page(ctx, matter, {})
    groups = [(g, [m for m in policy.matter_types if m.group == g.code]) for g in policy.groups]
    return await ctx.render("pages/new_choose.html", policy=policy, groups=groups)


def _add_row(values: dict[str, Any], target: str, matter: MatterType) -> None:
    """The no-script way to add a row: 'fields.<list>' or 'parties.<role>'."""
    kind, _, name = target.partition(".")
    if kind == "fields" and name in matter.field_map:
        rows = values["fields"].get(name)
        rows = rows if isinstance(rows, list) else forms.list_rows(matter.field_map[name], rows)
        if len(rows) < forms.MAX_ROWS - 1:
            rows.append({})
        values["fields"][name] = rows
    elif kind == "parties" and name:
        values["parties"].append({"role": name})


async def _checked_files(ctx: WebContext, form: FormData, errors: list[FieldError]) -> list[document_service.Upload]:
    """Read and check the attached scans before anything is saved; problems go to documents.<kind>."""
    limit = ctx.runtime.settings.max_upload_bytes
    out: list[document_service.Upload] = []
    for kind, upload in forms.uploads(form):
        field = f"document.{kind}"
        if kind not in DOCUMENT_KINDS:
            errors.append(FieldError(field, "材料类型无效", "Unknown document kind"))
            continue
        content = await upload.read(limit + 1)
        if len(content) > limit:
            mb = limit // (1024 * 1024)
            errors.append(FieldError(field, f"文件过大（最大{mb}MB）", f"The file is larger than {mb} MB"))
            continue
        try:
            document_service.detect_type(content)
        except document_service.UnsupportedDocument:
            errors.append(FieldError(field, "只接受PDF、JPEG或PNG格式的扫描件", "Only PDF, JPEG or PNG scans"))
            continue
        out.append(document_service.Upload(kind=kind, filename=upload.filename, content=content))
    return out


@router.post("/delegations/new")
async def file_delegation(ctx: Page) -> Response:
    form = await ctx.form()
    policy = ctx.ref.policies.in_force(ctx.now)
    try:
        matter = policy.matter(str(form.get("matter_type") or ""))
    except ValidationFailed:
        return ctx.redirect("/delegations/new")
    posted = forms.draft_from_form(form, matter)
    values = posted.values
    values["idempotency_key"] = str(form.get("idempotency_key") or "")[:64]
    action = str(form.get("do") or "save")
    if action.startswith("add:"):
        _add_row(values, action[4:], matter)
        return await _form_page(ctx, matter, values, files_lost=bool(forms.uploads(form)))
    if action == "suggest":
        place = str(form.get("place") or "").strip()
        court = ctx.ref.registry.suggest_for_district_name(place) if place else None
        if court is not None and court.code != ctx.actor.court_code:
            values["assisting_court"] = court.code
        return await _form_page(ctx, matter, values, suggestion=court, files_lost=bool(forms.uploads(form)))
    errors: list[FieldError] = []
    files = await _checked_files(ctx, form, errors)
    try:
        row, replayed = await create_draft(ctx.domain, posted.draft, values["idempotency_key"] or None)
    except ValidationFailed as exc:
        return await _form_page(
            ctx, matter, values, status_code=422, errors=errors + exc.errors, files_lost=bool(files)
        )
    assert row.id is not None
    if not replayed:
        for item in files:
            await document_service.upload(
                ctx.session,
                ctx.ref,
                ctx.actor,
                ctx.now,
                row.id,
                item,
                ctx.runtime.store,
                ctx.runtime.settings.max_upload_bytes,
                ctx.runtime.matter_limits,
            )
    # The draft is valid and saved; scans that were refused are named on its page, to be attached there.
    rejected = ",".join(sorted({e.field.removeprefix("document.") for e in errors}))
    return ctx.redirect(f"/delegations/{row.id}", ok="draft_saved", rejected=rejected)
