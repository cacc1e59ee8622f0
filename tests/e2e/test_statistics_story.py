"""Browser story of issue 10: the Yantai command center reads last month's 签收及时率 of 芝罘区 on 统计分析,
drills down to the late answers, exports them to .xlsx (checked here with openpyxl), opens the 大屏; the
five-city coordinator compares the cities. Screenshots 25-31 (docs/screenshots)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from sqlmodel import col, select

from delegation.core.access import Actor, UserRole
from delegation.core.states import Action
from delegation.refdata.service import load_reference
from delegation.statistics import service as statistics_service
from delegation.store.db import make_engine, make_sessionmaker
from delegation.store.tables import DelegationRow
from tests.e2e.conftest import LiveServer, at, run_async
from tests.e2e.support import Person
from tests.support import act

CLERK = Actor("zhifu-clerk", "鲁0602", frozenset({UserRole.ASSISTING_CLERK}))


async def _answer_late_and_reconcile(server: LiveServer) -> str:
    """芝罘区 signs for the demo's waiting matters on 2026-03-10, days after the sign-for period ended (a late
    answer in March); the nightly reconciliation runs on 04-02. Returns the late matter's platform number."""
    engine = make_engine(server.database_url)
    try:
        async with make_sessionmaker(engine)() as session:
            ref = await load_reference(session)
            waiting = list(
                (
                    await session.exec(
                        select(DelegationRow)
                        .where(DelegationRow.assisting_court == "鲁0602", DelegationRow.status == "submitted")
                        .order_by(col(DelegationRow.id))
                    )
                ).all()
            )
            assert waiting, "the demo data has a matter waiting on 芝罘区"
            row = waiting[0]
            await act(session, ref, CLERK, at("2026-03-10"), row.id or 0, Action.SIGN_FOR, row.version)
            await statistics_service.reconcile(session, ref, at("2026-04-02", "01:30"))
            return row.number
    finally:
        await engine.dispose()


def test_statistics_story_drill_down_export_wall_screen_and_five_cities(
    browser: Any, live_server: LiveServer, tmp_path: Path
) -> None:
    clock = live_server.clock
    clock.set("2026-03-10", "10:00")
    late = run_async(lambda: _answer_late_and_reconcile(live_server))
    clock.set("2026-04-02", "09:00")

    center = Person.open(browser, live_server, "yantai-center")
    center.login(expect_home="/dashboard")
    page = center.page
    page.get_by_role("link", name="统计分析").click()
    page.wait_for_url("**/stats")
    # Last month: March 2026
    page.select_option("#period", "2026-03")
    page.get_by_role("button", name="查看").click()
    page.wait_for_url("**/stats?period=2026-03*")
    assert "2026-03" in page.inner_text(".page-head")
    page.wait_for_selector(".chart canvas")  # ECharts drew the charts (loaded as a file under the CSP)
    row = page.locator("[data-testid=table-court] tr", has_text="烟台市芝罘区人民法院")
    cell = row.locator("td[data-kpi=sign_rate]")
    assert cell.inner_text().split()[:2] == ["50.0%", "1/2"], cell.inner_text()  # one on time, one late
    center.shot("30-stats-center")

    # Drill down: the matters behind 签收及时率 of 芝罘区 are its answers; the late ones are one click on.
    cell.locator("a[data-drill=sign_late]").click()
    page.wait_for_url("**/work?*drill=sign_late*")
    assert "超时签收答复" in page.inner_text("[data-testid=drill]")
    assert "共1件" in page.inner_text(".list-meta")
    assert page.locator("table.list tbody tr", has_text=late).is_visible()
    center.shot("31-stats-drill-late")

    # Export the drilled-down list to .xlsx and read it back
    with page.expect_download() as download:
        page.locator("[data-testid=export-xlsx]").click()
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    assert saved.suffix == ".xlsx"
    book = load_workbook(saved)
    sheet = book["委托事项"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:5] == ("平台编号", "案号", "事项", "委托法院", "受托法院")
    assert [r[0] for r in rows[1:]] == [late]
    assert rows[1][4] == "烟台市芝罘区人民法院"
    assert sheet.freeze_panes == "A2" and "说明" in book.sheetnames

    # The wall screen: large figures, charts, refreshed from /wall/data.json without reloading
    page.goto(live_server.base_url + "/wall")
    page.wait_for_selector(".wall-chart canvas")
    before = page.locator("[data-wall=overdue]").inner_text()
    assert before.isdigit()
    clock.set("2026-04-02", "09:01")
    page.evaluate("() => new Promise(r => setTimeout(r, 0))")
    data = page.evaluate("() => fetch('/wall/data.json').then(r => r.json())")
    assert data["overdue"] == int(before) and data["title"] == "烟台市执行指挥中心"
    center.shot("32-wall-screen", full_page=False)
    center.assert_clean()
    center.close()

    # The coordinator compares the five cities
    regional = Person.open(browser, live_server, "regional")
    regional.login(expect_home="/dashboard")
    regional.visit("/stats?period=2026-Q1")
    rpage = regional.page
    cities = rpage.locator("[data-testid=table-city] tbody tr")
    assert cities.count() == 5
    assert {c.split("\t")[0] for c in cities.all_inner_texts()} == {"青岛", "烟台", "潍坊", "威海", "日照"}
    rpage.wait_for_selector(".chart canvas")
    regional.shot("33-stats-five-cities")
    regional.visit("/stats?period=2026-03&print=1")
    regional.shot("34-stats-print")
    regional.assert_clean()
    regional.close()
