"""The outbox in the database: enqueue in the caller's transaction, expand intents into inbox rows and
deliveries, claim deliveries so each row is sent at most once, record outcomes with exponential backoff.

Claiming is one UPDATE .. RETURNING (with FOR UPDATE SKIP LOCKED on PostgreSQL), committed before anything
is sent; the outcome is written back only by the holder of the claim token. A deliverer that dies mid-send
leaves its rows `sending`; after the lease they become `failed` (visible, requeued by hand) rather than be
sent a second time, except Prefect events, which carry a stable id and are simply retried.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import Integer, String, and_, bindparam, func, not_, or_, update
from sqlalchemy import select as core_select
from sqlalchemy.engine import RowMapping
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from delegation.core import trace
from delegation.core.access import Actor, UserRole, command_center_covers
from delegation.core.errors import FieldError, PermissionDenied, ValidationFailed
from delegation.core.reference import Reference
from delegation.core.states import Action
from delegation.outbox.intents import assignment_intents, transition_intent
from delegation.outbox.model import (
    BREAKER_CHANNELS,
    SUBSCRIPTION_CHANNELS,
    Channel,
    Circuit,
    CircuitPolicy,
    DeliveryError,
    Directory,
    Intent,
    Message,
    OutboxStatus,
    Person,
    RetryPolicy,
    Subscription,
    Topic,
    after_send,
    deliveries,
    event_id_for,
    recipients,
    resumed,
)
from delegation.store import rows
from delegation.store.sql import dialect, insert_for, run, table
from delegation.store.tables import (
    DelegationRow,
    InboxRow,
    NoticeRow,
    OutboxRow,
    ReceiverCircuitRow,
    SubscriptionRow,
    UserRow,
)

Send = Callable[[Message], Awaitable[None]]


OUTBOX = table(OutboxRow)
_log = logging.getLogger(__name__)
INBOX = table(InboxRow)
NOTICE = table(NoticeRow)


# ---------------------------------------------------------------- writing, in the caller's transaction


def fanout(intent: Intent, now: datetime) -> rows.Outbox:
    """The outbox row of one intent (expanded later into inbox rows and deliveries)."""
    if intent.request_id is None and (current := trace.request_id.get()) is not None:
        intent = replace(intent, request_id=current)  # the request that caused it, if any
    return rows.Outbox(
        channel=Channel.FANOUT.value,
        topic=intent.topic,
        subject=intent.subject,
        payload=intent.to_json(),
        now=now,
        delegation_id=intent.delegation_id,
        notice_id=intent.notice_id,
    )


def enqueue(session: AsyncSession, intent: Intent, now: datetime) -> None:
    """Add one outbox row for `intent` to the session; it commits with the caller's change."""
    session.add(OutboxRow(**fanout(intent, now).values()))


def transition_rows(ref: Reference, row: DelegationRow, event: rows.Event, now: datetime) -> list[rows.Outbox]:
    """The outbox rows of a transition, which commit with it: its notifications and Prefect event, and for an
    assignment the notices to the handler (and to the handler it was taken from). perform writes them with
    its other appended rows."""
    intents = [
        *_assignment(ref, row, event),
        transition_intent(
            ref,
            delegation_id=row.id or 0,
            number=row.number,
            case_number=row.case_number,
            requesting_court=row.requesting_court,
            assisting_court=row.assisting_court,
            action=event.action,
            from_status=event.from_status,
            to_status=event.to_status,
            actor=event.actor,
            actor_court=event.actor_court,
            at=event.at,
            comment=event.comment,
            data=dict(event.data),
        ),
    ]
    return [fanout(i, now) for i in intents]


def _assignment(ref: Reference, row: DelegationRow, event: rows.Event) -> list[Intent]:
    data = event.data
    handler, previous = data.get("handler_username"), data.get("previous_handler")
    if event.action != Action.ASSIGN_HANDLER or not isinstance(handler, str):
        return []
    return assignment_intents(
        ref,
        delegation_id=row.id or 0,
        number=row.number,
        case_number=row.case_number,
        requesting_court=row.requesting_court,
        assisting_court=row.assisting_court,
        handler=handler,
        handler_name=str(data.get("handler") or handler),
        previous_handler=previous if isinstance(previous, str) else None,
        at=event.at,
        comment=event.comment,
    )


async def load_directory(session: AsyncSession, ref: Reference) -> Directory:
    users = await session.exec(
        select(UserRow.username, UserRow.court_code, UserRow.roles).where(col(UserRow.active).is_(True))
    )
    subs = await session.exec(select(SubscriptionRow).where(col(SubscriptionRow.active).is_(True)))
    return Directory(
        (Person(u, c, frozenset(r or [])) for u, c, r in users),
        (Subscription(s.id or 0, s.court_code, s.channel, s.target, tuple(s.topics or ())) for s in subs),
        ref.city_of,
    )


def _occurred(intent: Intent, fallback: datetime) -> datetime:
    try:
        return datetime.fromisoformat(intent.occurred_at)
    except ValueError:
        return fallback


async def write_intents(
    session: AsyncSession, directory: Directory, now: datetime, items: Sequence[tuple[Intent, uuid.UUID]]
) -> tuple[int, int]:
    """Inbox rows and delivery rows for each intent, in bulk. Returns (inbox rows, deliveries)."""
    inbox: list[rows.Inbox] = []
    outbox: list[rows.Outbox] = []
    for intent, event_id in items:
        happened = _occurred(intent, now)
        inbox.extend(
            rows.Inbox(
                username=username,
                topic=intent.topic,
                title=intent.subject,
                body=intent.body,
                now=happened,  # the reader sees when it happened, not when the deliverer got to it
                delegation_id=intent.delegation_id,
                notice_id=intent.notice_id,
            )
            for username in recipients(intent, directory)
        )
        outbox.extend(
            rows.Outbox(
                channel=d.channel.value,
                topic=intent.topic,
                subject=d.subject,
                payload=d.payload,
                now=now,
                target=d.target,
                subscription_id=d.subscription_id,
                delegation_id=intent.delegation_id,
                notice_id=intent.notice_id,
            )
            for d in deliveries(intent, directory, event_id)
        )
    await rows.insert_inbox(session, inbox)
    await rows.insert_outbox(session, outbox)
    return len(inbox), len(outbox)


# ---------------------------------------------------------------- claiming and delivering


@dataclass
class DeliveryReport:
    expanded: int = 0
    claimed: int = 0
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    interrupted: int = 0
    skipped: int = 0
    paused: int = 0  # claimed for a receiver whose circuit opened meanwhile: back to pending, no try counted


def _to_receiver(receiver: str) -> Any:
    """Rows whose target is at `receiver` (scheme://host:port, as receiver_of gives it)."""
    return and_(
        OUTBOX.c.channel.in_([c.value for c in BREAKER_CHANNELS]),
        or_(OUTBOX.c.target == receiver, OUTBOX.c.target.startswith(receiver + "/", autoescape=True)),
    )


async def _claim(
    session: AsyncSession,
    now: datetime,
    limit: int,
    channels: Iterable[Channel],
    token: str,
    paused: Iterable[str] = (),
) -> list[RowMapping]:
    """Mark up to `limit` due rows as ours in one statement; the caller commits (or keeps the transaction).
    Rows to a `paused` receiver (its circuit is open) are left alone."""
    due = (
        core_select(OUTBOX.c.id)
        .where(
            OUTBOX.c.status == OutboxStatus.PENDING.value,
            OUTBOX.c.next_attempt_at <= now,
            OUTBOX.c.channel.in_([c.value for c in channels]),
            *(not_(_to_receiver(r)) for r in paused),
        )
        .order_by(OUTBOX.c.next_attempt_at, OUTBOX.c.id)
        .limit(limit)
    )
    if dialect(session) == "postgresql":
        # Locked first, by a statement of its own: as a sub-select of the UPDATE, PostgreSQL may run a
        # LIMIT .. FOR UPDATE SKIP LOCKED more than once and claim more than `limit` rows.
        ids = list((await run(session, due.with_for_update(skip_locked=True))).scalars())
        if not ids:
            return []
        chosen: Any = ids
    else:
        chosen = due.scalar_subquery()
    stmt = (
        update(OUTBOX)
        .where(OUTBOX.c.id.in_(chosen), OUTBOX.c.status == OutboxStatus.PENDING.value)
        .values(
            status=OutboxStatus.SENDING.value,
            claim_token=token,
            claimed_at=now,
            attempts=OUTBOX.c.attempts + 1,
        )
        .returning(*OUTBOX.c)
    )
    rows = list((await run(session, stmt)).mappings())
    return sorted(rows, key=lambda r: r["id"])


async def expand_fanouts(
    session: AsyncSession, ref: Reference, now: datetime, retry: RetryPolicy, limit: int = 500
) -> int:
    """Turn committed intents into inbox rows and deliveries; each intent exactly once (same transaction)."""
    expanded = 0
    directory: Directory | None = None
    while True:
        token = uuid.uuid4().hex
        rows = await _claim(session, now, limit, [Channel.FANOUT], token)
        if not rows:
            await session.rollback()
            return expanded
        directory = directory or await load_directory(session, ref)
        try:
            await _expand(session, directory, now, rows)
            await session.commit()
            expanded += len(rows)
        except Exception:
            await session.rollback()
            expanded += await _expand_one_by_one(session, directory, now, retry, [r["id"] for r in rows])
            return expanded
        if len(rows) < limit:
            return expanded


async def _expand(session: AsyncSession, directory: Directory, now: datetime, rows: Sequence[RowMapping]) -> None:
    intents = [Intent.from_json(r["payload"]) for r in rows]
    # A notice's intent leaves its text on the notice row (written in the same transaction): fetch it here.
    wanted = [i.notice_id for i in intents if i.notice_id is not None and not i.body]
    if wanted:
        bodies = dict(
            (await run(session, core_select(NOTICE.c.id, NOTICE.c.body).where(NOTICE.c.id.in_(wanted)))).all()
        )
        intents = [replace(i, body=bodies.get(i.notice_id, "")) if i.notice_id in bodies else i for i in intents]
    items = [(i, event_id_for(r["id"])) for i, r in zip(intents, rows, strict=True)]
    await write_intents(session, directory, now, items)
    await run(
        session,
        update(OUTBOX)
        .where(OUTBOX.c.id.in_([r["id"] for r in rows]))
        .values(status=OutboxStatus.SENT.value, sent_at=now, last_error=None),
    )


async def _expand_one_by_one(
    session: AsyncSession, directory: Directory, now: datetime, retry: RetryPolicy, ids: list[int]
) -> int:
    """After a failed batch: isolate the bad intent(s); the others still go out now."""
    done = 0
    for ident in ids:
        stmt = (
            update(OUTBOX)
            .where(OUTBOX.c.id == ident, OUTBOX.c.status == OutboxStatus.PENDING.value)
            .values(status=OutboxStatus.SENDING.value, claimed_at=now, attempts=OUTBOX.c.attempts + 1)
            .returning(*OUTBOX.c)
        )
        rows = list((await run(session, stmt)).mappings())
        if not rows:
            await session.rollback()
            continue
        try:
            await _expand(session, directory, now, rows)
            await session.commit()
            done += 1
        except Exception as exc:
            await session.rollback()
            await _record(session, now, retry, [(rows[0]["id"], None, rows[0]["attempts"], _error_text(exc))])
            await session.commit()
    return done


async def release_interrupted(session: AsyncSession, now: datetime, retry: RetryPolicy) -> int:
    """Rows whose claim was not renewed within the lease: their deliverer died while sending them. The send
    may or may not have arrived, so they are sent again, with the same idempotency key (receivers drop a
    repeat) and the try they already used counted."""
    cutoff = now - timedelta(seconds=retry.lease_seconds)
    stale = (OUTBOX.c.status == OutboxStatus.SENDING.value) & (OUTBOX.c.claimed_at < cutoff)
    released = await run(
        session,
        update(OUTBOX)
        .where(stale)
        .values(
            status=OutboxStatus.PENDING.value,
            claim_token=None,
            next_attempt_at=now,
            last_error="interrupted while sending; sent again with the same idempotency key",
        ),
    )
    await session.commit()
    return int(released.rowcount or 0)


async def skip_channels(session: AsyncSession, channels: Iterable[Channel], reason: str) -> int:
    """Mark pending rows of channels this installation cannot deliver as skipped (visible, never stuck)."""
    wanted = [c.value for c in channels]
    if not wanted:
        return 0
    skipped = await run(
        session,
        update(OUTBOX)
        .where(OUTBOX.c.status == OutboxStatus.PENDING.value, OUTBOX.c.channel.in_(wanted))
        .values(status=OutboxStatus.SKIPPED.value, last_error=reason[:2000]),
    )
    await session.commit()
    return int(skipped.rowcount or 0)


async def renew_claim(session: AsyncSession, token: str, at: datetime) -> None:
    """A live deliverer's heartbeat: its claimed rows are still being sent."""
    await run(
        session,
        update(OUTBOX)
        .where(OUTBOX.c.claim_token == token, OUTBOX.c.status == OutboxStatus.SENDING.value)
        .values(claimed_at=at),
    )
    await session.commit()


async def claim(
    session: AsyncSession,
    now: datetime,
    limit: int,
    channels: Iterable[Channel] | None = None,
    paused: Iterable[str] = (),
) -> list[Message]:
    """Claim due deliveries and commit the claim; each message carries its subscription's signing secret."""
    token = uuid.uuid4().hex
    wanted = [c for c in (channels or Channel) if c is not Channel.FANOUT]
    rows = await _claim(session, now, limit, wanted, token, paused)
    secrets: dict[int, str | None] = {}
    sub_ids = {r["subscription_id"] for r in rows if r["subscription_id"] is not None}
    if sub_ids:
        found = await session.exec(
            select(SubscriptionRow.id, SubscriptionRow.secret).where(col(SubscriptionRow.id).in_(sub_ids))
        )
        secrets = {i: s for i, s in found if i is not None}
    await session.commit()
    return [
        Message(
            id=r["id"],
            channel=Channel(r["channel"]),
            topic=r["topic"],
            target=r["target"],
            subject=r["subject"],
            payload=dict(r["payload"] or {}),
            attempts=r["attempts"],
            secret=secrets.get(r["subscription_id"]) if r["subscription_id"] is not None else None,
            claim_token=token,
        )
        for r in rows
    ]


def _error_text(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return f"{type(exc).__name__}: {text}"[:2000] if not isinstance(exc, DeliveryError) else text[:2000]


async def _record(
    session: AsyncSession,
    now: datetime,
    retry: RetryPolicy,
    outcomes: Sequence[tuple[int, str | None, int, str | None]],
    paused_until: Mapping[int, datetime] | None = None,
) -> tuple[int, int, int]:
    """(id, claim token or None, attempts, error or None) -> rows updated as sent / to retry / failed.
    A row in `paused_until` was not sent (its receiver's circuit is open): pending again from that moment,
    its claim's try not counted."""
    sent, retrying, failed = [], [], []
    paused_until = paused_until or {}
    for ident, token, attempts, error in outcomes:
        key = {"b_id": ident, "b_token": token, "b_attempts": attempts}
        if ident in paused_until:
            retrying.append({**key, "b_attempts": attempts - 1, "b_error": error, "b_next": paused_until[ident]})
        elif error is None:
            sent.append(key)
        elif retry.gives_up(attempts):
            failed.append({**key, "b_error": error})
        else:
            retrying.append({**key, "b_error": error, "b_next": now + retry.delay(attempts)})
    token_param = bindparam("b_token", type_=String())
    owned = (OUTBOX.c.id == bindparam("b_id")) & ((OUTBOX.c.claim_token == token_param) | token_param.is_(None))
    attempts_param = bindparam("b_attempts", type_=Integer())
    conn = await session.connection()
    if sent:
        await conn.execute(
            update(OUTBOX)
            .where(owned)
            .values(
                status=OutboxStatus.SENT.value, sent_at=now, last_error=None, claim_token=None, attempts=attempts_param
            ),
            sent,
        )
    if retrying:
        await conn.execute(
            update(OUTBOX)
            .where(owned)
            .values(
                status=OutboxStatus.PENDING.value,
                last_error=bindparam("b_error"),
                next_attempt_at=bindparam("b_next"),
                claim_token=None,
                attempts=attempts_param,
            ),
            retrying,
        )
    if failed:
        await conn.execute(
            update(OUTBOX)
            .where(owned)
            .values(
                status=OutboxStatus.FAILED.value,
                last_error=bindparam("b_error"),
                claim_token=None,
                attempts=attempts_param,
            ),
            failed,
        )
    return len(sent), len(retrying), len(failed)


async def record_outcomes(
    session: AsyncSession,
    now: datetime,
    retry: RetryPolicy,
    outcomes: Sequence[tuple[Message, BaseException | None]],
    paused_until: Mapping[int, datetime] | None = None,
) -> tuple[int, int, int]:
    counts = await _record(
        session,
        now,
        retry,
        [(m.id, m.claim_token, m.attempts, None if e is None else _error_text(e)) for m, e in outcomes],
        paused_until,
    )
    await session.commit()
    return counts


class ReceiverPaused(Exception):
    """Not sent: the receiver's circuit opened (the row waits; its try is not counted)."""


CIRCUITS = table(ReceiverCircuitRow)


async def load_circuits(session: AsyncSession) -> dict[str, Circuit]:
    """Every receiver with failures or a pause on record."""
    found = await run(session, core_select(CIRCUITS))
    return {
        r["receiver"]: Circuit(r["receiver"], r["failures"], r["open_until"], r["last_error"]) for r in found.mappings()
    }


async def save_circuits(session: AsyncSession, circuits: Iterable[Circuit], now: datetime) -> None:
    """Write these circuits (insert or replace); the caller commits."""
    values = [
        {
            "receiver": c.receiver,
            "failures": c.failures,
            "open_until": c.open_until,
            "last_error": c.last_error,
            "updated_at": now,
        }
        for c in circuits
    ]
    if not values:
        return
    stmt = insert_for(session, CIRCUITS)
    stmt = stmt.on_conflict_do_update(
        index_elements=[CIRCUITS.c.receiver],
        set_={k: stmt.excluded[k] for k in ("failures", "open_until", "last_error", "updated_at")},
    )
    await run(session, stmt, values)


async def resume_receiver(session: AsyncSession, receiver: str, now: datetime) -> bool:
    """An operator resumes sends to a paused receiver at once; False when it has no circuit on record."""
    circuit = (await load_circuits(session)).get(receiver)
    if circuit is None:
        return False
    await save_circuits(session, [resumed(circuit)], now)
    await session.commit()
    return True


def receiver_of(message: Message) -> str:
    """Who receives a delivery, for the per-receiver limit: a webhook's or chat URL's scheme, host and port;
    the mail server for e-mail; the Prefect API for events."""
    if message.channel in (Channel.WEBHOOK, Channel.APPRISE):
        parts = urlsplit(message.target)
        return f"{parts.scheme}://{parts.netloc}" if parts.netloc else message.target
    return message.channel.value


async def deliver(
    session: AsyncSession,
    ref: Reference,
    now: datetime,
    send: Send,
    retry: RetryPolicy | None = None,
    limit: int = 200,
    concurrency: int = 16,
    channels: Iterable[Channel] | None = None,
    max_batches: int = 25,
    skip: Iterable[Channel] = (),
    per_receiver: int = 2,
    breaker: CircuitPolicy | None = None,
) -> DeliveryReport:
    """Drain the outbox: expand intents, release the claims of dead deliverers, mark rows of `skip` channels
    skipped, then claim, send and record up to `limit` * `max_batches` rows (the next run goes on).

    A claim is one round of `concurrency` sends, renewed while they run: when this process dies, only the
    rows in flight are held, and only for the lease; every row not yet tried stays pending for the next run.
    At most `per_receiver` sends go to one receiver at a time (a court system's webhook host, the SMTP server),
    so one court's backlog neither floods its endpoint nor takes every slot of the round. A receiver that
    fails `breaker.failures_to_open` sends in a row is paused for the cool-down (its rows wait without using
    up their retries), then probed one send at a time; `jiaodong sla circuits` shows it, `jiaodong sla resume`
    ends the pause at once.
    """
    retry = retry or RetryPolicy()
    report = DeliveryReport()
    report.expanded = await expand_fanouts(session, ref, now, retry)
    report.interrupted = await release_interrupted(session, now, retry)
    skip = list(skip)
    if skip:
        report.skipped = await skip_channels(session, skip, "no Prefect server configured; not sent")
    wanted = [c for c in (channels or Channel) if c not in skip]
    breaker = breaker or CircuitPolicy()
    circuits = await load_circuits(session)
    await session.commit()
    changed: set[str] = set()
    gate = asyncio.Semaphore(concurrency)
    receivers: dict[str, asyncio.Semaphore] = {}
    started = time.monotonic()

    def clock() -> datetime:
        return now + timedelta(seconds=time.monotonic() - started)

    def slots(receiver: str, at: datetime) -> asyncio.Semaphore:
        if receiver not in receivers:
            circuit = circuits.get(receiver)
            probing = circuit is not None and circuit.is_probing(at, breaker)
            receivers[receiver] = asyncio.Semaphore(1 if probing else per_receiver)  # a probe is one send
        return receivers[receiver]

    async def one(message: Message) -> tuple[Message, BaseException | None]:
        receiver = receiver_of(message)
        guarded = message.channel in BREAKER_CHANNELS
        async with slots(receiver, clock()), gate:
            if guarded and (circuit := circuits.get(receiver)) is not None and circuit.is_open(clock()):
                return message, ReceiverPaused(f"receiver paused until {circuit.open_until:%Y-%m-%d %H:%M} UTC")
            try:
                await send(message)
                error: BaseException | None = None
            except Exception as exc:  # any failure is recorded on the row, never raised past it
                error = exc
        if guarded:
            before = circuits.get(receiver, Circuit(receiver))
            after = after_send(before, None if error is None else _error_text(error), clock(), breaker)
            if after != before:
                circuits[receiver] = after
                changed.add(receiver)
                if after.is_open(clock()) and not before.is_open(clock()):
                    _log.warning(
                        "receiver %s paused until %s after %d failed sends", receiver, after.open_until, after.failures
                    )
        return message, error

    async def renewing(token: str, done: asyncio.Event) -> None:
        interval = max(0.05, retry.lease_seconds / 3)
        while not done.is_set():
            try:
                await asyncio.wait_for(done.wait(), interval)
            except TimeoutError:
                await renew_claim(session, token, now + timedelta(seconds=time.monotonic() - started))

    budget = limit * max_batches
    round_size = max(1, min(concurrency, limit))
    while report.claimed < budget:
        # Claimed "now" as this run's clock reads it: a long run's later claims are not born stale.
        current = clock()
        paused = [r for r, c in circuits.items() if c.is_open(current)]
        messages = await claim(session, current, min(round_size, budget - report.claimed), wanted, paused)
        report.claimed += len(messages)
        if not messages:
            break
        done = asyncio.Event()
        heartbeat = asyncio.create_task(renewing(messages[0].claim_token or "", done))
        try:
            outcomes = await asyncio.gather(*(one(m) for m in messages))
        finally:
            done.set()
            await heartbeat
        waiting = {
            m.id: circuits[receiver_of(m)].open_until or current for m, e in outcomes if isinstance(e, ReceiverPaused)
        }
        await save_circuits(session, [circuits[r] for r in changed], clock())
        changed.clear()
        sent, retrying, failed = await record_outcomes(session, now, retry, outcomes, waiting)
        report.paused += len(waiting)
        retrying -= len(waiting)
        report.sent += sent
        report.retrying += retrying
        report.failed += failed
        if len(messages) < round_size:
            break
    return report


async def requeue_failed(session: AsyncSession, now: datetime, channel: Channel | None = None) -> int:
    """Put every failed row (of one channel) back in the queue at once; returns how many."""
    condition = OUTBOX.c.status == OutboxStatus.FAILED.value
    if channel is not None:
        condition = condition & (OUTBOX.c.channel == channel.value)
    result = await run(
        session,
        update(OUTBOX)
        .where(condition)
        .values(status=OutboxStatus.PENDING.value, next_attempt_at=now, attempts=0, claim_token=None),
    )
    await session.commit()
    return int(result.rowcount or 0)


async def stuck_rows(session: AsyncSession, now: datetime, retry: RetryPolicy, limit: int = 100) -> list[OutboxRow]:
    """Rows claimed by a deliverer that has not renewed its claim within the lease (it died)."""
    cutoff = now - timedelta(seconds=retry.lease_seconds)
    stmt = (
        select(OutboxRow)
        .where(OutboxRow.status == OutboxStatus.SENDING.value, col(OutboxRow.claimed_at) < cutoff)
        .order_by(col(OutboxRow.id))
        .limit(limit)
    )
    return list(await session.exec(stmt))


# ---------------------------------------------------------------- administration and reading


async def requeue(session: AsyncSession, outbox_id: int, now: datetime) -> bool:
    """Put a failed row back in the queue (an administrator checked it was not received)."""
    result = await run(
        session,
        update(OUTBOX)
        .where(OUTBOX.c.id == outbox_id, OUTBOX.c.status == OutboxStatus.FAILED.value)
        .values(status=OutboxStatus.PENDING.value, next_attempt_at=now, attempts=0, claim_token=None),
    )
    await session.commit()
    return bool(result.rowcount)


async def rows_with_status(session: AsyncSession, status: OutboxStatus, limit: int = 100) -> list[OutboxRow]:
    stmt = select(OutboxRow).where(OutboxRow.status == status.value).order_by(col(OutboxRow.id).desc()).limit(limit)
    return list(await session.exec(stmt))


async def counts_by_status(session: AsyncSession) -> dict[str, int]:
    stmt = select(OutboxRow.status, func.count()).group_by(OutboxRow.status)
    return {s: int(n) for s, n in await session.exec(stmt)}


def _can_manage(actor: Actor, court_code: str, ref: Reference) -> bool:
    return UserRole.ADMIN in actor.roles or command_center_covers(actor, court_code, ref.city_of)


async def add_subscription(
    session: AsyncSession,
    ref: Reference,
    actor: Actor,
    now: datetime,
    *,
    court_code: str,
    channel: str,
    target: str,
    topics: Iterable[str] = (),
    secret: str | None = None,
) -> SubscriptionRow:
    """A court's e-mail address, webhook or chat URL (administrators, or the court's city command center)."""
    if not _can_manage(actor, court_code, ref):
        raise PermissionDenied("Only an administrator or the court's command center can add a subscription.")
    errors: list[FieldError] = []
    if ref.registry.find(court_code) is None:
        errors.append(FieldError("court_code", "法院代码不存在", f"Unknown court {court_code!r}."))
    if channel not in {c.value for c in SUBSCRIPTION_CHANNELS}:
        errors.append(FieldError("channel", "渠道应为email、webhook或apprise", "channel: email, webhook or apprise"))
    target = target.strip()
    if channel == Channel.EMAIL and "@" not in target:
        errors.append(FieldError("target", "请填写有效的电子邮件地址", "A valid e-mail address is required."))
    if channel == Channel.WEBHOOK:
        if not target.startswith(("https://", "http://")):
            errors.append(FieldError("target", "Webhook地址应以http(s)://开头", "The webhook URL must be http(s)."))
        if not secret or len(secret) < 16:
            errors.append(FieldError("secret", "签名密钥至少16位", "A signing secret of 16+ characters is required."))
    if not target or len(target) > 500:
        errors.append(FieldError("target", "地址不能为空且不超过500字", "target: 1 to 500 characters"))
    known = {t.value for t in Topic}
    wanted = sorted(set(topics))
    if any(t not in known for t in wanted):
        errors.append(FieldError("topics", f"主题应为{sorted(known)}", f"topics must be among {sorted(known)}"))
    if errors:
        raise ValidationFailed(errors)
    row = SubscriptionRow(
        court_code=court_code,
        channel=channel,
        target=target,
        secret=secret,
        topics=wanted,
        created_at=now,
        created_by=actor.username,
    )
    session.add(row)
    await session.commit()
    return row
