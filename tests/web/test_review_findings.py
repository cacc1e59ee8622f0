"""What a review of the pages in Chromium found (2026-12-08), each pinned: a draft's printed letter does not
claim to mask what it prints in full, and names its author as 承办人."""

from __future__ import annotations

import re

from tests.api.actors import Api
from tests.api.support import act, draft_body, file_matter, ok, upload
from tests.api.test_inbox import deliver
from tests.support import PARTIES
from tests.web.support import login

MASKED_NOTE = "本打印件中的个人信息（身份证号、地址、电话、账号）已脱敏"
ID_NUMBER = str(PARTIES[1]["id_number"])


async def test_a_drafts_letter_printed_by_its_author_shows_what_they_typed_without_claiming_it_is_masked(
    api: Api,
) -> None:
    async with api.client() as browser, api.client("shinan-officer") as officer:
        draft = ok(await officer.post("/api/v1/delegations", json=draft_body()), 201)
        await login(browser, "shinan-officer")
        letter = await browser.get(f"/print/delegations/{draft['id']}/letter")
        assert letter.status_code == 200
        assert ID_NUMBER in letter.text  # the author typed it: shown as typed (issue 11)
        assert MASKED_NOTE not in letter.text
        assert "承办人：—" not in letter.text  # the draft's author is its 承办人 until it is submitted


async def test_a_submitted_letter_is_printed_in_full_for_the_assisting_court_and_masked_for_no_one_else(
    api: Api,
) -> None:
    async with api.client() as clerk_browser, api.client() as center_browser, api.client("shinan-officer") as officer:
        matter = await file_matter(officer)
        await login(clerk_browser, "zhifu-clerk")
        letter = await clerk_browser.get(f"/print/delegations/{matter['id']}/letter")
        assert ID_NUMBER in letter.text and MASKED_NOTE not in letter.text
        await login(center_browser, "yantai-center")
        seen = await center_browser.get(f"/print/delegations/{matter['id']}/letter")
        assert seen.status_code == 200
        # Whoever is not shown the full values is told they are masked, and the values are.
        assert (ID_NUMBER in seen.text) != (MASKED_NOTE in seen.text)


async def test_a_form_posted_after_logging_out_elsewhere_says_it_was_not_done_and_leads_back_to_its_page(
    api: Api,
) -> None:
    async with api.client() as browser, api.client("shinan-officer") as officer:
        matter = await file_matter(officer)
        page = f"/delegations/{matter['id']}"
        token = await login(browser, "shinan-officer")
        assert (await browser.post("/logout", data={"csrf_token": token})).status_code == 303  # "another tab"
        posted = await browser.post(
            f"{page}/act/withdraw",
            data={"csrf_token": token, "version": str(matter["version"]), "comment": "撤回"},
            headers={"Referer": f"http://testserver{page}?tab=actions"},
        )
        assert posted.status_code == 303
        location = posted.headers["location"]
        assert location.startswith("/login?") and "unsent=1" in location
        assert f"next=%2Fdelegations%2F{matter['id']}%3Ftab%3Dactions" in location  # the page, not the form's address
        login_page = await browser.get(location)
        assert "刚才提交的操作没有办理" in login_page.text
        landing = await login(browser, "shinan-officer", next_url=f"{page}?tab=actions")
        assert landing  # landed on the matter's page (a 405 before)
        still = ok(await officer.get(f"/api/v1/delegations/{matter['id']}"))
        assert still["status"] == "submitted"


async def test_a_form_posted_without_a_session_from_another_site_leads_home_after_login(api: Api) -> None:
    async with api.client() as browser, api.client("shinan-officer") as officer:
        matter = await file_matter(officer)
        posted = await browser.post(
            f"/delegations/{matter['id']}/act/withdraw",
            data={"version": str(matter["version"])},
            headers={"Referer": "https://evil.example/delegations/1"},
        )
        assert posted.status_code == 303 and "next=%2F&" in posted.headers["location"]


EVICTION_FIELDS = {
    "property_address": "山东省烟台市芝罘区南大街100号3单元501室",
    "scheduled_date": "2026-03-13",
    "officer_count": 6,
    "contact_name": "赵队长",
    "contact_phone": "13900139000",
}


async def test_an_on_site_result_waits_for_the_agreed_date_and_the_page_says_why(api: Api) -> None:
    async with (
        api.client() as browser,
        api.client("shinan-officer") as officer,
        api.client("zhifu-clerk") as clerk,
    ):
        matter = await file_matter(officer, matter_type="forced_eviction", fields=EVICTION_FIELDS)
        signed = ok(await act(clerk, matter["id"], "sign-for", matter["version"], {"handler": "zhifu-wang"}))
        agreed = ok(await act(clerk, matter["id"], "schedule", signed["version"], {"scheduled_date": "2026-03-13"}))
        result = {"results": [{"asset": "芝罘区南大街100号3单元501室", "outcome": "done"}]}
        early = await act(clerk, matter["id"], "record-result", agreed["version"], result)
        assert early.status_code == 422
        assert "约定执行日期（2026年3月13日）尚未到来" in early.text
        token = await login(browser, "zhifu-clerk")
        before = (await browser.get(f"/delegations/{matter['id']}")).text
        assert "约定执行日期为2026年3月13日（周五）：现场执行后方可登记结果或办结" in before  # said before typing
        page = await browser.post(
            f"/delegations/{matter['id']}/act/record_result",
            data={
                "csrf_token": token,
                "version": str(agreed["version"]),
                "results[0].asset": "芝罘区南大街100号3单元501室",
                "results[0].outcome": "done",
            },
        )
        assert page.status_code == 422 and "约定执行日期（2026年3月13日）尚未到来" in page.text
        api.clock.set("2026-03-13", "16:00")
        await login(browser, "zhifu-clerk")  # the session of 03-02 has expired
        on_the_day = (await browser.get(f"/delegations/{matter['id']}")).text
        assert "a-record_result-results-0-asset" in on_the_day and "现场执行后方可登记结果或办结" not in on_the_day
        ok(await act(clerk, matter["id"], "record-result", agreed["version"], result))


async def test_a_return_sent_empty_marks_both_the_reason_and_what_to_correct(api: Api) -> None:
    async with api.client() as browser, api.client("shinan-officer") as officer:
        matter = await file_matter(officer)
        token = await login(browser, "zhifu-clerk")
        refused = await browser.post(
            f"/delegations/{matter['id']}/act/return_for_correction",
            data={"csrf_token": token, "version": str(matter["version"]), "reason_code": "", "comment": ""},
        )
        assert refused.status_code == 422
        assert "请选择退回原因" in refused.text and "请写明需要补正的内容" in refused.text


async def test_a_rework_request_without_its_reason_asks_for_what_must_be_redone(api: Api) -> None:
    async with api.client("shinan-officer") as officer, api.client("zhifu-clerk") as clerk:
        matter = await file_matter(officer)
        signed = ok(await act(clerk, matter["id"], "sign-for", matter["version"], {"handler": "zhifu-wang"}))
        result = {"results": [{"asset": "鲁F88888", "outcome": "done"}]}
        recorded = ok(await act(clerk, matter["id"], "record-result", signed["version"], result))
        await upload(clerk, matter["id"], "receipt")
        done = ok(await act(clerk, matter["id"], "complete", recorded["version"]))
        refused = await act(officer, matter["id"], "request-rework", done["version"], {"comment": " "})
        assert refused.status_code == 422 and "请写明需要重新办理的内容" in refused.text


async def test_an_inbox_item_about_a_matter_redirected_away_says_so_instead_of_a_404(api: Api) -> None:
    async with (
        api.client() as browser,
        api.client("shinan-officer") as officer,
        api.client("zhifu-clerk") as clerk,
        api.client("yantai-center") as center,
    ):
        matter = await file_matter(officer)
        await deliver(api)
        declined = ok(
            await act(clerk, matter["id"], "decline", matter["version"], {"comment": "被执行人住所地在福山区"})
        )
        ok(await act(center, matter["id"], "redirect", declined["version"], {"new_court": "鲁0611"}))
        items = ok(await clerk.get("/api/v1/inbox", params={"delegation_id": matter["id"]}))["items"]
        assert items  # the clerk was told when it was filed to their court
        await login(browser, "zhifu-clerk")
        opened = await browser.get(f"/inbox/{items[0]['id']}/open")
        assert opened.status_code == 303 and opened.headers["location"] == "/inbox?ok=gone"
        assert "已不在贵院可查看的范围内" in (await browser.get(opened.headers["location"])).text


async def test_an_on_site_matter_calls_its_letter_the_letter_requesting_assistance_which_encloses_not_itself(
    api: Api,
) -> None:
    async with api.client() as browser, api.client("shinan-officer") as officer:
        draft = ok(
            await officer.post(
                "/api/v1/delegations", json=draft_body(matter_type="forced_eviction", fields=EVICTION_FIELDS)
            ),
            201,
        )
        await upload(officer, draft["id"], "letter_of_delegation")
        await upload(officer, draft["id"], "enforcement_ruling")
        await login(browser, "shinan-officer")
        page = (await browser.get(f"/delegations/{draft['id']}")).text
        assert "协助执行函预览" in page and "打印协助执行函" in page and "委托函预览" not in page
        letter = (await browser.get(f"/print/delegations/{draft['id']}/letter")).text
        enclosed = letter.split("随附材料：")[1].split("</li>")[0]
        assert "执行裁定书" in enclosed and "委托函" not in enclosed


async def test_the_top_bar_marks_one_page_as_current_on_the_work_lists(api: Api) -> None:
    async with api.client() as officer_browser, api.client() as center_browser:
        await login(officer_browser, "shinan-officer")
        await login(center_browser, "yantai-center")

        def marked(page: str) -> list[str]:
            menu = page.split('<nav class="mainnav"')[1].split("</nav>")[0]
            return re.findall(r'<a href="([^"]+)" aria-current="page">', menu)

        assert marked((await officer_browser.get("/work")).text) == ["/work"]
        assert marked((await officer_browser.get("/work?view=all")).text) == ["/work?view=all"]
        assert marked((await center_browser.get("/work?view=all")).text) == ["/work?view=all"]
        assert marked((await center_browser.get("/work?lateness=overdue")).text) == ["/work?view=all"]
        subtitle = (await officer_browser.get("/work")).text
        assert "待我院处理的事项 · 排序" in subtitle  # no 。 before the separator


async def test_one_urging_notice_reads_issued_once_in_english(api: Api) -> None:
    async with api.client() as center, api.client("shinan-officer") as officer:
        matter = await file_matter(officer)
        token = await login(center, "yantai-center")
        urged = await center.post(f"/delegations/{matter['id']}/notices", data={"csrf_token": token, "kind": "urge"})
        assert urged.status_code == 303
        assert re.search(r"催办[^·]*1次", (await center.get(f"/delegations/{matter['id']}")).text)
        await center.get("/lang/en?next=/work")
        english = (await center.get(f"/delegations/{matter['id']}")).text
        assert "issued once" in english and "1 times" not in english


async def test_english_matter_pages_use_english_colons_and_capitalised_role_labels(api: Api) -> None:
    async with api.client() as browser, api.client("shinan-officer") as officer:
        matter = await file_matter(officer)
        await login(browser, "shinan-officer")
        await browser.get("/lang/en?next=/work")
        page = (await browser.get(f"/delegations/{matter['id']}")).text
        clock = page.split('class="head-clock">')[1].split("</span>")[0]
        assert ": " in clock and "：" not in clock
        assert ">Applicant for enforcement</span>" in page
        await browser.get("/lang/zh_CN?next=/work")
        chinese = (await browser.get(f"/delegations/{matter['id']}")).text
        assert "：" in chinese.split('class="head-clock">')[1].split("</span>")[0]


async def test_every_figure_tile_of_the_dashboard_leads_to_what_it_counts(api: Api) -> None:
    async with api.client() as center:
        await login(center, "yantai-center")
        page = (await center.get("/dashboard")).text
        tiles = page.split('<ul class="tiles"')[1].split("</ul>")[0].split('<li class="tile')[1:]
        assert len(tiles) >= 7
        for tile in tiles:
            link = re.search(r'<a href="([^"]+)">', tile)
            assert link, tile
            target = link.group(1)
            assert target.startswith("/work?") or f'id="{target[1:]}"' in page, target
