"""The pages of the statutory periods (民诉法 第二百四十条), rendered through the app: the matter page shows
法定期限 apart from the policy deadlines, the requesting court gets its one-click remedy, the lists and the
dashboard flag the breach; the 执行情况函复 is printable; the dashboard issues prepared 督办."""

from __future__ import annotations

import re
from typing import Any

from delegation.refdata.service import load_reference
from delegation.sla import service as sla_service
from tests.api.actors import Api
from tests.api.support import act, file_matter, ok
from tests.web.support import csrf_of, login


async def _page(client: Any, path: str, status: int = 200) -> str:
    response = await client.get(path)
    assert response.status_code == status, (path, response.status_code, response.text[:800])
    return str(response.text)


async def test_a_late_start_shows_as_a_statutory_breach_and_offers_the_remedy(api: Api) -> None:
    async with api.client() as browser, api.client("shinan-officer") as officer, api.client("zhifu-clerk") as clerk:
        api.clock.set("2026-02-05")
        matter = await file_matter(officer, case_number="（2026）鲁0202执41号")
        ident = matter["id"]
        api.clock.set("2026-02-06")
        ok(await act(clerk, ident, "sign-for", matter["version"]))
        api.clock.set("2026-02-25", "09:00")  # the fifteenth day (with the Spring Festival) ended on 02-24
        await login(browser, "shinan-officer")
        page = await _page(browser, f"/delegations/{ident}")
        assert "法定期限已届满" in page and "法定期限" in page and "第二百四十条" in page
        assert "2026年2月24日" in page  # the start-by day
        assert "请求上级法院指令执行" in page and "烟台市中级人民法院" in page  # addressed to the superior court
        work = await _page(browser, "/work?view=all")
        assert "法定期限已届满" in work
        csrf = csrf_of(page)
        detail = ok(await officer.get(f"/api/v1/delegations/{ident}"))
        sent = await browser.post(
            f"/delegations/{ident}/act/request_superior_order",
            data={"csrf_token": csrf, "version": str(detail["version"])},
        )
        assert sent.status_code == 303
        again = await _page(browser, f"/delegations/{ident}")
        assert "已请求上级法院" in again
        assert f'action="/delegations/{ident}/act/request_superior_order"' not in again  # once per late start
        detail = ok(await officer.get(f"/api/v1/delegations/{ident}"))
        assert detail["statutory_breach"] is True
        start = next(c for c in detail["statutory_clocks"] if c["duty"] == "start")
        assert start["due_date"] == "2026-02-24" and start["breached"] and start["remedy_requested_at"]
        browser.cookies.clear()
        await login(browser, "yantai-center")
        board = await _page(browser, "/dashboard")
        section = re.search(r'id="s-statutory".*?</section>', board, re.S)
        assert section and matter["number"] in section.group(0) and "开始执行" in section.group(0)


async def test_the_assisting_court_reports_the_state_of_execution_and_prints_it(api: Api) -> None:
    async with api.client() as browser, api.client("shinan-officer") as officer, api.client("zhifu-clerk") as clerk:
        api.clock.set("2026-02-05")
        matter = await file_matter(officer, case_number="（2026）鲁0202执42号")
        ident = matter["id"]
        signed = ok(await act(clerk, ident, "sign-for", matter["version"]))
        api.clock.set("2026-03-05")
        reported = await clerk.post(
            f"/api/v1/delegations/{ident}/report-progress",
            json={"comment": "已向车辆管理所送达协助执行通知书，待其回复"},
            headers={"If-Match": f'"{signed["version"]}"'},
        )
        assert reported.status_code == 200, reported.text
        await login(browser, "zhifu-clerk")
        printed = await _page(browser, f"/print/delegations/{ident}/progress")
        assert "执行情况函" in printed and "第二百四十条" in printed and "已向车辆管理所送达协助执行通知书" in printed
        assert "二〇二六年二月五日" in printed and "二〇二六年三月五日" in printed  # received, reported
        assert "特此函告" in printed


async def test_the_superior_court_issues_a_prepared_supervision_notice_from_its_dashboard(api: Api) -> None:
    async with api.client() as browser, api.client("shinan-officer") as officer:
        api.clock.set("2026-03-02")
        matter = await file_matter(officer, case_number="（2026）鲁0202执43号")  # sign for by 03-04
        async with api.sessions() as session:
            ref = await load_reference(session)
            api.clock.set("2026-03-09", "09:00")
            result = await sla_service.sweep(session, ref, api.clock.now)
            assert result.supervision_drafts == 1
        await login(browser, "yantai-center")
        board = await _page(browser, "/dashboard")
        assert "待签发的督办" in board and matter["number"] in board
        draft_id = re.search(r'name="draft_id" value="(\d+)"', board)
        assert draft_id
        issued = await browser.post(
            "/supervision-drafts/issue", data={"csrf_token": csrf_of(board), "draft_id": draft_id.group(1)}
        )
        assert issued.status_code == 303
        after = await _page(browser, issued.headers["location"])
        assert "督办通知已签发" in after and "待签发的督办" not in after
        refused = await browser.post(
            "/supervision-drafts/issue", data={"csrf_token": csrf_of(after), "draft_id": draft_id.group(1)}
        )
        assert refused.status_code == 409 and "已签发" in refused.text
