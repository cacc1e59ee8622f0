"""Issue 11's day-to-day story, in headless Chromium against the app served by uvicorn.

The 市南区 officer files with a mistake and keeps the chosen files; edits the draft and submits; the 芝罘区
clerk returns it marking what to correct; the officer sees the badge, answers the reason, fixes the marked
field, uploads what was asked for and resubmits; the clerk signs for it and assigns a handler in one step; the
handler finds it under 我承办的, previews a document and completes it; the officer finds it by the platform
number and confirms.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from tests.e2e.conftest import LiveServer, run_async
from tests.e2e.support import Person
from tests.e2e.test_documents import _real_pdf
from tests.e2e.test_stories import _deliver, open_action
from tests.support import PARTIES

CASE = "（2026）鲁0202执300号"


def _scan(tmp_path: Path, name: str) -> str:
    path = tmp_path / name
    path.write_bytes(_real_pdf(name.encode("ascii", "ignore").decode() or "SCAN"))
    return str(path)


def test_story_3_a_matter_worked_day_to_day(browser: Any, live_server: LiveServer, tmp_path: Path) -> None:
    clock = live_server.clock
    officer = Person.open(browser, live_server, "shinan-officer")
    officer.login(expect_home="/work")
    page = officer.page

    # Filing with a mistake: the error is shown, the chosen files are kept (not to be chosen again).
    officer.goto("/delegations/new")
    page.get_by_label("车辆查询").check()
    page.get_by_role("button", name="下一步：填写事项").click()
    page.fill("#f-case_number", "(2026)鲁0202执300号")
    page.select_option("#f-assisting_court", "鲁0602")
    page.fill("#f-summary", "查询被执行人名下登记车辆")
    page.fill("#f-fields-note", "请查询车辆")
    applicant, debtor = PARTIES
    page.select_option("#f-parties-0-party_type", "legal_person")
    page.fill("#f-parties-0-name", str(applicant["name"]))
    page.fill("#f-parties-0-uscc", str(applicant["uscc"]))
    page.fill("#f-parties-1-name", str(debtor["name"]))
    page.fill("#f-parties-1-id_number", "110105194912310021")  # wrong check digit
    for kind in ("letter_of_delegation", "assistance_notice", "officer_credentials"):
        page.set_input_files(f"#f-document-{kind}", _scan(tmp_path, f"{kind}.pdf"))
    page.get_by_role("button", name="保存草稿并预览委托函").click()
    assert "居民身份证号码" in page.inner_text("#f-parties-1-id_number-err1")
    for kind in ("letter_of_delegation", "assistance_notice", "officer_credentials"):
        assert page.locator(f"#f-document-{kind}-kept").is_visible()
    assert "已保留" in page.inner_text("main")
    officer.shot("45-files-kept-after-an-error")
    page.fill("#f-parties-1-id_number", str(debtor["id_number"]))
    page.get_by_role("button", name="保存草稿并预览委托函").click()
    page.wait_for_url(re.compile(r"/delegations/\d+\?ok=draft_saved"))
    ident = int(re.findall(r"/delegations/(\d+)", page.url)[0])
    assert page.locator("table.documents tbody tr, .documents li").count() >= 3 or "letter_of_delegation.pdf" in (
        page.inner_text("main")
    )

    # The draft is edited in the same form, then submitted.
    page.get_by_role("link", name="修改草稿").click()
    page.wait_for_url(f"**/delegations/{ident}/edit")
    assert page.input_value("#f-parties-1-id_number") == str(debtor["id_number"])  # the author's own value
    page.fill("#f-fields-note", "请查询被执行人名下登记的全部车辆")
    page.get_by_role("button", name="保存修改并预览委托函").click()
    page.wait_for_url(re.compile(rf"/delegations/{ident}\?ok="))
    assert "请查询被执行人名下登记的全部车辆" in page.inner_text("main")
    page.get_by_role("button", name="提交委托").click()
    page.wait_for_url(f"**/delegations/{ident}?ok=submit")
    number = page.locator("p.eyebrow").first.inner_text().split("·")[0].strip()
    assert number.startswith("JD2026-")
    officer.assert_clean()

    # The clerk returns it, marking the remark and a missing document.
    clock.set("2026-03-02", "14:00")
    clerk = Person.open(browser, live_server, "zhifu-clerk")
    clerk.login(expect_home="/work")
    cp = clerk.page
    clerk.goto(f"/delegations/{ident}")
    back = open_action(cp, "退回补正")
    cp.select_option("#a-return_for_correction-reason_code", index=1)
    cp.fill("#a-return_for_correction-comment", "请写明车辆号牌，并补充执行裁定书")
    back.locator('input[name="flagged"][value="fields.note"]').check()
    back.locator('input[name="flagged"][value="document.enforcement_ruling"]').check()
    back.get_by_role("button", name="退回补正").click()
    cp.wait_for_url(f"**/delegations/{ident}?ok=return_for_correction")

    # The officer sees the badge, opens the matter: the reason on top, only the marked items editable.
    clock.set("2026-03-02", "15:00")
    run_async(lambda: _deliver(live_server))
    officer.goto("/work")
    badge = page.locator("[data-inbox-count]")
    assert badge.is_visible() and int(badge.inner_text()) >= 1
    officer.shot("46-inbox-badge-returned", full_page=False)
    page.locator("a.inbox-link").click()
    page.wait_for_url("**/inbox")
    page.locator("[data-testid=inbox-item]", has_text="退回").first.get_by_role("link").first.click()
    page.wait_for_url(f"**/delegations/{ident}*")
    callout = page.locator(".return-callout")
    assert "请写明车辆号牌" in callout.inner_text() and "执行裁定书" in callout.inner_text()
    page.fill("#f-fields-note", "请查询被执行人名下车辆，号牌鲁B12345")
    page.set_input_files("#f-document-enforcement_ruling", _scan(tmp_path, "ruling.pdf"))
    page.fill("#f-comment", "已写明号牌，并补充执行裁定书")
    assert page.locator("#f-case_number").count() == 0  # not marked: not editable
    officer.shot("47-correction-editable")
    page.get_by_role("button", name="补正后重新提交").click()
    page.wait_for_url(f"**/delegations/{ident}?ok=resubmit")
    officer.assert_clean()

    # The clerk signs for it and assigns the handler in one step (from the list, ticking it).
    clock.set("2026-03-03", "09:30")
    clerk.visit("/work?view=waiting&stage=sign_for")  # a new day: logged in again if the session ended
    row = cp.locator("table.list tbody tr", has_text=CASE)
    assert "待烟台市芝罘区人民法院签收" in row.inner_text()
    row.locator('input[name="ids"]').check()
    cp.select_option("#batch-handler", label="王法官")
    clerk.shot("48-batch-sign-for")
    cp.get_by_test_id("batch-sign-for").click()
    cp.wait_for_url("**/work/batch")
    assert "共1件，办理成功1件" in cp.inner_text("[data-testid=batch-summary]")
    assert cp.locator('tr[data-outcome="done"]', has_text=number).is_visible()
    clerk.assert_clean()
    clerk.close()

    # The handler finds it under 我承办的, previews the ruling, completes with the receipt.
    run_async(lambda: _deliver(live_server))
    handler = Person.open(browser, live_server, "zhifu-wang")
    handler.login(expect_home="/work")
    hp = handler.page
    hp.get_by_role("navigation", name="主菜单").get_by_role("link", name="我承办的").click()
    hp.wait_for_url("**/work?view=mine")
    mine = hp.locator("table.list tbody tr", has_text=CASE)
    assert "待烟台市芝罘区人民法院办理" in mine.inner_text()
    handler.shot("55-handler-mine-next-step")
    mine.get_by_role("link", name=number).click()
    hp.get_by_role("link", name="ruling.pdf", exact=True).click()
    hp.wait_for_url(re.compile(rf"/delegations/{ident}/documents/\d+/preview"))
    hp.locator("[data-rendered='1']").wait_for()
    assert hp.locator("canvas.pdf-page").count() == 1
    handler.shot("49-handler-preview")
    handler.goto(f"/delegations/{ident}")
    complete = open_action(hp, "办结并上传回执")
    hp.set_input_files("#a-complete-document-receipt", _scan(tmp_path, "receipt.pdf"))
    hp.fill("#a-complete-comment", "查询完毕，名下车辆一辆")
    complete.get_by_role("button", name="办结并上传回执").click()
    hp.wait_for_url(f"**/delegations/{ident}?ok=complete")
    handler.assert_clean()
    handler.close()

    # The officer finds it by the platform number and confirms.
    clock.set("2026-03-03", "16:00")
    officer.visit("/work?view=all")
    page.fill("#q", number.lower())
    page.get_by_role("button", name="筛选").click()
    page.wait_for_url("**/work?*q=*")
    rows = page.locator("table.list tbody tr")
    assert rows.count() == 1 and "待青岛市市南区人民法院确认" in rows.first.inner_text()
    rows.first.get_by_role("link", name=number).click()
    page.get_by_role("button", name="确认办理结果").click()
    page.wait_for_url(f"**/delegations/{ident}?ok=confirm")
    timeline = page.inner_text("ol.timeline")
    for text in ("提交委托", "退回补正", "补正后重新提交", "已签收", "指定承办人", "办结", "确认办理结果"):
        assert text in timeline, text
    officer.assert_clean()
    officer.close()
