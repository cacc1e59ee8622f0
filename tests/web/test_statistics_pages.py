"""统计分析, its drill-downs and exports, the notices export and the 大屏, through the app (SQLite and
PostgreSQL): the figure, the list behind it and the file hold the same matters."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

from openpyxl import load_workbook

from tests.api.actors import Api
from tests.api.support import act, file_matter, ok
from tests.web.support import login


async def _page(client: Any, path: str, status: int = 200) -> str:
    response = await client.get(path)
    assert response.status_code == status, (path, response.status_code, response.text[:500])
    return response.text


async def _march(api: Api) -> tuple[dict[str, Any], dict[str, Any]]:
    """Two matters 市南区 -> 芝罘区 filed Mon 03-02 (sign for by 03-04): one signed the same day, one on 03-09."""
    async with api.client("shinan-officer") as officer, api.client("zhifu-clerk") as clerk:
        on_time = await file_matter(officer, case_number="（2026）鲁0202执41号")
        late = await file_matter(officer, case_number="（2026）鲁0202执42号")
        ok(await act(clerk, on_time["id"], "sign-for", on_time["version"]))
        api.clock.set("2026-03-09")
        ok(await act(clerk, late["id"], "sign-for", late["version"]))
    api.clock.set("2026-04-02")
    return on_time, late


async def test_the_figure_the_drill_down_and_the_exports_hold_the_same_matters(api: Api) -> None:
    _on_time, late = await _march(api)
    async with api.client() as center:
        await login(center, "yantai-center")
        page = await _page(center, "/stats?period=2026-03")
        assert "统计分析" in page and "签收及时率" in page and "2026-03" in page
        row = re.search(r'<tr data-row="鲁0602">(.*?)</tr>', page, re.S)
        assert row
        cell = re.search(r'data-kpi="sign_rate">(.*?)</td>', row.group(1), re.S)
        assert cell and "50.0%" in cell.group(1) and "1/2" in cell.group(1)
        late_link = re.search(r'href="(/work\?[^"]*drill=sign_late[^"]*)"', cell.group(1))
        assert late_link
        drill = await _page(center, late_link.group(1).replace("&amp;", "&"))
        assert "（2026）鲁0202执42号" in drill and "（2026）鲁0202执41号" not in drill and "共1件" in drill
        assert "data-chart=" in page and "<script>" not in page  # chart data in attributes, no inline script

        query = late_link.group(1).replace("&amp;", "&").split("?", 1)[1]
        xlsx = await center.get(f"/work/export.xlsx?{query}")
        assert xlsx.status_code == 200 and "spreadsheetml" in xlsx.headers["content-type"]
        assert "filename*=UTF-8''" in xlsx.headers["content-disposition"]
        book = load_workbook(io.BytesIO(xlsx.content))
        sheet = book["委托事项"]
        rows = list(sheet.iter_rows(values_only=True))
        assert rows[0][:5] == ("平台编号", "案号", "事项", "委托法院", "受托法院")
        assert [r[1] for r in rows[1:]] == ["（2026）鲁0202执42号"] and rows[1][0] == late["number"]
        assert sheet.freeze_panes == "A2" and int(sheet.column_dimensions["B"].width) == 24  # 24 plus padding
        assert rows[1][10].year == 2026  # 提交时间 is a date-time cell, not text
        assert rows[1][13].count("*") >= 4  # the debtor's ID number stays masked

        text = await center.get(f"/work/export.csv?{query}")
        assert text.content.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM, for Excel
        lines = list(csv.reader(io.StringIO(text.content.decode("utf-8-sig"))))
        assert lines[0][0] == "平台编号" and [r[1] for r in lines[1:]] == ["（2026）鲁0202执42号"]

        table = await center.get("/stats/export.xlsx?table=court&period=2026-03")
        sheet = load_workbook(io.BytesIO(table.content))["按法院"]
        header = [c.value for c in sheet[1]]
        values = {h: c.value for h, c in zip(header, sheet[2], strict=True)}
        assert values["法院"] == "烟台市芝罘区人民法院" and values["签收及时率"] == 0.5
        assert values["签收及时率·分子"] == 1 and values["签收及时率·分母"] == 2

        printable = await _page(center, "/stats?period=2026-03&print=1")
        assert 'body class="wide printing"' in printable
        wall = await center.get("/wall/data.json")
        assert wall.status_code == 200 and wall.json()["title"] == "烟台市执行指挥中心"
        assert "大屏" in await _page(center, "/wall") or "data-wall-source" in await _page(center, "/wall")
        notices = await center.get("/notices/export.csv")
        assert notices.status_code == 200 and notices.content.decode("utf-8-sig").startswith("文号,类型")


async def test_court_staff_see_their_own_court_and_nothing_else(api: Api) -> None:
    await _march(api)
    async with api.client() as officer, api.client() as clerk:
        await login(officer, "shinan-officer")
        own = await _page(officer, "/stats?period=2026-03")
        assert "青岛市市南区人民法院" in own and 'data-row="鲁0602"' not in own
        await _page(officer, "/stats?period=2026-03&court=鲁0602", 403)
        await _page(officer, "/work?view=all&drill=sign_late&period=2026-03&stat_court=鲁0602", 403)
        await login(clerk, "zhifu-clerk")
        await _page(clerk, "/wall", 403)
        await _page(clerk, "/stats?period=2026-13", 422)
