"""The write path: each public function is one transaction, on one Context (session, ref, actor, now):
load the row once, authorize, check the pure rules, write the new state, the event row, the clock changes
and the outbox rows, commit; or change nothing.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, NamedTuple, TypeVar

from sqlalchemy.exc import IntegrityError
from sqlmodel.ext.asyncio.session import AsyncSession

from delegation.catalogue.casenumber import check_requester_owns, parse_case_number
from delegation.catalogue.policy import unmask_unchanged, validate_matter_fields, validate_parties
from delegation.catalogue.searchkeys import search_keys
from delegation.core import clocks
from delegation.core.access import Actor, Operation, Parties, Verdict, acting_roles, authorize, can_view, enforce
from delegation.core.errors import Conflict, FieldError, NotFound, PermissionDenied, ValidationFailed
from delegation.core.reference import Reference
from delegation.core.states import (
    ACTION_PARTS,
    NO_DUTY,
    STAGE_HOLDER,
    Action,
    Mechanism,
    Role,
    Side,
    Stage,
    Status,
    Transition,
    check_transition,
    role_refusal,
)
from delegation.handling.commands import Command, decode, follow_ups
from delegation.handling.rules import ClockRows, Decision, Facts, Need, Step, rule_of
from delegation.outbox import service as outbox_service
from delegation.statistics import service as statistics_service
from delegation.statistics.model import Matter
from delegation.store import repository, rows, sql
from delegation.store.context import Context
from delegation.store.sql import Inserts, table
from delegation.store.tables import (
    ClockRow,
    ClockStopRow,
    DelegationRow,
    DocumentRow,
    StatutoryClockRow,
    clock_from_row,
)


@dataclass(frozen=True)
class DraftInput:
    case_number: str
    assisting_court: str
    matter_type: str
    summary: str = ""
    fields: dict[str, Any] = field(default_factory=dict)
    parties: list[dict[str, Any]] = field(default_factory=list)


T = TypeVar("T")
_DOCUMENT = table(DocumentRow)


class Created(NamedTuple):
    row: DelegationRow
    replayed: bool  # the first result of a retried request with the same idempotency key


def fingerprint(data: DraftInput) -> str:
    """A hash of the request, kept on the create event so a retry can be told from another request."""
    # The fields as they are (json.dumps walks them; dataclasses.asdict would deep-copy them first): the same text.
    fields = {f.name: getattr(data, f.name) for f in dataclasses.fields(data)}
    body = json.dumps(fields, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


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
        check_requester_owns(case_number, actor.court_code, courts=ref.registry)
        values["case_number"] = case_number.canonical
    except ValidationFailed as exc:
        errors.extend(exc.errors)
    assisting = ref.registry.find(data.assisting_court)
    if not data.assisting_court.strip():
        errors.append(FieldError("assisting_court", "请选择受托法院", "Choose the assisting court."))
    elif assisting is None or not assisting.active or not assisting.takes_matters:
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
        errors.extend(policy.past_scheduled_date(matter, values["fields"], clocks.local_day(now)))
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
        search_keys=search_keys(matter.fields, policy.party_fields.fields, values["fields"], values["parties"]),
    )
    return values


def _event(
    delegation_id: int,
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
    return rows.Event(
        delegation_id=delegation_id,
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


async def create_draft(ctx: Context, data: DraftInput, idempotency_key: str | None = None) -> Created:
    """A new draft. A retried request with the same idempotency key returns the first draft (replayed);
    the same key with a different request is refused. The one place idempotency is handled."""
    session, ref, actor, now = ctx.session, ctx.ref, ctx.actor, ctx.now
    enforce(authorize(actor, Operation.CREATE_DRAFT), "Delegations", Operation.CREATE_DRAFT)
    # One statement writes the matter and its event: no transaction needed around it (PostgreSQL), and no read
    # of the idempotency key first: the statement writes nothing when the key was used (ON CONFLICT).
    one_statement = await sql.outside_transaction(session)
    digest = fingerprint(data)
    if idempotency_key is not None and not one_statement:
        existing = await _replay(session, actor, idempotency_key, digest)
        if existing is not None:
            return Created(existing, True)
    try:
        values = _validate_draft(ref, actor, data, now)
    except ValidationFailed:
        # A retry answers as the first request did, even if the same request would no longer pass today.
        existing = await _replay(session, actor, idempotency_key, digest) if idempotency_key and one_statement else None
        if existing is not None:
            return Created(existing, True)
        raise
    assert actor.court_code is not None
    columns: dict[str, Any] = {
        "number": f"tmp-{uuid.uuid4().hex[:24]}",
        "requesting_court": actor.court_code,
        "status": Status.DRAFT.value,
        "created_by": actor.username,
        "idempotency_key": idempotency_key,
        "created_at": now,
        "updated_at": now,
        "handler": None,
        "handler_username": None,
        "handler_phone": None,
        "scheduled_date": None,
        "submitted_at": None,
        "version": 1,
        **values,
    }
    # The create event's columns but its delegation_id: the new row's id is drawn in the same statement.
    requester = frozenset({Role.REQUESTER})
    event = _event(0, actor, requester, "create", now, None, Status.DRAFT.value, data={"fingerprint": digest}).values()
    del event["delegation_id"]
    try:
        # The row, its number (from its id) and its create event: one statement on PostgreSQL.
        ident = await repository.insert_draft(session, columns, event, f"JD{clocks.local_day(now).year}-")
    except IntegrityError:
        await session.rollback()
        ident = None
        if idempotency_key is None:
            raise
    if ident is None:  # the key was used before (or meanwhile, by a request racing this one)
        assert idempotency_key is not None  # only a key can conflict
        existing = await _replay(session, actor, idempotency_key, digest)
        if existing is None:
            raise Conflict("The draft conflicts with data saved meanwhile.")
        return Created(existing, True)
    await _commit(session)
    columns["number"] = f"JD{clocks.local_day(now).year}-{ident:07d}"
    return Created(rows.built(DelegationRow, {"id": ident, **columns}), False)


async def _replay(session: AsyncSession, actor: Actor, key: str, digest: str) -> DelegationRow | None:
    existing = await repository.find_by_idempotency_key(session, actor.username, key)
    if existing is None:
        return None
    first = await repository.create_fingerprint(session, existing.id or 0)
    if first not in (None, digest):
        raise ValidationFailed(
            [
                FieldError(
                    "Idempotency-Key",
                    "该幂等键已用于内容不同的请求",
                    "This Idempotency-Key was already used for a different request.",
                )
            ]
        )
    return existing


async def update_draft(ctx: Context, delegation_id: int, expected_version: int, data: DraftInput) -> DelegationRow:
    session, ref, actor, now = ctx.session, ctx.ref, ctx.actor, ctx.now
    row, roles = await _own_draft(ctx, delegation_id)
    values = _validate_draft(ref, actor, _unmasked(ref, row, data), now)
    number = row.number
    appended = Inserts()
    repository.compare_and_set(appended, row, expected_version, {"updated_at": now, **values})
    edited = _event(delegation_id, actor, roles, "edit", now, Status.DRAFT.value, Status.DRAFT.value)
    appended.add(rows.EVENT, [edited.values()])
    if not await appended.write(session):
        await session.rollback()
        raise Conflict(f"Delegation {number} was changed by someone else; reload it.")
    await _commit(session)
    return row


def _unmasked(ref: Reference, row: DelegationRow, data: DraftInput) -> DraftInput:
    """The edit, with each masked value it sends back as a read showed it taken as the stored value: reads mask
    personal data, so a client that edits by sending back what it read must not overwrite the real values with
    their masks. Parties are matched by position; a masked value anywhere else is refused by the validation."""
    policy = ref.policies.get(row.policy_version)
    fields = data.fields
    if data.matter_type == row.matter_type and isinstance(fields, dict):
        fields = unmask_unchanged(policy.matter(row.matter_type), fields, row.fields)
    parties = [
        unmask_unchanged(policy.party_fields, new, old) if isinstance(new, dict) and isinstance(old, dict) else new
        for new, old in zip(data.parties, row.parties, strict=False)
    ] + data.parties[len(row.parties) :]
    return dataclasses.replace(data, fields=fields, parties=parties)


async def _own_draft(ctx: Context, delegation_id: int) -> tuple[DelegationRow, frozenset[Role]]:
    """The draft, if the actor's court requested it and may edit it; the actor's parts in it."""
    session, ref, actor = ctx.session, ctx.ref, ctx.actor
    row = await _load_visible(session, ref, actor, delegation_id)
    what = f"Delegation {delegation_id}"
    enforce(authorize(actor, Operation.EDIT_DRAFT, _parties(row), ref.city_of), what, Operation.EDIT_DRAFT)
    roles = acting_roles(actor, _parties(row), ref.city_of)
    if row.status != Status.DRAFT or Role.REQUESTER not in roles:
        raise PermissionDenied(
            "Only the requesting court can edit a delegation, and only while it is a draft.",
            title_zh="只有委托法院可以修改草稿",
        )
    return row, roles


async def remove_draft_document(ctx: Context, delegation_id: int, document_id: int) -> DocumentRow:
    """Take a scan off a draft (it is being replaced): nobody outside the requesting court has seen a draft,
    so its documents may go; once submitted, documents are only ever added. The removal is on the timeline."""
    row, roles = await _own_draft(ctx, delegation_id)
    removed = await repository.delete_document(ctx.session, delegation_id, document_id)
    if removed is None:
        raise NotFound(f"Document {document_id} not found on delegation {delegation_id}.")
    event = _event(
        delegation_id,
        ctx.actor,
        roles,
        "remove_document",
        ctx.now,
        row.status,
        row.status,
        removed.filename,
        kind="document",
        data={"kind": removed.kind, "sha256": removed.sha256},
    )
    await rows.insert_events(ctx.session, [event])
    await _commit(ctx.session)
    return removed


async def may_add_document(
    session: AsyncSession, ref: Reference, actor: Actor, delegation_id: int, row: DelegationRow | None = None
) -> tuple[DelegationRow, frozenset[Role]]:
    """May `actor` add a document to this delegation now? Checked before a byte of the file is stored, and
    again when it is recorded. Returns the row (`row`: as already read) and the actor's parts in it."""
    if row is None:
        row = await _load_visible(session, ref, actor, delegation_id)
    elif not can_view(actor, _parties(row), ref.city_of):
        raise NotFound(f"Delegation {delegation_id} not found.")
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
    row: DelegationRow | None = None,
) -> DocumentRow:
    """Register a stored file on a delegation; only the two courts of the matter may add documents (`row`: the
    delegation as already read in this unit of work)."""
    row, roles = await may_add_document(session, ref, actor, delegation_id, row)
    assert actor.court_code is not None and row.id is not None
    values: dict[str, Any] = {
        "delegation_id": row.id,
        "kind": kind,
        "filename": filename,
        "content_type": content_type,
        "size": size,
        "sha256": sha256,
        "storage_key": storage_key,
        "uploaded_by": actor.username,
        "uploaded_court": actor.court_code,
        "uploaded_at": now,
    }
    event = _event(
        delegation_id,
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
    appended = Inserts()  # the document and its event in one statement on PostgreSQL
    appended.add(_DOCUMENT, [values])
    appended.add(rows.EVENT, [event.values()])
    ident = await appended.write_returning_id(session, _DOCUMENT)
    await _commit(session)
    return rows.built(DocumentRow, {"id": ident, **values})


# ---------------------------------------------------------------- transitions


async def perform(
    ctx: Context,
    delegation_id: int,
    action: Action,
    expected_version: int,
    command: Command | None = None,
) -> DelegationRow:
    """Carry out one action of the state machine as one transaction: load the row once, authorize, check the
    transition and the action's rule (pure, on facts loaded once), write the row, clocks, event and the
    outbox rows, commit; or change nothing. A command may ask for follow-up actions (签收 naming the
    handler assigns them): each is checked on the state the previous one left, and all commit together."""
    row, _after = await _perform_all(ctx, delegation_id, action, expected_version, command)
    await _commit(ctx.session)
    return row


async def perform_and_read(
    ctx: Context,
    delegation_id: int,
    action: Action,
    expected_version: int,
    command: Command | None,
    read: Callable[[DelegationRow, clocks.ClocksAfterAction | None], Awaitable[T]],
) -> tuple[DelegationRow, T]:
    """perform, and `read` what the caller answers with (the matter as it is after the action) in the same
    transaction, just before it commits: the answer costs no second transaction. `read` is given the matter's
    clocks as the action left them when the action knows them all (else None: read them). A failed read
    changes nothing."""
    row, after = await _perform_all(ctx, delegation_id, action, expected_version, command)
    try:
        answer = await read(row, after)
    except BaseException:
        await ctx.session.rollback()
        raise
    await _commit(ctx.session)
    return row, answer


async def _perform_all(
    ctx: Context,
    delegation_id: int,
    action: Action,
    expected_version: int,
    command: Command | None,
) -> tuple[DelegationRow, clocks.ClocksAfterAction | None]:
    """The action and its follow-ups in the caller's transaction (not committed), with the clocks the last
    one left when it knows them all."""
    command = command if command is not None else decode(action)
    more = follow_ups(action, command)
    # An action alone reads outside a transaction (its compare-and-set on the version guards what it read), so
    # one that writes a single statement needs no BEGIN and COMMIT; _perform opens the transaction before the
    # first write otherwise. Follow-ups share one transaction from the start.
    alone = not more and await sql.outside_transaction(ctx.session)
    row, after = await _perform(ctx, delegation_id, action, expected_version, command, alone=alone)
    try:
        for next_action, next_command in more:
            row, after = await _perform(ctx, delegation_id, next_action, row.version, next_command)
    except BaseException:
        await ctx.session.rollback()  # the first action's writes go too: both or neither
        raise
    return row, after


async def _perform(
    ctx: Context,
    delegation_id: int,
    action: Action,
    expected_version: int,
    command: Command,
    *,
    alone: bool = False,
) -> tuple[DelegationRow, clocks.ClocksAfterAction | None]:
    """One action's checks and writes in the caller's transaction (perform commits), with the clocks it left
    when it knows them all (_clocks_after). `alone`: the action has read outside a transaction
    (sql.outside_transaction) and may write in one statement; if it cannot, it opens the transaction first."""
    session, ref, actor, now = ctx.session, ctx.ref, ctx.actor, ctx.now
    rule = rule_of(action)
    loaded = await repository.load_for_action(session, delegation_id, document_kinds=Need.DOCUMENT_KINDS in rule.needs)
    if loaded is None:
        raise NotFound(f"Delegation {delegation_id} not found.")
    row = loaded.row
    parties = _parties(row)
    what = f"Delegation {delegation_id}"
    verdict = authorize(actor, Operation.TRANSITION, parties, ref.city_of, action=action)
    roles = acting_roles(actor, parties, ref.city_of)
    if verdict is Verdict.DENY:  # no part of theirs takes this action in any state: 403, naming who does
        raise role_refusal(action, ACTION_PARTS.get(action, frozenset()), roles)
    enforce(verdict, what, Operation.TRANSITION)
    transition = check_transition(Status(row.status), action, Mechanism(row.mechanism), roles)
    if row.version != expected_version:
        raise Conflict(f"Delegation {row.number} was changed by someone else; reload it.", current_version=row.version)
    holders = {stage: _holder(ref, row, side) for stage, side in STAGE_HOLDER.items()}
    needs = set(rule.needs)
    if _touches_clocks(transition):
        needs.add(Need.CLOCKS)
    if transition.duties != NO_DUTY:
        needs.add(Need.DUTIES)
    facts = await _facts(ctx, loaded, needs)
    step = rule.check(facts, command)
    step.clock_court = holders | step.clock_court
    columns = {"status": transition.next_state.value, "updated_at": now, **step.columns}
    previous_status, number = row.status, row.number
    # The compare-and-set and the rows this action appends are written together below (one round trip on
    # PostgreSQL); the row shows its new values from here on.
    appended = Inserts()
    repository.compare_and_set(appended, row, expected_version, columns)
    started = _apply_clocks(session, ref, row, transition, step, facts.clocks, now, appended)
    _apply_duties(session, ref, row, transition, step, facts.duties, now, appended)
    if step.decision is not None:
        _write_decision(session, step.decision)
    for new in step.new_rows:
        session.add(new)
    event = _event(
        delegation_id,
        actor,
        roles,
        action.value,
        now,
        previous_status,
        transition.next_state.value,
        command.comment,
        data=step.data,
    )
    appended.add(rows.EVENT, [event.values()])
    # The notifications commit with the change.
    appended.add(rows.OUTBOX, [o.values() for o in outbox_service.transition_rows(ref, row, event, now)])
    after = _clocks_after(previous_status, appended, now)  # before `write` empties it
    # An action on a draft (its first submission, or its withdrawal) knows the matter's facts (statistics)
    # without reading them: a draft has none yet, so they are those of the clocks it starts, and they go with its
    # other rows. Any other action refreshes the facts from what the database holds after its writes.
    first_facts = previous_status == Status.DRAFT.value
    if first_facts:
        matter = Matter(delegation_id, row.requesting_court, row.assisting_court, row.matter_type, row.submitted_at)
        statistics_service.add_first_submission_facts(appended, ref, matter, started, now)
    one_statement = alone and first_facts and not (session.new or session.dirty or session.deleted)
    if not one_statement:
        await sql.transaction_from_here(session)
    if not await appended.write(session):
        await session.rollback()
        raise Conflict(f"Delegation {number} was changed by someone else; reload it.")
    if not first_facts:
        await statistics_service.refresh(session, ref, [delegation_id], now)  # the facts commit with the change
    return row, after


def _clocks_after(previous_status: str, appended: Inserts, now: datetime) -> clocks.ClocksAfterAction | None:
    """The matter's open clocks and statutory breach after an action on a draft: a draft has no clocks and no
    statutory duties, so those the action started (in `appended`) are all there are, and the answer needs no
    read. Any other state may have clocks the action did not touch: None (the answer reads them)."""
    if previous_status != Status.DRAFT.value:
        return None
    started = tuple(
        clocks.PlainClock(
            stage=c["stage"],
            court_code=c["court_code"],
            closed_at=c["closed_at"],
            paused=c["paused"],
            due_at=c["due_at"],
            due_provisional=c["due_provisional"],
            unit=c["unit"],
        )
        for c in appended.rows_of(table(ClockRow))
        if c["closed_at"] is None
    )
    duties = appended.rows_of(table(StatutoryClockRow))
    breach = any(d["is_open"] and d["due_at"] is not None and d["due_at"] <= now for d in duties)
    return clocks.ClocksAfterAction(started, breach)


async def _facts(ctx: Context, loaded: repository.ForAction, needs: set[Need] | frozenset[Need]) -> Facts:
    """What the action's rule reads, each in one query, only when it is needed and the row's own query
    (repository.load_for_action) did not already answer it."""
    session, row = ctx.session, loaded.row
    ident = row.id or 0
    kinds: Sequence[str] = ()
    if Need.DOCUMENT_KINDS in needs:
        kinds = (
            loaded.document_kinds
            if loaded.document_kinds is not None
            else await repository.document_kinds(session, ident)
        )
    duties: Sequence[StatutoryClockRow] = ()
    if Need.DUTIES in needs and loaded.has_duties is not False:
        duties = await repository.statutory_clocks_of(session, ident)
    return Facts(
        ref=ctx.ref,
        actor=ctx.actor,
        now=ctx.now,
        row=row,
        policy=ctx.ref.policies.get(row.policy_version),
        clocks=await repository.clocks_of(session, ident) if Need.CLOCKS in needs else [],
        document_kinds=kinds,
        documents=await repository.documents_of(session, ident) if Need.DOCUMENTS in needs else (),
        extensions=await repository.extensions_of(session, ident) if Need.EXTENSIONS in needs else (),
        last_return=(
            await repository.last_event(session, ident, Action.RETURN_FOR_CORRECTION.value)
            if Need.LAST_RETURN in needs
            else None
        ),
        handlers=await repository.handlers_of(session, row.assisting_court) if Need.HANDLERS in needs else (),
        duties=duties,
    )


def _touches_clocks(transition: Transition) -> bool:
    """Whether the action changes existing clocks; submitting a draft only starts one, so it skips the query."""
    effect = transition.clock
    return bool(effect.close or effect.pause or effect.resume or effect.close_all or effect.extend)


def _write_decision(session: AsyncSession, decision: Decision) -> None:
    extension = decision.extension
    extension.decided_by, extension.decided_at = decision.decided_by, decision.decided_at
    extension.decision_reason = decision.reason
    extension.status, extension.approved_days = decision.status, decision.approved_days
    session.add(extension)


def _apply_clocks(
    session: AsyncSession,
    ref: Reference,
    row: DelegationRow,
    transition: Transition,
    step: Step,
    clock_rows: ClockRows,
    now: datetime,
    appended: Inserts,
) -> list[clocks.Clock]:
    """Changed clocks go to the session (flushed before the statistics read them); new ones to `appended`.
    The clocks started, as the domain sees them."""
    effect = transition.clock
    received = _receipt_day(clock_rows) if transition.action is Action.SIGN_FOR else None  # before it closes
    lapse = renewal_cap(ref, row) if effect.start else None
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
    if effect.extend and step.decision is not None and step.extend_days:
        for clock_row, _stops, _fired in clock_rows:
            if clock_row.id == step.decision.extension.clock_id and clock_row.closed_at is None:
                found = domain(Stage(clock_row.stage))
                if found:
                    # Extensions are approved in working days (policy.extensions), whatever the clock's unit.
                    extended = clocks.extend(found[1], step.extend_days, clocks.Unit.WORKING)
                    touched[found[0].id or 0] = (found[0], extended)
    policy = ref.policies.in_force(now)
    rung_policy = ref.rung_policy(policy)
    for clock_row, clock in touched.values():
        for name, value in _derived_clock_columns(clock, ref, rung_policy).items():
            setattr(clock_row, name, value)
        session.add(clock_row)
    started: list[dict[str, Any]] = []
    new_clocks: list[clocks.Clock] = []
    for stage in effect.start:
        budget = policy.budget(row.matter_type, stage)
        anchor = step.anchor if stage is Stage.EXECUTION and step.anchor is not None else None
        if budget.starts_from == "receipt" and received is not None:
            anchor = received  # e.g. 委托送达: ten days from receipt of the letter, not from the sign-for
        cap = lapse if STAGE_HOLDER[stage] is Side.ASSISTING else None
        clock = clocks.start_clock(
            stage, step.clock_court[stage], budget.days, clocks.Unit(budget.unit), now, policy.version, anchor, cap
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
                "latest_due": cap,
                **_derived_clock_columns(clock, ref, rung_policy),
            }
        )
        new_clocks.append(clock)
    appended.add(table(ClockRow), started)
    return new_clocks


def _holder(ref: Reference, row: DelegationRow, side: Side) -> str:
    """The court holding a stage's clock: one of the two courts, or the command center (intermediate court)
    of the assisting court's city."""
    if side is Side.REQUESTING:
        return row.requesting_court
    if side is Side.COMMAND_CENTER:
        city = ref.city_of(row.assisting_court)
        center = ref.registry.intermediate_of_city(city) if city is not None else None
        return center.code if center is not None else row.assisting_court
    return row.assisting_court


def renewal_cap(ref: Reference, row: DelegationRow) -> date | None:
    """A renewal's last day for the assisting court: the policy's margin before the earliest current expiry."""
    matter = ref.policies.get(row.policy_version).matter(row.matter_type)
    expires = matter.earliest_expiry(row.fields)
    if matter.renewal is None or expires is None:
        return None
    return clocks.lapse_cap(expires, matter.renewal.margin_working_days, ref.calendar)


def _receipt_day(clock_rows: ClockRows) -> date | None:
    """The day of receipt of the letter being signed for: from its open sign-for clock (clocks.receipt_day)."""
    for clock_row, stops, fired in clock_rows:
        if clock_row.stage == Stage.SIGN_FOR and clock_row.closed_at is None:
            return clocks.receipt_day(clock_from_row(clock_row, stops, fired))
    return None


def _derived_clock_columns(clock: clocks.Clock, ref: Reference, rung_policy: clocks.RungPolicy) -> dict[str, Any]:
    """The stored, indexed columns of a clock changed by an action (see clocks.derive)."""
    derived = clocks.derive(clock, ref.calendar, rung_policy)
    return {
        "closed_at": clock.closed_at,
        "extra_days": clock.extra_days,
        "extra_working_days": clock.extra_working_days,
        "paused": clock.is_paused,
        "due_at": derived.due_at,
        "due_provisional": derived.provisional,
        "next_rung": derived.next_rung.value if derived.next_rung else None,
        "next_rung_at": derived.next_rung_at,
    }


def _apply_duties(
    session: AsyncSession,
    ref: Reference,
    row: DelegationRow,
    transition: Transition,
    step: Step,
    duties: Sequence[StatutoryClockRow],
    now: datetime,
    appended: Inserts,
) -> None:
    """The statutory clocks of 民诉法 第二百四十条 as the transition table says (states.DutyEffect): end the open
    ones, begin both for the assisting court, meet the start or report duty, start the next report period.
    Extensions never reach them: their due time depends only on the day counted from and the calendar."""
    effect = transition.duties
    if step.remedy_duty is not None:
        step.remedy_duty.remedy_requested_at = now
        session.add(step.remedy_duty)
    if effect == NO_DUTY:
        return
    court = row.assisting_court  # already the new court after a redirect (compare_and_set mirrors the row)
    open_rows = [d for d in duties if d.is_open]

    def settle(duty: StatutoryClockRow, *, met: bool) -> None:
        duty.is_open = False
        if met:
            duty.met_at, duty.met_by = now, transition.action.value
        else:
            duty.closed_at = now
        session.add(duty)

    if effect.end:
        for duty in open_rows:
            settle(duty, met=False)
        open_rows = []
    new: list[dict[str, Any]] = []
    if effect.begin:
        new += _begin_duties(ref, row, court, now, duties)
    if effect.start_met and step.starts_execution:
        for duty in open_rows:
            if duty.duty == clocks.Duty.START and duty.court_code == court:
                settle(duty, met=True)
    if effect.report_met:
        for duty in open_rows:
            if duty.duty == clocks.Duty.REPORT and duty.court_code == court:
                settle(duty, met=True)
    if effect.report_again:
        reports = [d for d in duties if d.duty == clocks.Duty.REPORT and d.court_code == court]
        if reports and not any(d.is_open for d in reports):
            last = reports[-1]
            new.append(
                _duty_row(
                    ref,
                    row,
                    clocks.Duty.REPORT,
                    court,
                    last.days,
                    last.source,
                    last.policy_version,
                    now,
                    seq=max(d.seq for d in reports) + 1,
                )
            )
    appended.add(table(StatutoryClockRow), new)


def _begin_duties(
    ref: Reference, row: DelegationRow, court: str, now: datetime, earlier: Sequence[StatutoryClockRow]
) -> list[dict[str, Any]]:
    """Both duties of the court receiving the 委托函 now, if the policy in force covers the matter type."""
    policy = ref.policies.in_force(now)
    try:
        duties = policy.statutory(row.matter_type)
    except ValidationFailed:  # a matter type the version in force no longer lists: its own version decides
        duties = ref.policies.get(row.policy_version).statutory(row.matter_type)
    if duties is None:
        return []
    seq = 1 + sum(1 for d in earlier if d.duty == clocks.Duty.REPORT)
    return [
        _duty_row(ref, row, clocks.Duty.START, court, duties.start_days, duties.source, policy.version, now),
        _duty_row(ref, row, clocks.Duty.REPORT, court, duties.report_days, duties.source, policy.version, now, seq=seq),
    ]


def _duty_row(
    ref: Reference,
    row: DelegationRow,
    duty: clocks.Duty,
    court: str,
    days: int,
    source: str,
    policy_version: str,
    now: datetime,
    *,
    seq: int = 1,
) -> dict[str, Any]:
    """A new statutory clock's columns (a plain INSERT: building the ORM object costs more than the row)."""
    counted_from = clocks.local_day(now)
    due = clocks.statutory_due(counted_from, days, ref.calendar)
    return {
        "delegation_id": row.id or 0,
        "duty": duty.value,
        "seq": seq,
        "court_code": court,
        "days": days,
        "counted_from": counted_from,
        "source": source,
        "policy_version": policy_version,
        "is_open": True,
        "due_at": due.at,
        "due_provisional": due.provisional,
        "met_at": None,
        "met_by": None,
        "closed_at": None,
        "breach_recorded_at": None,
        "remedy_requested_at": None,
    }
