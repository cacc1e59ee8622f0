"""daily-digest and monthly-report as Prefect flows, and the deployments as a Prefect server sees them."""

from __future__ import annotations

import re
from pathlib import Path

from openpyxl import load_workbook
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from delegation.refdata.service import load_reference
from delegation.store.tables import InboxRow, JobRunRow, StatFactRow
from flows.deployments import DEPLOYMENTS, TIMEZONE, abuild_deployments, build_deployments, flow_of
from flows.digest import daily_digest
from flows.monthly_report import monthly_report
from flows.statistics import reconcile_statistics
from tests.sla_support import add_users, at, filed


async def test_the_digest_flow_skips_days_off_and_sends_once_on_a_working_day(
    flow_env: Path, session: AsyncSession
) -> None:
    await add_users(session)
    await filed(session, await load_reference(session), at("2026-03-02"))
    assert (await daily_digest(now=at("2026-03-07", "08:30")))["ran"] is False  # Saturday
    sent = await daily_digest(now=at("2026-03-09", "08:30"))
    assert sent["ran"] and sent["overdue"] == 1
    assert (await daily_digest(now=at("2026-03-09", "08:31")))["ran"] is False
    assert {i.username for i in await session.exec(select(InboxRow))} == {"zhifu-clerk", "yantai-center"}


async def test_the_monthly_report_flow_keeps_the_workbook_in_the_document_store(
    flow_env: Path, session: AsyncSession
) -> None:
    await add_users(session)
    await filed(session, await load_reference(session), at("2026-02-02"))
    assert (await monthly_report(now=at("2026-03-03", "07:00")))["ran"] is False  # 03-02 was the first working day
    result = await monthly_report(now=at("2026-03-02", "07:00"))
    key = result["path"]
    assert result["ran"] and re.fullmatch(r"reports/monthly-report-2026-02-[0-9a-f]{12}\.xlsx", key)
    assert load_workbook(flow_env / key).sheetnames[0] == "按法院"  # the local store: files under the data folder
    [run] = list(await session.exec(select(JobRunRow)))
    assert run.period == "2026-02" and run.path == key


async def test_the_nightly_reconciliation_flow_recomputes_the_statistics_facts(
    flow_env: Path, session: AsyncSession
) -> None:
    await add_users(session)
    await filed(session, await load_reference(session), at("2026-02-02"))
    result = await reconcile_statistics(now=at("2026-02-10", "01:30"))
    assert result["matters"] == 1 and result["daily_rows"] >= 1
    counted = result["counters"]  # the dashboard's counters checked against the rows: nothing to rebuild
    assert counted["status_keys"] == 1 and counted["due_keys"] == 1 and not counted["repaired"]
    overdue = (await session.exec(select(StatFactRow).where(StatFactRow.kind == "overdue"))).one()
    assert overdue.court == "鲁0602" and overdue.overdue == 1 and overdue.day.isoformat() == "2026-02-05"
    delay = (await session.exec(select(StatFactRow).where(StatFactRow.kind == "delay"))).all()
    assert sorted(f.day.isoformat() for f in delay) == ["2026-02-05", "2026-02-06", "2026-02-09"]  # days ended


async def test_the_deployments_register_with_their_cron_schedules_in_shanghai_time(prefect_api: str) -> None:
    from prefect.client.orchestration import get_client

    for deployment in await abuild_deployments():
        await deployment.aapply()
    async with get_client() as client:
        registered = {d.name: d for d in await client.read_deployments()}
    for spec in DEPLOYMENTS:
        deployment = registered[spec.name]
        if spec.cron is None:  # started on demand only (network-control)
            assert deployment.schedules == []
        else:
            [schedule] = deployment.schedules
            assert schedule.active and schedule.schedule.cron == spec.cron  # type: ignore[union-attr]
            assert schedule.schedule.timezone == TIMEZONE  # type: ignore[union-attr]
        assert deployment.entrypoint == spec.entrypoint  # a module path: no checkout, no pull step
        if spec.concurrency_limit is None:
            assert deployment.global_concurrency_limit is None
        else:
            assert deployment.global_concurrency_limit is not None
            assert deployment.global_concurrency_limit.limit == spec.concurrency_limit
            assert deployment.concurrency_options is not None
            assert deployment.concurrency_options.collision_strategy.value == "CANCEL_NEW"


def test_the_every_minute_jobs_never_overlap() -> None:
    every_minute = {spec.name for spec in DEPLOYMENTS if spec.cron and spec.cron.startswith(("* ", "*/"))}
    assert every_minute == {"sla-watch", "deliver-notifications", "recompute-deadlines", "network-dispatch"}
    assert all(spec.concurrency_limit == 1 for spec in DEPLOYMENTS if spec.name in every_minute)


async def test_the_operators_automations_apply_idempotently_and_notify_their_channel(prefect_api: str) -> None:
    from prefect.automations import Automation
    from prefect.blocks.notifications import CustomWebhookNotificationBlock
    from prefect.client.orchestration import get_client

    from flows.automations import AUTOMATIONS, NOTIFY_BLOCK, ZOMBIE_AFTER, apply

    first = await apply("http://127.0.0.1:9/hooks/ops")
    second = await apply("http://127.0.0.1:9/hooks/ops-room")  # re-applied: replaced, never duplicated
    assert first == second == [spec.name for spec in AUTOMATIONS]
    async with get_client() as client:
        ours = [a for a in await client.read_automations() if a.name.startswith("jiaodong: ")]
    assert sorted(a.name for a in ours) == sorted(first)
    block = await CustomWebhookNotificationBlock.aload(NOTIFY_BLOCK)
    assert "ops-room" in str(block.url)
    zombie = await Automation.aread(name="jiaodong: crash zombie flow runs")
    assert zombie.trigger.posture == "Proactive" and zombie.trigger.within == ZOMBIE_AFTER  # type: ignore[union-attr]
    assert [a.type for a in zombie.actions] == ["change-flow-run-state", "send-notification"]
    escalate = await Automation.aread(name="jiaodong: escalated to the regional coordinator")
    assert escalate.trigger.expect == {"jiaodong.notice.escalate"}  # type: ignore[union-attr]


def test_every_deployment_is_an_async_flow_named_like_it() -> None:
    for spec in DEPLOYMENTS:
        flow = flow_of(spec)
        assert flow.name == spec.name and flow.isasync


def test_deployments_served_under_a_suffix_never_take_the_work_pools_names() -> None:
    names = [d.name for d in build_deployments("-served-api-1")]
    assert names == [f"{spec.name}-served-api-1" for spec in DEPLOYMENTS]
    assert [d.name for d in build_deployments()] == [spec.name for spec in DEPLOYMENTS]
