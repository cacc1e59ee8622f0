"""Use cases. Each public function is one transaction: load, check pure rules with an explicit `now`
and actor, write the new state, the event row and the clock changes, commit, or change nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel.ext.asyncio.session import AsyncSession

from delegation.catalogue.casenumber import check_requester_owns, parse_case_number
from delegation.catalogue.policy import PolicyVersion, missing_documents, validate_matter_fields, validate_parties
from delegation.core import clocks
from delegation.core.access import Actor, Parties, acting_roles, can_view, command_center_covers
from delegation.core.errors import Conflict, FieldError, NotFound, PermissionDenied, ValidationFailed
from delegation.core.reference import Reference
from delegation.core.states import (
    STAGE_HOLDER,
    Action,
    Mechanism,
    Role,
    Side,
    Stage,
    Status,
    Transition,
    allowed_actions,
    check_transition,
)
from delegation.outbox import service as outbox_service
from delegation.store import repository, rows
from delegation.store.tables import (
    AssetResultRow,
    ClockRow,
    ClockStopRow,
    DelegationRow,
    DocumentRow,
    EventRow,
    ExtensionRow,
    clock_from_row,
)

RETURN_REASONS: dict[str, str] = {
    "missing_documents": "法律文书不全",
    "unclear_target": "执行标的不明确",
    "wrong_documents": "文书内容有误",
    "not_executable": "事项无法办理",
    "other": "其他",
}
RESULT_OUTCOMES: dict[str, str] = {"done": "已办结", "partial": "部分办结", "not_found": "未查到", "failed": "未能办理"}
RECEIPT_KIND = "receipt"  # 回执


@dataclass(frozen=True)
class DraftInput:
    case_number: str
    assisting_court: str
    matter_type: str
    summary: str = ""
    fields: dict[str, Any] = field(default_factory=dict)
    parties: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class AssetResult:
    asset: str
    outcome: str
    note: str = ""


@dataclass(frozen=True)
class ActionInput:
    comment: str = ""
    reason_code: str | None = None
    handler: str | None = None
    scheduled_date: date | None = None
    results: tuple[AssetResult, ...] = ()
    days: int | None = None
    extension_id: int | None = None
    new_court: str | None = None


@dataclass(frozen=True)
class ClockView:
    id: int
    clock: clocks.Clock
    due: clocks.Due | None
    working_days_left: int | None
    breached: bool
    next_rung: str | None
    next_rung_at: datetime | None

    # What clocks.running reads (clocks.StoredClock).
    @property
    def stage(self) -> str:
        return self.clock.stage.value

    @property
    def court_code(self) -> str:
        return self.clock.court_code

    @property
    def closed_at(self) -> datetime | None:
        return self.clock.closed_at

    @property
    def paused(self) -> bool:
        return self.clock.is_paused

    @property
    def due_at(self) -> datetime | None:
        return self.due.at if self.due else None

    @property
    def due_provisional(self) -> bool:
        return bool(self.due and self.due.provisional)


@dataclass(frozen=True)
class DelegationDetail:
    row: DelegationRow
    roles: frozenset[Role]
    allowed: list[Action]
    events: Sequence[EventRow]
    clocks: list[ClockView]
    documents: Sequence[DocumentRow]
    extensions: Sequence[ExtensionRow]


# ---------------------------------------------------------------- helpers


def _parties(row: DelegationRow) -> Parties:
    return Parties(row.requesting_court, row.assisting_court, draft=row.status == Status.DRAFT)


def _actor_role_label(roles: frozenset[Role]) -> str:
    return ",".join(sorted(r.value for r in roles)) or "none"


async def _load_visible(session: AsyncSession, ref: Reference, actor: Actor, delegation_id: int) -> DelegationRow:
    row = await repository.get_delegation(session, delegation_id)
    if row is None or not can_view(actor, _parties(row), ref.city_of):
        # Same answer for "missing" and "not yours", so existence does not leak.
        raise NotFound(f"Delegation {delegation_id} not found.")
    return row


def _require(errors: list[FieldError], condition: bool, field_name: str, zh: str, en: str) -> None:
    if not condition:
        errors.append(FieldError(field_name, zh, en))


def _validate_draft(ref: Reference, actor: Actor, data: DraftInput, now: datetime) -> dict[str, Any]:
    """Every field checked at once; returns normalised column values."""
    if actor.court_code is None:
        raise PermissionDenied("Only a user of a court can file a delegation.")
    policy = ref.policies.in_force(now)
    errors: list[FieldError] = []
    values: dict[str, Any] = {}
    try:
        case_number = parse_case_number(data.case_number, courts=ref.registry, max_year=clocks.local_day(now).year)
        check_requester_owns(case_number, actor.court_code)
        values["case_number"] = case_number.canonical
    except ValidationFailed as exc:
        errors.extend(exc.errors)
    assisting = ref.registry.find(data.assisting_court)
    if assisting is None or not assisting.active or not assisting.takes_matters:
        errors.append(FieldError("assisting_court", "受托法院不存在或已撤销", "Unknown or retired assisting court."))
    elif assisting.code == actor.court_code:
        errors.append(FieldError("assisting_court", "不能委托本院办理", "A court cannot delegate to itself."))
    else:
        values["assisting_court"] = assisting.code
    try:
        matter = policy.matter(data.matter_type)
    except ValidationFailed as exc:
        raise ValidationFailed(errors + exc.errors) from None
    try:
        values["fields"] = validate_matter_fields(matter, data.fields)
    except ValidationFailed as exc:
        # Matter fields live under "fields" in the request; name them by their path there.
        errors.extend(
            e if e.field == "fields" else FieldError(f"fields.{e.field}", e.message_zh, e.message_en)
            for e in exc.errors
        )
    try:
        values["parties"] = validate_parties(policy, data.parties)
    except ValidationFailed as exc:
        errors.extend(exc.errors)
    _require(errors, len(data.summary) <= 2000, "summary", "事项说明过长（最多2000字）", "Summary too long (max 2000).")
    if errors:
        raise ValidationFailed(errors)
    values.update(
        matter_type=matter.code,
        mechanism=matter.mechanism,
        policy_version=policy.version,
        summary=data.summary.strip(),
        search_text=" ".join([values["case_number"], *(str(p.get("name", "")) for p in values["parties"])])[:2000],
    )
    return values


def _event(
    row: DelegationRow,
    actor: Actor,
    roles: frozenset[Role],
    action: str,
    now: datetime,
    from_status: str | None,
    to_status: str | None,
    comment: str = "",
    kind: str = "transition",
    data: dict[str, Any] | None = None,
) -> rows.Event:
    """One event row of the acting user (written with a plain INSERT: events are append-only)."""
    assert row.id is not None
    return rows.Event(
        delegation_id=row.id,
        kind=kind,
        action=action,
        from_status=from_status,
        to_status=to_status,
        actor=actor.username,
        actor_court=actor.court_code,
        actor_role=_actor_role_label(roles),
        at=now,
        comment=comment,
        data=data or {},
    )


async def _commit(session: AsyncSession) -> None:
    try:
        await session.commit()
    except IntegrityError as exc:
        await session.rollback()
        raise Conflict("The change conflicts with data saved meanwhile.") from exc


# ---------------------------------------------------------------- drafts


async def create_draft(
    session: AsyncSession,
    ref: Reference,
    actor: Actor,
    now: datetime,
    data: DraftInput,
    idempotency_key: str | None = None,
    fingerprint: str | None = None,
) -> DelegationRow:
    """A new draft; a retried request with the same idempotency key returns the first draft."""
    row, _replayed = await create_draft_or_replay(session, ref, actor, now, data, idempotency_key, fingerprint)
    return row


async def create_draft_or_replay(
    session: AsyncSession,
    ref: Reference,
    actor: Actor,
    now: datetime,
    data: DraftInput,
    idempotency_key: str | None = None,
    fingerprint: str | None = None,
) -> tuple[DelegationRow, bool]:
    """A new draft, or the first draft of a retried request with the same idempotency key (also when the
    retry raced the first request to the unique key). Returns (row, replayed).

    `fingerprint` (a hash of the request) is kept on the create event, so that the edge can tell a retry
    from a different request that reuses the key."""
    if idempotency_key is not None:
        existing = await repository.find_by_idempotency_key(session, actor.username, idempotency_key)
        if existing is not None:
            return existing, True
    values = _validate_draft(ref, actor, data, now)
    assert actor.court_code is not None
    row = DelegationRow(
        number=f"tmp-{uuid.uuid4().hex[:24]}",
        requesting_court=actor.court_code,
        status=Status.DRAFT.value,
        created_by=actor.username,
        idempotency_key=idempotency_key,
        created_at=now,
        updated_at=now,
        **values,
    )
    session.add(row)
    try:
        await session.flush()
    except IntegrityError:
        await session.rollback()
        if idempotency_key is not None:
            existing = await repository.find_by_idempotency_key(session, actor.username, idempotency_key)
            if existing is not None:
                return existing, True
        raise
    row.number = f"JD{clocks.local_day(now).year}-{row.id:07d}"
    roles = frozenset({Role.REQUESTER})
    created = {"fingerprint": fingerprint} if fingerprint else None
    await rows.insert_events(
        session, [_event(row, actor, roles, "create", now, None, Status.DRAFT.value, data=created)]
    )
    await _commit(session)
    return row, False


async def update_draft(
    session: AsyncSession,
    ref: Reference,
    actor: Actor,
    now: datetime,
    delegation_id: int,
    expected_version: int,
    data: DraftInput,
) -> DelegationRow:
    row = await _load_visible(session, ref, actor, delegation_id)
    roles = acting_roles(actor, _parties(row), ref.city_of)
    if row.status != Status.DRAFT or Role.REQUESTER not in roles:
        raise PermissionDenied(
            "Only the requesting court can edit a delegation, and only while it is a draft.",
            title_zh="只有委托法院可以修改草稿",
        )
    values = _validate_draft(ref, actor, data, now)
    number = row.number
    if not await repository.compare_and_set(session, row, expected_version, {"updated_at": now, **values}):
        await session.rollback()
        raise Conflict(f"Delegation {number} was changed by someone else; reload it.")
    await rows.insert_events(session, [_event(row, actor, roles, "edit", now, Status.DRAFT.value, Status.DRAFT.value)])
    await _commit(session)
    return row


async def may_add_document(
    session: AsyncSession, ref: Reference, actor: Actor, delegation_id: int
) -> tuple[DelegationRow, frozenset[Role]]:
    """May `actor` add a document to this delegation now? Checked before a byte of the file is stored, and
    again when it is recorded. Returns the row and the actor's parts in it."""
    row = await _load_visible(session, ref, actor, delegation_id)
    roles = acting_roles(actor, _parties(row), ref.city_of)
    if not roles & {Role.REQUESTER, Role.ASSISTING}:
        raise PermissionDenied("Only the requesting or the assisting court can add documents.")
    if row.status in (Status.CONFIRMED, Status.WITHDRAWN):
        raise PermissionDenied("The delegation is closed.", title_zh="该委托已结束，不能再上传文书")
    return row, roles


async def record_document(
    session: AsyncSession,
    ref: Reference,
    actor: Actor,
    now: datetime,
    delegation_id: int,
    *,
    kind: str,
    filename: str,
    content_type: str,
    size: int,
    sha256: str,
    storage_key: str,
) -> DocumentRow:
    """Register a stored file on a delegation; only the two courts of the matter may add documents."""
    row, roles = await may_add_document(session, ref, actor, delegation_id)
    assert actor.court_code is not None and row.id is not None
    doc = DocumentRow(
        delegation_id=row.id,
        kind=kind,
        filename=filename,
        content_type=content_type,
        size=size,
        sha256=sha256,
        storage_key=storage_key,
        uploaded_by=actor.username,
        uploaded_court=actor.court_code,
        uploaded_at=now,
    )
    session.add(doc)
    event = _event(
        row,
        actor,
        roles,
        "upload_document",
        now,
        row.status,
        row.status,
        filename,
        kind="document",
        data={"kind": kind, "sha256": sha256},
    )
    await rows.insert_events(session, [event])
    await _commit(session)
    return doc


# ---------------------------------------------------------------- transitions


@dataclass
class _Step:
    """What one action changes, gathered before anything is written."""

    columns: dict[str, Any] = field(default_factory=dict)
    clock_court: dict[Stage, str] = field(default_factory=dict)
    anchor: date | None = None
    extend_days: int = 0
    extension: ExtensionRow | None = None
    extra_rows: list[Any] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)


async def perform(
    session: AsyncSession,
    ref: Reference,
    actor: Actor,
    now: datetime,
    delegation_id: int,
    action: Action,
    expected_version: int,
    data: ActionInput | None = None,
) -> DelegationRow:
    """Carry out one action of the state machine as one transaction."""
    data = data or ActionInput()
    row = await _load_visible(session, ref, actor, delegation_id)
    roles = acting_roles(actor, _parties(row), ref.city_of)
    transition = check_transition(Status(row.status), action, Mechanism(row.mechanism), roles)
    if row.version != expected_version:
        raise Conflict(f"Delegation {row.number} was changed by someone else; reload it.", current_version=row.version)
    clock_rows = await repository.clocks_of(session, delegation_id) if _touches_clocks(transition) else []
    step = await _prepare(session, ref, actor, now, row, transition, data, clock_rows)
    columns = {"status": transition.next_state.value, "updated_at": now, **step.columns}
    previous_status, number = row.status, row.number
    if not await repository.compare_and_set(session, row, expected_version, columns):
        await session.rollback()
        raise Conflict(f"Delegation {number} was changed by someone else; reload it.")
    await _apply_clocks(session, ref, row, transition, step, clock_rows, now, data)
    for extra in step.extra_rows:
        session.add(extra)
    event = _event(
        row,
        actor,
        roles,
        action.value,
        now,
        previous_status,
        transition.next_state.value,
        data.comment,
        data=step.data,
    )
    await rows.insert_events(session, [event])
    await outbox_service.enqueue_transition(session, ref, row, event, now)  # notifications commit with the change
    await _commit(session)
    return row


def _touches_clocks(transition: Transition) -> bool:
    """Whether the action reads existing clocks; submitting a draft only starts one, so it skips the query."""
    effect = transition.clock
    return bool(effect.close or effect.pause or effect.resume or effect.close_all or effect.extend) or (
        transition.action is Action.REQUEST_EXTENSION
    )


def _needs(condition: bool, field_name: str, zh: str, en: str) -> None:
    if not condition:
        raise ValidationFailed([FieldError(field_name, zh, en)])


async def _prepare(
    session: AsyncSession,
    ref: Reference,
    actor: Actor,
    now: datetime,
    row: DelegationRow,
    transition: Transition,
    data: ActionInput,
    clock_rows: list[tuple[ClockRow, list[ClockStopRow], list[str]]],
) -> _Step:
    """Action-specific checks and the column changes they imply. Raises before anything is written."""
    step = _Step()
    action = transition.action
    policy = ref.policies.get(row.policy_version)
    matter = policy.matter(row.matter_type)
    step.clock_court = {
        stage: (row.assisting_court if side is Side.ASSISTING else row.requesting_court)
        for stage, side in STAGE_HOLDER.items()
    }
    if action in (Action.SUBMIT, Action.RESUBMIT):
        kinds = await repository.document_kinds(session, row.id or 0)
        missing = missing_documents(matter, kinds)
        _needs(
            not missing,
            "documents",
            "缺少必需的法律文书：" + "、".join(missing),
            "Required documents missing: " + ", ".join(missing),
        )
        if action is Action.SUBMIT:
            step.columns["submitted_at"] = now
    elif action is Action.RETURN_FOR_CORRECTION:
        _needs(
            data.reason_code in RETURN_REASONS,
            "reason_code",
            "请选择退回原因",
            f"reason_code must be one of {', '.join(RETURN_REASONS)}",
        )
        _needs(bool(data.comment.strip()), "comment", "请写明需要补正的内容", "Say what must be corrected.")
        step.data["reason_code"] = data.reason_code
    elif action in (Action.DECLINE, Action.REQUEST_REWORK) or (
        action is Action.WITHDRAW and row.status != Status.DRAFT
    ):
        _needs(bool(data.comment.strip()), "comment", "请写明理由", "A reason is required.")
    elif action is Action.REDIRECT:
        target = ref.registry.find(data.new_court or "")
        _needs(
            target is not None and target.active and target.takes_matters,
            "new_court",
            "请选择有效的受托法院",
            "Choose an active court.",
        )
        assert target is not None
        _needs(
            target.code not in (row.requesting_court, row.assisting_court),
            "new_court",
            "新的受托法院不能是委托法院或原受托法院",
            "The new court must differ from the requesting and the current assisting court.",
        )
        if not command_center_covers(actor, row.assisting_court, ref.city_of) and not command_center_covers(
            actor, target.code, ref.city_of
        ):
            raise PermissionDenied("A command center can only redirect matters of its own city.")
        step.columns["assisting_court"] = target.code
        step.clock_court[Stage.SIGN_FOR] = target.code
        step.data.update(from_court=row.assisting_court, to_court=target.code)
    elif action is Action.ASSIGN_HANDLER:
        handler = (data.handler or "").strip()
        _needs(0 < len(handler) <= 100, "handler", "请填写承办人", "Name the handler.")
        step.columns["handler"] = handler
        step.data["handler"] = handler
    elif action is Action.SCHEDULE:
        _needs(
            data.scheduled_date is not None and data.scheduled_date >= clocks.local_day(now),
            "scheduled_date",
            "执行日期不能早于今天",
            "The on-site date cannot be in the past.",
        )
        step.columns["scheduled_date"] = data.scheduled_date
        step.anchor = data.scheduled_date
        step.data["scheduled_date"] = str(data.scheduled_date)
    elif action is Action.RECORD_RESULT:
        _needs(bool(data.results), "results", "请至少填写一项财产的办理结果", "Record at least one asset result.")
        for result in data.results:
            _needs(
                result.outcome in RESULT_OUTCOMES and bool(result.asset.strip()),
                "results",
                "每项结果须写明财产并选择办理结果",
                f"Each result needs an asset and one of {list(RESULT_OUTCOMES)}",
            )
            step.extra_rows.append(
                AssetResultRow(
                    delegation_id=row.id or 0,
                    asset=result.asset.strip()[:200],
                    outcome=result.outcome,
                    note=result.note[:2000],
                    recorded_by=actor.username,
                    recorded_at=now,
                )
            )
        step.data["results"] = [r.__dict__ for r in data.results]
    elif action is Action.COMPLETE:
        documents = await repository.documents_of(session, row.id or 0)
        _needs(
            any(d.kind == RECEIPT_KIND and d.uploaded_court == row.assisting_court for d in documents),
            "documents",
            "办结前请上传回执",
            "Upload the 回执 (receipt) before completing.",
        )
    elif action is Action.REQUEST_EXTENSION:
        await _prepare_extension_request(session, ref, actor, now, row, data, clock_rows, step, policy)
    elif action in (Action.APPROVE_EXTENSION, Action.REFUSE_EXTENSION):
        await _prepare_extension_decision(session, ref, actor, now, row, action, data, step)
    return step


def _running(clock_rows: list[tuple[ClockRow, list[ClockStopRow], list[str]]]) -> ClockRow | None:
    return clocks.running(clock_row for clock_row, _stops, _fired in clock_rows)


async def _prepare_extension_request(
    session: AsyncSession,
    ref: Reference,
    actor: Actor,
    now: datetime,
    row: DelegationRow,
    data: ActionInput,
    clock_rows: list[tuple[ClockRow, list[ClockStopRow], list[str]]],
    step: _Step,
    policy: PolicyVersion,
) -> None:
    running = _running(clock_rows)
    _needs(
        running is not None and running.court_code == actor.court_code,
        "days",
        "只有当前办理期限所属的法院可以申请延期",
        "Only the court holding the running clock can ask.",
    )
    assert running is not None and running.id is not None
    limits = policy.extensions
    _needs(
        running.stage in limits.stages,
        "days",
        "该阶段不能申请延期",
        f"Extensions are possible only for the stages {', '.join(limits.stages)}.",
    )
    _needs(
        data.days is not None and 1 <= data.days <= limits.max_working_days_per_request,
        "days",
        f"延期天数应为1至{limits.max_working_days_per_request}个工作日",
        f"days must be between 1 and {limits.max_working_days_per_request}",
    )
    _needs(bool(data.comment.strip()), "comment", "请写明延期理由", "A reason is required.")
    existing = await repository.extensions_of(session, row.id or 0)
    _needs(
        not any(e.status == "pending" for e in existing),
        "days",
        "已有待审批的延期申请",
        "An extension request is already pending.",
    )
    _needs(
        sum(1 for e in existing if e.clock_id == running.id) < limits.max_requests,
        "days",
        "该期限的延期申请次数已达上限",
        "No more extension requests for this clock.",
    )
    assert actor.court_code is not None
    step.extra_rows.append(
        ExtensionRow(
            delegation_id=row.id or 0,
            clock_id=running.id,
            requested_by=actor.username,
            requested_court=actor.court_code,
            days=data.days or 0,
            reason=data.comment.strip(),
            created_at=now,
        )
    )
    step.data.update(days=data.days, stage=running.stage)


async def _prepare_extension_decision(
    session: AsyncSession,
    ref: Reference,
    actor: Actor,
    now: datetime,
    row: DelegationRow,
    action: Action,
    data: ActionInput,
    step: _Step,
) -> None:
    pending = [e for e in await repository.extensions_of(session, row.id or 0) if e.status == "pending"]
    extension = next((e for e in pending if data.extension_id in (None, e.id)), None)
    _needs(extension is not None, "extension_id", "没有待审批的延期申请", "No pending extension request.")
    assert extension is not None
    if not command_center_covers(actor, extension.requested_court, ref.city_of):
        raise PermissionDenied(
            "Only the command center of the requesting court's city decides this extension.",
            title_zh="只有申请法院所在市的执行指挥中心可以审批该延期",
        )
    extension.decided_by, extension.decided_at = actor.username, now
    extension.decision_reason = data.comment.strip() or None
    if action is Action.APPROVE_EXTENSION:
        days = data.days if data.days is not None else extension.days
        _needs(
            1 <= days <= extension.days,
            "days",
            f"批准天数应为1至{extension.days}个工作日",
            f"Approved days must be between 1 and {extension.days}.",
        )
        extension.status, extension.approved_days = "approved", days
        step.extend_days = days
    else:
        _needs(bool(data.comment.strip()), "comment", "请写明不予批准的理由", "A reason is required.")
        extension.status = "refused"
    step.extension = extension
    step.extra_rows.append(extension)
    step.data.update(extension_id=extension.id, approved_days=extension.approved_days)


async def _apply_clocks(
    session: AsyncSession,
    ref: Reference,
    row: DelegationRow,
    transition: Transition,
    step: _Step,
    clock_rows: list[tuple[ClockRow, list[ClockStopRow], list[str]]],
    now: datetime,
    data: ActionInput,
) -> None:
    effect = transition.clock
    open_rows = {Stage(c.stage): (c, stops, fired) for c, stops, fired in clock_rows if c.closed_at is None}
    touched: dict[int, tuple[ClockRow, clocks.Clock]] = {}

    def domain(stage: Stage) -> tuple[ClockRow, clocks.Clock] | None:
        if stage not in open_rows:
            return None
        clock_row, stops, fired = open_rows[stage]
        assert clock_row.id is not None
        if clock_row.id not in touched:
            touched[clock_row.id] = (clock_row, clock_from_row(clock_row, stops, fired))
        return touched[clock_row.id]

    closing = list(open_rows) if effect.close_all else list(effect.close)
    for stage in closing:
        found = domain(stage)
        if found:
            touched[found[0].id or 0] = (found[0], clocks.close(found[1], now))
    for stage in effect.pause:
        found = domain(stage)
        if found:
            touched[found[0].id or 0] = (found[0], clocks.pause(found[1], now, transition.action.value))
            session.add(
                ClockStopRow(
                    clock_id=found[0].id or 0,
                    stopped_at=now,
                    reason=transition.action.value,
                    approved_by=None,
                    document_id=None,
                )
            )
    for stage in effect.resume:
        found = domain(stage)
        if found:
            touched[found[0].id or 0] = (found[0], clocks.resume(found[1], now))
            for stop in open_rows[stage][1]:
                if stop.resumed_at is None:
                    stop.resumed_at = now
                    session.add(stop)
    if effect.extend and step.extension is not None:
        for clock_row, _stops, _fired in clock_rows:
            if clock_row.id == step.extension.clock_id and clock_row.closed_at is None:
                found = domain(Stage(clock_row.stage))
                if found:
                    touched[found[0].id or 0] = (found[0], clocks.extend(found[1], step.extend_days))
    policy = ref.policies.in_force(now)
    rung_policy = ref.rung_policy(policy)
    for clock_row, clock in touched.values():
        for name, value in _derived_clock_columns(clock, ref, rung_policy).items():
            setattr(clock_row, name, value)
        session.add(clock_row)
    started: list[dict[str, Any]] = []
    for stage in effect.start:
        budget = policy.budget(row.matter_type, stage)
        anchor = step.anchor if stage is Stage.EXECUTION and step.anchor is not None else None
        clock = clocks.start_clock(
            stage, step.clock_court[stage], budget.days, clocks.Unit(budget.unit), now, policy.version, anchor
        )
        started.append(
            {
                "delegation_id": row.id or 0,
                "stage": stage.value,
                "court_code": clock.court_code,
                "budget_days": clock.budget_days,
                "unit": clock.unit.value,
                "policy_version": policy.version,
                "started_at": now,
                "anchor_date": anchor,
                **_derived_clock_columns(clock, ref, rung_policy),
            }
        )
    await repository.insert_rows(session, ClockRow, started)


def _derived_clock_columns(clock: clocks.Clock, ref: Reference, rung_policy: clocks.RungPolicy) -> dict[str, Any]:
    """The stored, indexed columns of a clock changed by an action (see clocks.derive)."""
    derived = clocks.derive(clock, ref.calendar, rung_policy)
    return {
        "closed_at": clock.closed_at,
        "extra_days": clock.extra_days,
        "paused": clock.is_paused,
        "due_at": derived.due_at,
        "due_provisional": derived.provisional,
        "next_rung": derived.next_rung.value if derived.next_rung else None,
        "next_rung_at": derived.next_rung_at,
    }


# ---------------------------------------------------------------- reading


async def get_detail(
    session: AsyncSession, ref: Reference, actor: Actor, now: datetime, delegation_id: int
) -> DelegationDetail:
    row = await _load_visible(session, ref, actor, delegation_id)
    roles = acting_roles(actor, _parties(row), ref.city_of)
    policy = ref.policies.get(row.policy_version)
    rung_policy = ref.rung_policy(policy)
    views: list[ClockView] = []
    for clock_row, stops, fired in await repository.clocks_of(session, delegation_id):
        clock = clock_from_row(clock_row, stops, fired)
        derived = clocks.derive(clock, ref.calendar, rung_policy)
        views.append(
            ClockView(
                id=clock_row.id or 0,
                clock=clock,
                due=derived.due,
                working_days_left=(
                    clocks.days_left(derived.due.day, now, ref.calendar) if clock.is_open and derived.due else None
                ),
                breached=clocks.is_breached(clock, now, ref.calendar),
                next_rung=derived.next_rung.value if derived.next_rung else None,
                next_rung_at=derived.next_rung_at,
            )
        )
    return DelegationDetail(
        row=row,
        roles=roles,
        allowed=allowed_actions(Status(row.status), Mechanism(row.mechanism), roles),
        events=await repository.events_of(session, delegation_id),
        clocks=views,
        documents=await repository.documents_of(session, delegation_id),
        extensions=await repository.extensions_of(session, delegation_id),
    )
