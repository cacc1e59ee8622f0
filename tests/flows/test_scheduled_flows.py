"""daily-digest and monthly-report as Prefect flows, and the deployments as a Prefect server sees them."""

from __future__ import annotations

from pathlib import Path

from openpyxl import load_workbook
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from delegation.refdata.service import load_reference
from delegation.store.tables import InboxRow, JobRunRow
from flows.deployments import DEPLOYMENTS, TIMEZONE, abuild_deployments, flow_of
from flows.digest import daily_digest
from flows.monthly_report import monthly_report
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


async def test_the_monthly_report_flow_keeps_the_workbook_in_the_data_folder(
    flow_env: Path, session: AsyncSession
) -> None:
    await add_users(session)
    await filed(session, await load_reference(session), at("2026-02-02"))
    assert (await monthly_report(now=at("2026-03-03", "07:00")))["ran"] is False  # 03-02 was the first working day
    result = await monthly_report(now=at("2026-03-02", "07:00"))
    path = flow_env / "reports" / "monthly-report-2026-02.xlsx"
    assert result["ran"] and result["path"] == str(path.resolve())
    assert load_workbook(path).sheetnames[0] == "按法院"
    [run] = list(await session.exec(select(JobRunRow)))
    assert run.period == "2026-02" and run.path == str(path.resolve())


async def test_the_deployments_register_with_their_cron_schedules_in_shanghai_time(prefect_api: str) -> None:
    from prefect.client.orchestration import get_client

    for deployment in await abuild_deployments():
        await deployment.aapply()
    async with get_client() as client:
        registered = {d.name: d for d in await client.read_deployments()}
    for spec in DEPLOYMENTS:
        [schedule] = registered[spec.name].schedules
        assert schedule.active and schedule.schedule.cron == spec.cron  # type: ignore[union-attr]
        assert schedule.schedule.timezone == TIMEZONE  # type: ignore[union-attr]


def test_every_deployment_is_an_async_flow_named_like_it() -> None:
    for spec in DEPLOYMENTS:
        flow = flow_of(spec)
        assert flow.name == spec.name and flow.isasync
