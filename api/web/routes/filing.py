"""Filing a delegation: choose the matter type, fill in the form generated from its field schema, attach
the required documents; the draft is saved and shown with a preview of its 委托函, then submitted there."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response
from starlette.datastructures import FormData

from api.web import forms
from api.web import kept as kept_files
from api.web.context import Page, WebContext
from delegation.catalogue.fields import DOCUMENT_KINDS
from delegation.catalogue.policy import MatterType
from delegation.core.access import Operation, authorize, enforce
from delegation.core.errors import Conflict, FieldError, PermissionDenied, ValidationFailed
from delegation.core.states import Role, Status
from delegation.filing import documents as document_service
from delegation.filing.documents import Staged
from delegation.handling.service import create_draft, remove_draft_document, update_draft
from delegation.reading.delegations import load_authorized, roles_of
from delegation.store.repository import documents_of
from delegation.store.tables import DelegationRow, DocumentRow

router = APIRouter(include_in_schema=False)
DelegationId = Annotated[int, Path(ge=1, le=2**31 - 1)]


def _courts_by_city(ctx: WebContext) -> list[tuple[str, list[Any]]]:
    own = ctx.actor.court_code
    registry = ctx.ref.registry
    return [(city, [c for c in registry.by_city(city) if c.code != own]) for city in registry.cities()]


@dataclass(frozen=True)
class Editing:
    """The draft a form edits (None when filing a new one): its row and the documents it holds."""

    row: DelegationRow
    documents: list[DocumentRow]

    def documents_of(self, kind: str) -> list[DocumentRow]:
        return [d for d in self.documents if d.kind == kind]


async def _form_page(
    ctx: WebContext,
    matter: MatterType,
    values: dict[str, Any],
    *,
    status_code: int = 200,
    errors: list[FieldError] | None = None,
    message: str = "",
    suggestion: Any = None,
    kept: dict[str, Staged] | None = None,
    editing: Editing | None = None,
) -> Response:
    policy = ctx.ref.policies.in_force(ctx.now) if editing is None else ctx.ref.policies.get(editing.row.policy_version)
    values.setdefault("fields", {})
    if not values.get("parties"):
        values["parties"] = forms.initial_parties(policy.party_fields)
    placed = forms.place_errors(errors or [], forms.filing_anchors(matter, policy.party_fields, values))
    settings, username = ctx.runtime.settings, ctx.actor.username
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
        kept={kind: (item, kept_files.sign(settings, username, item)) for kind, item in (kept or {}).items()},
        editing=editing,
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


async def _staged_files(ctx: WebContext, form: FormData, errors: list[FieldError]) -> dict[str, Staged]:
    """The scans of a posted form, checked and put in the document store before the form is judged, so a
    refused form keeps them: the files kept from an earlier post (kept.<kind>), replaced by any newly
    chosen for the same kind. Problems with a file go to document.<kind>."""
    settings = ctx.runtime.settings
    out = kept_files.from_form(settings, ctx.actor.username, form)
    for kind, upload in forms.uploads(form):
        field = f"document.{kind}"
        if kind not in DOCUMENT_KINDS:
            errors.append(FieldError(field, "材料类型无效", "Unknown document kind"))
            continue
        content = await upload.read(settings.max_upload_bytes + 1)
        try:
            out[kind] = await document_service.stage(
                document_service.Upload(kind=kind, filename=upload.filename, content=content),
                ctx.runtime.store,
                settings.max_upload_bytes,
            )
        except document_service.DocumentTooLarge:
            mb = settings.max_upload_bytes // (1024 * 1024)
            errors.append(FieldError(field, f"文件过大（最大{mb}MB）", f"The file is larger than {mb} MB"))
        except document_service.UnsupportedDocument:
            errors.append(FieldError(field, "只接受PDF、JPEG或PNG格式的扫描件", "Only PDF, JPEG or PNG scans"))
        except ValidationFailed:
            errors.append(FieldError(field, "文件为空", "The file is empty."))
    return out


async def _attach(ctx: WebContext, delegation_id: int, files: dict[str, Staged], editing: Editing | None) -> None:
    """Record the kept scans on the saved draft; a scan for a kind the draft already holds replaces it
    (except 其他材料, of which a draft may hold several)."""
    for kind, item in files.items():
        await document_service.attach(
            ctx.session,
            ctx.ref,
            ctx.actor,
            ctx.now,
            delegation_id,
            item,
            ctx.runtime.store,
            ctx.runtime.matter_limits,
        )
        if editing is not None and kind != "other":
            for old in editing.documents_of(kind):
                await remove_draft_document(ctx.domain, delegation_id, old.id or 0)


def _rejected_kinds(errors: list[FieldError]) -> str:
    return ",".join(sorted({e.field.removeprefix("document.") for e in errors if e.field.startswith("document.")}))


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
    errors: list[FieldError] = []
    files = await _staged_files(ctx, form, errors)
    action = str(form.get("do") or "save")
    if action.startswith("add:") or action == "suggest":
        suggestion = _add_or_suggest(ctx, values, matter, action)
        return await _form_page(ctx, matter, values, errors=errors, suggestion=suggestion, kept=files)
    try:
        row, replayed = await create_draft(ctx.domain, posted.draft, values["idempotency_key"] or None)
    except ValidationFailed as exc:
        return await _form_page(ctx, matter, values, status_code=422, errors=errors + exc.errors, kept=files)
    assert row.id is not None
    if not replayed:
        await _attach(ctx, row.id, files, None)
    # The draft is valid and saved; scans that were refused are named on its page, to be attached there.
    return ctx.redirect(f"/delegations/{row.id}", ok="draft_saved", rejected=_rejected_kinds(errors))


def _add_or_suggest(ctx: WebContext, values: dict[str, Any], matter: MatterType, action: str) -> Any:
    """The form's no-script buttons: add a row (add:<list>), or suggest the court for a place; returns the
    court suggested, if any."""
    if action.startswith("add:"):
        _add_row(values, action[4:], matter)
        return None
    place = str(values.get("place") or "").strip()
    court = ctx.ref.registry.suggest_for_district_name(place) if place else None
    if court is not None and court.code != ctx.actor.court_code:
        values["assisting_court"] = court.code
    return court


async def _editing(ctx: WebContext, delegation_id: int) -> tuple[Editing, MatterType]:
    """The draft to edit, if this user may edit it (404 if they may not know it, 403 if not theirs to edit)."""
    row = await load_authorized(ctx.session, ctx.ref, ctx.actor, delegation_id, Operation.EDIT_DRAFT)
    if row.status != Status.DRAFT.value or Role.REQUESTER not in roles_of(ctx.actor, row, ctx.ref):
        raise PermissionDenied("Only a draft can be edited, by its requesting court.", title_zh="只有草稿可以修改")
    documents = list(await documents_of(ctx.session, delegation_id))
    matter = ctx.ref.policies.get(row.policy_version).matter(row.matter_type)
    return Editing(row, documents), matter


def _draft_values(row: DelegationRow) -> dict[str, Any]:
    """A draft's own values, unmasked: its author typed them (issue 11), and only its court sees a draft."""
    return {
        "case_number": row.case_number,
        "assisting_court": row.assisting_court,
        "summary": row.summary,
        "fields": dict(row.fields),
        "parties": [dict(p) for p in row.parties],
    }


@router.get("/delegations/{delegation_id}/edit")
async def edit_draft(ctx: Page, delegation_id: DelegationId) -> Response:
    editing, matter = await _editing(ctx, delegation_id)
    page = await _form_page(ctx, matter, _draft_values(editing.row), editing=editing)
    page.headers["Cache-Control"] = "no-store"  # personal data, unmasked
    return page


@router.post("/delegations/{delegation_id}/edit")
async def save_draft(ctx: Page, delegation_id: DelegationId) -> Response:
    form = await ctx.form()
    editing, matter = await _editing(ctx, delegation_id)
    posted = forms.draft_from_form(form, matter)
    values = posted.values
    errors: list[FieldError] = []
    files = await _staged_files(ctx, form, errors)
    action = str(form.get("do") or "save")
    if action.startswith("add:") or action == "suggest":
        suggestion = _add_or_suggest(ctx, values, matter, action)
        return await _form_page(ctx, matter, values, errors=errors, suggestion=suggestion, kept=files, editing=editing)
    version = forms.version_of(form)
    try:
        if version is None:
            raise ValidationFailed(
                [FieldError("version", "页面已过期，请刷新后重试", "Reload the page and try again.")]
            )
        await update_draft(ctx.domain, delegation_id, version, posted.draft)
    except ValidationFailed as exc:
        return await _form_page(
            ctx, matter, values, status_code=422, errors=errors + exc.errors, kept=files, editing=editing
        )
    except Conflict:
        current, _matter = await _editing(ctx, delegation_id)
        message = ctx._("Someone changed this draft meanwhile; your changes are not saved. Here is the draft now.")
        return await _form_page(
            ctx, matter, _draft_values(current.row), status_code=409, message=message, kept=files, editing=current
        )
    await _attach(ctx, delegation_id, files, editing)
    return ctx.redirect(f"/delegations/{delegation_id}", ok="draft_edited", rejected=_rejected_kinds(errors))
