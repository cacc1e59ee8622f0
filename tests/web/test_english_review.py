"""What a review of the English pages in Chromium found (2026-12-08), each finding pinned on the English page
beside the Chinese one, in the order of the review's list."""

from __future__ import annotations

import re
from datetime import timedelta

from api.web import STATIC_DIR
from tests.api.actors import Api
from tests.api.support import act, file_matter, ok
from tests.api.test_handlers import add_handlers
from tests.web.support import login
from tests.web.test_review_findings import EVICTION_FIELDS

ACK_BUTTON = re.compile(r'<a class="btn tiny primary" href="/notices/\d+">')


def _ack_cell(page: str) -> str:
    """The acknowledgement cell of the notices list's first row."""
    return page.split("<tbody")[1].split("</tr>")[0].rsplit("<td", 1)[1]


async def test_only_the_court_a_supervision_notice_is_addressed_to_is_offered_to_acknowledge_it(api: Api) -> None:
    async with (
        api.client() as center,
        api.client() as clerk,
        api.client() as requester,
        api.client("shinan-officer") as officer,
    ):
        matter = await file_matter(officer)
        token = await login(center, "yantai-center")
        issued = await center.post(
            f"/delegations/{matter['id']}/notices", data={"csrf_token": token, "kind": "supervise"}
        )
        assert issued.status_code == 303
        await login(clerk, "zhifu-clerk")
        assert ACK_BUTTON.search(_ack_cell((await clerk.get("/notices")).text))  # 芝罘区 answers it
        await login(requester, "shinan-officer")
        for browser in (center, requester):  # the issuing command center; the court it is copied to
            cell = _ack_cell((await browser.get("/notices")).text)
            assert not ACK_BUTTON.search(cell) and "待签收" in cell
            await browser.get("/lang/en?next=/notices")
            cell = _ack_cell((await browser.get("/notices")).text)
            assert not ACK_BUTTON.search(cell) and "Not yet acknowledged" in cell


def _statutory_basis(page: str) -> str:
    return page.split('<h3 id="s-statutory">')[1].split('<p class="hint small">')[1].split("</p>")[0]


def _statutory_card(page: str) -> str:
    return page.split('<h2 id="s-statutory">')[1].split('<p class="card-sub small">')[1].split("</p>")[0]


async def test_english_pages_state_the_legal_basis_of_the_statutory_periods_in_english(api: Api) -> None:
    async with (
        api.client() as browser,
        api.client() as center,
        api.client("shinan-officer") as officer,
        api.client("zhifu-clerk") as clerk,
    ):
        matter = await file_matter(officer)
        ok(await act(clerk, matter["id"], "sign-for", matter["version"]))
        await login(browser, "shinan-officer")
        chinese = _statutory_basis((await browser.get(f"/delegations/{matter['id']}")).text)
        assert chinese.startswith("《中华人民共和国民事诉讼法》第二百四十条（收到委托函件后十五日内开始执行")
        await browser.get("/lang/en?next=/work")
        english = _statutory_basis((await browser.get(f"/delegations/{matter['id']}")).text)
        assert english.startswith("Civil Procedure Law (《中华人民共和国民事诉讼法》), Art. 240: start execution")
        assert "第二百四十条" not in english and "periods counted per Art. 85" in english
        await login(center, "yantai-center")
        card = _statutory_card((await center.get("/dashboard")).text)
        assert card.startswith("民诉法 第二百四十条：收到委托函件后十五日内开始执行")  # the Chinese page as it was
        await center.get("/lang/en?next=/dashboard")
        card = _statutory_card((await center.get("/dashboard")).text)
        assert card.startswith("Civil Procedure Law (《中华人民共和国民事诉讼法》), Art. 240: execution started")


async def test_assigning_the_same_handler_again_names_the_person_in_both_languages(api: Api) -> None:
    await add_handlers(api)  # 王法官 zhifu-wang and 李法官 zhifu-li
    async with api.client() as browser, api.client("shinan-officer") as officer, api.client("zhifu-clerk") as clerk:
        matter = await file_matter(officer)
        signed = ok(await act(clerk, matter["id"], "sign-for", matter["version"], {"handler": "zhifu-li"}))
        token = await login(browser, "zhifu-clerk")
        path = f"/delegations/{matter['id']}/act/assign_handler"
        form = {"csrf_token": token, "version": str(signed["version"]), "handler": "zhifu-li"}
        chinese = await browser.post(path, data=form)
        assert chinese.status_code == 422 and "本事项已由李法官承办" in chinese.text
        await browser.get("/lang/en?next=/work")
        english = await browser.post(path, data=form)
        assert english.status_code == 422 and "李法官 already handles this matter." in english.text
        assert "zhifu-li already" not in english.text


def _followups(page: str, number: str) -> str:
    [row] = [r for r in page.split("<tr")[1:] if f">{number}</a>" in r]
    found = re.search(r"data-followups>([^<]*)</span>", row)
    assert found, row
    return found.group(1)


async def test_one_urging_or_supervision_notice_and_one_day_read_in_the_singular(api: Api) -> None:
    async with api.client() as browser, api.client("shinan-officer") as officer, api.client("zhifu-clerk") as clerk:
        matter = await file_matter(officer)  # 2026-03-02
        ident, number = matter["id"], matter["number"]
        token = await login(browser, "yantai-center")
        path = f"/delegations/{ident}/notices"
        assert (await browser.post(path, data={"csrf_token": token, "kind": "urge"})).status_code == 303
        api.clock.now += timedelta(days=7)  # past the 2 working days to sign for
        token = await login(browser, "yantai-center")  # the session has expired meanwhile
        assert (await browser.post(path, data={"csrf_token": token, "kind": "supervise"})).status_code == 303
        await browser.get("/lang/en?next=/work")
        listed = (await browser.get("/work", params={"view": "all"})).text
        assert _followups(listed, number) == (
            "Urged 1 time, last on March 2, 2026 · Supervised 1 time, last on March 9, 2026"
        )
        again = {"csrf_token": token, "kind": "urge", "confirm_repeat": "1"}
        assert (await browser.post(path, data=again)).status_code == 303
        signed = ok(await act(clerk, ident, "sign-for", matter["version"]))
        ok(await act(clerk, ident, "request-extension", signed["version"], {"days": 1, "comment": "系统维护"}))
        listed = (await browser.get("/work", params={"view": "all"})).text
        assert _followups(listed, number) == (
            "Urged 2 times, last on March 9, 2026 · Supervised 1 time, last on March 9, 2026"
            " · an extension of 1 working day waits for the command center"
        )
        page = (await browser.get(f"/delegations/{ident}")).text
        assert "an extension of 1 working day waits" in page
        budget = re.search(r"<dt>Budget</dt><dd>([^<]*)</dd>", page)
        assert budget and budget.group(1) == "7 working days"
        await browser.get("/lang/zh_CN?next=/work")
        listed = (await browser.get("/work", params={"view": "all"})).text
        assert _followups(listed, number) == (
            "已催办2次（最近2026年3月9日） · 已督办1次（最近2026年3月9日） · 延期1个工作日的申请待审批"
        )


async def test_a_recorded_results_note_is_in_the_brackets_of_the_pages_language(api: Api) -> None:
    async with api.client() as browser, api.client("shinan-officer") as officer, api.client("zhifu-clerk") as clerk:
        matter = await file_matter(officer)
        signed = ok(await act(clerk, matter["id"], "sign-for", matter["version"], {"handler": "zhifu-wang"}))
        result = {"results": [{"asset": "鲁F88888", "outcome": "done", "note": "已查询到登记信息"}]}
        ok(await act(clerk, matter["id"], "record-result", signed["version"], result))
        await login(browser, "shinan-officer")
        timeline = (await browser.get(f"/delegations/{matter['id']}")).text.split('id="s-timeline"')[1]
        assert re.search(r"<li>鲁F88888：[^<（]+（已查询到登记信息）</li>", timeline)
        await browser.get("/lang/en?next=/work")
        timeline = (await browser.get(f"/delegations/{matter['id']}")).text.split('id="s-timeline"')[1]
        assert "<li>鲁F88888: Done (已查询到登记信息)</li>" in timeline and "（" not in timeline


async def test_an_extension_reads_more_working_days_everywhere(api: Api) -> None:
    async with (
        api.client() as browser,
        api.client() as center,
        api.client("shinan-officer") as officer,
        api.client("zhifu-clerk") as clerk,
    ):
        matter = await file_matter(officer)
        signed = ok(await act(clerk, matter["id"], "sign-for", matter["version"], {"handler": "zhifu-wang"}))
        await login(browser, "zhifu-clerk")
        await browser.get("/lang/en?next=/work")
        form = (await browser.get(f"/delegations/{matter['id']}")).text
        assert ">Additional working days<span" in form and "Working days more" not in form
        body = {"days": 5, "comment": "车管所系统维护"}
        ok(await act(clerk, matter["id"], "request-extension", signed["version"], body))
        timeline = (await browser.get(f"/delegations/{matter['id']}")).text.split('id="s-timeline"')[1]
        assert "<p>5 more working days</p>" in timeline
        await login(center, "yantai-center")
        await center.get("/lang/en?next=/dashboard")
        board = (await center.get("/dashboard")).text
        assert "<span>5 more working days: 车管所系统维护</span>" in board
        page = (await center.get(f"/delegations/{matter['id']}")).text
        assert "Zhifu District People&#39;s Court asks for 5 more working days: 车管所系统维护" in page
        await center.get("/lang/zh_CN?next=/dashboard")
        assert "<span>申请延期5个工作日：车管所系统维护</span>" in (await center.get("/dashboard")).text


async def test_one_more_working_day_is_singular(api: Api) -> None:
    async with (
        api.client() as center,
        api.client("yantai-center") as deciding,
        api.client("shinan-officer") as officer,
        api.client("zhifu-clerk") as clerk,
    ):
        matter = await file_matter(officer)
        signed = ok(await act(clerk, matter["id"], "sign-for", matter["version"], {"handler": "zhifu-wang"}))
        asked = ok(
            await act(clerk, matter["id"], "request-extension", signed["version"], {"days": 1, "comment": "补查"})
        )
        await login(center, "yantai-center")
        await center.get("/lang/en?next=/dashboard")
        assert "<span>1 more working day: 补查</span>" in (await center.get("/dashboard")).text
        ok(await act(deciding, matter["id"], "approve-extension", asked["version"], {}))
        timeline = (await center.get(f"/delegations/{matter['id']}")).text.split('id="s-timeline"')[1]
        assert "<p>1 more working day</p>" in timeline and "<p>1 working day granted</p>" in timeline


async def test_the_work_list_and_the_notices_set_their_downloads_apart_from_their_count(api: Api) -> None:
    css = (STATIC_DIR / "css" / "app.css").read_text(encoding="utf-8")
    assert ".card.flush > .list-meta { display: flex;" in css  # the count and the downloads: two flex items
    assert ".card.flush > .list-meta > .exports { margin-left: auto; }" in css  # the downloads at the end
    async with api.client() as center:
        await login(center, "yantai-center")
        await center.get("/lang/en?next=/work")
        for path in ("/work?view=all", "/notices"):
            page = (await center.get(path)).text
            meta = re.search(
                r'<section class="card flush"[^>]*>\s*<h2[^>]*>[^<]*</h2>\s*<p class="list-meta">(.*?)</p>', page, re.S
            )
            assert meta, path
            assert re.match(r"\d+ (matters|notices)\s*<span class=\"exports\">Download:", meta.group(1)), meta.group(1)


LOWER_CASE_BADGE = re.compile(r'<span class="badge[^"]*">\s*[a-z]')


async def test_english_headings_hints_and_badges_start_with_a_capital(api: Api) -> None:
    async with (
        api.client() as browser,
        api.client() as center,
        api.client() as filer,
        api.client("shinan-officer") as officer,
        api.client("zhifu-clerk") as clerk,
    ):
        matter = await file_matter(officer)
        onsite = await file_matter(
            officer, matter_type="forced_eviction", fields=EVICTION_FIELDS, case_number="（2026）鲁0202执101号"
        )
        await login(browser, "zhifu-clerk")
        await browser.get("/lang/en?next=/work")
        hint = '<p class="hint">Signing for starts the {} period.</p>'
        assert hint.format("execution") in (await browser.get(f"/delegations/{matter['id']}")).text
        assert hint.format("support plan") in (await browser.get(f"/delegations/{onsite['id']}")).text
        signed = ok(await act(clerk, matter["id"], "sign-for", matter["version"]))
        first = {"handler": "执行一队", "first_step": "已向车辆管理所发出协助查询通知"}
        ok(await act(clerk, matter["id"], "assign-handler", signed["version"], first))  # execution started: met
        page = (await browser.get(f"/delegations/{matter['id']}")).text
        assert '<span class="badge ok">Met in time</span>' in page and not LOWER_CASE_BADGE.search(page)
        token = await login(center, "yantai-center")
        notice = {"csrf_token": token, "kind": "supervise"}
        assert (await center.post(f"/delegations/{matter['id']}/notices", data=notice)).status_code == 303
        await center.get("/lang/en?next=/dashboard")
        for path in ("/dashboard", "/notices", f"/delegations/{matter['id']}"):
            page = (await center.get(path)).text
            assert "Not acknowledged" in page or "Not yet acknowledged" in page, path
            assert not LOWER_CASE_BADGE.search(page), (path, LOWER_CASE_BADGE.search(page))
        await login(filer, "shinan-officer")
        await filer.get("/lang/en?next=/work")
        form = (await filer.get("/delegations/new?matter_type=vehicle_inquiry")).text
        assert "<legend>Applicant for enforcement</legend>" in form
        assert "<legend>Person subject to enforcement</legend>" in form
        await center.get("/lang/zh_CN?next=/dashboard")
        board = (await center.get("/dashboard")).text
        assert '<th scope="col">签收情况</th>' in board and '<span class="badge late">未签收</span>' in board


async def test_the_language_switch_names_each_language_in_itself_on_both_pages(api: Api) -> None:
    async with api.client() as browser:
        await login(browser, "shinan-officer")
        for lang in ("zh_CN", "en"):
            await browser.get(f"/lang/{lang}?next=/work")
            page = (await browser.get("/work")).text
            switch = page.split('<div class="lang" role="group"')[1].split("</div>")[0]
            links = re.findall(
                r'<a href="/lang/(\w+)\?next=[^"]*" lang="([\w-]+)" hreflang="([\w-]+)"[^>]*>([^<]+)</a>', switch
            )
            assert links == [("zh_CN", "zh-CN", "zh-CN", "中文"), ("en", "en", "en", "English")], switch
            current = re.search(r'href="/lang/(\w+)[^"]*"[^>]*aria-current="true"', switch)
            assert current and current.group(1) == lang


async def test_the_result_forms_asset_is_prefilled_with_the_records_chinese_name_in_either_language(api: Api) -> None:
    """The asset's name is stored in the record, which is Chinese: an English page prefilled "Vehicle inquiry"."""
    async with api.client() as browser, api.client("shinan-officer") as officer, api.client("zhifu-clerk") as clerk:
        matter = await file_matter(officer)  # 车辆查询: no asset list, the matter names its one result
        ok(await act(clerk, matter["id"], "sign-for", matter["version"], {"handler": "zhifu-wang"}))
        await login(browser, "zhifu-clerk")
        prefilled = 'name="results[0].asset" type="text" maxlength="200" value="车辆查询"'
        assert prefilled in (await browser.get(f"/delegations/{matter['id']}")).text
        await browser.get("/lang/en?next=/work")
        english = (await browser.get(f"/delegations/{matter['id']}")).text
        assert prefilled in english and 'value="Vehicle inquiry"' not in english
