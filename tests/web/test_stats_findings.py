"""统计分析 as a reviewer found it in the browser, each pinned: a period back to front or not yet begun refused
beside its field, a malformed period or day marked with what is wrong, the date range's "to" read 至, whole
counts and the acknowledgement time's unit in the export, and the labels of the reports table and the
coordinator's court filter."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

from openpyxl import load_workbook

from api.web.i18n import translations
from tests.api.actors import Api
from tests.api.support import file_matter
from tests.web.support import login


def _summary(page: str) -> str:
    """The error summary at the top of a refused page."""
    found = re.search(r"<div class=\"alert error\".*?</div>", page, re.S)
    assert found, "no error summary"
    return found.group(0)


def _field(page: str, name: str) -> str:
    """The form field holding the input `name`: its label, input and error lines."""
    found = re.search(rf'<div class="field[^"]*">\s*<label for="{name}">.*?</div>', page, re.S)
    assert found, f"no field {name}"
    return found.group(0)


async def _refused(client: Any, path: str) -> str:
    response = await client.get(path)
    assert response.status_code == 422, (path, response.status_code, response.text[:800])
    return str(response.text)


async def test_a_range_back_to_front_or_a_period_not_begun_is_refused_beside_its_field(api: Api) -> None:
    api.clock.set("2026-12-08")
    async with api.client() as browser:
        await login(browser, "regional")
        page = await _refused(browser, "/stats?first=2026-12-08&last=2026-11-01&period=2026-12")
        first = _field(page, "first")
        assert 'aria-invalid="true"' in first and 'aria-describedby="first-err1"' in first
        assert '<p class="error" id="first-err1">起始日不能晚于结束日</p>' in first
        assert 'value="2026-12-08"' in first and 'value="2026-11-01"' in _field(page, "last")  # as typed
        assert '<a href="#first">起始日不能晚于结束日</a>' in _summary(page)
        assert "工作日）" not in page and "对比" not in page and 'data-testid="kpi-' not in page  # no figures

        future = await _refused(browser, "/stats?period=2027-01")
        period = _field(future, "period")
        assert 'aria-invalid="true"' in period and "2027年1月尚未开始" in period
        assert '<option value="2027-01" selected>' in period
        assert "-17" not in future
        later = await _refused(browser, "/stats?first=2026-12-09&last=2026-12-31")
        assert "起始日晚于今天" in _field(later, "first")

        # A period that has begun is counted up to today, as before.
        running = await browser.get("/stats?first=2026-12-01&last=2026-12-31")
        assert running.status_code == 200 and "统计至2026年12月8日" in running.text
        assert (await browser.get("/stats?period=2026-12")).status_code == 200

        await browser.get("/lang/en?next=/stats")
        english = await _refused(browser, "/stats?first=2026-12-08&last=2026-11-01")
        assert "The first day is after the last day." in _field(english, "first")


async def test_a_malformed_period_or_day_is_marked_with_what_is_wrong(api: Api) -> None:
    api.clock.set("2026-12-08")
    async with api.client() as browser:
        await login(browser, "yantai-center")
        garbage = await _refused(browser, "/stats?period=garbage")
        period = _field(garbage, "period")
        assert 'aria-invalid="true"' in period and '<option value="garbage" selected>' in period
        assert "统计期间“garbage”无效：应为月份（如2026-11）、季度（如2026-Q4）或年份（如2026）" in period
        assert '<a href="#period">' in _summary(garbage) and "请检查标出的字段" in _summary(garbage)

        day = await _refused(browser, "/stats?first=2026-02-30&last=2026-03-01")
        first = _field(day, "first")
        assert 'aria-invalid="true"' in first and "起始日“2026-02-30”不是有效日期" in first
        assert "aria-invalid" not in _field(day, "last") and 'value="2026-03-01"' in _field(day, "last")
        half = await _refused(browser, "/stats?first=2026-11-01&last=")
        assert "请填写结束日" in _field(half, "last")
        ancient = await _refused(browser, "/stats?period=0001")  # the period before it does not exist: was a 500
        assert "2000年1月1日以后" in _field(ancient, "period")
        endless = await _refused(browser, "/stats?first=2026-01-01&last=9999-12-31")  # was a 500 too
        assert "日期范围不能超过10年" in _field(endless, "last")
        # The exports answer the same refusal (their links come from a page that was shown).
        export = await browser.get("/stats/export.csv?table=court&period=garbage")
        assert export.status_code == 422


async def test_the_date_range_reads_from_to_and_the_work_lists_to_keeps_its_meaning(api: Api) -> None:
    async with api.client() as browser:
        await login(browser, "yantai-center")
        page = (await browser.get("/stats")).text
        assert '<label for="first">或自</label>' in page and '<label for="last">至</label>' in page
        assert "受托</label>" not in page
        await browser.get("/lang/en?next=/stats")
        assert '<label for="last">to</label>' in (await browser.get("/stats")).text
    # The work list's "to" (the court we asked, beside "from": the court that asked us) stays 受托.
    assert translations("zh_CN").gettext("to") == "受托" and translations("zh_CN").gettext("from") == "委托"


async def test_the_export_writes_counts_whole_and_the_acknowledgement_numerator_in_hours(api: Api) -> None:
    async with api.client() as center, api.client() as clerk, api.client("shinan-officer") as officer:
        matter = await file_matter(officer)  # Mon 2026-03-02, to sign for by 03-04: left unsigned, overdue
        center_token = await login(center, "yantai-center")
        issued = await center.post(
            f"/delegations/{matter['id']}/notices", data={"csrf_token": center_token, "kind": "supervise"}
        )
        assert issued.status_code == 303
        api.clock.set("2026-03-02", "11:30")  # acknowledged 1 h 30 min after it was issued at 10:00
        token = await login(clerk, "zhifu-clerk")
        notice_id = re.search(r'href="/notices/(\d+)"', (await clerk.get("/notices?pending=1")).text)
        assert notice_id
        done = await clerk.post(
            f"/notices/{notice_id.group(1)}/acknowledge", data={"csrf_token": token, "reply": "已安排专人办理"}
        )
        assert done.status_code == 303
        api.clock.set("2026-03-10")
        await login(center, "yantai-center")  # a week on: the session has expired
        page = (await center.get("/stats?period=2026-03")).text
        shown = re.search(r'data-testid="kpi-ack_hours">.*?class="kpi-value"[^>]*>([^<]+)<', page, re.S)
        assert shown and shown.group(1) == "1.5"  # 5400 s / 1 acknowledged / 3600, as the page shows it

        xlsx = await center.get("/stats/export.xlsx?table=court&period=2026-03")
        sheet = load_workbook(io.BytesIO(xlsx.content))["按法院"]
        header = [c.value for c in sheet[1]]
        row = next(r for r in sheet.iter_rows(min_row=2) if r[1].value == "烟台市芝罘区人民法院")
        cells = dict(zip(header, row, strict=True))
        for count in ("超期件数", "超期工作日", "督办次数"):
            assert cells[count].number_format == "0", count  # shown 1, not 1.0
        assert cells["超期件数"].value == 1 and cells["督办次数"].value == 1
        ack = "督办平均签收用时（小时）"
        assert cells[f"{ack}·分子"].value == 1.5 and cells[f"{ack}·分母"].value == 1  # hours, as its header says
        assert cells[ack].value == 1.5 and cells[f"{ack}·分子"].number_format == "0.0"
        assert cells[ack].number_format == "0.0" and cells["平均办理工作日·分子"].number_format == "0"

        text = (await center.get("/stats/export.csv?table=court&period=2026-03")).content.decode("utf-8-sig")
        lines = list(csv.reader(io.StringIO(text)))
        by_header = dict(zip(lines[0], next(r for r in lines[1:] if r[1] == "烟台市芝罘区人民法院"), strict=True))
        assert by_header["督办次数"] == "1" and by_header["超期件数"] == "1" and by_header[f"{ack}·分子"] == "1.5"


async def test_the_reports_table_names_who_generated_and_the_coordinators_courts_are_the_five_cities(api: Api) -> None:
    async with api.client() as regional, api.client() as center:
        await login(regional, "regional")
        page = (await regional.get("/stats")).text
        courts = re.search(r'<select id="court" name="court">\s*<option value="">([^<]+)</option>', page)
        assert courts and courts.group(1) == "五市全部法院"
        reports = page.split('id="s-reports"')[1].split("</thead>")[0]
        assert '<th scope="col">生成人</th>' in reports and "签收人" not in reports
        await login(center, "yantai-center")
        own = re.search(
            r'<select id="court" name="court">\s*<option value="">([^<]+)</option>', (await center.get("/stats")).text
        )
        assert own and own.group(1) == "本市全部法院"
        await regional.get("/lang/en?next=/stats")
        english = (await regional.get("/stats")).text
        assert '<option value="">Every court of the five cities</option>' in english
        assert '<th scope="col">Generated by</th>' in english
