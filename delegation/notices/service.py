"""Notices in the database: numbering, storing with their timeline events and notifications, issuing by
hand (command centers) and acknowledging a 督办 (the court holding the ball, with a reply).

Numbers come from notice_counter with one upsert per (issuing court, kind, year) group, in the transaction
that stores the notices: no gaps, no duplicates, on SQLite and PostgreSQL; the unique (issuing_court, kind,
year, seq) on notice is the backstop.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, tuple_, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from delegation.core import clocks
from delegation.core.access import Actor, Parties, UserRole, can_view, command_center_covers
from delegation.core.errors import Conflict, FieldError, NotFound, PermissionDenied, ValidationFailed
from delegation.core.reference import Reference
from delegation.core.states import Stage
from delegation.notices import model as notices
from delegation.notices.model import NoticeDraft, NoticeKind, Subject
from delegation.outbox.intents import acknowledgement_intent, notice_intent, supervision_draft_intent
from delegation.outbox.model import iso
from delegation.outbox.service import enqueue, fanout
from delegation.outbox.texts import Pattern
from delegation.reading import cursors
from delegation.statistics import service as statistics_service
from delegation.store import repository, rows
from delegation.store.sql import Inserts, append_rows, insert_for, insert_returning_ids, run, table
from delegation.store.tables import (
    ClockRow,
    DelegationRow,
    NoticeCounterRow,
    NoticeRow,
    SupervisionDraftRow,
    clock_from_row,
)

NOTICE = table(NoticeRow)
COUNTER = table(NoticeCounterRow)
DRAFT = table(SupervisionDraftRow)


async def allocate_numbers(session: AsyncSession, drafts: Sequence[NoticeDraft]) -> None:
    """Give every numbered draft its sequence number (in place). Groups are taken in a fixed order so
    that two concurrent writers lock counter rows in the same order and cannot deadlock."""
    groups: dict[tuple[str, str, int], list[NoticeDraft]] = defaultdict(list)
    for d in drafts:
        if notices.is_numbered(d.kind):
            groups[(d.numbering_group, d.kind.value, d.year)].append(d)
    for (city, kind, year), members in sorted(groups.items()):
        values = insert_for(session, COUNTER).values(city=city, kind=kind, year=year, last_seq=len(members))
        upsert = values.on_conflict_do_update(
            index_elements=[COUNTER.c.city, COUNTER.c.kind, COUNTER.c.year],
            set_={"last_seq": COUNTER.c.last_seq + values.excluded.last_seq},
        ).returning(COUNTER.c.last_seq)
        last = int((await run(session, upsert)).scalar_one())
        for i, d in enumerate(members):
            d.seq = last - len(members) + 1 + i


def _event(d: NoticeDraft, notice_id: int, title: str, actor_court: str | None, role: str) -> rows.Event:
    s = d.subject
    return rows.Event(
        delegation_id=s.delegation_id,
        kind="notice",
        action=f"notice_{d.kind.value}",
        from_status=s.status,
        to_status=s.status,
        actor=d.issued_by,
        actor_court=actor_court,
        actor_role=role,
        at=d.issued_at,
        comment=title[:4000],
        data={
            "notice_id": notice_id,
            "notice_kind": d.kind.value,
            "notice_number": d.number_text,
            "rung": d.rung.value if d.rung else None,
            "clock_id": s.clock_id,
            "stage": s.stage.value,
            "to_court": s.holder,
            "cc_court": d.cc_court,
            "issuing_court": d.issuing_court,
            "reply_by": d.reply_by.isoformat() if d.reply_by else None,
            "due_at": iso(s.due.at) if s.due else None,
            "working_days_overdue": d.working_days_overdue,
            "requires_ack": d.requires_ack,
        },
    )


async def store_notices(
    session: AsyncSession,
    ref: Reference,
    drafts: Sequence[NoticeDraft],
    *,
    actor_court: str | None = None,
    actor_role: str = "system",
    ids: Sequence[int] | None = None,
) -> list[int]:
    """Number, store, add to each delegation's timeline and queue their notifications (one outbox row
    each, expanded into inbox rows and deliveries by deliver-notifications); in the caller's transaction.
    `ids`: the notices' ids, drawn from their sequence beforehand (the sweep's claim): the notices, their
    timeline rows and their outbox rows are then appended by COPY on PostgreSQL."""
    if not drafts:
        return []
    await allocate_numbers(session, drafts)
    patterns: dict[Any, Pattern] = {}  # notices alike but for their numbers share one rendering
    rendered = [(d.title(ref), d.body(ref, patterns)) for d in drafts]
    values = [
        {
            "delegation_id": d.subject.delegation_id,
            "clock_id": d.subject.clock_id,
            "rung": d.rung.value if d.rung else None,
            "kind": d.kind.value,
            "number": d.number_text,
            "city": d.city,
            "year": d.year,
            "seq": d.seq,
            "to_court": d.subject.holder,
            "cc_court": d.cc_court,
            "issuing_court": d.issuing_court,
            "reply_by": notices.reply_deadline_at(d.reply_by) if d.reply_by else None,
            "stage": d.subject.stage.value,
            "due_at": d.subject.due.at if d.subject.due else None,
            "working_days_overdue": d.working_days_overdue,
            "issued_by": d.issued_by,
            "issued_at": d.issued_at,
            "title": title,
            "body": body,
            "requires_ack": d.requires_ack,
            "acknowledged_at": None,
            "acknowledged_by": None,
            "ack_reply": None,
            "ack_seconds": None,
        }
        for d, (title, body) in zip(drafts, rendered, strict=True)
    ]
    if ids is None:
        ids = await insert_returning_ids(session, NOTICE, values)
    else:
        for value, given in zip(values, ids, strict=True):
            value["id"] = given
    events = [
        _event(d, i, title, actor_court, actor_role) for d, i, (title, _) in zip(drafts, ids, rendered, strict=True)
    ]
    routes: dict[Any, Any] = {}  # notices of one kind between the same courts go to the same audiences
    intents = [
        notice_intent(ref, d, i, title, routes=routes) for d, i, (title, _) in zip(drafts, ids, rendered, strict=True)
    ]
    event_rows = [e.values() for e in events]
    outbox_rows = [fanout(i, drafts[0].issued_at).values() for i in intents]
    if "id" in values[0]:
        await append_rows(session, [(NOTICE, values), (rows.EVENT, event_rows), (rows.OUTBOX, outbox_rows)])
        return list(ids)
    appended = Inserts()  # the timeline rows and the outbox rows in one statement on PostgreSQL
    appended.add(rows.EVENT, event_rows)
    appended.add(rows.OUTBOX, outbox_rows)
    await appended.write(session)
    return list(ids)


async def prepare_supervision_drafts(session: AsyncSession, ref: Reference, drafts: Sequence[NoticeDraft]) -> list[int]:
    """Keep 督办 the sweep would issue as drafts for the superior court to issue (policy: not auto-issued):
    a draft row, a timeline event and a notification to the issuing court's command center; unnumbered."""
    if not drafts:
        return []
    values = [
        {
            "delegation_id": d.subject.delegation_id,
            "clock_id": d.subject.clock_id or 0,
            "issuing_court": d.issuing_court or "",
            "to_court": d.subject.holder,
            "created_at": d.issued_at,
        }
        for d in drafts
    ]
    ids = await insert_returning_ids(session, DRAFT, values)  # one statement, not a flush per draft
    events = [
        rows.Event(
            delegation_id=d.subject.delegation_id,
            kind="notice",
            action="supervise_drafted",
            from_status=d.subject.status,
            to_status=d.subject.status,
            actor="system",
            actor_court=None,
            actor_role="system",
            at=d.issued_at,
            comment=f"督办通知草稿待{d.issuer_name}签发"[:4000],
            data={"draft_id": i, "issuing_court": d.issuing_court, "to_court": d.subject.holder},
        )
        for d, i in zip(drafts, ids, strict=True)
    ]
    intents = [supervision_draft_intent(ref, d, i) for d, i in zip(drafts, ids, strict=True)]
    appended = Inserts()  # the timeline rows and the outbox rows in one statement on PostgreSQL
    appended.add(rows.EVENT, [e.values() for e in events])
    appended.add(rows.OUTBOX, [fanout(i, drafts[0].issued_at).values() for i in intents])
    await appended.write(session)
    return ids


async def pending_supervision_drafts(
    session: AsyncSession,
    ref: Reference,
    actor: Actor,
    limit: int = 100,
    city: str | None = None,
    after: tuple[datetime, int] | None = None,
) -> list[tuple[SupervisionDraftRow, DelegationRow]]:
    """The drafts this user may issue (notices.may_supervise), oldest first: those of the courts it issues
    for, read by ix_supervision_draft_pending rather than every court's drafts (on every dashboard); with
    `city`, only those to that city's courts (the coordinator's dashboard of one city); with `after`, those
    after that key (created_at, id) of a draft (the next page)."""
    courts = ref.registry.courts(include_retired=True)
    issuers = sorted(c.code for c in courts if notices.may_supervise(ref, actor, c.code))
    if not issuers:
        return []
    conditions: list[ColumnElement[bool]] = [
        col(SupervisionDraftRow.issuing_court).in_(issuers),
        col(SupervisionDraftRow.issued_notice_id).is_(None),
        col(SupervisionDraftRow.discarded_at).is_(None),
    ]
    if city is not None:
        conditions.append(col(SupervisionDraftRow.to_court).in_([c.code for c in courts if c.city == city]))
    if after is not None:
        keys = (col(SupervisionDraftRow.created_at), col(SupervisionDraftRow.id))
        conditions.append(tuple_(*keys) > tuple_(*after))
    stmt = (
        select(SupervisionDraftRow, DelegationRow)
        .join(DelegationRow, col(DelegationRow.id) == col(SupervisionDraftRow.delegation_id))
        .where(*conditions)
        .order_by(col(SupervisionDraftRow.created_at), col(SupervisionDraftRow.id))
        .limit(limit)
    )
    return [(d, r) for d, r in (await session.exec(stmt)).all()]


# A page of drafts continues after the key (created_at, id) of the last one (delegation.reading.cursors).
DRAFT_CURSOR_PATTERN = cursors.pattern("d")


@dataclass(frozen=True)
class DraftPage:
    items: list[tuple[SupervisionDraftRow, DelegationRow]]
    next_cursor: str | None


async def supervision_drafts_page(
    session: AsyncSession,
    ref: Reference,
    actor: Actor,
    *,
    city: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> DraftPage:
    """One page of pending_supervision_drafts, from a cursor (None: the first page), for court systems."""
    after = None
    if cursor:
        try:
            _tag, at, ident = cursors.decode("d", cursor)
        except ValueError:
            raise ValidationFailed(
                [FieldError("cursor", "分页游标无效", "Invalid cursor; pass next_cursor as given.")]
            ) from None
        after = (at, ident)
    found = await pending_supervision_drafts(session, ref, actor, limit + 1, city, after)
    items = found[:limit]
    more = len(found) > limit
    last = items[-1][0] if items else None
    return DraftPage(items, cursors.encode("d", last.created_at, last.id or 0) if more and last else None)


async def issue_supervision_drafts(
    session: AsyncSession,
    ref: Reference,
    actor: Actor,
    now: datetime,
    draft_ids: Sequence[int],
    *,
    confirm_repeat: bool = False,
) -> tuple[list[NoticeRow], int]:
    """Issue prepared 督办 in the issuing court's name, one or a batch, in one transaction: each numbered,
    stated with the deadline it sets as of today, sent and copied to the requesting court. A draft whose
    clock has ended meanwhile is discarded instead. As for a 督办 by hand, one on a matter that had a 督办
    within the policy's interval is refused, naming the earlier one, unless `confirm_repeat`. Returns the
    notices and how many were discarded."""
    if not draft_ids:
        raise ValidationFailed([FieldError("draft_ids", "请选择要签发的督办", "Choose the drafts to issue.")])
    stmt = (
        select(SupervisionDraftRow, DelegationRow)
        .join(DelegationRow, col(DelegationRow.id) == col(SupervisionDraftRow.delegation_id))
        .where(col(SupervisionDraftRow.id).in_(sorted(set(draft_ids))))
    )
    found = list(await session.exec(stmt.order_by(col(SupervisionDraftRow.id))))
    # A draft on a matter the user may not see is one that does not exist for them.
    visible = [
        (draft, row)
        for draft, row in found
        if can_view(actor, Parties(row.requesting_court, row.assisting_court), ref.city_of)
    ]
    if len(visible) != len(set(draft_ids)):
        raise NotFound("Supervision draft not found.", title_zh="找不到该督办草稿")
    chosen = [draft for draft, _row in visible]
    matters = {row.id: row for _draft, row in visible}
    for draft in chosen:
        if not notices.may_supervise(ref, actor, draft.issuing_court):
            raise PermissionDenied(
                "Only the issuing court's command center (the regional coordinator for the high court) issues it.",
                title_zh=f"督办以{notices.court_name(ref, draft.issuing_court)}名义发出，须由其执行指挥中心签发",
            )
        if draft.issued_notice_id is not None or draft.discarded_at is not None:
            raise Conflict("This draft was issued or discarded already.", title_zh="该督办草稿已签发或已作废")
    prepared: list[tuple[SupervisionDraftRow, NoticeDraft]] = []
    discarded = 0
    for draft in chosen:
        row = matters[draft.delegation_id]
        clock_row = await session.get(ClockRow, draft.clock_id)
        if clock_row is None or clock_row.closed_at is not None or clock_row.paused:
            draft.discarded_at = now
            session.add(draft)
            discarded += 1
            continue
        if not confirm_repeat:
            try:
                await _refuse_repeat(session, ref, row, now)
            except ValidationFailed as exc:  # name the matter: a batch holds several
                named = [
                    FieldError(e.field, f"{row.number}：{e.message_zh}", f"{row.number}: {e.message_en}")
                    for e in exc.errors
                ]
                raise ValidationFailed(named) from None
        [(_, stops, fired)] = [c for c in await repository.clocks_of(session, row.id or 0) if c[0].id == clock_row.id]
        due = clocks.due(clock_from_row(clock_row, stops, fired), ref.calendar)
        prepared.append(
            (
                draft,
                notices.draft(
                    ref,
                    NoticeKind.SUPERVISE,
                    subject_of(row, clock_row, due),
                    now,
                    rung=clocks.Rung.SUPERVISE,
                    issued_by=actor.username,
                    requires_ack=ref.policies.get(row.policy_version).rungs.supervise_requires_acknowledgement,
                ),
            )
        )
    role = "regional" if UserRole.REGIONAL_COORDINATOR in actor.roles else "command_center"
    ids = await store_notices(session, ref, [d for _, d in prepared], actor_court=actor.court_code, actor_role=role)
    for (draft, _d), notice_id in zip(prepared, ids, strict=True):
        draft.issued_notice_id, draft.issued_by, draft.issued_at = notice_id, actor.username, now
        session.add(draft)
    await session.flush()
    await statistics_service.refresh(session, ref, sorted({d.delegation_id for d, _ in prepared}), now)
    await session.commit()
    issued = [n for n in [await session.get(NoticeRow, i) for i in ids] if n is not None]
    return issued, discarded


def subject_of(row: DelegationRow, clock: ClockRow, due: clocks.Due | None) -> Subject:
    return Subject(
        delegation_id=row.id or 0,
        number=row.number,
        case_number=row.case_number,
        matter_type=row.matter_type,
        policy_version=row.policy_version,
        status=row.status,
        requesting_court=row.requesting_court,
        assisting_court=row.assisting_court,
        clock_id=clock.id,
        stage=Stage(clock.stage),
        holder=clock.court_code,
        due=due,
    )


async def issue_notice(
    session: AsyncSession,
    ref: Reference,
    actor: Actor,
    now: datetime,
    delegation_id: int,
    kind: str,
    comment: str = "",
    *,
    confirm_repeat: bool = False,
) -> NoticeRow:
    """A 催办 (the city's command center) or a 督办 (the superior of the court holding the matter: its
    command center, or the regional coordinator for the 山东省高级人民法院) by hand. A 督办 within the
    policy's interval of an earlier one on the same matter is refused with that earlier one named,
    unless ``confirm_repeat``."""
    try:
        wanted = NoticeKind(kind)
    except ValueError:
        wanted = None
    if wanted not in notices.MANUAL_KINDS:
        raise ValidationFailed([FieldError("kind", "通知类型应为催办或督办", "kind must be 'urge' or 'supervise'")])
    assert wanted is not None
    row = await repository.get_delegation(session, delegation_id)
    if row is None or not can_view(actor, Parties(row.requesting_court, row.assisting_court), ref.city_of):
        raise NotFound(f"Delegation {delegation_id} not found.")
    running = [
        (c, stops, fired)
        for c, stops, fired in await repository.clocks_of(session, delegation_id)
        if c.closed_at is None and not c.paused
    ]
    if not running:
        raise ValidationFailed(
            [FieldError("delegation", "该委托当前没有正在计时的办理期限", "No clock is running on this delegation.")]
        )
    clock_row, stops, fired = running[0]
    comment = comment.strip()
    if len(comment) > 1000:
        raise ValidationFailed([FieldError("comment", "说明过长（最多1000字）", "comment: at most 1000 characters")])
    if wanted is NoticeKind.SUPERVISE:
        issuer_court = notices.supervising_court(ref, clock_row.court_code)
        if issuer_court is None or not notices.may_supervise(ref, actor, issuer_court):
            raise PermissionDenied(
                "Only the superior court of the court holding the matter can supervise it "
                "(its command center; the regional coordinator for the Shandong High Court).",
                title_zh=f"督办由{notices.court_name(ref, issuer_court)}（被督办法院的上级法院）发出",
            )
        if not confirm_repeat:
            await _refuse_repeat(session, ref, row, now)
    elif not command_center_covers(actor, clock_row.court_code, ref.city_of):
        raise PermissionDenied(
            "Only the command center of the court holding the matter (or the regional coordinator) can do this.",
            title_zh="只有承办法院所在市的执行指挥中心可以催办",
        )
    due = clocks.due(clock_from_row(clock_row, stops, fired), ref.calendar)
    issuer = ""
    if wanted is NoticeKind.URGE:
        center = notices.command_center_of(ref, clock_row.court_code)
        issuer = (
            f"{notices.court_name(ref, center)}执行指挥中心"
            if UserRole.REGIONAL_COORDINATOR not in actor.roles
            else "胶东五市执行协调"
        )
    d = notices.draft(
        ref,
        wanted,
        subject_of(row, clock_row, due),
        now,
        rung=None,
        issued_by=actor.username,
        issuer_name=issuer,
        comment=comment,
    )
    role = "regional" if UserRole.REGIONAL_COORDINATOR in actor.roles else "command_center"
    [notice_id] = await store_notices(session, ref, [d], actor_court=actor.court_code, actor_role=role)
    await statistics_service.refresh(session, ref, [delegation_id], now)
    await session.commit()
    notice = await session.get(NoticeRow, notice_id)
    assert notice is not None
    return notice


async def _refuse_repeat(session: AsyncSession, ref: Reference, row: DelegationRow, now: datetime) -> None:
    """督办 on the same matter within the policy's interval: refused, naming the earlier one."""
    interval = ref.policies.get(row.policy_version).rungs.supervise_repeat_working_days
    if interval <= 0:
        return
    stmt = (
        select(NoticeRow)
        .where(NoticeRow.delegation_id == (row.id or 0), NoticeRow.kind == NoticeKind.SUPERVISE.value)
        .order_by(col(NoticeRow.issued_at).desc())
        .limit(1)
    )
    earlier = (await session.exec(stmt)).first()
    if earlier is None:
        return
    since = ref.calendar.working_days_between(clocks.local_day(earlier.issued_at), clocks.local_day(now))
    if since >= interval:
        return
    day = notices.day_text(clocks.local_day(earlier.issued_at))
    label = earlier.number or "督办通知"
    raise ValidationFailed(
        [
            FieldError(
                "confirm_repeat",
                f"本事项已于{day}发出督办 {label}（{interval}个工作日内）；如确需再次督办，请勾选确认",
                f"A 督办 ({label}) was issued on this matter on {day}, within {interval} working days; "
                "confirm to issue another.",
            )
        ]
    )


async def acknowledge_notice(
    session: AsyncSession, ref: Reference, actor: Actor, now: datetime, notice_id: int, reply: str
) -> NoticeRow:
    """The court a 督办 is addressed to signs for it with a written reply; the time taken is recorded."""
    notice = await session.get(NoticeRow, notice_id)
    row = await repository.get_delegation(session, notice.delegation_id) if notice else None
    if (
        notice is None
        or row is None
        or not can_view(actor, Parties(row.requesting_court, row.assisting_court), ref.city_of)
    ):
        raise NotFound(f"Notice {notice_id} not found.")
    if not notices.may_acknowledge(actor, notice.to_court):
        raise PermissionDenied(
            "Only the court the notice is addressed to can acknowledge it.", title_zh="只有被督办的法院可以签收督办通知"
        )
    if not notice.requires_ack:
        raise ValidationFailed([FieldError("notice", "该通知无需签收", "This notice needs no acknowledgement.")])
    reply = reply.strip()
    if not reply or len(reply) > 2000:
        raise ValidationFailed([FieldError("reply", "请填写回复（最多2000字）", "A reply of 1 to 2000 characters.")])
    seconds = max(0, int((now - notice.issued_at).total_seconds()))
    result = await run(
        session,
        update(NOTICE)
        .where(NOTICE.c.id == notice_id, NOTICE.c.acknowledged_at.is_(None))
        .values(acknowledged_at=now, acknowledged_by=actor.username, ack_reply=reply, ack_seconds=seconds),
    )
    if result.rowcount != 1:
        label = notice.number or str(notice_id)
        await session.rollback()
        raise Conflict(f"Notice {label} is already acknowledged.", title_zh="该督办已签收")
    roles = {UserRole.ASSISTING_CLERK: "assisting", UserRole.REQUESTING_OFFICER: "requester"}
    await rows.insert_events(
        session,
        [
            rows.Event(
                delegation_id=row.id or 0,
                kind="notice",
                action="acknowledge_notice",
                from_status=row.status,
                to_status=row.status,
                actor=actor.username,
                actor_court=actor.court_code,
                actor_role=",".join(sorted(v for k, v in roles.items() if k in actor.roles)),
                at=now,
                comment=reply[:4000],
                data={"notice_id": notice_id, "notice_number": notice.number, "ack_seconds": seconds},
            )
        ],
    )
    enqueue(
        session,
        acknowledgement_intent(
            ref,
            delegation_id=row.id or 0,
            number=row.number,
            status=row.status,
            notice_id=notice_id,
            notice_number=notice.number,
            to_court=notice.to_court,
            cc_court=notice.cc_court,
            at=now,
            seconds=seconds,
            reply=reply,
        ),
        now,
    )
    await session.flush()
    await statistics_service.refresh(session, ref, [row.id or 0], now)
    await session.commit()
    await session.refresh(notice)
    return notice


async def notices_of(session: AsyncSession, ref: Reference, actor: Actor, delegation_id: int) -> list[NoticeRow]:
    row = await repository.get_delegation(session, delegation_id)
    if row is None or not can_view(actor, Parties(row.requesting_court, row.assisting_court), ref.city_of):
        raise NotFound(f"Delegation {delegation_id} not found.")
    stmt = select(NoticeRow).where(NoticeRow.delegation_id == delegation_id).order_by(col(NoticeRow.id))
    return list(await session.exec(stmt))
