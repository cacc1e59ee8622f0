"""network-control under the Prefect harness, against the registry simulator: a matter signed for, sent,
answered (synchronously and by callback into the web app), its results, 回执 and 办结 recorded through the
service layer; exactly one result per asset under retries and after a dead run; failures handed back."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from api.app import create_app
from delegation.core.states import Status
from delegation.network import service as network
from delegation.refdata.service import load_reference
from delegation.store.tables import (
    AccessLogRow,
    AssetResultRow,
    DelegationRow,
    DocumentRow,
    EventRow,
    NetworkJobRow,
    NetworkQueryRow,
    OutboxRow,
)
from flows import network as network_flows
from flows.network import network_control, network_dispatch
from jiaodong.settings import Settings
from tests.network_support import SECRET, SECRET_ENV, add_connector, script, served, simulator
from tests.sla_support import add_users, at, filed
from tests.support import vehicle_inquiry_draft


@pytest.fixture
def sim(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, Any]]:
    monkeypatch.setenv(SECRET_ENV, SECRET)
    monkeypatch.setattr(network_flows, "SEND_RETRY_DELAYS", [0.2, 0.2])
    with simulator() as served_sim:
        yield served_sim


@dataclass(frozen=True)
class Matter:
    """A filed matter's id and number, read before later commits expire the row."""

    id: int
    number: str


def snapshot(row: DelegationRow) -> Matter:
    return Matter(row.id or 0, row.number)


async def _seal_matter(session: AsyncSession, plates: list[str]) -> Matter:
    ref = await load_reference(session)
    draft = vehicle_inquiry_draft(
        case_number="（2026）鲁0202执300号",
        matter_type="vehicle_seal",
        fields={"vehicles": [{"plate": p} for p in plates], "period_months": 24},
    )
    return snapshot(await filed(session, ref, at("2026-03-02"), draft))


async def _queued(session: AsyncSession) -> list[int]:
    ref = await load_reference(session)
    await network.queue_new_matters(session, datetime.now(UTC))
    return await network.runnable_jobs(session, ref, datetime.now(UTC))


async def test_an_inquiry_goes_from_submission_to_completion_by_network(
    flow_env: Path, session: AsyncSession, sim: tuple[str, Any], database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    sim_url, _state = sim
    await add_users(session)
    ref = await load_reference(session)
    await add_connector(session, ref, at("2026-03-01"), sim_url)
    matter = snapshot(await filed(session, ref, at("2026-03-02")))
    [job_id] = await _queued(session)
    script(sim_url, f"{matter.number}.1.0", "async")  # answered later, by callback into the web app
    app = create_app(Settings(database_url=database_url, data_dir=flow_env, secret_key="test-secret-key"))
    with served(app) as web:
        monkeypatch.setenv("JIAODONG_NETWORK_CALLBACK_URL", f"{web}/api/v1/network/callbacks")
        from jiaodong.settings import get_settings

        get_settings.cache_clear()
        result = await network_control(job_id, matter=matter.number, act="inquire", poll_seconds=0.5)
    assert result["status"] == "done" and result["results"] == 1
    session.expire_all()
    row = await session.get(DelegationRow, matter.id)
    assert row is not None and row.status == Status.COMPLETED and row.handler == "网络查控"
    [result_row] = list(await session.exec(select(AssetResultRow)))
    assert (
        result_row.outcome == "done" and "鲁F8A123" in result_row.note and result_row.recorded_by == "network-control"
    )
    [query] = list(await session.exec(select(NetworkQueryRow)))
    assert query.answered_via == "callback" and query.receipt_no and query.receipt_no in result_row.note
    [receipt] = list(await session.exec(select(DocumentRow).where(DocumentRow.kind == "receipt")))
    assert receipt.uploaded_court == "鲁0602" and receipt.content_type == "application/pdf"
    assert (flow_env / "documents").exists() or receipt.storage_key
    actions = [e.action for e in await session.exec(select(EventRow).order_by(EventRow.id))]  # type: ignore[arg-type]
    assert actions[-5:] == ["sign_for", "assign_handler", "record_result", "upload_document", "complete"]
    fanouts = list(await session.exec(select(OutboxRow).where(OutboxRow.delegation_id == matter.id)))
    assert len(fanouts) >= 5  # submit, sign for, handler, result, 办结: notified as for a matter done by hand
    logs = list(await session.exec(select(AccessLogRow).where(AccessLogRow.kind == "registry_query")))
    assert len(logs) == 2 and {log.delegation_id for log in logs} == {matter.id}
    assert any("答复" in log.reason and "found" in log.reason for log in logs)
    [figures] = await network.network_figures(session, datetime(2026, 1, 1, tzinfo=UTC), datetime.now(UTC))
    assert (figures.completed, figures.by_network, figures.network_share) == (1, 1, 1.0)
    assert figures.network_hours is not None and figures.manual_hours is None
    # A second run of the same job does nothing: the job is done.
    assert (await network_control(job_id, matter=matter.number, act="inquire"))["status"] == "skipped"


async def test_exactly_one_result_per_asset_under_retries_and_after_a_dead_run(
    flow_env: Path, session: AsyncSession, sim: tuple[str, Any]
) -> None:
    sim_url, state = sim
    await add_users(session)
    ref = await load_reference(session)
    await add_connector(session, ref, at("2026-03-01"), sim_url)
    matter = await _seal_matter(session, ["鲁F12345", "鲁F23456", "鲁F34567"])
    [job_id] = await _queued(session)
    script(sim_url, f"{matter.number}.1.1", "error", "error")  # answered at the third attempt
    script(sim_url, f"{matter.number}.1.2", "already_sealed")
    # A run that died after sending the first asset: it holds the job under a lease that ran out.
    job = await network.load_job(session, job_id)
    now = datetime.now(UTC)
    assert await network.claim(session, job_id, now, 600, "dead-run")
    await network.accept(network_ctx(session, ref, now), job)
    assert await network.plan(session, ref, job) == 3
    first = (await network.queries_of(session, job_id))[0]
    await network.record_sent(session, job, first, now)
    jobs = NetworkJobRow.__table__  # type: ignore[attr-defined]
    await session.exec(update(jobs).where(jobs.c.id == job_id).values(lease_until=now - timedelta(seconds=1)))  # type: ignore[call-overload]
    await session.commit()
    result = await network_control(job_id, matter=matter.number, act="seal", poll_seconds=0.3)
    assert result["status"] == "done" and result["results"] == 3
    assert state.attempts[f"{matter.number}.1.1"] == 3
    results = list(await session.exec(select(AssetResultRow).order_by(AssetResultRow.id)))  # type: ignore[arg-type]
    assert [r.asset for r in results] == ["车辆 1", "车辆 2", "车辆 3"]  # by position (the plates are personal data)
    assert "轮候" in results[2].note and "首封" in results[0].note
    # Finishing again (a retried flow) records nothing more.
    await network.finish(network_ctx(session, ref, datetime.now(UTC)), job, network_flows.blob_store())
    assert len(list(await session.exec(select(AssetResultRow)))) == 3
    assert len(list(await session.exec(select(DocumentRow).where(DocumentRow.kind == "receipt")))) == 1


async def test_what_no_registry_answers_goes_back_to_the_clerks_with_the_reason(
    flow_env: Path, session: AsyncSession, sim: tuple[str, Any]
) -> None:
    sim_url, _state = sim
    await add_users(session)
    ref = await load_reference(session)
    await add_connector(session, ref, at("2026-03-01"), sim_url)
    matter = await _seal_matter(session, ["鲁F12345", "鲁F45678"])
    [job_id] = await _queued(session)
    script(sim_url, f"{matter.number}.1.1", "error", "error", "error")  # every attempt fails
    result = await network_control(job_id, matter=matter.number, act="seal", poll_seconds=0.3)
    assert result["status"] == "handed_back" and "鲁F45678" in result["reason"]
    session.expire_all()
    row = await session.get(DelegationRow, matter.id)
    assert row is not None and row.status == Status.IN_PROGRESS  # a clerk goes on from here
    [recorded] = list(await session.exec(select(AssetResultRow)))
    assert recorded.asset == "车辆 1"  # what the registry did is on record (鲁F12345, the first vehicle)
    [back] = list(await session.exec(select(EventRow).where(EventRow.action == "network_handed_back")))
    assert "鲁F45678" in back.comment and "人工办理" in back.comment
    job = await session.get(NetworkJobRow, job_id)
    assert job is not None and job.status == "handed_back" and "鲁F45678" in job.reason
    assert (await network.handling_modes(session, [matter.id])) == {matter.id: "handed_back"}
    [figures] = await network.network_figures(session, datetime(2026, 1, 1, tzinfo=UTC), datetime.now(UTC))
    assert (figures.court, figures.registry, figures.completed, figures.failures) == (
        "鲁0602",
        "vehicle",
        0,
        {"error": 1},
    )


async def test_dispatch_queues_only_matters_submitted_after_the_connector(
    flow_env: Path, session: AsyncSession, sim: tuple[str, Any]
) -> None:
    sim_url, _state = sim
    await add_users(session)
    ref = await load_reference(session)
    older = snapshot(await filed(session, ref, at("2026-03-02")))
    await add_connector(session, ref, at("2026-03-03"), sim_url)
    newer = snapshot(await filed(session, ref, at("2026-03-04"), n=2))
    report = await network_dispatch(watch_seconds=0)  # one pass; it waits for the runs it started
    assert report == {"queued": 1, "started": 1, "failed": 0}
    jobs = list(await session.exec(select(NetworkJobRow)))
    assert [(j.delegation_id, j.status, j.trigger) for j in jobs] == [(newer.id, "done", "auto")]
    session.expire_all()
    assert (await session.get(DelegationRow, older.id)).status == Status.SUBMITTED  # type: ignore[union-attr]
    assert (await session.get(DelegationRow, newer.id)).status == Status.COMPLETED  # type: ignore[union-attr]


def network_ctx(session: AsyncSession, ref: Any, now: datetime) -> Any:
    from delegation.store.context import Context

    return Context(session, ref, network.network_actor("鲁0602"), now)
