"""网络查控 services: connectors, jobs and per-asset queries; every change of the matter goes through
handling.service.perform as the network actor of the assisting court, so clocks, events, notices, the
outbox and the statistics behave as for a matter handled by hand.

A job is one round of network handling of one matter. Its life:
  queued (auto: a new matter for a court whose connector signs for itself; clerk: 网络办理 clicked)
  -> running (a flow run holds it under a lease; a dead run's lease expires and another run takes it over)
  -> done (results, 回执 and 办结 recorded) | handed_back (the reason is on the timeline; a clerk goes on).
Queries are planned once per asset (unique per job and asset); their request ids are deterministic, so a
resent request is the same request for the registry, and an answer is recorded once (first answer wins).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import and_, case, func, or_, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from delegation.accounts.auth import NotAuthenticated
from delegation.catalogue.policy import PolicyVersion
from delegation.core.access import NETWORK_USERNAME, Actor, Parties, UserRole, acting_roles
from delegation.core.clocks import local_day
from delegation.core.errors import Conflict, FieldError, NotFound, PermissionDenied, ValidationFailed
from delegation.core.reference import Reference
from delegation.core.states import Action, Role, Status
from delegation.filing.documents import Upload, upload
from delegation.handling import commands
from delegation.handling.service import perform
from delegation.network.model import (
    ACTION_LABELS,
    FINAL_CODES,
    MATTER_ROUTES,
    REGISTRY_LABELS,
    SHANGHAI,
    AnswerCode,
    AssetAnswer,
    AssetRequest,
    BusinessHours,
    ConnectorConfig,
    ControlAction,
    DocumentRef,
    MatterRef,
    RegistryKind,
    assets_of,
    handling_mode,
    result_of,
    route_of,
)
from delegation.network.receipt import ReceiptLine, pdf, receipt_lines
from delegation.statistics import service as statistics_service
from delegation.statistics.model import NetworkFigures
from delegation.store import repository, rows
from delegation.store.blobs import BlobStore
from delegation.store.context import Context
from delegation.store.sql import insert_ignoring, one_of, run, table
from delegation.store.tables import (
    AccessLogRow,
    ConnectorRow,
    DelegationRow,
    NetworkJobRow,
    NetworkQueryRow,
)

NETWORK_USER = NETWORK_USERNAME
NETWORK_HANDLER = "网络查控"
RECEIPT_KIND = "receipt"
LEGAL_DOCUMENTS = ("letter_of_delegation", "enforcement_ruling", "assistance_notice")
HELD = ("running", "recorded")  # a flow run holds the job (recorded: results written, 办结 next)
OPEN_JOB = ("queued", *HELD)


def network_actor(court_code: str) -> Actor:
    """The system acting for the assisting court: a clerk of that court, for that court's matters only."""
    return Actor(NETWORK_USER, court_code, frozenset({UserRole.ASSISTING_CLERK}), NETWORK_HANDLER)


# ---------------------------------------------------------------- secrets


class SecretUnavailable(Exception):
    pass


def resolve_secret(ref: str) -> str:
    """env:NAME -> the variable's value; file:/path -> the file's first line. Never logged, never stored."""
    kind, _, where = ref.partition(":")
    if kind == "env":
        value = os.environ.get(where, "")
    elif kind == "file":
        try:
            value = Path(where).read_text(encoding="utf-8").strip().splitlines()[0]
        except (OSError, IndexError):
            value = ""
    else:
        value = ""
    if len(value) < 16:
        raise SecretUnavailable(f"the connector's secret {ref} is missing or shorter than 16 characters")
    return value


# ---------------------------------------------------------------- connectors


def config_of(row: ConnectorRow) -> ConnectorConfig:
    return ConnectorConfig(
        scope=row.scope,
        registry=RegistryKind(row.registry_kind),
        name=row.name,
        matter_types=tuple(row.matter_types),
        endpoint=row.endpoint,
        secret_ref=row.secret_ref,
        rate_per_minute=row.rate_per_minute,
        max_in_flight=row.max_in_flight,
        answer_timeout_seconds=row.answer_timeout_seconds,
        request_timeout_seconds=row.request_timeout_seconds,
        business_hours=BusinessHours.model_validate(row.business_hours or {}),
        auto_accept=row.auto_accept,
        active=row.active,
    )


def _require_admin(actor: Actor) -> None:
    if UserRole.ADMIN not in actor.roles and UserRole.SYSTEM not in actor.roles:
        raise PermissionDenied(
            "Only an administrator configures registry connectors.", title_zh="只有管理员可以配置查控接口"
        )


async def list_connectors(session: AsyncSession) -> list[ConnectorRow]:
    found = await session.exec(select(ConnectorRow).order_by(col(ConnectorRow.scope), col(ConnectorRow.registry_kind)))
    return list(found)


async def get_connector(session: AsyncSession, connector_id: int) -> ConnectorRow:
    row = await session.get(ConnectorRow, connector_id)
    if row is None:
        raise NotFound(f"Connector {connector_id} not found.")
    return row


async def save_connector(ctx: Context, config: ConnectorConfig) -> ConnectorRow:
    """Create or replace the connector of (scope, registry)."""
    _require_admin(ctx.actor)
    if ctx.ref.registry.find(config.scope) is None:
        raise ValidationFailed([FieldError("scope", "适用范围不是已知的法院", "scope is not a known court")])
    found = await ctx.session.exec(
        select(ConnectorRow).where(
            ConnectorRow.scope == config.scope, ConnectorRow.registry_kind == config.registry.value
        )
    )
    row = found.first()
    values: dict[str, Any] = {
        "name": config.name,
        "matter_types": list(config.matter_types),
        "endpoint": config.endpoint,
        "secret_ref": config.secret_ref,
        "rate_per_minute": config.rate_per_minute,
        "max_in_flight": config.max_in_flight,
        "answer_timeout_seconds": config.answer_timeout_seconds,
        "request_timeout_seconds": config.request_timeout_seconds,
        "business_hours": config.business_hours.model_dump(),
        "auto_accept": config.auto_accept,
        "active": config.active,
        "updated_at": ctx.now,
        "updated_by": ctx.actor.username,
    }
    if row is None:
        row = ConnectorRow(
            scope=config.scope,
            registry_kind=config.registry.value,
            created_at=ctx.now,
            created_by=ctx.actor.username,
            **values,
        )
    else:
        for name, value in values.items():
            setattr(row, name, value)
    ctx.session.add(row)
    await ctx.session.commit()
    await ctx.session.refresh(row)
    return row


async def set_active(ctx: Context, connector_id: int, active: bool) -> ConnectorRow:
    _require_admin(ctx.actor)
    row = await get_connector(ctx.session, connector_id)
    row.active, row.updated_at, row.updated_by = active, ctx.now, ctx.actor.username
    ctx.session.add(row)
    await ctx.session.commit()
    await ctx.session.refresh(row)
    return row


def connector_for(connectors: Sequence[ConnectorRow], court_code: str, matter_type: str) -> ConnectorRow | None:
    """The court's own connector first, else its city's; None when the matter cannot go by network."""
    matching = [c for c in connectors if config_of(c).covers(court_code, matter_type)]
    return min(matching, key=lambda c: (c.scope != court_code, c.id or 0), default=None)


# ---------------------------------------------------------------- jobs


@dataclass(frozen=True)
class Job:
    """What a flow run needs of a job, read in one go (rows would expire between transactions)."""

    id: int
    delegation_id: int
    round: int
    number: str
    assisting_court: str
    registry: RegistryKind
    action: ControlAction
    connector: ConnectorConfig
    connector_id: int
    status: str


async def _job(session: AsyncSession, job_id: int) -> Job:
    job = await session.get(NetworkJobRow, job_id)
    if job is None:
        raise NotFound(f"Network job {job_id} not found.")
    matter = await repository.get_delegation(session, job.delegation_id)
    connector = await session.get(ConnectorRow, job.connector_id)
    assert matter is not None and connector is not None
    return Job(
        id=job_id,
        delegation_id=job.delegation_id,
        round=job.round,
        number=matter.number,
        assisting_court=matter.assisting_court,
        registry=RegistryKind(job.registry_kind),
        action=ControlAction(job.action),
        connector=config_of(connector),
        connector_id=connector.id or 0,
        status=job.status,
    )


async def load_job(session: AsyncSession, job_id: int) -> Job:
    job = await _job(session, job_id)
    await session.rollback()
    return job


async def _next_round(session: AsyncSession, delegation_id: int) -> int:
    found = await session.exec(select(NetworkJobRow.round).where(NetworkJobRow.delegation_id == delegation_id))
    return max(found, default=0) + 1


async def queue_new_matters(session: AsyncSession, now: datetime, limit: int = 200) -> int:
    """Queue a job for each submitted matter that an auto-accepting connector covers, if the matter was
    submitted after the connector was set up (older matters stay with the clerks as they were)."""
    connectors = [c for c in await list_connectors(session) if c.active and c.auto_accept]
    if not connectors:
        return 0
    types = sorted({t for c in connectors for t in c.matter_types})
    jobs = table(NetworkJobRow)
    taken = select(jobs.c.delegation_id)
    found = await session.exec(
        select(DelegationRow)
        .where(
            DelegationRow.status == Status.SUBMITTED.value,
            col(DelegationRow.matter_type).in_(types),
            col(DelegationRow.id).not_in(taken),
        )
        .order_by(col(DelegationRow.id))
        .limit(limit)
    )
    values = []
    for matter in found:
        connector = connector_for(connectors, matter.assisting_court, matter.matter_type)
        route = route_of(matter.matter_type)
        if (
            connector is None
            or route is None
            or matter.submitted_at is None
            or matter.submitted_at < connector.created_at
        ):
            continue
        values.append(
            {
                "delegation_id": matter.id,
                "round": 1,
                "connector_id": connector.id,
                "registry_kind": route[0].value,
                "action": route[1].value,
                "trigger": "auto",
                "requested_by": NETWORK_USER,
                "status": "queued",
                "reason": "",
                "created_at": now,
            }
        )
    if values:
        await run(session, insert_ignoring(session, jobs, [jobs.c.delegation_id, jobs.c.round]), values)
    await session.commit()
    return len(values)


async def request_by_clerk(ctx: Context, delegation_id: int) -> int:
    """网络办理: a clerk of the assisting court hands the matter to its registry connector (one click). On a
    matter not yet signed for, the click is the court's acceptance: the flow signs for it as the network."""
    session, actor = ctx.session, ctx.actor
    matter = await repository.get_delegation(session, delegation_id)
    if matter is None:
        raise NotFound(f"Delegation {delegation_id} not found.")
    roles = acting_roles(actor, Parties(matter.requesting_court, matter.assisting_court), ctx.ref.city_of)
    if Role.ASSISTING not in roles:
        raise PermissionDenied(
            "Only the assisting court hands a matter to its registry connector.", title_zh="只有受托法院可以网络办理"
        )
    if matter.status not in (Status.SUBMITTED, Status.ACCEPTED, Status.IN_PROGRESS):
        raise Conflict("The matter is not open for handling.", title_zh="该委托当前不能网络办理")
    route = route_of(matter.matter_type)
    connector = connector_for(await list_connectors(session), matter.assisting_court, matter.matter_type)
    if route is None or connector is None:
        raise ValidationFailed(
            [
                FieldError(
                    "matter_type",
                    "本院没有可办理该事项的查控接口",
                    "No registry connector of this court handles this matter.",
                )
            ]
        )
    open_job = await session.exec(
        select(NetworkJobRow.id).where(
            NetworkJobRow.delegation_id == delegation_id, col(NetworkJobRow.status).in_(OPEN_JOB)
        )
    )
    if open_job.first() is not None:
        raise Conflict("The matter is already being handled by network.", title_zh="该委托正在网络办理中")
    job = NetworkJobRow(
        delegation_id=delegation_id,
        round=await _next_round(session, delegation_id),
        connector_id=connector.id or 0,
        registry_kind=route[0].value,
        action=route[1].value,
        trigger="clerk",
        requested_by=actor.username,
        created_at=ctx.now,
    )
    session.add(job)
    event = rows.Event(
        delegation_id=delegation_id,
        kind="network",
        action="network_requested",
        from_status=matter.status,
        to_status=matter.status,
        actor=actor.username,
        actor_court=actor.court_code,
        actor_role="assisting",
        at=ctx.now,
        comment=f"网络办理：{connector.name}",
        data={"connector": connector.id, "registry": route[0].value},
    )
    await rows.insert_events(session, [event])
    await session.commit()
    return job.id or 0


async def runnable_jobs(session: AsyncSession, ref: Reference, now: datetime, limit: int = 100) -> list[int]:
    """Jobs to start now: queued ones whose registry is open, and running ones whose run died (lease over)."""
    found = await session.exec(
        select(NetworkJobRow, ConnectorRow)
        .join(ConnectorRow, col(ConnectorRow.id) == col(NetworkJobRow.connector_id))
        .where(
            or_(
                col(NetworkJobRow.lease_until).is_(None),
                col(NetworkJobRow.lease_until) < now,
            ),
            col(NetworkJobRow.status).in_(OPEN_JOB),
        )
        .order_by(col(NetworkJobRow.id))
        .limit(limit)
    )
    working = ref.calendar.is_working_day(now.astimezone(SHANGHAI).date())
    ready = [job.id or 0 for job, c in found if config_of(c).business_hours.is_open(now, working)]
    await session.rollback()
    return ready


async def mark_dispatched(session: AsyncSession, job_id: int, now: datetime, seconds: float = 300) -> None:
    """A queued job whose run was just started is not started again for a while (the run claims it)."""
    jobs = table(NetworkJobRow)
    await run(
        session,
        update(jobs)
        .where(jobs.c.id == job_id, jobs.c.status == "queued")
        .values(lease_until=now + timedelta(seconds=seconds)),
    )
    await session.commit()


async def claim(session: AsyncSession, job_id: int, now: datetime, lease_seconds: float, run_id: str) -> bool:
    """Take the job for this flow run: a queued job, one whose lease ran out, or one this run holds (retry)."""
    jobs = table(NetworkJobRow)
    result = await run(
        session,
        update(jobs)
        .where(
            jobs.c.id == job_id,
            or_(
                jobs.c.status == "queued",
                and_(jobs.c.status.in_(HELD), or_(jobs.c.lease_until < now, jobs.c.flow_run_id == run_id)),
            ),
        )
        .values(
            status=case((jobs.c.status == "queued", "running"), else_=jobs.c.status),
            lease_until=now + timedelta(seconds=lease_seconds),
            flow_run_id=run_id[:64],
            started_at=func.coalesce(jobs.c.started_at, now),
        ),
    )
    await session.commit()
    return bool(result.rowcount)


async def release(session: AsyncSession, job_id: int) -> None:
    """A run that failed lets go of its job: the next dispatch takes it over without waiting for the lease."""
    jobs = table(NetworkJobRow)
    await run(session, update(jobs).where(jobs.c.id == job_id, jobs.c.status.in_(OPEN_JOB)).values(lease_until=None))
    await session.commit()


async def renew_lease(session: AsyncSession, job_id: int, now: datetime, lease_seconds: float) -> None:
    jobs = table(NetworkJobRow)
    await run(
        session,
        update(jobs)
        .where(jobs.c.id == job_id, jobs.c.status.in_(HELD))
        .values(lease_until=now + timedelta(seconds=lease_seconds)),
    )
    await session.commit()


async def accept(ctx: Context, job: Job) -> str:
    """Sign for (auto-accepting court, or the clerk's click) and take the matter as its handler. Idempotent:
    each step runs only in the state it applies to, so a retried run does what is left."""
    actor = network_actor(job.assisting_court)
    done: list[str] = []
    for _ in range(3):
        matter = await repository.get_delegation(ctx.session, job.delegation_id)
        assert matter is not None
        status, version = Status(matter.status), matter.version
        await ctx.session.rollback()
        if status is Status.SUBMITTED:
            await perform(
                ctx.acting(actor), job.delegation_id, Action.SIGN_FOR, version, commands.Plain("网络查控自动签收")
            )
            done.append("sign_for")
        elif status is Status.ACCEPTED:
            cmd = commands.AssignHandler(NETWORK_HANDLER, "交由登记机关网络办理")
            await perform(ctx.acting(actor), job.delegation_id, Action.ASSIGN_HANDLER, version, cmd)
            done.append("assign_handler")
        elif status is Status.IN_PROGRESS:
            return ",".join(done) or "in_progress"
        else:
            raise Conflict(f"Delegation {matter.number} is {status}: nothing to do by network.")
    return ",".join(done)


def request_id_of(job: Job, asset_index: int) -> str:
    """Deterministic: the same asset of the same round is the same request, however often it is sent."""
    return f"{job.number}.{job.round}.{asset_index}"


async def plan(session: AsyncSession, ref: Reference, job: Job) -> int:
    """One query per asset of the matter (inserted once; a retried run finds them planned)."""
    matter = await repository.get_delegation(session, job.delegation_id)
    assert matter is not None
    policy: PolicyVersion = ref.policies.get(matter.policy_version)
    spec = policy.matter(matter.matter_type)
    assets = assets_of(matter.matter_type, spec.assets, matter.fields, matter.parties)
    if not assets:
        await session.rollback()
        return 0
    queries = table(NetworkQueryRow)
    values = [
        {
            "job_id": job.id,
            "delegation_id": job.delegation_id,
            "asset_index": a.index,
            "asset_label": a.label,
            "request_id": request_id_of(job, a.index),
            "status": "planned",
            "attempts": 0,
            "answer": {},
            "error": "",
        }
        for a in assets
    ]
    await run(session, insert_ignoring(session, queries, [queries.c.job_id, queries.c.asset_index]), values)
    await session.commit()
    return len(assets)


@dataclass(frozen=True)
class Query:
    id: int
    asset_index: int
    asset_label: str
    request_id: str
    status: str
    answer_code: str | None


async def queries_of(session: AsyncSession, job_id: int) -> list[Query]:
    found = await session.exec(
        select(NetworkQueryRow).where(NetworkQueryRow.job_id == job_id).order_by(col(NetworkQueryRow.asset_index))
    )
    out = [Query(q.id or 0, q.asset_index, q.asset_label, q.request_id, q.status, q.answer_code) for q in found]
    await session.rollback()
    return out


async def build_request(
    session: AsyncSession, ref: Reference, job: Job, query: Query, callback_url: str | None
) -> AssetRequest:
    """The request for one asset: the matter's references, its legal documents by hash, the debtor and the
    asset in the registry's own vocabulary (adapters.describe), nothing else of the matter."""
    from delegation.network.adapters import adapter_for

    matter = await repository.get_delegation(session, job.delegation_id)
    assert matter is not None
    spec = ref.policies.get(matter.policy_version).matter(matter.matter_type)
    asset = assets_of(matter.matter_type, spec.assets, matter.fields, matter.parties)[query.asset_index]
    documents = [d for d in await repository.documents_of(session, job.delegation_id) if d.kind in LEGAL_DOCUMENTS]
    adapter = adapter_for(job.registry)
    period = matter.fields.get("period_months")
    request = AssetRequest(
        request_id=query.request_id,
        registry=job.registry,
        action=job.action,
        matter=MatterRef(
            number=matter.number,
            case_number=matter.case_number,
            requesting_court=matter.requesting_court,
            assisting_court=matter.assisting_court,
            matter_type=matter.matter_type,
        ),
        documents=tuple(DocumentRef(kind=d.kind, filename=d.filename, sha256=d.sha256) for d in documents),
        subject=adapter.subject(asset),
        asset=adapter.describe(asset),
        period_months=period if isinstance(period, int) else None,
        callback_url=callback_url,
    )
    await session.rollback()
    return request


def _log(job: Job, query: Query | NetworkQueryRow, now: datetime, reason: str) -> AccessLogRow:
    """A registry query in the access log, like a reveal: the system of the assisting court sent this
    matter's personal data to this registry (or got its answer)."""
    return AccessLogRow(
        at=now,
        actor=NETWORK_USER,
        actor_court=job.assisting_court,
        actor_roles="assisting",
        kind="registry_query",
        delegation_id=job.delegation_id,
        target=f"asset[{query.asset_index}] {query.request_id}"[:200],
        reason=reason[:500],
    )


async def record_sent(session: AsyncSession, job: Job, query: Query, now: datetime) -> None:
    queries = table(NetworkQueryRow)
    await run(
        session,
        update(queries)
        .where(queries.c.id == query.id)
        .values(
            status="sent",
            attempts=queries.c.attempts + 1,
            sent_at=now,
        )
        .where(queries.c.status.in_(("planned", "sent"))),
    )
    registry = REGISTRY_LABELS[job.registry][0]
    session.add(_log(job, query, now, f"发往{job.connector.name}（{registry}）：{ACTION_LABELS[job.action][0]}"))
    await session.commit()


async def record_answer(session: AsyncSession, answer: AssetAnswer, via: str, now: datetime) -> str:
    """The first final answer to a request wins: 'recorded'; a second one is 'duplicate'; an answer to a
    request we never sent is 'unknown'. A pending answer changes nothing ('pending')."""
    found = await session.exec(select(NetworkQueryRow).where(NetworkQueryRow.request_id == answer.request_id))
    query = found.first()
    if query is None:
        await session.rollback()
        return "unknown"
    if answer.status == "pending" or answer.code not in FINAL_CODES:
        await session.rollback()
        return "pending"
    queries = table(NetworkQueryRow)
    result = await run(
        session,
        update(queries)
        .where(queries.c.id == query.id, queries.c.status.in_(("planned", "sent", "failed")))
        .values(
            status="answered",
            answer_code=answer.code.value if answer.code else None,
            receipt_no=answer.receipt_no,
            answer=answer.model_dump(mode="json"),
            answered_via=via,
            answered_at=now,
            error="",
        ),
    )
    if not result.rowcount:
        await session.rollback()
        return "duplicate"
    job = await _job(session, query.job_id)
    code = answer.code.value if answer.code else "-"
    session.add(_log(job, query, now, f"登记机关答复：{code}；回执号{answer.receipt_no or '无'}（{via}）"))
    await session.commit()
    return "recorded"


async def record_failure(session: AsyncSession, job: Job, query: Query, code: str, error: str, now: datetime) -> None:
    queries = table(NetworkQueryRow)
    await run(
        session,
        update(queries)
        .where(queries.c.id == query.id, queries.c.status.in_(("planned", "sent")))
        .values(status="failed", error=f"{code}: {error}"[:500], answer_code=code[:32]),
    )
    session.add(_log(job, query, now, f"未得到答复：{code}"))
    await session.commit()


# ---------------------------------------------------------------- finishing


async def waiting_rule(ctx: Context, delegation_id: int) -> str:
    """The matter type's 轮候 rule in its policy version (empty for a matter that seals nothing)."""
    matter = await repository.get_delegation(ctx.session, delegation_id)
    if matter is None:
        return ""
    try:
        seal = ctx.ref.policies.get(matter.policy_version).matter(matter.matter_type).seal
    except (NotFound, ValidationFailed):
        return ""
    return seal.waiting_rule if seal is not None else ""


@dataclass(frozen=True)
class Finished:
    status: str  # done | handed_back
    results: int
    reason: str = ""


async def finish(ctx: Context, job: Job, store: BlobStore) -> Finished:
    """Record the per-asset results (once), the 网络查控回执 and 办结; hand back what no registry answered."""
    session = ctx.session
    found = await session.exec(
        select(NetworkQueryRow).where(NetworkQueryRow.job_id == job.id).order_by(col(NetworkQueryRow.asset_index))
    )
    queries = list(found)
    for q in queries:
        session.expunge(q)  # read below after the commits of perform, which would expire them
    answered = [q for q in queries if q.status == "answered"]
    waiting = await waiting_rule(ctx, job.delegation_id)
    outcomes = [(q, result_of(job.action, AssetAnswer.model_validate(q.answer), waiting)) for q in answered]
    usable = [(q, o) for q, o in outcomes if not o.needs_clerk]
    left = [q for q in queries if q.status != "answered"] + [q for q, o in outcomes if o.needs_clerk]
    actor = network_actor(job.assisting_court)
    matter = await repository.get_delegation(session, job.delegation_id)
    assert matter is not None
    version = matter.version
    if usable:
        # Exactly once: the job moves running -> recorded in the same transaction as the results.
        jobs = table(NetworkJobRow)
        moved = await run(
            session,
            update(jobs).where(jobs.c.id == job.id, jobs.c.status == "running").values(status="recorded"),
        )
        if moved.rowcount:
            # An item of the matter's asset list is named by its position (the rule stores its name); a debtor
            # whose property an inquiry searched, by the query's label.
            listed = ctx.ref.policies.get(matter.policy_version).matter(matter.matter_type).assets is not None
            results = tuple(
                commands.AssetResult(str(q.asset_index + 1) if listed else q.asset_label, o.outcome, o.note)
                for q, o in usable
            )
            await perform(
                ctx.acting(actor),
                job.delegation_id,
                Action.RECORD_RESULT,
                version,
                commands.RecordResult(results, "登记机关网络答复"),
            )
        else:
            await session.rollback()
    else:
        await session.rollback()
    if left:
        reason = "；".join(f"{q.asset_label}：{_why(q, o)}" for q, o in _left_reasons(left, outcomes))
        await hand_back(ctx, job, f"以下财产未能网络办理，请人工办理：{reason}")
        return Finished("handed_back", len(usable), reason)
    await _store_receipt(ctx, job, queries, store)
    matter = await repository.get_delegation(session, job.delegation_id)
    assert matter is not None
    if matter.status == Status.IN_PROGRESS:
        version = matter.version
        await session.rollback()
        await perform(ctx.acting(actor), job.delegation_id, Action.COMPLETE, version, commands.Plain("网络查控办结"))
    await _close(session, job, "done", "", ctx.now)
    return Finished("done", len(usable))


def _left_reasons(left: list[NetworkQueryRow], outcomes: list[Any]) -> list[tuple[NetworkQueryRow, Any]]:
    by_id = {q.id: o for q, o in outcomes}
    return [(q, by_id.get(q.id)) for q in left]


def _why(query: NetworkQueryRow, outcome: Any) -> str:
    if outcome is not None:
        return str(outcome.note)
    return {
        "timeout": "登记机关超时未答复",
        "closed": "登记机关非工作时间",
        "bad_signature": "答复签名无效",
        "refused": "登记机关拒收请求",
    }.get(query.answer_code or "", f"登记机关系统故障（{query.error or '未答复'}）")


async def _store_receipt(ctx: Context, job: Job, queries: Sequence[NetworkQueryRow], store: BlobStore) -> None:
    filename = f"网络查控回执-{job.number}-{job.round}.pdf"
    documents = await repository.documents_of(ctx.session, job.delegation_id)
    if any(d.filename == filename and d.kind == RECEIPT_KIND for d in documents):
        await ctx.session.rollback()
        return
    court = ctx.ref.registry.find(job.assisting_court)
    waiting = await waiting_rule(ctx, job.delegation_id)
    lines = [
        ReceiptLine(
            q.asset_label,
            q.answer_code or "",
            q.receipt_no or "",
            result_of(job.action, AssetAnswer.model_validate(q.answer), waiting).note,
        )
        for q in queries
    ]
    last = max((q.answered_at for q in queries if q.answered_at), default=ctx.now)
    matter = await repository.get_delegation(ctx.session, job.delegation_id)
    assert matter is not None
    text = receipt_lines(
        court.name if court else job.assisting_court,
        job.number,
        matter.case_number,
        job.connector.name,
        last.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M"),
        lines,
    )
    await ctx.session.rollback()
    actor = network_actor(job.assisting_court)
    await upload(
        ctx.session,
        ctx.ref,
        actor,
        ctx.now,
        job.delegation_id,
        Upload(RECEIPT_KIND, filename, pdf(text)),
        store,
        10_000_000,
    )


async def _close(session: AsyncSession, job: Job, status: str, reason: str, now: datetime) -> None:
    jobs = table(NetworkJobRow)
    await run(
        session,
        update(jobs)
        .where(jobs.c.id == job.id, jobs.c.status.in_(("queued", "running", "recorded")))
        .values(status=status, reason=reason[:500], finished_at=now, lease_until=None),
    )
    await session.commit()


async def hand_back(ctx: Context, job: Job, reason: str) -> None:
    """Back to manual handling, never silently: the reason on the matter's timeline and on the job."""
    matter = await repository.get_delegation(ctx.session, job.delegation_id)
    assert matter is not None
    jobs = table(NetworkJobRow)
    moved = await run(
        ctx.session,
        update(jobs)
        .where(jobs.c.id == job.id, jobs.c.status.in_(("queued", "running", "recorded")))
        .values(status="handed_back", reason=reason[:500], finished_at=ctx.now, lease_until=None),
    )
    if not moved.rowcount:
        await ctx.session.rollback()
        return
    event = rows.Event(
        delegation_id=job.delegation_id,
        kind="network",
        action="network_handed_back",
        from_status=matter.status,
        to_status=matter.status,
        actor=NETWORK_USER,
        actor_court=job.assisting_court,
        actor_role="assisting",
        at=ctx.now,
        comment=reason[:4000],
        data={"job": job.id, "registry": job.registry.value},
    )
    await rows.insert_events(ctx.session, [event])
    # The hand-back's failures by cause are statistics facts (delegation.statistics.model), in its transaction.
    await statistics_service.refresh(ctx.session, ctx.ref, [job.delegation_id], ctx.now)
    await ctx.session.commit()


def answer_is_final(answer: AssetAnswer) -> bool:
    return answer.status == "answered" and answer.code in FINAL_CODES and answer.code is not AnswerCode.ERROR


# ---------------------------------------------------------------- read side


@dataclass(frozen=True)
class MatterNetwork:
    """How a matter was or is handled: by network (the job's state and per-asset answers) or by hand."""

    status: str
    trigger: str
    registry: str
    action: str
    connector: str
    reason: str
    flow_run_id: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    queries: list[dict[str, Any]]

    @property
    def mode(self) -> str:
        """network (done by network) | handed_back | network_pending (queued or running)."""
        return {"done": "network", "handed_back": "handed_back"}.get(self.status, "network_pending")


def _items(answer: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The registry's items of an answer as recorded: description, seal dates, 首封/轮候, amount frozen."""
    if not answer or answer.get("status") != "answered":
        return []
    try:
        parsed = AssetAnswer.model_validate(answer)
    except ValueError:
        return []
    return [item.model_dump() for item in parsed.items]


async def network_of(session: AsyncSession, delegation_id: int) -> MatterNetwork | None:
    found = await session.exec(
        select(NetworkJobRow, ConnectorRow)
        .join(ConnectorRow, col(ConnectorRow.id) == col(NetworkJobRow.connector_id))
        .where(NetworkJobRow.delegation_id == delegation_id)
        .order_by(col(NetworkJobRow.round).desc())
    )
    first = found.first()
    if first is None:
        return None
    job, connector = first
    queries = await session.exec(
        select(NetworkQueryRow).where(NetworkQueryRow.job_id == job.id).order_by(col(NetworkQueryRow.asset_index))
    )
    return MatterNetwork(
        status=job.status,
        trigger=job.trigger,
        registry=job.registry_kind,
        action=job.action,
        connector=connector.name,
        reason=job.reason,
        flow_run_id=job.flow_run_id,
        created_at=job.created_at,
        started_at=job.started_at,
        finished_at=job.finished_at,
        queries=[
            {
                "asset": q.asset_label,
                "status": q.status,
                "answer_code": q.answer_code,
                "receipt_no": q.receipt_no,
                "answered_at": q.answered_at,
                "message": str((q.answer or {}).get("message") or "") if q.status == "answered" else q.error,
                "items": _items(q.answer),
            }
            for q in queries
        ],
    )


async def taken_by_itself(session: AsyncSession, matter: DelegationRow) -> ConnectorRow | None:
    """The auto-accepting connector that will take this new matter by itself (the next network-dispatch pass
    queues it), or None."""
    if matter.status != Status.SUBMITTED or matter.matter_type not in MATTER_ROUTES or matter.submitted_at is None:
        return None
    connectors = [c for c in await list_connectors(session) if c.active and c.auto_accept]
    connector = connector_for(connectors, matter.assisting_court, matter.matter_type)
    if connector is None or matter.submitted_at < connector.created_at:
        return None
    return connector


async def may_hand_to_network(ctx: Context, matter: DelegationRow) -> ConnectorRow | None:
    """The connector a clerk's 网络办理 would hand this matter to, when the button is for this user now:
    a clerk of the assisting court, the matter open for handling, a connector covering it, no round of
    network handling under way, and not a new matter an auto-accepting connector takes by itself."""
    if UserRole.ASSISTING_CLERK not in ctx.actor.roles or matter.matter_type not in MATTER_ROUTES:
        return None
    roles = acting_roles(ctx.actor, Parties(matter.requesting_court, matter.assisting_court), ctx.ref.city_of)
    if Role.ASSISTING not in roles or matter.status not in (Status.SUBMITTED, Status.ACCEPTED, Status.IN_PROGRESS):
        return None
    connector = connector_for(await list_connectors(ctx.session), matter.assisting_court, matter.matter_type)
    if connector is None:
        return None
    jobs = list(await ctx.session.exec(select(NetworkJobRow.status).where(NetworkJobRow.delegation_id == matter.id)))
    if any(status in OPEN_JOB for status in jobs):
        return None
    taken_by_itself = (
        connector.auto_accept
        and not jobs
        and matter.status == Status.SUBMITTED
        and matter.submitted_at is not None
        and matter.submitted_at >= connector.created_at
    )
    return None if taken_by_itself else connector


async def handling_modes(session: AsyncSession, delegation_ids: Sequence[int]) -> dict[int, str]:
    """Per matter: 'network' when its last network job completed it, 'network_pending' while one runs,
    'handed_back' when the network gave it back; matters without a job were handled by hand."""
    if not delegation_ids:
        return {}
    found = await session.exec(
        select(NetworkJobRow.delegation_id, NetworkJobRow.status, NetworkJobRow.round).where(
            one_of(session, col(NetworkJobRow.delegation_id), delegation_ids)
        )
    )
    latest: dict[int, tuple[int, str]] = {}
    for delegation_id, status, round_ in found:
        if delegation_id not in latest or round_ > latest[delegation_id][0]:
            latest[delegation_id] = (round_, status)
    return {d: handling_mode(s) for d, (_r, s) in latest.items()}


# ---------------------------------------------------------------- callbacks


def _not_an_answer() -> ValidationFailed:
    return ValidationFailed(
        [FieldError("body", "不是jiaodong-registry/1协议的答复", "Not an answer of the jiaodong-registry/1 protocol.")]
    )


async def receive_callback(session: AsyncSession, body: bytes, signature: str | None, now: datetime) -> str:
    """A registry's asynchronous answer: matched to the request it answers (404 if we sent none), verified
    with the secret of the connector that request went through (401), read (422), then recorded once
    ('recorded'; a repeat is 'duplicate')."""
    import json

    from delegation.network.adapters import check_signature

    try:
        request_id = json.loads(body).get("request_id")
    except (ValueError, AttributeError) as exc:
        raise _not_an_answer() from exc
    if not isinstance(request_id, str):
        raise _not_an_answer()
    found = await session.exec(
        select(ConnectorRow)
        .join(NetworkJobRow, col(NetworkJobRow.connector_id) == col(ConnectorRow.id))
        .join(NetworkQueryRow, col(NetworkQueryRow.job_id) == col(NetworkJobRow.id))
        .where(NetworkQueryRow.request_id == request_id)
    )
    connector = found.first()
    secret_ref = connector.secret_ref if connector is not None else None
    await session.rollback()
    if secret_ref is None:
        raise NotFound("No request with this id was sent.", title_zh="没有发出过该编号的查控请求")
    try:
        secret = resolve_secret(secret_ref)
    except SecretUnavailable as exc:
        raise NotAuthenticated("The connector's secret is not configured here: the answer cannot be verified.") from exc
    if not check_signature(secret, signature, body):
        raise NotAuthenticated("Bad or expired signature.", title_zh="回调签名无效或已过期")
    try:
        answer = AssetAnswer.model_validate_json(body)
    except ValueError as exc:
        raise _not_an_answer() from exc
    return await record_answer(session, answer, "callback", now)


# ---------------------------------------------------------------- statistics


async def network_figures(session: AsyncSession, since: datetime, until: datetime) -> list[NetworkFigures]:
    """Per assisting court and registry kind, over the days (Asia/Shanghai) from `since` to the day holding the
    last instant before `until`: the 查控 matters completed, how many by network, the mean time from submission
    to result each way, and the hand-backs by cause; summed from the statistics facts."""
    start = local_day(since)
    end = local_day(until - timedelta(microseconds=1)) + timedelta(days=1)
    found = await statistics_service.network_figures(session, start, end)
    await session.rollback()
    return found
