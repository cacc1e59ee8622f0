"""催办 and 督办 for court systems and command centers: the notices meant for the caller (with their
acknowledgement), a 督办's acknowledgement with its written reply, and the supervision drafts the sweep
prepared for a superior court's command center to issue. The same service functions as the pages
(delegation.notices.service, delegation.reading.dashboard): the same audience, rules and confirmation."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, status
from pydantic import ConfigDict, Field

from api.deps import Ctx, CurrentActor, Ref, Session
from api.routes.delegations import DelegationId
from api.schemas import In, Instant, Line, Out, PageOut, Text
from delegation.core.access import Actor
from delegation.core.states import Stage
from delegation.handling import batch as batch_service
from delegation.notices import model as notice_model
from delegation.notices import service as notice_service
from delegation.notices.model import NoticeKind
from delegation.reading import dashboard as dashboard_service
from delegation.store.tables import DelegationRow, NoticeRow, SupervisionDraftRow

router = APIRouter(prefix="/api/v1", tags=["notices"])

NoticeId = Annotated[int, Path(ge=1, le=2**31 - 1, description="The notice's id (an inbox item's notice_id).")]
Limit = Annotated[int, Query(ge=1, le=100)]
Ident = Annotated[int, Field(ge=1, le=2**31 - 1)]
Acknowledgement = Literal["not_required", "pending", "acknowledged"]


class NoticeOut(Out):
    id: int
    kind: NoticeKind = Field(
        description="reminder: 到期提醒; urge: 催办通知; supervise: 督办通知 (to acknowledge with a reply); escalate: "
        "超期报请协调 (to the regional coordinators)."
    )
    number: str | None = Field(description="The document number, e.g. 烟中法执督〔2026〕1号 (催办 and 督办 only).")
    delegation_id: int
    delegation_number: str = Field(description="The platform number, e.g. JD2026-0000032.")
    case_number: str
    stage: Stage | None = Field(description="The stage of the clock the notice is about.")
    to_court: str = Field(description="The court it is addressed to: the court holding the matter.")
    cc_court: str | None = Field(description="Copied to (a 督办: the other court of the matter).")
    issuing_court: str | None = Field(description="In whose name it was issued (a 督办: the superior court).")
    issued_by: str = Field(description="The username that issued it; system for the deadline sweep.")
    issued_at: Instant
    due_at: Instant | None = Field(description="The due time of the clock when the notice was issued.")
    working_days_overdue: int
    reply_by: Instant | None = Field(description="A 督办's deadline: finish and reply by then (24:00 of its day).")
    title: str
    body: str = Field(description="The notice's text as issued (plain text).")
    requires_ack: bool = Field(description="A 督办 is acknowledged with a written reply by the court addressed.")
    acknowledgement: Acknowledgement = Field(
        description="not_required: nothing to acknowledge; pending: awaiting the addressed court's reply; "
        "acknowledged: answered (acknowledged_at, acknowledged_by, ack_reply)."
    )
    acknowledged_at: Instant | None
    acknowledged_by: str | None
    ack_reply: str | None
    ack_seconds: int | None = Field(description="Seconds from issue to acknowledgement.")
    may_acknowledge: bool = Field(
        description="You may acknowledge it now (POST /notices/{id}/acknowledge): it awaits its reply and you "
        "answer for the court it is addressed to."
    )
    link: str = Field(description="The delegation it is about.")


class NoticeIssueOut(Out):
    issued: list[NoticeOut] = Field(description="The 督办 issued, numbered, in the order of the drafts' ids.")
    discarded: int = Field(
        description="Drafts not issued but discarded: their clock ended or stopped since they were prepared."
    )


class SupervisionDraftOut(Out):
    id: int
    delegation_id: int
    delegation_number: str
    case_number: str
    to_court: str = Field(description="The court to be supervised: the one holding the overdue matter.")
    issuing_court: str = Field(description="In whose name it would be issued: the superior court.")
    created_at: Instant = Field(description="When the deadline sweep prepared it (2 working days overdue).")
    link: str = Field(description="The delegation it is about.")


class AcknowledgeIn(In):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"reply": "已安排专人办理，将于3月16日前办结并回复。"}]}
    )

    reply: Annotated[Text, Field(min_length=1, max_length=2000)] = Field(
        description="The written reply to the 督办 (not blank; at most 2000 characters)."
    )


class NoticeIn(In):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"kind": "supervise", "comment": "请于期限内办结并书面回复"}]}
    )

    kind: Literal["urge", "supervise"] = Field(
        description="urge: 催办 (the command center of the city of the court holding the matter, or the regional "
        "coordinator); supervise: 督办 (the superior court of the court holding the matter: its command center, or "
        "the regional coordinator for the 山东省高级人民法院)."
    )
    comment: Annotated[Text, Field(max_length=1000)] = Field("", description="Added to the notice's text.")
    confirm_repeat: bool = Field(
        False,
        description="A 督办 on a matter that had one within the policy's interval: refused with 422 naming the "
        "earlier one (field confirm_repeat) until confirmed.",
    )


class IssueDraftsIn(In):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"draft_ids": [12, 13]}]})

    draft_ids: list[Ident] = Field(
        min_length=1,
        max_length=batch_service.MAX_BATCH,
        json_schema_extra={"uniqueItems": True},
        description="The drafts to issue (GET /supervision-drafts), each once; all are issued or none.",
    )
    confirm_repeat: bool = Field(
        False,
        description="Issue a 督办 on a matter that had one within the policy's interval all the same (refused "
        "with 422 naming the earlier one, field confirm_repeat, until confirmed).",
    )


def _acknowledgement(notice: NoticeRow) -> Acknowledgement:
    if not notice.requires_ack:
        return "not_required"
    return "acknowledged" if notice.acknowledged_at is not None else "pending"


def notice_out(actor: Actor, notice: NoticeRow, row: DelegationRow) -> NoticeOut:
    acknowledgement = _acknowledgement(notice)
    return NoticeOut(
        id=notice.id or 0,
        kind=NoticeKind(notice.kind),
        number=notice.number,
        delegation_id=row.id or 0,
        delegation_number=row.number,
        case_number=row.case_number,
        stage=Stage(notice.stage) if notice.stage else None,
        to_court=notice.to_court,
        cc_court=notice.cc_court,
        issuing_court=notice.issuing_court,
        issued_by=notice.issued_by,
        issued_at=notice.issued_at,
        due_at=notice.due_at,
        working_days_overdue=notice.working_days_overdue,
        reply_by=notice.reply_by,
        title=notice.title,
        body=notice.body,
        requires_ack=notice.requires_ack,
        acknowledgement=acknowledgement,
        acknowledged_at=notice.acknowledged_at,
        acknowledged_by=notice.acknowledged_by,
        ack_reply=notice.ack_reply,
        ack_seconds=notice.ack_seconds,
        may_acknowledge=acknowledgement == "pending" and notice_model.may_acknowledge(actor, notice.to_court),
        link=f"/api/v1/delegations/{row.id}",
    )


def _draft_out(draft: SupervisionDraftRow, row: DelegationRow) -> SupervisionDraftOut:
    return SupervisionDraftOut(
        id=draft.id or 0,
        delegation_id=row.id or 0,
        delegation_number=row.number,
        case_number=row.case_number,
        to_court=draft.to_court,
        issuing_court=draft.issuing_court,
        created_at=draft.created_at,
        link=f"/api/v1/delegations/{row.id}",
    )


@router.get(
    "/notices",
    operation_id="list_notices",
    summary="The notices meant for the caller, newest first: 催办 and 督办 to the court (with their "
    "acknowledgement), copied to it, issued in its name; escalations for the regional coordinator",
    response_model=PageOut[NoticeOut],
)
async def list_notices(
    session: Session,
    ref: Ref,
    actor: CurrentActor,
    kind: Annotated[NoticeKind | None, Query(description="Only notices of this kind.")] = None,
    unacknowledged: Annotated[
        bool, Query(description="Only 督办 still awaiting their acknowledgement (what a court has to answer).")
    ] = False,
    cursor: Annotated[
        str | None,
        Query(
            pattern=dashboard_service.NOTICE_CURSOR_PATTERN,
            description="next_cursor of the previous page (opaque; the pattern only says which strings can be one).",
        ),
    ] = None,
    limit: Limit = 50,
) -> dict[str, Any]:
    page = await dashboard_service.notice_inbox(
        session,
        ref,
        actor,
        kind=kind.value if kind else None,
        unacknowledged=unacknowledged,
        cursor=cursor,
        per_page=limit,
    )
    return {"items": [notice_out(actor, i.notice, i.delegation) for i in page.items], "next_cursor": page.next_cursor}


@router.get(
    "/notices/{notice_id}",
    operation_id="get_notice",
    summary="One notice, for anyone who may see its delegation",
    response_model=NoticeOut,
)
async def get_notice(notice_id: NoticeId, session: Session, ref: Ref, actor: CurrentActor) -> NoticeOut:
    item = await dashboard_service.notice_detail(session, ref, actor, notice_id)
    return notice_out(actor, item.notice, item.delegation)


@router.post(
    "/notices/{notice_id}/acknowledge",
    operation_id="acknowledge_notice",
    summary="Acknowledge a 督办 with a written reply (the court it is addressed to: its clerk or officer), once",
    response_model=NoticeOut,
)
async def acknowledge_notice(notice_id: NoticeId, body: AcknowledgeIn, ctx: Ctx) -> NoticeOut:
    await notice_service.acknowledge_notice(ctx.session, ctx.ref, ctx.actor, ctx.now, notice_id, body.reply)
    item = await dashboard_service.notice_detail(ctx.session, ctx.ref, ctx.actor, notice_id)
    return notice_out(ctx.actor, item.notice, item.delegation)


@router.post(
    "/delegations/{delegation_id}/notices",
    operation_id="issue_notice",
    summary="催办 or 督办 a delegation by hand: a notice to the court holding its running clock, numbered",
    status_code=status.HTTP_201_CREATED,
    response_model=NoticeOut,
)
async def issue_notice(delegation_id: DelegationId, body: NoticeIn, ctx: Ctx) -> NoticeOut:
    notice = await notice_service.issue_notice(
        ctx.session,
        ctx.ref,
        ctx.actor,
        ctx.now,
        delegation_id,
        body.kind,
        body.comment,
        confirm_repeat=body.confirm_repeat,
    )
    item = await dashboard_service.notice_detail(ctx.session, ctx.ref, ctx.actor, notice.id or 0)
    return notice_out(ctx.actor, item.notice, item.delegation)


@router.get(
    "/supervision-drafts",
    operation_id="list_supervision_drafts",
    summary="The 督办 prepared for the caller's court to issue (its command center; the regional coordinator "
    "for the 山东省高级人民法院), oldest first",
    response_model=PageOut[SupervisionDraftOut],
)
async def list_supervision_drafts(
    session: Session,
    ref: Ref,
    actor: CurrentActor,
    city: Annotated[
        Line | None, Query(max_length=10, description="e.g. 烟台: only the drafts to that city's courts.")
    ] = None,
    cursor: Annotated[
        str | None,
        Query(
            pattern=notice_service.DRAFT_CURSOR_PATTERN,
            description="next_cursor of the previous page (opaque; the pattern only says which strings can be one).",
        ),
    ] = None,
    limit: Limit = 50,
) -> dict[str, Any]:
    page = await notice_service.supervision_drafts_page(session, ref, actor, city=city, cursor=cursor, limit=limit)
    return {"items": [_draft_out(d, r) for d, r in page.items], "next_cursor": page.next_cursor}


@router.post(
    "/supervision-drafts/issue",
    operation_id="issue_supervision_drafts",
    summary="Issue prepared 督办 in the superior court's name, one or several in one transaction: each numbered, "
    "with the deadline it sets counted from today, sent and copied to the requesting court",
    response_model=NoticeIssueOut,
)
async def issue_supervision_drafts(body: IssueDraftsIn, ctx: Ctx) -> NoticeIssueOut:
    batch_service.refuse_repeats(body.draft_ids, lambda i: f"draft_ids[{i}]", "督办草稿", "Supervision draft")
    issued, discarded = await notice_service.issue_supervision_drafts(
        ctx.session, ctx.ref, ctx.actor, ctx.now, body.draft_ids, confirm_repeat=body.confirm_repeat
    )
    items = [await dashboard_service.notice_detail(ctx.session, ctx.ref, ctx.actor, n.id or 0) for n in issued]
    return NoticeIssueOut(issued=[notice_out(ctx.actor, i.notice, i.delegation) for i in items], discarded=discarded)
