"""The two stories of issue 5, in headless Chromium against the app served by uvicorn.

1. A 市南区 officer files a forced eviction (强制腾迁) to 芝罘区 with its documents; the 芝罘区 clerk signs
   for it, assigns a handler, agrees the date, records the result and completes it with a 回执; the officer
   confirms.
2. Time moves on until a matter is overdue: the Yantai command center sees it on its dashboard and issues
   a 督办 notice; the 芝罘区 clerk acknowledges it with a reply.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from delegation.core.access import Actor, UserRole
from delegation.core.states import Action
from delegation.filing import documents as document_service
from delegation.outbox import service as outbox_service
from delegation.outbox.model import RetryPolicy
from delegation.refdata.service import load_reference
from delegation.store.blobs import LocalBlobStore
from delegation.store.db import make_engine, make_sessionmaker
from tests.e2e.conftest import LiveServer, run_async
from tests.e2e.support import TABLET, Person
from tests.support import PARTIES, act, eviction_draft, file_draft

PDF = b"%PDF-1.4\n% scan\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def _scan(tmp_path: Path, name: str) -> str:
    path = tmp_path / name
    path.write_bytes(PDF)
    return str(path)


def open_action(page: Any, label: str) -> Any:
    """The form of one action on a delegation's page, opened (the first one is open already)."""
    details = page.locator("details.action").filter(has=page.locator("summary", has_text=label))
    if details.get_attribute("open") is None:
        details.locator("summary").click()
    return details


def _delegation_id(page: Any) -> int:
    found = re.search(r"/delegations/(\d+)", page.url)
    assert found, page.url
    return int(found.group(1))


def test_story_1_file_sign_for_schedule_complete_confirm(browser: Any, live_server: LiveServer, tmp_path: Path) -> None:
    clock = live_server.clock
    officer = Person.open(browser, live_server, "shinan-officer")
    page = officer.page

    # The login page: Chinese by default, the form keyboard-driven (autofocus, Tab, Enter).
    officer.goto("/work")
    assert "/login" in page.url
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    officer.shot("01-login")
    page.keyboard.type("shinan-officer")
    page.keyboard.press("Tab")
    page.keyboard.type("not-the-password")
    page.keyboard.press("Enter")
    # Refused: the message takes the focus, and both inputs are marked as the ones it is about.
    page.locator("#login-error").wait_for()
    officer.assert_error_summary_focused()
    for field in ("#username", "#password"):
        assert page.get_attribute(field, "aria-invalid") == "true"
        assert page.get_attribute(field, "aria-describedby") == "login-error"
    officer.check("login-refused")
    page.keyboard.press("Tab")  # from the message to the username, kept
    page.keyboard.press("Tab")
    page.keyboard.type("jiaodong-demo-2026")
    page.keyboard.press("Enter")
    page.wait_for_url("**/work")
    who = page.get_by_test_id("who")
    assert "青岛市市南区人民法院" in who.inner_text() and "委托法院承办人" in who.inner_text()
    officer.shot("02-work-officer")

    # Choose the matter, then the form generated from its field schema.
    page.get_by_role("link", name="新建委托").first.click()
    officer.shot("03-new-choose")
    page.get_by_label("强制腾迁").check()
    page.get_by_role("button", name="下一步：填写事项").click()
    assert page.get_by_role("heading", name="新建委托：强制腾迁").is_visible()
    officer.check("new-form")

    # 案号 checked as it is typed: a foreign court's number is refused, ours is accepted.
    page.fill("#f-case_number", "(2026)鲁0602执200号")
    page.locator("#case-number-status.bad").wait_for()
    page.fill("#f-case_number", "(2026)鲁0202执200号")
    page.locator("#case-number-status.ok").wait_for()
    assert "（2026）鲁0202执200号" in page.inner_text("#case-number-status")
    # The assisting court suggested from the address of the flat.
    page.fill("#f-fields-property_address", "山东省烟台市芝罘区南大街100号3单元501室")
    page.locator("#court-suggestion", has_text="烟台市芝罘区人民法院").wait_for()
    assert page.input_value("#f-assisting_court") == "鲁0602"
    page.fill("#f-fields-scheduled_date", "2026-03-13")
    page.fill("#f-fields-officer_count", "6")
    page.fill("#f-fields-contact_name", "赵队长")
    page.fill("#f-fields-contact_phone", "13900139000")
    page.fill("#f-summary", "强制腾迁被执行人占用的房屋，请协助维持现场秩序")
    applicant, debtor = PARTIES
    page.select_option("#f-parties-0-party_type", "legal_person")
    page.fill("#f-parties-0-name", str(applicant["name"]))
    page.fill("#f-parties-0-uscc", str(applicant["uscc"]))
    page.fill("#f-parties-1-name", str(debtor["name"]))
    page.fill("#f-parties-1-id_number", "110105194912310021")  # wrong check digit: refused next to the field
    page.fill("#f-parties-1-address", str(debtor["address"]))
    page.fill("#f-parties-1-phone", str(debtor["phone"]))
    page.get_by_role("button", name="保存草稿并预览委托函").click()

    # Refused: errors next to the field, in Chinese, and a summary at the top; nothing saved.
    assert page.locator(".alert.error").is_visible()
    error = page.locator("#f-parties-1-id_number-err1")
    assert "居民身份证号码" in error.inner_text()
    assert page.get_attribute("#f-parties-1-id_number", "aria-invalid") == "true"
    assert "f-parties-1-id_number-err1" in str(page.get_attribute("#f-parties-1-id_number", "aria-describedby"))
    officer.assert_error_summary_focused()
    officer.shot("04-new-form-errors")
    page.fill("#f-parties-1-id_number", str(debtor["id_number"]))
    for kind in ("letter_of_delegation", "enforcement_ruling", "officer_credentials", "announcement"):
        page.set_input_files(f"#f-document-{kind}", _scan(tmp_path, f"{kind}.pdf"))
    officer.shot("05-new-form-filled")
    page.get_by_role("button", name="保存草稿并预览委托函").click()

    # The draft with the preview of its 委托函; then submit.
    page.wait_for_url(re.compile(r"/delegations/\d+\?ok=draft_saved"))
    ident = _delegation_id(page)
    letter = page.locator("article.letter")
    assert "协助执行函" in letter.inner_text() and "烟台市芝罘区人民法院：" in letter.inner_text()
    assert "11010519491231002X" in letter.inner_text()  # the author sees what they typed in their own draft
    officer.shot("06-draft-preview")
    page.get_by_role("button", name="提交委托").click()
    page.wait_for_url(f"**/delegations/{ident}?ok=submit")
    assert page.locator(".pill.status-submitted").first.inner_text() == "待签收"
    officer.shot("07-submitted")
    officer.assert_clean()

    # The 芝罘区 clerk finds it waiting to be signed for.
    clock.set("2026-03-03", "09:30")
    clerk = Person.open(browser, live_server, "zhifu-clerk")
    clerk.login(expect_home="/work")
    cp = clerk.page
    cp.get_by_role("link", name=re.compile("待签收")).first.click()
    row = cp.locator("tr", has_text="（2026）鲁0202执200号")
    assert "剩余1个工作日" in row.inner_text() and "2026年3月4日" in row.inner_text()
    clerk.shot("08-clerk-to-sign-for")
    row.get_by_role("link").first.click()
    clerk.check("to-sign-for")
    # 签收 and 指定承办人 in one step: the handler is chosen from the court's handlers.
    cp.select_option("#a-sign_for-handler", label="王法官")
    clerk.shot("40-sign-for-with-handler", full_page=False)
    cp.get_by_role("button", name="签收").click()
    cp.wait_for_url(f"**/delegations/{ident}?ok=sign_for")
    assert cp.locator(".alert.success").inner_text() == "操作成功：已签收"
    assert cp.locator(".pill.status-in_progress").first.is_visible()
    clerk.check("signed-for")

    # Reassigning: an empty choice is refused next to the field, the summary at the top has the focus.
    open_action(cp, "指定承办人").get_by_role("button", name="指定承办人").click()
    assert "请选择承办人" in open_action(cp, "指定承办人").inner_text()
    clerk.assert_error_summary_focused()
    assert cp.get_attribute("#a-assign_handler-handler", "aria-invalid") == "true"
    clerk.check("assign-handler-refused")

    # The handler finds the matter under 我承办的 (and was told in the message center).
    run_async(lambda: _deliver(live_server))
    handler = Person.open(browser, live_server, "zhifu-wang")
    handler.login(expect_home="/work")
    handler.page.get_by_role("navigation", name="主菜单").get_by_role("link", name="我承办的").click()
    handler.page.wait_for_url("**/work?view=mine")
    assert "（2026）鲁0202执200号" in handler.page.locator("table.list").inner_text()
    assert handler.page.locator("[data-inbox-count]").inner_text() != "0"
    handler.shot("41-handler-mine")
    handler.assert_clean()
    handler.close()

    clock.set("2026-03-04", "10:00")
    clerk.visit(f"/delegations/{ident}")
    schedule = open_action(cp, "约定执行日期")
    cp.fill("#a-schedule-scheduled_date", "2026-03-13")
    schedule.get_by_role("button", name="约定执行日期").click()
    cp.wait_for_url(f"**/delegations/{ident}?ok=schedule")
    clerk.shot("09-clerk-scheduled")

    # The day of the eviction: the result, then complete with the signed 回执.
    clock.set("2026-03-13", "16:00")
    clerk.visit(f"/delegations/{ident}")  # the 12-hour session has ended meanwhile: log in again
    results = open_action(cp, "登记办理结果")
    cp.fill("#a-record_result-results-0-asset", "芝罘区南大街100号3单元501室")
    cp.select_option("#a-record_result-results-0-outcome", "done")
    cp.fill("#a-record_result-results-0-note", "已腾空并交付申请执行人")
    results.get_by_role("button", name="登记办理结果").click()
    cp.wait_for_url(f"**/delegations/{ident}?ok=record_result")
    clerk.goto(f"/print/delegations/{ident}/receipt")
    receipt = cp.inner_text("article.receipt")
    assert "协助情况回复" in receipt and "现场执行已完成" in receipt  # 规定 第十二条: the local court assisted
    clerk.shot("10-print-receipt")
    clerk.goto(f"/delegations/{ident}")
    complete = open_action(cp, "办结并上传回执")
    cp.set_input_files("#a-complete-document-receipt", _scan(tmp_path, "回执.pdf"))
    cp.fill("#a-complete-comment", "已于3月13日完成腾迁")
    complete.get_by_role("button", name="办结并上传回执").click()
    cp.wait_for_url(f"**/delegations/{ident}?ok=complete")
    assert cp.locator(".pill.status-completed").first.is_visible()
    clerk.shot("11-clerk-completed")
    clerk.assert_clean()
    clerk.close()

    # The officer comes back days later: the session has expired, so log in again; the badge in the top bar
    # counts what the other court did meanwhile.
    clock.set("2026-03-16", "09:00")
    run_async(lambda: _deliver(live_server))
    officer.goto(f"/delegations/{ident}")
    assert "/login" in page.url and "expired=1" in page.url
    assert "会话已过期" in page.inner_text("main")
    officer.shot("12-session-expired")
    officer.login()
    page.wait_for_url(f"**/delegations/{ident}")
    unread = int(page.locator("[data-inbox-count]").inner_text())
    assert unread >= 4  # signed for, handler assigned, scheduled, result recorded, completed
    officer.shot("42-inbox-badge", full_page=False)
    page.locator("a.inbox-link").click()
    page.wait_for_url("**/inbox")
    assert page.locator("[data-testid=inbox-item]").count() == unread
    assert "已签收" in page.inner_text("main") and "办结" in page.inner_text("main")
    officer.shot("43-inbox")
    page.get_by_role("button", name="全部标为已读").click()
    page.wait_for_url("**/inbox?ok=read")
    assert page.locator("[data-inbox-count]").is_hidden()
    officer.goto(f"/delegations/{ident}")

    # Reveal one masked value: a dialog asks for the reason; the value replaces the mask.
    masked = page.locator('[data-value-for="parties[1].id_number"]')
    assert "*" in masked.inner_text()
    page.locator('details[data-reveal="parties[1].id_number"] > summary').click()
    page.fill("#reveal-reason", "核对")
    page.locator("#reveal-dialog").get_by_role("button", name="查看").click()
    page.locator("#reveal-error").wait_for()
    assert "查看理由" in page.inner_text("#reveal-error")
    assert page.evaluate("document.activeElement.id") == "reveal-error"
    assert page.get_attribute("#reveal-reason", "aria-invalid") == "true"
    officer.check("reveal-refused")
    page.fill("#reveal-reason", "核对被执行人身份以便确认腾迁结果")
    officer.shot("13-reveal-dialog", full_page=False)
    page.locator("#reveal-dialog").get_by_role("button", name="查看").click()
    page.locator("span.revealed", has_text="11010519491231002X").wait_for()

    page.get_by_role("button", name="确认办理结果").click()
    page.wait_for_url(f"**/delegations/{ident}?ok=confirm")
    assert page.locator(".pill.status-confirmed").first.inner_text() == "已确认"
    timeline = page.inner_text("ol.timeline")
    for text in ("提交委托", "已签收", "指定承办人", "约定执行日期", "登记办理结果", "办结", "确认办理结果"):
        assert text in timeline
    officer.shot("14-confirmed")
    officer.goto(f"/print/delegations/{ident}/letter")
    officer.shot("15-print-letter")

    # Weeks later, the number printed on the letter is all the officer has at hand: search by it.
    number = page.locator("article.letter").inner_text().split("JD", 1)[1].split()[0].rstrip("）)")
    officer.goto("/work?view=all")
    page.fill("#q", f"jd{number}".lower())
    page.get_by_role("button", name="筛选").click()
    page.wait_for_url("**/work?*q=*")
    rows = page.locator("table.list tbody tr")
    assert rows.count() == 1 and "（2026）鲁0202执200号" in rows.first.inner_text()
    officer.shot("44-search-by-number")
    officer.assert_clean()
    officer.close()


async def _deliver(server: LiveServer) -> int:
    """What the deliver-notifications flow does every minute: the committed notifications into inboxes."""
    engine = make_engine(server.database_url)
    try:
        async with make_sessionmaker(engine)() as session:
            ref = await load_reference(session)
            return await outbox_service.expand_fanouts(session, ref, server.clock.now, RetryPolicy())
    finally:
        await engine.dispose()


async def _file_overdue_matter(server: LiveServer) -> int:
    """A matter filed and submitted through the service layer on Monday 16 March: signing for is due by
    the end of Wednesday 18 March."""
    engine = make_engine(server.database_url)
    try:
        async with make_sessionmaker(engine)() as session:
            ref = await load_reference(session)
            officer = Actor("shinan-officer", "鲁0202", frozenset({UserRole.REQUESTING_OFFICER}), "shinan 承办人")
            now = server.clock.now
            fields = {**eviction_draft().fields, "scheduled_date": "2026-03-27"}
            draft = eviction_draft(case_number="（2026）鲁0202执300号", fields=fields)
            row = await file_draft(session, ref, officer, now, draft)
            assert row.id is not None
            store = LocalBlobStore(server.data_dir)
            for kind in ("letter_of_delegation", "enforcement_ruling", "officer_credentials", "announcement"):
                item = document_service.Upload(kind, f"{kind}.pdf", PDF)
                await document_service.upload(session, ref, officer, now, row.id, item, store, 10_000_000)
            submitted = await act(session, ref, officer, now, row.id, Action.SUBMIT, row.version)
            return int(submitted.id or 0)
    finally:
        await engine.dispose()


def test_story_2_overdue_supervised_and_acknowledged(browser: Any, live_server: LiveServer) -> None:
    clock = live_server.clock
    clock.set("2026-03-16", "10:00")
    ident = run_async(lambda: _file_overdue_matter(live_server))

    # Four working days after signing for was due, the Yantai command center looks at its dashboard.
    clock.set("2026-03-24", "09:00")
    center = Person.open(browser, live_server, "yantai-center")
    center.login(expect_home="/dashboard")
    page = center.page
    assert "烟台市执行指挥中心" in page.inner_text("h1")
    overdue = page.locator("#s-overdue").locator("xpath=..")
    row = overdue.locator("tr", has_text="（2026）鲁0202执300号")
    assert "超期3个工作日" in row.inner_text()  # whole working days ended, as in the 督办 notice
    center.shot("16-dashboard-center")

    # Drill down from the matrix: the overdue matters 芝罘区 holds.
    page.locator("table.matrix tr", has_text="烟台市芝罘区人民法院").locator("a.num.late").click()
    assert "承办法院：烟台市芝罘区人民法院" in page.inner_text("main")
    assert page.locator("tr", has_text="（2026）鲁0202执300号").is_visible()
    center.shot("17-drill-down")
    page.go_back()

    # Issue a 督办 (a confirmation first), back on the dashboard it is listed, not yet acknowledged.
    page.once("dialog", lambda dialog: dialog.accept())
    row = page.locator("#s-overdue").locator("xpath=..").locator("tr", has_text="（2026）鲁0202执300号")
    row.get_by_role("button", name="督办").click()
    page.wait_for_url("**/dashboard?ok=notice_issued")
    issued = page.locator("#s-issued").locator("xpath=..")
    assert "烟中法执督〔2026〕1号" in issued.inner_text() and "未签收" in issued.inner_text()
    center.shot("18-dashboard-supervised")
    center.assert_clean()

    # The clerk sees the 督办 (a badge in the menu), reads it and acknowledges it with a reply.
    clerk = Person.open(browser, live_server, "zhifu-clerk")
    clerk.login()
    cp = clerk.page
    assert cp.locator(".mainnav .count.late").inner_text() == "1"
    cp.get_by_role("link", name=re.compile("通知")).click()
    notice_row = cp.locator("tr.needs-ack", has_text="督办通知")
    clerk.shot("19-notices-clerk")
    notice_row.get_by_role("link", name="签收").click()
    assert "督办通知" in cp.inner_text(".notice-text") and "前办结并书面回复" in cp.inner_text(".notice-text")
    clerk.check("notice-to-acknowledge")
    cp.get_by_role("button", name="签收并提交回复").click()
    assert "请填写回复" in cp.inner_text("main")  # an empty reply is refused next to the field
    clerk.assert_error_summary_focused()
    assert cp.get_attribute("#ack-reply", "aria-invalid") == "true"
    clerk.check("acknowledgement-refused")
    cp.fill("#ack-reply", "我院已于今日签收该委托，定于3月27日前完成协助方案并约定执行日期。")
    cp.get_by_role("button", name="签收并提交回复").click()
    cp.wait_for_url("**?ok=acknowledged")
    assert "已签收" in cp.inner_text("main")
    clerk.shot("20-notice-acknowledged")
    notice_path = cp.url.split(live_server.base_url, 1)[1].split("?")[0]
    clerk.goto(notice_path.replace("/notices/", "/print/notices/"))
    clerk.shot("21-print-notice")
    clerk.assert_clean()
    clerk.close()

    # The command center sees the acknowledgement; the regional coordinator sees all five cities.
    page.reload()
    issued = page.locator("#s-issued").locator("xpath=..")
    assert "未签收" not in issued.locator("tr", has_text="烟中法执督").first.inner_text()
    regional = Person.open(browser, live_server, "regional")
    regional.login(expect_home="/dashboard")
    rows = regional.page.locator("table.matrix tbody tr")
    assert rows.count() == 6  # five cities and the total
    regional.shot("22-dashboard-regional")
    regional.assert_clean()
    regional.close()

    # English by a switch (a cookie), for the same page.
    page.get_by_role("link", name="English").click()
    assert page.locator("html").get_attribute("lang") == "en"
    assert "Yantai enforcement command center" in page.inner_text("h1")
    center.shot("23-dashboard-english")
    center.close()

    # On a tablet, the matter's page stacks its columns and keeps every action reachable.
    tablet = Person.open(browser, live_server, "zhifu-clerk", viewport=TABLET)
    tablet.login()
    tablet.goto(f"/delegations/{ident}")
    assert tablet.page.get_by_role("button", name="签收").is_visible()
    tablet.shot("24-tablet-delegation")
    tablet.assert_clean()
    tablet.close()
