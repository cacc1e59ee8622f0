"""The command center's dashboard, everyone's notices (with the 督办 acknowledgement), printable documents,
and the small JSON helpers the forms' scripts call (case-number check)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Annotated

from fastapi import APIRouter, Path, Query
from fastapi.responses import JSONResponse, Response
from markupsafe import Markup

from api.web import forms
from api.web.context import Page
from api.web.routes.delegation import done_text, problem_text
from api.web.templating import DOCUMENT_LOCALE, Helpers, render_document, render_template
from api.web.views import DetailModel, detail_model, field_lines, notice_document, party_lines, redirect_courts
from delegation.accounts import users as user_service
from delegation.catalogue.casenumber import check_requester_owns, parse_case_number
from delegation.core import clocks
from delegation.core.errors import DomainError, ValidationFailed
from delegation.core.states import Action
from delegation.filing import reveal as reveal_service
from delegation.notices import model as notice_model
from delegation.notices import service as notice_service
from delegation.notices.model import KIND_LABEL, NoticeKind
from delegation.reading import dashboard as dashboard_service
from delegation.reading import worklists as worklist_service
from delegation.store.tables import DelegationRow

router = APIRouter(include_in_schema=False)


@router.get("/dashboard")
async def dashboard(
    ctx: Page,
    city: Annotated[str | None, Query(max_length=10)] = None,
    ok: Annotated[str | None, Query(max_length=40)] = None,
) -> Response:
    return await _dashboard_page(ctx, city, notice=done_text(ctx, ok))


async def _dashboard_page(
    ctx: Page, city: str | None, *, notice: str = "", message: str = "", status_code: int = 200
) -> Response:
    board = await dashboard_service.dashboard(ctx.session, ctx.ref, ctx.actor, ctx.now, city)
    focus = board.focus
    # The chosen city's alone, like every figure and list of the page.
    city_of_page = focus.city if focus is not None else None
    drafts = await notice_service.pending_supervision_drafts(ctx.session, ctx.ref, ctx.actor, city=city_of_page)
    return await ctx.render(
        "pages/dashboard.html",
        status_code,
        board=board,
        focus=focus,
        statuses=[s.value for s in worklist_service.OPEN_STATUSES],
        notice=notice,
        message=message,
        redirect_options=_redirect_options(ctx, board.declined),
        approve=Action.APPROVE_EXTENSION.value,
        refuse=Action.REFUSE_EXTENSION.value,
        supervisable=supervisable_courts(ctx),
        drafts=drafts,
    )


def _redirect_options(ctx: Page, declined: Sequence[DelegationRow]) -> dict[int, list[Markup]]:
    """For each declined matter of the page, the courts of the five cities it may be redirected to, each as its
    <option> (escaped like the template's own output), as the matter's own page offers them (redirect_courts)."""
    options: dict[str, Markup] = {}

    def option(code: str) -> Markup:  # each court's <option> made once per page
        if code not in options:
            options[code] = Markup('<option value="{}">{}</option>').format(code, ctx.h.court(code))
        return options[code]

    return {row.id or 0: [option(c.code) for c in redirect_courts(ctx.ref, row)] for row in declined}


@router.post("/supervision-drafts/issue")
async def issue_supervision_drafts(ctx: Page) -> Response:
    """Issue prepared 督办 in the issuing court's name: one (its own button) or the ticked ones (the batch)."""
    form = await ctx.form()
    ids = [int(v) for v in form.getlist("draft_id") if isinstance(v, str) and v.isdigit() and len(v) < 10]
    try:
        await notice_service.issue_supervision_drafts(
            ctx.session, ctx.ref, ctx.actor, ctx.now, ids, confirm_repeat=form.get("confirm_repeat") == "1"
        )
    except DomainError as exc:
        if exc.code == "not_found":
            raise
        await ctx.session.rollback()
        code = {"validation_failed": 422, "permission_denied": 403}.get(exc.code, 409)
        return await _dashboard_page(ctx, None, message=problem_text(ctx, exc), status_code=code)
    return ctx.redirect("/dashboard", ok="supervision_issued")


def supervisable_courts(ctx: Page) -> frozenset[str]:
    """The courts whose matters this user may 督办: those whose superior court it issues for."""
    found = set()
    for court in ctx.ref.registry.courts():
        superior = notice_model.supervising_court(ctx.ref, court.code)
        if superior is not None and notice_model.may_supervise(ctx.ref, ctx.actor, superior):
            found.add(court.code)
    return frozenset(found)


@router.get("/notices")
async def notices(
    ctx: Page,
    kind: Annotated[str | None, Query(max_length=12)] = None,
    pending: Annotated[str | None, Query(max_length=3)] = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    """The notices meant for this user, newest first, a page at a time from a cursor (no OFFSET)."""
    found = await dashboard_service.notice_inbox(
        ctx.session, ctx.ref, ctx.actor, kind=kind, unacknowledged=pending == "1", cursor=cursor or None
    )
    shown_kind = kind if kind in dashboard_service.NOTICE_KINDS else ""
    return await ctx.render(
        "pages/notices.html",
        result=found,
        kind=shown_kind,
        pending=pending == "1",
        kinds=dashboard_service.NOTICE_KINDS,
        # The rows whose notice this reader answers (the button); others show the notice's state.
        ackable=frozenset(
            item.notice.id for item in found.items if notice_model.may_acknowledge(ctx.actor, item.notice.to_court)
        ),
        params={k: v for k, v in {"kind": shown_kind, "pending": "1" if pending == "1" else ""}.items() if v},
    )


async def _notice_page(
    ctx: Page,
    notice_id: int,
    *,
    status_code: int = 200,
    message: str = "",
    notice: str = "",
    reply: str = "",
    problem: DomainError | None = None,
) -> Response:
    item = await dashboard_service.notice_detail(ctx.session, ctx.ref, ctx.actor, notice_id)
    errors = forms.errors_by_field(problem.errors) if isinstance(problem, ValidationFailed) else {}
    # The summary links each error about the reply to its input; others (the notice itself) are only listed.
    items = [("ack-reply" if field == "reply" else "", e) for field, found in errors.items() for e in found]
    n = item.notice
    names = await worklist_service.display_names(ctx.session, [n.acknowledged_by or "", n.issued_by])
    return await ctx.render(
        "pages/notice.html",
        status_code,
        item=item,
        may_acknowledge=(
            n.requires_ack and n.acknowledged_at is None and notice_model.may_acknowledge(ctx.actor, n.to_court)
        ),
        elapsed=ctx.h.elapsed(n.ack_seconds) if n.ack_seconds is not None else "",
        message=message,
        notice=notice,
        reply=reply,
        errors=errors,
        error_items=items,
        names=names,
    )


@router.get("/notices/{notice_id}")
async def notice(
    ctx: Page,
    notice_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    ok: Annotated[str | None, Query(max_length=40)] = None,
) -> Response:
    return await _notice_page(ctx, notice_id, notice=done_text(ctx, ok))


@router.post("/notices/{notice_id}/acknowledge")
async def acknowledge(ctx: Page, notice_id: Annotated[int, Path(ge=1, le=2**31 - 1)]) -> Response:
    form = await ctx.form()
    reply = str(form.get("reply") or "")
    try:
        await notice_service.acknowledge_notice(ctx.session, ctx.ref, ctx.actor, ctx.now, notice_id, reply)
    except DomainError as exc:
        if exc.code == "not_found":
            raise
        code = {"validation_failed": 422, "permission_denied": 403}.get(exc.code, 409)
        return await _notice_page(
            ctx, notice_id, status_code=code, message=problem_text(ctx, exc), reply=reply, problem=exc
        )
    return ctx.redirect(f"/notices/{notice_id}", ok="acknowledged")


# ---------------------------------------------------------------- printable documents


@router.get("/print/delegations/{delegation_id}/letter")
async def print_letter(ctx: Page, delegation_id: Annotated[int, Path(ge=1, le=2**31 - 1)]) -> Response:
    """The 委托函 / 协助执行函, addressed to the assisting court: the personal data it needs to act is printed
    in full (the print is logged like a reveal); a draft's preview on screen stays masked."""
    model = await detail_model(ctx.session, ctx.ref, ctx.actor, ctx.now, delegation_id)
    unmasked = model.unmasked  # a draft's author sees (and prints) what they typed: nothing to reveal or log
    if not unmasked and model.can_reveal and model.row.status != "draft":
        row = await reveal_service.printed_in_full(
            ctx.session,
            ctx.ref,
            ctx.actor,
            ctx.now,
            delegation_id,
            "letter",
            ctx.request.client.host if ctx.request.client else "",
        )
        model = replace(
            model,
            fields=field_lines(model.matter, row.fields, set(), False),
            parties=party_lines(model.policy, row.parties, set(), False),
        )
        unmasked = True
    contacts = _contacts(model, await _phones(ctx, model), unmasked)
    back = f"/delegations/{delegation_id}"
    return await print_page(
        ctx, "print/letter.html", back, m=model, row=model.row, unmasked=unmasked, contacts=contacts
    )


@router.get("/print/delegations/{delegation_id}/receipt")
async def print_receipt(ctx: Page, delegation_id: Annotated[int, Path(ge=1, le=2**31 - 1)]) -> Response:
    model = await detail_model(ctx.session, ctx.ref, ctx.actor, ctx.now, delegation_id)
    completed = next((e for e in reversed(model.view.events) if e.action == Action.COMPLETE.value), None)
    contacts = _contacts(model, await _phones(ctx, model))
    back = f"/delegations/{delegation_id}"
    return await print_page(
        ctx, "print/receipt.html", back, m=model, row=model.row, completed=completed, contacts=contacts
    )


@router.get("/print/delegations/{delegation_id}/service-return")
async def print_service_return(ctx: Page, delegation_id: Annotated[int, Path(ge=1, le=2**31 - 1)]) -> Response:
    """送达回证 of a service matter: one row per recipient served (day, method, who signed)."""
    model = await detail_model(ctx.session, ctx.ref, ctx.actor, ctx.now, delegation_id)
    served = [r for r in model.view.results if r.served_on is not None]
    contacts = _contacts(model, await _phones(ctx, model))
    back = f"/delegations/{delegation_id}"
    return await print_page(
        ctx, "print/service_return.html", back, m=model, row=model.row, served=served, contacts=contacts
    )


@router.get("/print/delegations/{delegation_id}/progress")
async def print_progress(ctx: Page, delegation_id: Annotated[int, Path(ge=1, le=2**31 - 1)]) -> Response:
    """执行情况函复 (民诉法 第二百四十条): the latest progress report as a letter to sign and seal, or the blank
    letter to fill in before it is reported."""
    model = await detail_model(ctx.session, ctx.ref, ctx.actor, ctx.now, delegation_id)
    report = next((e for e in reversed(model.view.events) if e.action == Action.REPORT_PROGRESS.value), None)
    starts = [v for v in model.view.statutory if v.clock.duty == "start"]  # one per receipt of the letter
    seq = sum(1 for e in model.view.events if e.action == Action.REPORT_PROGRESS.value) or 1
    return await print_page(
        ctx,
        "print/progress.html",
        f"/delegations/{delegation_id}",
        m=model,
        row=model.row,
        report=report,
        received=starts[-1].clock.counted_from if starts else model.row.submitted_at,
        seq=seq,
        contacts=_contacts(model, await _phones(ctx, model)),
    )


def _contacts(model: DetailModel, phones: dict[str, str], with_phone: bool = False) -> dict[str, str]:
    """承办人 and 联系电话 of both courts: the requesting officer who submitted (the phone on their account),
    the assisting court's handler (the phone given with the assignment), with the on-site contact and phone
    where the matter records one (printed only on the unmasked letter)."""
    submitter = _submitter(model)
    completer = next((e.actor for e in reversed(model.view.events) if e.action == Action.COMPLETE.value), "")
    return {
        "requesting_officer": model.names.get(submitter, submitter),
        "requesting_officer_phone": phones.get(submitter, ""),
        "requesting_phone": str(model.row.fields.get("contact_phone") or "") if with_phone else "",
        "requesting_contact": str(model.row.fields.get("contact_name") or ""),
        "assisting_officer": model.row.handler or model.names.get(completer, completer),
        "assisting_officer_phone": model.row.handler_phone or phones.get(completer, ""),
    }


def _submitter(model: DetailModel) -> str:
    """The requesting court's 承办人: the officer who submitted the matter, or the draft's author until then."""
    submitted = next((e.actor for e in model.view.events if e.action == Action.SUBMIT.value), "")
    return submitted or (model.row.created_by if model.row.status == "draft" else "")


async def _phones(ctx: Page, model: DetailModel) -> dict[str, str]:
    users = {e.actor for e in model.view.events if e.action in (Action.SUBMIT.value, Action.COMPLETE.value)}
    users.discard("")
    if submitter := _submitter(model):
        users.add(submitter)
    return await user_service.phones(ctx.session, sorted(users))


@router.get("/print/notices/{notice_id}")
async def print_notice(ctx: Page, notice_id: Annotated[int, Path(ge=1, le=2**31 - 1)]) -> Response:
    item = await dashboard_service.notice_detail(ctx.session, ctx.ref, ctx.actor, notice_id)
    n = item.notice
    heading = [Helpers(DOCUMENT_LOCALE, ctx.ref, ctx.now).notice_kind(n.kind), KIND_LABEL.get(NoticeKind(n.kind), "")]
    doc = notice_document(n.body, [*heading, n.number or ""])
    names = await worklist_service.display_names(ctx.session, [n.acknowledged_by or ""])
    return await print_page(ctx, "print/notice.html", f"/notices/{notice_id}", item=item, doc=doc, names=names)


async def print_page(ctx: Page, template: str, back: str, **context: object) -> Response:
    """Printable documents are rendered in Chinese (official documents), with the Chinese helpers; the
    toolbar above the sheet is the reader's, in the reader's language."""
    toolbar = render_template(ctx.locale, "print/_toolbar.html", {"back": back})
    html = render_document(template, ctx.ref, ctx.now, toolbar=Markup(toolbar), **context)  # noqa: S704 (autoescaped)
    return Response(html, media_type="text/html; charset=utf-8")


# ---------------------------------------------------------------- helpers for the forms' scripts


@router.get("/web/check/case-number")
async def check_case_number(ctx: Page, value: Annotated[str, Query(max_length=64)] = "") -> JSONResponse:
    """Whether a 案号 is well formed and the user's court's own; the same checks filing makes."""
    try:
        number = parse_case_number(value, courts=ctx.ref.registry, max_year=clocks.local_day(ctx.now).year)
        if ctx.actor.court_code:
            check_requester_owns(number, ctx.actor.court_code, courts=ctx.ref.registry)
    except ValidationFailed as exc:
        return JSONResponse({"ok": False, "messages": [ctx.h.error(e) for e in exc.errors]})
    return JSONResponse({"ok": True, "canonical": number.canonical, "messages": []})
