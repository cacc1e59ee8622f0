"""The rough edges found in the browser (issue 11, item 8), each pinned: labels instead of codes in errors,
a banner that says fields are marked only when one is, which party an error is about, a past on-site date
refused, no court chosen, another court's case number by name, units as the clock counts them, one 起算
per clock, the stated default sort, English without Chinese leftovers, 404 for a malformed id, and a 409
page that says who acted meanwhile."""

from __future__ import annotations

import re
from typing import Any

from tests.api.actors import Api
from tests.api.support import act, draft_body, file_matter, ok, upload
from tests.support import PARTIES
from tests.web.support import login


async def _page(client: Any, path: str, status: int = 200) -> str:
    response = await client.get(path)
    assert response.status_code == status, (path, response.status_code, response.text[:800])
    return str(response.text)


def _summary(page: str) -> str:
    """The error summary at the top of a refused page."""
    found = re.search(r"<div class=\"alert error\".*?</div>", page, re.S)
    assert found, "no error summary"
    return found.group(0)


async def test_missing_documents_are_named_and_the_banner_does_not_speak_of_marked_fields(api: Api) -> None:
    async with api.client() as browser, api.client() as clerk_browser, api.client("shinan-officer") as officer:
        draft = ok(await officer.post("/api/v1/delegations", json=draft_body()), 201)
        await upload(officer, draft["id"], "letter_of_delegation")
        token = await login(browser, "shinan-officer")
        refused = await browser.post(
            f"/delegations/{draft['id']}/act/submit", data={"csrf_token": token, "version": draft["version"]}
        )
        assert refused.status_code == 422
        summary = _summary(refused.text)
        assert "未能完成该操作" in summary and "标出" not in summary
        assert "协助执行通知书" in summary and "工作证/执行公务证" in summary
        assert "assistance_notice" not in summary and "officer_credentials" not in summary
        api_refusal = await act(officer, draft["id"], "submit", draft["version"])
        assert "Notice of assistance in enforcement" in api_refusal.text
        await browser.get("/lang/en?next=/work")
        english = await browser.post(
            f"/delegations/{draft['id']}/act/submit", data={"csrf_token": token, "version": draft["version"]}
        )
        assert "This could not be done" in _summary(english.text) and "marked" not in _summary(english.text)
        # An error next to a field keeps the usual banner.
        await browser.get("/lang/zh_CN?next=/work")
        matter = await file_matter(officer)
        clerk = await login(clerk_browser, "zhifu-clerk")
        marked = await clerk_browser.post(
            f"/delegations/{matter['id']}/act/return_for_correction",
            data={"csrf_token": clerk, "version": matter["version"], "reason_code": "other"},
        )
        assert marked.status_code == 422 and "请检查标出的字段" in _summary(marked.text)


async def test_filing_errors_say_which_party_no_court_a_past_date_and_the_other_courts_name(api: Api) -> None:
    async with api.client() as browser:
        token = await login(browser, "shinan-officer")
        applicant = PARTIES[0]
        response = await browser.post(
            "/delegations/new",
            data={
                "csrf_token": token,
                "matter_type": "forced_eviction",
                "case_number": "(2026)鲁0602执1号",
                "assisting_court": "",
                "fields.property_address": "山东省烟台市芝罘区南大街100号3单元501室",
                "fields.scheduled_date": "2026-03-01",  # the day before the test clock's today
                "fields.officer_count": "6",
                "fields.contact_name": "赵队长",
                "fields.contact_phone": "13900139000",
                "parties[0].role": "applicant",
                "parties[0].party_type": "legal_person",
                "parties[0].name": str(applicant["name"]),
                "parties[0].uscc": str(applicant["uscc"]),
                "parties[1].role": "debtor",
                "parties[1].party_type": "natural_person",
                "parties[1].name": "张三",
                "parties[1].id_number": "110105194912310021",
                "do": "save",
            },
        )
        assert response.status_code == 422
        summary = _summary(response.text)
        assert "请选择受托法院" in summary and "不存在或已撤销" not in summary
        assert "拟执行日期不能早于今天" in summary
        assert "第2名当事人（被执行人 张三）：" in summary
        assert "烟台市芝罘区人民法院（鲁0602）" in summary and "“鲁0602”" not in summary
        assert "青岛市市南区人民法院（鲁0202）" in summary


async def test_a_past_on_site_date_is_refused_over_the_api_and_today_is_accepted(api: Api) -> None:
    async with api.client("shinan-officer") as officer:
        fields = {
            "property_address": "山东省烟台市芝罘区南大街100号3单元501室",
            "scheduled_date": "2026-03-01",
            "officer_count": 6,
            "contact_name": "赵队长",
            "contact_phone": "13900139000",
        }
        past = await officer.post("/api/v1/delegations", json=draft_body(matter_type="forced_eviction", fields=fields))
        assert past.status_code == 422
        assert [e["field"] for e in past.json()["errors"]] == ["fields.scheduled_date"]
        today = draft_body(matter_type="forced_eviction", fields=fields | {"scheduled_date": "2026-03-02"})
        ok(await officer.post("/api/v1/delegations", json=today), 201)


async def test_clock_units_as_counted_and_one_start_per_clock(api: Api) -> None:
    async with (
        api.client() as browser,
        api.client("shinan-officer") as officer,
        api.client("zhifu-clerk") as clerk,
        api.client("yantai-center") as center,
    ):
        matter = await file_matter(officer)
        signed = ok(await act(clerk, matter["id"], "sign-for", matter["version"]))
        asked = ok(
            await act(
                clerk, matter["id"], "request-extension", signed["version"], {"days": 3, "comment": "车管所系统维护"}
            )
        )
        ok(await act(center, matter["id"], "approve-extension", asked["version"], {}))
        await login(browser, "zhifu-clerk")
        page = await _page(browser, f"/delegations/{matter['id']}")
        clocks = page.split('id="s-clocks"')[1].split("</section>")[0]
        assert "（已延期3个工作日）" in clocks and "已延期3天" not in clocks
        assert "申请延期3个工作日" in clocks and "已批准3个工作日" in clocks
        assert clocks.count("起算") == clocks.count('<li class="clock')  # one 起算 per clock, no second one


async def test_the_work_list_opens_in_the_order_it_states(api: Api) -> None:
    async with api.client() as browser, api.client("shinan-officer") as officer:
        first = await file_matter(officer)
        api.clock.set("2026-03-04")
        second = await file_matter(officer, case_number="（2026）鲁0202执101号")
        await login(browser, "zhifu-clerk")
        page = await _page(browser, "/work")
        assert "排序：按期限先后" in page
        rows = re.findall(r'href="/delegations/(\d+)"', page.split("<tbody")[1])
        assert rows.index(str(first["id"])) < rows.index(str(second["id"]))  # the one due first, though older
        selected = re.search(r'<option value="(\w+)" selected>', page.split('id="sort"')[1])
        assert selected and selected.group(1) == "due"
        outbox = await _page(browser, "/work?view=inbox")
        assert "排序：最新在前" in outbox


async def test_english_pages_have_no_chinese_leftovers_in_the_notice_time_and_the_print_toolbar(api: Api) -> None:
    async with api.client() as center, api.client() as clerk, api.client("shinan-officer") as officer:
        matter = await file_matter(officer)
        center_token = await login(center, "yantai-center")
        issued = await center.post(
            f"/delegations/{matter['id']}/notices", data={"csrf_token": center_token, "kind": "supervise"}
        )
        assert issued.status_code == 303
        token = await login(clerk, "zhifu-clerk")
        notice_id = re.search(r'href="/notices/(\d+)"', await _page(clerk, "/notices?pending=1"))
        assert notice_id
        path = f"/notices/{notice_id.group(1)}"
        done = await clerk.post(f"{path}/acknowledge", data={"csrf_token": token, "reply": "已安排专人办理"})
        assert done.status_code == 303
        assert "0分钟" in await _page(clerk, path)
        await clerk.get("/lang/en?next=/work")
        english = await _page(clerk, path)
        assert "0 min" in english and "分钟" not in english
        printed = await _page(clerk, f"/print/notices/{notice_id.group(1)}")
        toolbar = printed.split('class="print-toolbar"')[1].split("</div>")[0]
        assert 'lang="en"' in toolbar and "Print" in toolbar and "Back" in toolbar
        assert not re.search(r"[\u4e00-\u9fff]", toolbar)
        assert "督办通知" in printed  # the document itself stays Chinese
        letter = await _page(clerk, f"/print/delegations/{matter['id']}/letter")
        assert f'href="/delegations/{matter["id"]}"' in letter.split('class="print-toolbar"')[1].split("</div>")[0]


async def test_a_malformed_or_impossible_id_is_a_404_page(api: Api) -> None:
    async with api.client() as browser:
        await login(browser, "shinan-officer")
        for path in ("/delegations/abc", "/delegations/0", "/delegations/99999999999", "/notices/x"):
            page = await _page(browser, path, 404)
            assert "未找到" in page, path
        assert (
            await browser.get("/work?due_before=x&view=" + "w" * 11)
        ).status_code == 400  # a bad query value stays a 400
        stale = await browser.get("/work?cursor=abc")  # a page position that is not one: said in Chinese
        assert stale.status_code == 422 and "翻页位置无效" in stale.text


async def test_a_stale_page_says_who_acted_meanwhile_and_what_changed(api: Api) -> None:
    async with (
        api.client() as browser,
        api.client() as clerk_browser,
        api.client("shinan-officer") as officer,
        api.client("zhifu-clerk") as clerk,
    ):
        matter = await file_matter(officer)
        token = await login(browser, "shinan-officer")
        page = await _page(browser, f"/delegations/{matter['id']}")
        assert f'name="version" value="{matter["version"]}"' in page
        api.clock.set("2026-03-02", "14:05")
        ok(await act(clerk, matter["id"], "sign-for", matter["version"]))
        stale = await browser.post(
            f"/delegations/{matter['id']}/act/withdraw",
            data={"csrf_token": token, "version": matter["version"], "comment": "当事人已和解"},
        )
        assert stale.status_code == 409
        summary = _summary(stale.text)
        assert "刚刚已由他人办理" in summary
        assert "14:05" in summary and "芝罘区" in summary and "签收" in summary
        assert "待签收 → 已签收" in summary
        # The same user in another window is told so, not that someone else acted.
        clerk_token = await login(clerk_browser, "zhifu-clerk")
        current = ok(await clerk.get(f"/api/v1/delegations/{matter['id']}"))
        ok(await act(clerk, matter["id"], "assign-handler", current["version"], {"handler": "王法官"}))
        again = await clerk_browser.post(
            f"/delegations/{matter['id']}/act/assign_handler",
            data={"csrf_token": clerk_token, "version": current["version"], "handler": "李法官"},
        )
        assert again.status_code == 409 and "您已在另一窗口" in _summary(again.text)


async def test_the_number_and_deadline_headers_sort_the_list_and_say_which_order_is_on(api: Api) -> None:
    async with api.client() as browser, api.client("shinan-officer") as officer:
        first = await file_matter(officer)
        api.clock.set("2026-03-04")
        second = await file_matter(officer, case_number="（2026）鲁0202执101号")
        await login(browser, "zhifu-clerk")

        def order(page: str) -> list[str]:
            ids = re.findall(r'href="/delegations/(\d+)"', page.split("<tbody")[1])
            return [i for i in dict.fromkeys(ids) if i in (str(first["id"]), str(second["id"]))]

        newest = await _page(browser, "/work?view=all&status=submitted")  # this list's stated default
        assert "排序：最新在前" in newest and order(newest) == [str(second["id"]), str(first["id"])]
        assert 'aria-sort="descending"' in newest.split('data-testid="sort-number"')[0][-200:]
        by_number = re.search(r'<a href="([^"]+)" data-testid="sort-number"', newest)
        assert by_number and "sort=oldest" in by_number.group(1) and "status=submitted" in by_number.group(1)
        oldest = await _page(browser, by_number.group(1).replace("&amp;", "&"))  # the same header turns it round
        assert "排序：最早在前" in oldest and order(oldest) == [str(first["id"]), str(second["id"])]
        by_due = re.search(r'<a href="([^"]+)" data-testid="sort-due"', oldest)
        assert by_due and "sort=due" in by_due.group(1)
        due_first = await _page(browser, by_due.group(1).replace("&amp;", "&"))
        assert "排序：按期限先后" in due_first and order(due_first) == [str(first["id"]), str(second["id"])]
        assert 'aria-sort="ascending"' in due_first.split('data-testid="sort-due"')[0][-200:]
