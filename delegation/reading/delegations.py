"""Reading: what a caller may see of delegations, as masked views, and the cursor-paginated lists.

Every list is keyset-paginated on the primary key (newest first for delegations and logs, oldest first
for a delegation's timeline and documents) and filtered on indexed columns; the cursor is opaque.
"""

from __future__ import annotations

import base64
import binascii
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, and_, bindparam, exists, false, not_, or_, true
from sqlalchemy.orm import defer
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from delegation.catalogue.casenumber import parse_case_number
from delegation.catalogue.fields import LIST_KIND
from delegation.catalogue.policy import FieldSpec, mask_fields
from delegation.catalogue.searchkeys import recognise
from delegation.core import clocks as clock_rules
from delegation.core.access import (
    Actor,
    ListScope,
    Operation,
    Parties,
    acting_roles,
    authorize,
    enforce,
    list_scope,
)
from delegation.core.clocks import RunningClock, running_clock
from delegation.core.errors import FieldError, NotFound, ValidationFailed
from delegation.core.reference import Reference
from delegation.core.states import TERMINAL, Action, Mechanism, Role, Status, allowed_actions
from delegation.handling.rules import extension_decider_refusal
from delegation.store import repository
from delegation.store.context import Context
from delegation.store.sql import one_of, table
from delegation.store.tables import (
    AssetResultRow,
    ClockRow,
    DelegationRow,
    DocumentRow,
    EventRow,
    ExtensionRow,
    NetworkJobRow,
    StatutoryClockRow,
    clock_from_row,
    statutory_from_row,
)

T = TypeVar("T")
MAX_PAGE = 100
CLOCKLESS = frozenset({Status.DRAFT.value, *(s.value for s in TERMINAL)})  # no open clock in these states
BOXES = ("inbox", "outbox", "all")


# ---------------------------------------------------------------- who may see what


def parties_of(row: DelegationRow) -> Parties:
    return Parties(row.requesting_court, row.assisting_court, draft=row.status == Status.DRAFT)


def roles_of(actor: Actor, row: DelegationRow, ref: Reference) -> frozenset[Role]:
    return acting_roles(actor, parties_of(row), ref.city_of)


def roles_label(actor: Actor, row: DelegationRow, ref: Reference) -> str:
    return ",".join(sorted(r.value for r in roles_of(actor, row, ref))) or "none"


async def load_authorized(
    session: AsyncSession,
    ref: Reference,
    actor: Actor,
    delegation_id: int,
    operation: Operation,
    action: Action | None = None,
) -> DelegationRow:
    """The delegation, if `access.authorize` lets the actor do `operation` on it; 404 / 403 otherwise."""
    return authorized(
        await repository.get_delegation(session, delegation_id), ref, actor, delegation_id, operation, action
    )


def authorized(
    row: DelegationRow | None,
    ref: Reference,
    actor: Actor,
    delegation_id: int,
    operation: Operation,
    action: Action | None = None,
) -> DelegationRow:
    """load_authorized's checks on a row already read."""
    what = f"Delegation {delegation_id}"
    if row is None:
        raise NotFound(f"{what} not found.")
    enforce(authorize(actor, operation, parties_of(row), ref.city_of, action=action), what, operation)
    return row


# ---------------------------------------------------------------- masking


@dataclass(frozen=True)
class Masked:
    """A delegation's matter fields and parties as anyone may see them, and the paths one may reveal."""

    fields: dict[str, object]
    parties: list[dict[str, object]]
    revealable: list[str]


def _present(value: object) -> bool:
    return value is not None and value != "" and value != []


def _pii_paths(specs: Sequence[FieldSpec], values: Mapping[str, object], prefix: str) -> list[str]:
    out: list[str] = []
    for spec in specs:
        value = values.get(spec.name)
        if spec.kind == LIST_KIND and isinstance(value, list):
            for i, item in enumerate(value):
                if isinstance(item, Mapping):
                    out += _pii_paths(spec.item_fields or (), item, f"{prefix}{spec.name}[{i}].")
        elif spec.kind != LIST_KIND and spec.is_pii and _present(value):
            out.append(f"{prefix}{spec.name}")
    return out


def masked(ref: Reference, row: DelegationRow) -> Masked:
    policy = ref.policies.get(row.policy_version)
    matter = policy.matter(row.matter_type)
    party_specs = policy.party_fields.fields
    paths = _pii_paths(matter.fields, row.fields, "fields.")
    parties: list[dict[str, object]] = []
    for i, party in enumerate(row.parties):
        parties.append(mask_fields(policy.party_fields, party))
        paths += _pii_paths(party_specs, party, f"parties[{i}].")
    return Masked(mask_fields(matter, row.fields), parties, paths)


# ---------------------------------------------------------------- cursors


# Exactly the strings decode_cursor accepts (up to 1,999,999,999): base64url of "c1:" and the decimal digits,
# unpadded. "c1:" is YzE6; three digits make four characters, one or two trailing digits two or three.
_DIGIT_PAIR = "(?:[MN][DTjz]|O[DT])"
_THREE = f"{_DIGIT_PAIR}[AEIMQUYcgk][w-z0-5]"
_ONE = "(?:[MN][AQgw]|O[AQ])"
_TWO = f"{_DIGIT_PAIR}[AEIMQUYcgk]"
_UP_TO_NINE = f"(?:{_THREE}){{0,2}}(?:{_THREE}|{_ONE}|{_TWO})"
_TEN = f"MT[AEIMQUYcgk][w-z0-5](?:{_THREE}){{2}}{_ONE}"  # ten digits, the first a 1
CURSOR_PATTERN = f"^YzE6(?:{_UP_TO_NINE}|{_TEN})$"


def encode_cursor(last_id: int | None) -> str | None:
    if last_id is None:
        return None
    return base64.urlsafe_b64encode(f"c1:{last_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int | None:
    if cursor is None or cursor == "":
        return None
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        prefix, _, number = text.partition(":")
        value = int(number)
        if prefix != "c1" or not 0 <= value < 2**31:
            raise ValueError(text)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        problem = FieldError("cursor", "分页游标无效", "Invalid cursor; pass next_cursor as given.")
        raise ValidationFailed([problem]) from None
    return value


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None


def _page(rows: list[T], limit: int, key: Callable[[T], int | None]) -> Page[T]:
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(rows, encode_cursor(key(rows[-1])) if more and rows else None)


# ---------------------------------------------------------------- lists of delegations


@dataclass(frozen=True)
class DelegationQuery:
    box: str = "all"  # inbox: my court assists; outbox: my court requested; all: everything I may see
    statuses: tuple[str, ...] = ()
    matter_type: str | None = None
    counterpart: str | None = None  # the other court
    city: str | None = None  # a court of this city is the other court (inbox/outbox) or either court (all)
    due_before: datetime | None = None
    due_after: datetime | None = None
    overdue: bool | None = None
    provisional: bool | None = None
    text: str | None = None  # number, 案号 or part of it, a party's name, a handler; or an identifier (exact)
    # 网络查控: network (its last round of network handling completed it), network_pending (a round queued or
    # running), handed_back (the last round gave it back to the clerks), manual (never went by network)
    handling: str | None = None
    cursor: str | None = None
    limit: int = 50


@dataclass(frozen=True)
class Listed:
    row: DelegationRow
    roles: frozenset[Role]
    allowed: list[Action]
    clock: RunningClock | None = None
    statutory_breach: bool = False  # an open duty of 民诉法 第二百四十条 is past its period (法定期限)


@dataclass(frozen=True)
class ClockView:
    """One clock on the detail page, with its derived values (clocks.derive) and days left."""

    id: int
    clock: clock_rules.Clock
    due: clock_rules.Due | None
    working_days_left: int | None
    breached: bool
    next_rung: str | None
    next_rung_at: datetime | None
    days_left: int | None = None  # in the clock's own unit: natural days for a natural-day period (补正)

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

    @property
    def unit(self) -> str:
        return self.clock.unit.value


@dataclass(frozen=True)
class DetailView:
    listed: Listed
    masked: Masked
    events: Sequence[EventRow]
    clocks: list[ClockView]
    documents: Sequence[DocumentRow]
    extensions: Sequence[Any]
    results: Sequence[AssetResultRow]
    extra: dict[str, Any] = field(default_factory=dict)
    statutory: list[clock_rules.StatutoryView] = field(default_factory=list)  # 法定期限 (民诉法 第二百四十条)


def _courts_of_city(ref: Reference) -> Any:
    def courts(city: str) -> frozenset[str]:
        return frozenset(c.code for c in ref.registry.by_city(city, include_retired=True))

    return courts


def _scope_condition(scope: ListScope) -> ColumnElement[bool]:
    d = DelegationRow
    not_draft = col(d.status) != Status.DRAFT.value
    mine = col(d.requesting_court).in_(scope.own) if scope.own else false()
    if scope.everything:
        return or_(not_draft, mine)
    theirs = and_(not_draft, or_(col(d.requesting_court).in_(scope.courts), col(d.assisting_court).in_(scope.courts)))
    return or_(mine, theirs) if scope.courts else mine


def _open_clock(*conditions: ColumnElement[bool]) -> ColumnElement[bool]:
    return exists().where(
        col(ClockRow.delegation_id) == col(DelegationRow.id), col(ClockRow.closed_at).is_(None), *conditions
    )


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _conditions(ref: Reference, actor: Actor, q: DelegationQuery, now: datetime) -> list[ColumnElement[bool]]:
    d = DelegationRow
    own = actor.court_code or ""
    conditions: list[ColumnElement[bool]] = []
    if q.box == "inbox":
        conditions += [col(d.assisting_court) == own, col(d.status) != Status.DRAFT.value]
        other = col(d.requesting_court)
    elif q.box == "outbox":
        conditions.append(col(d.requesting_court) == own)
        other = col(d.assisting_court)
    else:
        scope = list_scope(actor, _courts_of_city(ref), ref.city_of)
        conditions.append(_scope_condition(scope))
        other = None
    if q.statuses:
        conditions.append(col(d.status).in_(q.statuses))
    if q.matter_type:
        conditions.append(col(d.matter_type) == q.matter_type)
    if q.counterpart:
        court = ref.registry.find(q.counterpart)
        code = court.code if court else q.counterpart
        conditions.append(
            other == code if other is not None else or_(col(d.requesting_court) == code, col(d.assisting_court) == code)
        )
    if q.city:
        codes = _courts_of_city(ref)(q.city)
        conditions.append(
            other.in_(codes)
            if other is not None
            else or_(col(d.requesting_court).in_(codes), col(d.assisting_court).in_(codes))
        )
    running = col(ClockRow.paused).is_(False)
    if q.due_before is not None or q.due_after is not None:
        window: list[ColumnElement[bool]] = [running]
        if q.due_before is not None:
            window.append(col(ClockRow.due_at) <= q.due_before)
        if q.due_after is not None:
            window.append(col(ClockRow.due_at) >= q.due_after)
        conditions.append(_open_clock(*window))
    if q.overdue is not None:
        late = _open_clock(running, col(ClockRow.due_at) <= now)
        conditions.append(late if q.overdue else not_(late))
    if q.provisional is not None:
        provisional = _open_clock(col(ClockRow.due_provisional).is_(True))
        conditions.append(provisional if q.provisional else not_(provisional))
    if q.text:
        conditions.append(text_condition(q.text))
    if q.handling in HANDLING_MODES:
        conditions.append(handling_condition(q.handling))
    return conditions


HANDLING_MODES = ("network", "network_pending", "handed_back", "manual")
_JOB_STATUSES = {
    "network": ("done",),
    "network_pending": ("queued", "running", "recorded"),
    "handed_back": ("handed_back",),
}


def handling_condition(mode: str) -> ColumnElement[bool]:
    """How the matter is handled, by its last round of network handling (none: by hand)."""
    d = DelegationRow
    job = table(NetworkJobRow).alias("job")
    later = table(NetworkJobRow).alias("later")
    if mode == "manual":
        return not_(exists().where(job.c.delegation_id == col(d.id)))
    newer = exists().where(later.c.delegation_id == job.c.delegation_id, later.c.round > job.c.round)
    return exists().where(job.c.delegation_id == col(d.id), job.c.status.in_(_JOB_STATUSES[mode]), not_(newer))


def text_variants(text: str) -> list[str]:
    """What one search box text may be written as: as typed, in half width (ＪＤ２０２６ -> JD2026), and with
    the full-width brackets 案号 are stored with ((2026)鲁0202执1号 -> （2026）鲁0202执1号)."""
    typed = text.strip()
    narrow = unicodedata.normalize("NFKC", typed)
    bracketed = narrow.replace("(", "（").replace(")", "）").replace("〔", "（").replace("〕", "）")
    return list(dict.fromkeys(v for v in (typed, narrow, bracketed) if v))


def text_condition(text: str) -> ColumnElement[bool]:
    """The search box: the platform number (JD2026-0000032, or part of it), the 案号 (any width, or part of it),
    a party's name, or the handler (name or username). A resident ID number, USCC, plate or VIN (any width or
    case, as the filing form takes it) finds only the matters carrying exactly that value (searchkeys)."""
    d = DelegationRow
    variants = text_variants(text)
    identifiers = recognise(unicodedata.normalize("NFKC", text.strip()))
    if identifiers:
        return or_(*(col(d.search_keys).like(f"% {i.key} %") for i in identifiers))
    try:
        number: str | None = parse_case_number(variants[-1]).canonical
    except ValidationFailed:
        number = None
    parts: list[ColumnElement[bool]] = [col(d.case_number) == number] if number else []
    for variant in variants:
        pattern = _like(variant)
        parts += [
            col(d.search_text).ilike(pattern, escape="\\"),
            col(d.number).ilike(pattern, escape="\\"),
            col(d.handler).ilike(pattern, escape="\\"),
        ]
    parts.append(col(d.handler_username) == variants[-1])
    return or_(*parts)


# A list item needs neither the matter's fields nor its parties: not decoding their JSON halves the cost.
_LIST_DEFERRED = (
    defer(DelegationRow.fields),  # type: ignore[arg-type]
    defer(DelegationRow.parties),  # type: ignore[arg-type]
    defer(DelegationRow.search_text),  # type: ignore[arg-type]
    defer(DelegationRow.search_keys),  # type: ignore[arg-type]
)


@lru_cache(maxsize=1024)
def _allowed(status: Status, mechanism: Mechanism, roles: frozenset[Role]) -> tuple[Action, ...]:
    return tuple(allowed_actions(status, mechanism, roles))


DECISIONS = frozenset({Action.APPROVE_EXTENSION, Action.REFUSE_EXTENSION})


@dataclass(frozen=True)
class Pending:
    """A matter's pending extension request: the court that asked, and the stage of the clock it extends."""

    requested_court: str
    stage: str | None


def offered(
    ref: Reference, actor: Actor, row: DelegationRow, roles: frozenset[Role], pending: Pending | None
) -> list[Action]:
    """The actions the matter offers `actor` now: those the transition table allows their parts in its state,
    less deciding an extension when none is pending or when they may not decide it (the rule of
    approve_extension and refuse_extension): what is offered is what is accepted."""
    allowed = list(_allowed(Status(row.status), Mechanism(row.mechanism), roles))
    if DECISIONS.isdisjoint(allowed):
        return allowed
    if pending is None or (
        extension_decider_refusal(actor, row, pending.requested_court, pending.stage, ref.city_of) is not None
    ):
        return [a for a in allowed if a not in DECISIONS]
    return allowed


def _may_decide_some(ref: Reference, actor: Actor, row: DelegationRow) -> bool:
    """Whether the table lets the actor decide an extension of this matter in its state (then the pending one
    is read to know whether they may decide it)."""
    roles = roles_of(actor, row, ref)
    return not DECISIONS.isdisjoint(_allowed(Status(row.status), Mechanism(row.mechanism), roles))


async def pending_extensions(session: AsyncSession, ids: Sequence[int]) -> dict[int, Pending]:
    """The pending extension request of each of these delegations that has one (at most one is pending)."""
    if not ids:
        return {}
    stmt = (
        select(ExtensionRow.delegation_id, ExtensionRow.requested_court, ClockRow.stage)
        .join(ClockRow, col(ClockRow.id) == col(ExtensionRow.clock_id))
        .where(one_of(session, col(ExtensionRow.delegation_id), ids), col(ExtensionRow.status) == "pending")
    )
    return {ident: Pending(court, stage) for ident, court, stage in await session.exec(stmt)}


def summarize(
    ref: Reference,
    actor: Actor,
    row: DelegationRow,
    clock: RunningClock | None = None,
    statutory_breach: bool = False,
    pending: Pending | None = None,
) -> Listed:
    """The matter as a list shows it; `pending`: its pending extension request (None: it has none)."""
    roles = roles_of(actor, row, ref)
    return Listed(row, roles, offered(ref, actor, row, roles, pending), clock, statutory_breach)


async def statutory_breaches(session: AsyncSession, ids: Sequence[int], now: datetime) -> set[int]:
    """The delegations among `ids` with an open statutory duty past its period (ix_statutory_open_due)."""
    if not ids:
        return set()
    stmt = select(StatutoryClockRow.delegation_id).where(
        one_of(session, col(StatutoryClockRow.delegation_id), ids),
        col(StatutoryClockRow.is_open).is_(True),
        col(StatutoryClockRow.due_at) <= now,
    )
    return set(await session.exec(stmt))


async def running_clocks(
    session: AsyncSession, ref: Reference, ids: Sequence[int], now: datetime
) -> dict[int, RunningClock]:
    if not ids:
        return {}
    stmt = select(ClockRow).where(one_of(session, col(ClockRow.delegation_id), ids), col(ClockRow.closed_at).is_(None))
    by_delegation: dict[int, list[ClockRow]] = {}
    for clock in await session.exec(stmt):
        by_delegation.setdefault(clock.delegation_id, []).append(clock)
    out: dict[int, RunningClock] = {}
    for ident, clocks in by_delegation.items():
        found = running_clock(clocks, now, ref.calendar)
        if found is not None:
            out[ident] = found
    return out


async def list_delegations(
    session: AsyncSession, ref: Reference, actor: Actor, now: datetime, q: DelegationQuery
) -> Page[Listed]:
    enforce(authorize(actor, Operation.LIST_DELEGATIONS), "Delegations", Operation.LIST_DELEGATIONS)
    if q.box not in BOXES:
        raise ValidationFailed([FieldError("box", "box应为inbox、outbox或all", "box must be inbox, outbox or all")])
    limit = max(1, min(q.limit, MAX_PAGE))
    after = decode_cursor(q.cursor)
    conditions = _conditions(ref, actor, q, now)
    if after is not None:
        conditions.append(col(DelegationRow.id) < after)
    stmt = (
        select(DelegationRow)
        .options(*_LIST_DEFERRED)
        .where(and_(true(), *conditions))
        .order_by(col(DelegationRow.id).desc())
    )
    rows = list(await session.exec(stmt.limit(limit + 1)))
    page = _page(rows, limit, lambda r: r.id)
    ids = [r.id for r in page.items if r.id is not None]
    clocks = await running_clocks(session, ref, ids, now)
    late = await statutory_breaches(session, ids, now)
    deciding = [r.id for r in page.items if r.id is not None and _may_decide_some(ref, actor, r)]
    pending = await pending_extensions(session, deciding)
    items = [
        summarize(ref, actor, r, clocks.get(r.id or 0), (r.id or 0) in late, pending.get(r.id or 0)) for r in page.items
    ]
    return Page(items, page.next_cursor)


# ---------------------------------------------------------------- one delegation


# One delegation's open clocks, each with whether the matter has an open statutory duty past its period
# (statutory_breaches): the answer to an action or a create in one query, built once.
_OPEN_CLOCKS_AND_BREACH = select(
    ClockRow,
    exists().where(
        col(StatutoryClockRow.delegation_id) == bindparam("delegation_id"),
        col(StatutoryClockRow.is_open).is_(True),
        col(StatutoryClockRow.due_at) <= bindparam("now"),
    ),
).where(col(ClockRow.delegation_id) == bindparam("delegation_id"), col(ClockRow.closed_at).is_(None))


async def listed(
    session: AsyncSession,
    ref: Reference,
    actor: Actor,
    now: datetime,
    row: DelegationRow,
    after: clock_rules.ClocksAfterAction | None = None,
) -> Listed:
    """The matter as a list shows it; `after`: its clocks as the action just taken left them, when the action
    knows them all (no query then). Its pending extension is read only for a user the table lets decide one."""
    if row.status in CLOCKLESS:
        return summarize(ref, actor, row)
    ident = row.id or 0
    pending = (await pending_extensions(session, [ident])).get(ident) if _may_decide_some(ref, actor, row) else None
    if after is not None:
        running_now = running_clock(after.open_clocks, now, ref.calendar)
        return summarize(ref, actor, row, running_now, after.statutory_breach, pending)
    found = list(await session.exec(_OPEN_CLOCKS_AND_BREACH, params={"delegation_id": ident, "now": now}))
    if not found:  # no open clock: the breach alone
        return summarize(ref, actor, row, None, bool(await statutory_breaches(session, [ident], now)), pending)
    running = running_clock([clock for clock, _late in found], now, ref.calendar)
    return summarize(ref, actor, row, running, bool(found[0][1]), pending)


async def detail(session: AsyncSession, ref: Reference, actor: Actor, now: datetime, delegation_id: int) -> DetailView:
    row = await load_authorized(session, ref, actor, delegation_id, Operation.VIEW)
    roles = roles_of(actor, row, ref)
    views = await clock_views(session, ref, row, now)
    statutory = await statutory_views(session, ref, row, now)
    results = await session.exec(
        select(AssetResultRow).where(AssetResultRow.delegation_id == delegation_id).order_by(col(AssetResultRow.id))
    )
    extensions = await repository.extensions_of(session, delegation_id)
    waiting = next((e for e in extensions if e.status == "pending"), None)
    pending = (
        Pending(waiting.requested_court, next((v.clock.stage for v in views if v.id == waiting.clock_id), None))
        if waiting is not None
        else None
    )
    allowed = offered(ref, actor, row, roles, pending)
    return DetailView(
        listed=Listed(
            row,
            roles,
            allowed,
            running_clock(views, now, ref.calendar),
            any(v.breached and v.clock.is_open for v in statutory),
        ),
        masked=masked(ref, row),
        events=await repository.events_of(session, delegation_id),
        clocks=views,
        documents=await repository.documents_of(session, delegation_id),
        extensions=extensions,
        results=list(results),
        statutory=statutory,
    )


async def statutory_views(
    session: AsyncSession, ref: Reference, row: DelegationRow, now: datetime
) -> list[clock_rules.StatutoryView]:
    """The statutory clocks of a delegation, oldest first, with their derived due day and breach; each cites
    the law as its policy version does (stored with the clock), in English as that version says it."""
    views = []
    for duty in await repository.statutory_clocks_of(session, row.id or 0):
        clock = statutory_from_row(duty)
        due = clock_rules.statutory_due(clock.counted_from, clock.days, ref.calendar)
        views.append(
            clock_rules.StatutoryView(
                id=duty.id or 0,
                clock=clock,
                due=due,
                source=duty.source,
                breached=clock_rules.statutory_breached(clock, due.at, now),
                days_left=clock_rules.calendar_days_left(due.day, now) if clock.is_open else None,
                remedy_requested_at=duty.remedy_requested_at,
                source_en=_source_en(ref, duty.policy_version, row.matter_type, duty.source),
            )
        )
    return views


def _source_en(ref: Reference, version: str, matter_type: str, source: str) -> str:
    """How a statutory clock's policy version cites the law in English, when it cites what the clock stored
    in Chinese; else "" (the English page shows the stored citation)."""
    try:
        duties = ref.policies.get(version).statutory(matter_type)
    except (NotFound, ValidationFailed):  # an unknown version or matter type: the Chinese citation alone
        return ""
    return duties.source_en if duties is not None and duties.source == source else ""


async def clock_views(session: AsyncSession, ref: Reference, row: DelegationRow, now: datetime) -> list[ClockView]:
    rung_policy = ref.rung_policy(ref.policies.get(row.policy_version))
    views: list[ClockView] = []
    for clock_row, stops, fired in await repository.clocks_of(session, row.id or 0):
        clock = clock_from_row(clock_row, stops, fired)
        derived = clock_rules.derive(clock, ref.calendar, rung_policy)
        views.append(
            ClockView(
                id=clock_row.id or 0,
                clock=clock,
                due=derived.due,
                working_days_left=(
                    clock_rules.days_left(derived.due.day, now, ref.calendar) if clock.is_open and derived.due else None
                ),
                breached=clock_rules.is_breached(clock, now, ref.calendar),
                next_rung=derived.next_rung.value if derived.next_rung else None,
                next_rung_at=derived.next_rung_at,
                days_left=(
                    clock_rules.days_left_in(clock.unit, derived.due.day, now, ref.calendar)
                    if clock.is_open and derived.due
                    else None
                ),
            )
        )
    return views


async def timeline_page(
    session: AsyncSession,
    ref: Reference,
    actor: Actor,
    delegation_id: int,
    *,
    kind: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> Page[EventRow]:
    """A delegation's history, oldest first: transitions, messages, document uploads, notices."""
    await load_authorized(session, ref, actor, delegation_id, Operation.VIEW)
    limit = max(1, min(limit, MAX_PAGE))
    stmt = select(EventRow).where(EventRow.delegation_id == delegation_id)
    if kind is not None:
        stmt = stmt.where(EventRow.kind == kind)
    after = decode_cursor(cursor)
    if after is not None:
        stmt = stmt.where(col(EventRow.id) > after)
    rows = list(await session.exec(stmt.order_by(col(EventRow.id)).limit(limit + 1)))
    return _page(rows, limit, lambda r: r.id)


async def documents_page(
    session: AsyncSession,
    ref: Reference,
    actor: Actor,
    delegation_id: int,
    *,
    cursor: str | None = None,
    limit: int = 50,
) -> Page[DocumentRow]:
    await load_authorized(session, ref, actor, delegation_id, Operation.VIEW)
    limit = max(1, min(limit, MAX_PAGE))
    stmt = select(DocumentRow).where(DocumentRow.delegation_id == delegation_id)
    after = decode_cursor(cursor)
    if after is not None:
        stmt = stmt.where(col(DocumentRow.id) > after)
    rows = list(await session.exec(stmt.order_by(col(DocumentRow.id)).limit(limit + 1)))
    return _page(rows, limit, lambda r: r.id)


async def current_state(ctx: Context, delegation_id: int) -> Listed | None:
    """The delegation as it is now, after a refused change (its transaction rolled back): what a 409 shows."""
    await ctx.session.rollback()
    row = await ctx.session.get(DelegationRow, delegation_id, populate_existing=True)
    return None if row is None else await listed(ctx.session, ctx.ref, ctx.actor, ctx.now, row)
