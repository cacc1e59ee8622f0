"""The command-center pages as a reviewer found them in the browser (dashboard, work list exports, wall,
matter page), each defect pinned: a chosen city's figures and lists are that city's alone; one count of
working days overdue everywhere; a natural-day period counted down in natural days; redirect choices the
rule accepts; export column widths; full-width punctuation in Chinese."""

from __future__ import annotations

import re
from typing import Any

from delegation.handling.rules import right_level
from delegation.refdata.service import load_reference
from tests.api.actors import Api
from tests.api.support import act, file_matter, ok
from tests.web.support import login


async def _page(client: Any, path: str, status: int = 200) -> str:
    response = await client.get(path)
    assert response.status_code == status, (path, response.status_code, response.text[:800])
    return str(response.text)


def _tile(page: str, label: str) -> int:
    found = re.search(r'<span class="tile-num">(\d+)</span><span class="tile-label">' + label, page)
    assert found, label
    return int(found.group(1))


async def test_a_chosen_city_shows_that_citys_figures_and_lists_only(api: Api) -> None:
    async with api.client() as browser, api.client("shinan-officer") as officer:
        matter = await file_matter(officer)  # held by 芝罘区 (烟台)
        api.clock.set("2026-03-10")  # its sign-for period ended 03-04
        await login(browser, "regional")
        everything = await _page(browser, "/dashboard")
        assert matter["number"] in everything and _tile(everything, "已超期") == 1
        weihai = await _page(browser, "/dashboard?city=威海")
        assert matter["number"] not in weihai
        assert (_tile(weihai, "在办事项"), _tile(weihai, "已超期"), _tile(weihai, "即将到期")) == (0, 0, 0)
        assert "holder_city=%E5%A8%81%E6%B5%B7&amp;lateness=overdue" in weihai  # the tile drills into 威海
        yantai = await _page(browser, "/dashboard?city=烟台")
        assert matter["number"] in yantai and _tile(yantai, "已超期") == 1 and _tile(yantai, "在办事项") == 1


async def test_one_count_of_working_days_overdue_on_the_dashboard_the_exports_and_the_wall(api: Api) -> None:
    async with api.client() as browser, api.client("shinan-officer") as officer:
        matter = await file_matter(officer)  # sign for by 24:00 of Wed 03-04
        # Tue 03-10: 03-05, 03-06 and 03-09 have ended; today, still running, is not counted (docs/sla.md).
        api.clock.set("2026-03-10", "15:00")
        await login(browser, "yantai-center")
        board = await _page(browser, "/dashboard")
        assert "超期3个工作日" in board and "超期4个工作日" not in board
        listed = await _page(browser, "/work?view=all&lateness=overdue")
        assert "超期3个工作日" in listed
        csv = await _page(browser, "/work/export.csv?view=all&lateness=overdue")
        header, row = csv.lstrip("\ufeff").splitlines()[:2]
        column = header.split(",").index("剩余工作日（负数为超期）")
        assert matter["number"] in row and row.split(",")[column] == "-3"
        wall = (await browser.get("/wall/data.json")).json()
        assert [(w["number"], w["days"]) for w in wall["oldest"]] == [(matter["number"], 3)]


def _statutory(page: str) -> str:
    found = re.search(r'<ul class="clocks statutory".*?</ul>', page, re.S)
    assert found, "no statutory periods"
    return found.group(0)


async def test_a_natural_day_period_counts_down_in_natural_days(api: Api) -> None:
    async with api.client() as clerk, api.client("shinan-officer") as officer:
        matter = await file_matter(officer)  # Mon 03-02: received, 15 and 30 days (民诉法 第二百四十条)
        ident = matter["id"]
        api.clock.set("2026-03-09")  # start by Tue 03-17, report by Wed 04-01
        token = await login(clerk, "zhifu-clerk")
        statutory = _statutory(await _page(clerk, f"/delegations/{ident}"))
        assert "剩余8个自然日" in statutory and "剩余23个自然日" in statutory and "工作日" not in statutory
        returned = await clerk.post(
            f"/delegations/{ident}/act/return_for_correction",
            data={
                "csrf_token": token,
                "version": str(matter["version"]),
                "reason_code": "wrong_documents",
                "comment": "请补充执行裁定书",
                "flagged": ["document.enforcement_ruling"],
            },
        )
        assert returned.status_code == 303, returned.text[:600]
        api.clock.set("2026-03-10")  # 补正 within 30 days of the return (03-09): by Wed 04-08
        await login(clerk, "shinan-officer")  # the requesting court holds the 补正 period
        page = await _page(clerk, f"/delegations/{ident}")
        head = page.split('class="head-clock"')[1].split("</span></span>")[0]
        assert "剩余29个自然日" in head and "工作日" not in head
        deadlines = page.split('id="s-clocks"')[1].split("</ul>")[0]
        assert "剩余29个自然日" in deadlines and "剩余21个工作日" not in deadlines
        api.clock.set("2026-04-11")  # 04-09 and 04-10 have ended since the last day
        await login(clerk, "shinan-officer")
        late = await _page(clerk, f"/delegations/{ident}")
        assert "超期2个自然日" in late.split('id="s-clocks"')[1].split("</ul>")[0]
        clerk.cookies.clear()
        await login(clerk, "qingdao-center")  # the dashboard's overdue list says it in the same unit
        overdue = (await _page(clerk, "/dashboard")).split('id="s-overdue"')[1].split("</section>")[0]
        assert matter["number"] in overdue and "超期2个自然日" in overdue and "工作日" not in overdue
        await clerk.get("/lang/en?next=/work")
        english = await _page(clerk, f"/delegations/{ident}")
        assert "Overdue by 2 calendar days" in english


async def test_a_declined_matter_is_offered_only_the_courts_the_redirect_rule_accepts(api: Api) -> None:
    async with (
        api.client() as browser,
        api.client("shinan-officer") as officer,
        api.client("zhifu-clerk") as clerk,
    ):
        matter = await file_matter(officer)
        ok(await act(clerk, matter["id"], "decline", matter["version"], {"comment": "被执行人住所地在福山区"}))
        await login(browser, "yantai-center")
        board = await _page(browser, "/dashboard")
        select = board.split(f'id="redir-{matter["id"]}"')[1].split("</select>")[0]
        offered = re.findall(r'<option value="(鲁[^"]+)">', select)
        assert "鲁0611" in offered and "鲁72" in offered  # a basic court; the maritime court (规定 第三条)
        assert not {"鲁02", "鲁06", "鲁07", "鲁0602", "鲁0202"} & set(offered)  # intermediate; its own two
        async with api.sessions() as session:
            registry = (await load_reference(session)).registry
        basic = registry.find("鲁0602")
        assert basic is not None
        for code in offered:  # every choice is one the service accepts
            court = registry.find(code)
            assert court is not None and right_level(basic.level, court.level), code
        # The matter's own page offers the same courts (one list for both, views.redirect_courts).
        page = await _page(browser, f"/delegations/{matter['id']}")
        on_page = re.findall(r'<option value="(鲁[^"]+)"', page.split('name="new_court"')[1].split("</select>")[0])
        assert on_page == offered


async def test_chinese_text_on_the_matter_page_has_full_width_colons(api: Api) -> None:
    async with (
        api.client() as browser,
        api.client("shinan-officer") as officer,
        api.client("zhifu-clerk") as clerk,
        api.client("yantai-center") as center,
    ):
        matter = await file_matter(officer)
        signed = ok(await act(clerk, matter["id"], "sign-for", matter["version"]))
        body = {"days": 3, "comment": "车管所系统维护"}
        asked = ok(await act(clerk, matter["id"], "request-extension", signed["version"], body))
        ok(await act(center, matter["id"], "approve-extension", asked["version"], {}))
        await login(browser, "zhifu-clerk")
        page = await _page(browser, f"/delegations/{matter['id']}")
        clocks = page.split('id="s-clocks"')[1].split("</section>")[0]
        assert re.search(r"申请延期3个工作日：<span class=\"badge ok\">已批准3个工作日", clocks), clocks
        assert "工作日:" not in clocks
        await browser.get("/lang/en?next=/work")
        english = (await _page(browser, f"/delegations/{matter['id']}")).split('id="s-clocks"')[1]
        assert re.search(r"asked by [^<：]+: <span class=\"badge ok\">Approved, 3 working days", english)
