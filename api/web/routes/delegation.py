"""A delegation's page and its small forms: each action of the state machine, documents, messages, the
reveal of one personal-data value with a reason, and a command center's 催办/督办.

Every form goes to the same use case the API calls (handling.service.perform, document_service, message_service,
pii_service, notice_service). A refused form comes back as the page with the errors next to the fields
of that form and a message at the top; a success redirects back to the page (post/redirect/get).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response
from markupsafe import Markup
from starlette.datastructures import UploadFile

from api.web import formerrors, forms, labels
from api.web.context import Page, WebContext, safe_next
from api.web.templating import render_document
from api.web.views import DetailModel, FormState, detail_model, flag_groups, next_step, path_label
from delegation.catalogue.fields import DOCUMENT_KINDS
from delegation.core.errors import DomainError, FieldError, NotFound, ValidationFailed
from delegation.core.states import Action, Status
from delegation.filing import documents as document_service
from delegation.filing import messages as message_service
from delegation.filing import reveal as pii_service
from delegation.handling.commands import Resubmit, decode
from delegation.handling.rules import RECEIPT_KIND, RESULT_OUTCOMES, RETURN_REASONS, SERVICE_METHODS
from delegation.handling.service import perform
from delegation.network import service as network_service
from delegation.network.model import MATTER_ROUTES
from delegation.notices import service as notice_service
from delegation.store.tables import EventRow

router = APIRouter(include_in_schema=False)

DelegationId = Annotated[int, Path(ge=1, le=2**31 - 1)]


def problem_text(ctx: WebContext, exc: DomainError) -> str:
    """The page-level message for a refused form: the domain's Chinese title, or its English equivalent."""
    if ctx.h.zh():
        return exc.title_zh
    return ctx._(labels.PROBLEM.get(exc.code, labels.PROBLEM["validation_failed"]))


def _other_forms(model: DetailModel) -> list[tuple[str, bool]]:
    """The forms of the page besides the actions, and whether each is shown."""
    return [("upload", model.can_upload), ("message", model.can_message), ("notice", model.can_notice)]


def done_text(ctx: WebContext, ok: str | None) -> str:
    if not ok:
        return ""
    if ok in labels.DONE:
        return ctx._(labels.DONE[ok])
    if ok in labels.EVENT:
        return ctx._("Done: %(what)s", what=ctx.h.event(ok))
    return ""


async def detail_page(
    ctx: WebContext,
    delegation_id: int,
    *,
    status_code: int = 200,
    form_state: FormState | None = None,
    message: str = "",
    notice: str = "",
    revealed: dict[str, object] | None = None,
    rejected: list[str] | None = None,
    seen_version: int | None = None,
) -> Response:
    model = await detail_model(ctx.session, ctx.ref, ctx.actor, ctx.now, delegation_id)
    state = form_state or FormState("")
    net = await network_service.network_of(ctx.session, delegation_id)
    hand_to = await network_service.may_hand_to_network(ctx.domain, model.row)
    coming = await network_service.taken_by_itself(ctx.session, model.row) if net is None else None
    ui_url = ctx.runtime.settings.prefect_ui_url
    flow_run_url = f"{ui_url.rstrip('/')}/runs/flow-run/{net.flow_run_id}" if net and net.flow_run_id and ui_url else ""
    shown = [*model.actions, *(name for name, on in _other_forms(model) if on)]
    if hand_to is not None:
        shown.append("network")
    if state.action.startswith("reveal:"):
        shown.append(state.action)
    error_items = formerrors.summary(state, shown) if message else []
    changes = _changes_since(model, seen_version) if message else []
    if changes:
        if all(e.actor == ctx.actor.username for e in changes):
            message = ctx._("You have already acted on this matter in another window. It now shows its current state:")
        else:
            message = ctx._("Someone else has just acted on this matter. The page now shows its current state:")
        error_items = [("s-timeline", _change_line(ctx, model, e)) for e in changes]
    letter = ""
    if model.row.status == Status.DRAFT.value:  # the 委托函 to check before submitting, as it will print
        letter = render_document("print/_letter_body.html", ctx.ref, ctx.now, m=model, row=model.row)
    return await ctx.render(
        "pages/delegation.html",
        status_code,
        m=model,
        row=model.row,
        letter=Markup(letter),  # noqa: S704 (rendered by the autoescaping document template)
        form_state=state,
        fe=formerrors,
        error_items=error_items,
        message=message,
        notice=notice,
        revealed=revealed or {},
        rejected=[k for k in rejected or [] if k in DOCUMENT_KINDS],
        return_reasons=list(RETURN_REASONS),
        flag_groups=flag_groups(model) if Action.RETURN_FOR_CORRECTION.value in model.actions else [],
        path_label=lambda path, short=False: path_label(ctx.h, model, path, short),
        next_step=next_step(ctx.h, model),
        correction_errors=forms.errors_by_field(e for es in state.errors.values() for e in es)
        if state.action == Action.RESUBMIT.value
        else {},
        outcomes=list(RESULT_OUTCOMES),
        service_methods=list(SERVICE_METHODS),
        forms=forms,
        net=net,
        hand_to=hand_to,
        coming=coming,
        network_capable=model.row.matter_type in MATTER_ROUTES,
        flow_run_url=flow_run_url,
        receipts=[d for d in model.view.documents if d.kind == RECEIPT_KIND and d.filename.startswith("网络查控回执")],
    )


def _changes_since(model: DetailModel, seen_version: int | None) -> list[EventRow]:
    """What changed the matter since the version the user's page showed: each accepted action (and each
    edit of a draft) raised the version by one and wrote one transition event, so they are the last
    (current - seen) of them."""
    if seen_version is None or seen_version >= model.row.version:
        return []
    acted = [e for e in model.view.events if e.kind == "transition" and e.action != "create"]
    return acted[-(model.row.version - seen_version) :]


def _change_line(ctx: WebContext, model: DetailModel, e: EventRow) -> FieldError:
    """One change in a line: when, who (and their court), what, and the state it moved the matter to."""
    who = model.names.get(e.actor, e.actor) if e.actor != "system" else ctx._("System")
    court = f" · {ctx.h.court(e.actor_court)}" if e.actor_court else ""
    text = f"{ctx.h.datetime(e.at)} {who}{court}{ctx.h.colon()}{ctx.h.event(e.action)}"
    if e.from_status and e.to_status and e.from_status != e.to_status:
        text += ctx.h.paren(f"{ctx.h.status(e.from_status)} → {ctx.h.status(e.to_status)}")
    return FieldError("", text, text)


@router.get("/delegations/{delegation_id}")
async def show(
    ctx: Page,
    delegation_id: DelegationId,
    ok: Annotated[str | None, Query(max_length=40)] = None,
    rejected: Annotated[str | None, Query(max_length=300)] = None,
) -> Response:
    return await detail_page(
        ctx, delegation_id, notice=done_text(ctx, ok), rejected=(rejected or "").split(",") if rejected else None
    )


async def _refused(
    ctx: WebContext, delegation_id: int, exc: DomainError, state: FormState, seen_version: int | None = None
) -> Response:
    """The matter's page again (also for a form sent from the dashboard: the same form is there), with the
    errors next to the fields of the form that was sent and the reason at the top: "correct the marked
    fields" only when an error is next to a field; when the matter moved on since the user's page was
    loaded (`seen_version`), what the others did."""
    status_code = {"validation_failed": 422, "permission_denied": 403, "not_found": 404}.get(exc.code, 409)
    if exc.code == "not_found":
        raise exc
    if isinstance(exc, ValidationFailed):
        state.errors = forms.errors_by_field(exc.errors)
    elif exc.code in ("payload_too_large", "unsupported_media_type"):
        status_code = 413 if exc.code == "payload_too_large" else 415
        state.errors = {"file": [FieldError("file", exc.title_zh, ctx._(labels.PROBLEM[exc.code]))]}
    message = problem_text(ctx, exc)
    if isinstance(exc, ValidationFailed) and not any(formerrors.place(state.action, e.field) for e in exc.errors):
        message = ctx._("This could not be done:")
    return await detail_page(
        ctx, delegation_id, status_code=status_code, form_state=state, message=message, seen_version=seen_version
    )


def _back(form: Any, delegation_id: int) -> str:
    return safe_next(str(form.get("back") or ""), f"/delegations/{delegation_id}")


@router.post("/delegations/{delegation_id}/act/{action}")
async def act(ctx: Page, delegation_id: DelegationId, action: Annotated[str, Path(max_length=40)]) -> Response:
    form = await ctx.form()
    try:
        chosen = Action(action)
    except ValueError:
        raise NotFound(f"No action {action!r}.") from None
    data, problems, values = forms.action_from_form(form)
    state = FormState(chosen.value, values)
    if problems:
        return await _refused(ctx, delegation_id, ValidationFailed(problems), state)
    version = forms.version_of(form)
    if version is None:
        problem = FieldError("version", "页面已过期，请刷新后重试", "Reload the page and try again.")
        return await _refused(ctx, delegation_id, ValidationFailed([problem]), state)
    try:
        receipt = form.get(f"document.{RECEIPT_KIND}")
        if chosen is Action.COMPLETE and isinstance(receipt, UploadFile) and receipt.filename:
            await _upload(ctx, delegation_id, RECEIPT_KIND, receipt)
        await perform(ctx.domain, delegation_id, chosen, version, decode(chosen, data))
    except DomainError as exc:
        return await _refused(ctx, delegation_id, exc, state, seen_version=version)
    return ctx.redirect(_back(form, delegation_id), ok=chosen.value)


@router.post("/delegations/{delegation_id}/correct")
async def correct(ctx: Page, delegation_id: DelegationId) -> Response:
    """补正后重新提交: the flagged fields as corrected, the documents asked for, and the reply to the reason,
    in one form; the documents are added first (each kept even if the resubmission is then refused)."""
    form = await ctx.form()
    model = await detail_model(ctx.session, ctx.ref, ctx.actor, ctx.now, delegation_id)
    changes, values = forms.correction_changes(form, model.correction_inputs)
    comment = str(form.get("comment") or "")
    state = FormState(Action.RESUBMIT.value, values)
    version = forms.version_of(form)
    if version is None:
        problem = FieldError("version", "页面已过期，请刷新后重试", "Reload the page and try again.")
        return await _refused(ctx, delegation_id, ValidationFailed([problem]), state)
    try:
        for kind, upload in forms.uploads(form):
            if kind in model.correction_documents or kind == "correction":
                await _upload(ctx, delegation_id, kind, upload)
        await perform(ctx.domain, delegation_id, Action.RESUBMIT, version, Resubmit(changes, comment))
    except DomainError as exc:
        return await _refused(ctx, delegation_id, exc, state, seen_version=version)
    return ctx.redirect(f"/delegations/{delegation_id}", ok=Action.RESUBMIT.value)


async def _upload(ctx: WebContext, delegation_id: int, kind: str, upload: UploadFile) -> None:
    limit = ctx.runtime.settings.max_upload_bytes
    content = await upload.read(limit + 1)
    item = document_service.Upload(kind=kind, filename=upload.filename, content=content)
    store = ctx.runtime.store
    await document_service.upload(
        ctx.session, ctx.ref, ctx.actor, ctx.now, delegation_id, item, store, limit, ctx.runtime.matter_limits
    )


@router.get("/delegations/{delegation_id}/documents/{document_id}/preview")
async def preview(
    ctx: Page, delegation_id: DelegationId, document_id: Annotated[int, Path(ge=1, le=2**31 - 1)]
) -> Response:
    """A scan shown in the page: a PDF drawn by the vendored PDF.js, an image inline; the file comes from
    the same download address as the link (every fetch of it logged), so viewing is logged like a
    download."""
    model = await detail_model(ctx.session, ctx.ref, ctx.actor, ctx.now, delegation_id)
    document = next((d for d in model.view.documents if d.id == document_id), None)
    if document is None:
        raise NotFound(f"Document {document_id} not found on delegation {delegation_id}.")
    src = f"/api/v1/delegations/{delegation_id}/documents/{document_id}/content"
    page = await ctx.render("pages/preview.html", m=model, row=model.row, d=document, src=src)
    page.headers["Cache-Control"] = "no-store"
    return page


@router.post("/delegations/{delegation_id}/network")
async def hand_to_network(ctx: Page, delegation_id: DelegationId) -> Response:
    """网络办理: the assisting clerk's one click hands the matter to the court's registry connector (on a matter
    not yet signed for, the click is the court's acceptance: the flow signs for it)."""
    await ctx.form()
    try:
        await network_service.request_by_clerk(ctx.domain, delegation_id)
    except DomainError as exc:
        return await _refused(ctx, delegation_id, exc, FormState("network"))
    return ctx.redirect(f"/delegations/{delegation_id}", ok="network_requested")


@router.post("/delegations/{delegation_id}/documents")
async def upload_document(ctx: Page, delegation_id: DelegationId) -> Response:
    form = await ctx.form()
    kind = str(form.get("kind") or "")
    file = form.get("file")
    state = FormState("upload", {"kind": kind})
    if not isinstance(file, UploadFile) or not file.filename:
        problem = FieldError("file", "请选择要上传的文件", "Choose a file to upload.")
        return await _refused(ctx, delegation_id, ValidationFailed([problem]), state)
    try:
        await _upload(ctx, delegation_id, kind, file)
    except DomainError as exc:
        return await _refused(ctx, delegation_id, exc, state)
    return ctx.redirect(f"/delegations/{delegation_id}", ok="uploaded")


@router.post("/delegations/{delegation_id}/messages")
async def send_message(ctx: Page, delegation_id: DelegationId) -> Response:
    form = await ctx.form()
    text = str(form.get("text") or "")
    try:
        await message_service.post_message(ctx.session, ctx.ref, ctx.actor, ctx.now, delegation_id, text)
    except DomainError as exc:
        return await _refused(ctx, delegation_id, exc, FormState("message", {"text": text}))
    return ctx.redirect(f"/delegations/{delegation_id}", ok="message_sent")


@router.post("/delegations/{delegation_id}/reveal")
async def reveal(ctx: Page, delegation_id: DelegationId) -> Response:
    """The no-script way to reveal one value (scripts use the API's reveal from a dialog)."""
    form = await ctx.form()
    path = str(form.get("field") or "")[:200]
    reason = str(form.get("reason") or "")
    address = ctx.request.client.host if ctx.request.client else ""
    try:
        value = await pii_service.reveal(ctx.session, ctx.ref, ctx.actor, ctx.now, delegation_id, path, reason, address)
    except DomainError as exc:
        return await _refused(ctx, delegation_id, exc, FormState(f"reveal:{path}", {"reason": reason}))
    page = await detail_page(ctx, delegation_id, revealed={path: value})
    page.headers["Cache-Control"] = "no-store"
    return page


@router.post("/delegations/{delegation_id}/notices")
async def issue_notice(ctx: Page, delegation_id: DelegationId) -> Response:
    """A command center urges (催办) or supervises (督办) the court holding the matter."""
    form = await ctx.form()
    kind = str(form.get("kind") or "")
    comment = str(form.get("comment") or "")
    confirm = form.get("confirm_repeat") == "1"
    try:
        await notice_service.issue_notice(
            ctx.session, ctx.ref, ctx.actor, ctx.now, delegation_id, kind, comment, confirm_repeat=confirm
        )
    except DomainError as exc:
        return await _refused(ctx, delegation_id, exc, FormState("notice", {"kind": kind, "comment": comment}))
    return ctx.redirect(_back(form, delegation_id), ok="notice_issued")
