"""Pages rendered through the app (no browser): sign-in and session expiry, CSRF on every form, security
headers, the same authorization as the API (a foreign court's matter is a 404 page), errors next to their
fields in Chinese, the filing form, actions, the no-script reveal (logged), notices and printable documents."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import func
from sqlmodel import select

from delegation.store.tables import AccessLogRow, DelegationRow
from tests.api.actors import Api
from tests.api.support import PDF, act, file_matter, ok
from tests.support import PARTIES
from tests.web.support import csrf_of, login


async def _page(client: Any, path: str, status: int = 200) -> str:
    response = await client.get(path)
    assert response.status_code == status, (path, response.status_code, response.text[:800])
    assert response.headers["content-type"].startswith("text/html")
    return str(response.text)


async def test_pages_need_a_session_and_come_back_after_login(api: Api) -> None:
    async with api.client() as browser:
        response = await browser.get("/work?view=outbox")
        assert response.status_code == 303
        assert response.headers["location"] == "/login?next=%2Fwork%3Fview%3Doutbox"
        form = await browser.get(response.headers["location"])
        assert 'name="next" value="/work?view=outbox"' in form.text
        done = await browser.post(
            "/login",
            data={
                "username": "shinan-officer",
                "password": "correct horse battery",
                "csrf_token": csrf_of(form.text),
                "next": "/work?view=outbox",
            },
        )
        assert done.status_code == 303 and done.headers["location"] == "/work?view=outbox"
        cookie = done.headers["set-cookie"].lower()
        assert "jd_session=" in cookie and "httponly" in cookie and "samesite=lax" in cookie
        page = await _page(browser, "/work?view=outbox")
        assert "青岛市市南区人民法院" in page and "委托法院承办人" in page  # court and role on every page


async def test_login_refuses_a_foreign_next_a_missing_form_token_and_wrong_passwords(api: Api) -> None:
    async with api.client() as browser:
        form = await browser.get("/login")
        token = csrf_of(form.text)
        no_token = await browser.post("/login", data={"username": "shinan-officer", "password": "x"})
        assert no_token.status_code == 403 and "登录页面已过期" in no_token.text
        wrong = await browser.post(
            "/login", data={"username": "shinan-officer", "password": "wrong", "csrf_token": token}
        )
        assert wrong.status_code == 401 and "用户名或密码错误" in wrong.text
        done = await browser.post(
            "/login",
            data={
                "username": "shinan-officer",
                "password": "correct horse battery",
                "csrf_token": token,
                "next": "//evil.example/",
            },
        )
        assert done.headers["location"] == "/work"


async def test_a_session_expires_after_twelve_hours_and_the_login_page_says_so(api: Api) -> None:
    async with api.client() as browser:
        await login(browser, "zhifu-clerk")
        api.clock.now += timedelta(hours=12, minutes=1)
        response = await browser.get("/work")
        assert response.status_code == 303
        assert response.headers["location"] == "/login?next=%2Fwork&expired=1"
        page = await _page(browser, response.headers["location"])
        assert "会话已过期，请重新登录" in page


async def test_every_form_is_refused_without_the_session_csrf_token(api: Api) -> None:
    async with api.client() as browser, api.client("shinan-officer") as officer:
        matter = await file_matter(officer)
        token = await login(browser, "shinan-officer")
        for path, data in (
            ("/logout", {}),
            (f"/delegations/{matter['id']}/messages", {"text": "请告知进度"}),
            (f"/delegations/{matter['id']}/act/withdraw", {"version": str(matter["version"]), "comment": "撤回"}),
        ):
            for sent in ({}, {"csrf_token": "forged"}):
                response = await browser.post(path, data={**data, **sent})
                assert response.status_code == 403, (path, response.status_code)
                assert "页面已过期" in response.text and "Traceback" not in response.text
        still = ok(await officer.get(f"/api/v1/delegations/{matter['id']}"))
        assert still["status"] == "submitted" and not [e for e in still["timeline"] if e["kind"] == "message"]
        assert (await browser.post("/logout", data={"csrf_token": token})).status_code == 303


async def test_security_headers_on_pages_static_files_and_error_pages(api: Api) -> None:
    async with api.client() as browser:
        await login(browser, "zhifu-clerk")
        for path in ("/login", "/work", "/notices", "/static/js/app.js", "/static/css/app.css", "/no-such-page"):
            response = await browser.get(path)
            headers = response.headers
            csp = headers["content-security-policy"]
            assert "script-src 'self'" in csp and "style-src 'self'" in csp and "unsafe-inline" not in csp, path
            assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
            assert headers["x-frame-options"] == "DENY"
            assert headers["referrer-policy"] == "no-referrer"
            assert headers["x-content-type-options"] == "nosniff"
            if headers.get("content-type", "").startswith("text/html"):
                assert headers["cache-control"] == "no-store"
        missing = await browser.get("/no-such-page")
        assert missing.status_code == 404 and "未找到该记录" in missing.text


async def test_a_foreign_courts_matter_is_a_404_page_with_nothing_of_it(api: Api) -> None:
    async with api.client() as browser, api.client("shinan-officer") as officer:
        matter = await file_matter(officer)
        await login(browser, "kuiwen-clerk")
        for path in (
            f"/delegations/{matter['id']}",
            f"/print/delegations/{matter['id']}/letter",
            f"/print/delegations/{matter['id']}/receipt",
        ):
            response = await browser.get(path)
            assert response.status_code == 404, path
            assert matter["number"] not in response.text and matter["case_number"] not in response.text
        page = await _page(browser, "/work?view=all")
        assert matter["number"] not in page


async def test_dashboard_is_for_command_centers_and_counts_what_the_lists_show(api: Api) -> None:
    async with api.client() as browser, api.client("shinan-officer") as officer, api.client("zhifu-clerk") as clerk:
        first = await file_matter(officer, case_number="（2026）鲁0202执31号")
        await file_matter(officer, case_number="（2026）鲁0202执32号")
        await file_matter(officer, case_number="（2026）鲁0202执33号", assisting_court="鲁0611")
        ok(await act(clerk, first["id"], "sign-for", first["version"]))
        await login(browser, "zhifu-clerk")
        assert (await browser.get("/dashboard")).status_code == 403
        browser.cookies.clear()
        api.clock.set("2026-03-09")  # the two unsigned matters were due by 03-04 24:00
        await login(browser, "yantai-center")
        page = await _page(browser, "/dashboard")
        assert "烟台市执行指挥中心" in page
        zhifu = re.search(r"<tr>\s*<th scope=\"row\">烟台市芝罘区人民法院</th>(.*?)</tr>", page, re.S)
        assert zhifu
        numbers = re.findall(r'class="num[^"]*"[^>]*>(\d+)<', zhifu.group(1))
        # submitted, returned, declined, accepted, in progress, scheduled, completed, overdue, due soon
        assert numbers == ["1", "0", "0", "1", "0", "0", "0", "1", "0"]
        drill = await _page(browser, "/work?view=all&holder=鲁0602&lateness=overdue")
        assert "（2026）鲁0202执32号" in drill and "（2026）鲁0202执31号" not in drill
        assert "共1件" in drill
        held = await _page(browser, "/work?view=all&holder=鲁0602&status=accepted")
        assert "（2026）鲁0202执31号" in held and "共1件" in held


async def test_filing_through_the_form_then_submitting_the_draft(api: Api) -> None:
    async with api.client() as browser:
        token = await login(browser, "shinan-officer")
        form = await _page(browser, "/delegations/new?matter_type=forced_eviction")
        for name in ("fields.property_address", "fields.scheduled_date", "parties[1].id_number", "document.receipt"):
            if name != "document.receipt":
                assert f'name="{name}"' in form
        assert 'for="f-fields-property_address"' in form  # every input has its label
        applicant, debtor = PARTIES
        data = {
            "csrf_token": token,
            "matter_type": "forced_eviction",
            "idempotency_key": "web-filing-1",
            "case_number": "(2026)鲁0202执200号",
            "assisting_court": "鲁0602",
            "summary": "强制腾迁",
            "fields.property_address": "山东省烟台市芝罘区南大街100号3单元501室",
            "fields.scheduled_date": "2026-03-13",
            "fields.officer_count": "6",
            "fields.contact_name": "赵队长",
            "fields.contact_phone": "13900139000",
            "parties[0].role": "applicant",
            "parties[0].party_type": "legal_person",
            "parties[0].name": str(applicant["name"]),
            "parties[0].uscc": str(applicant["uscc"]),
            "parties[1].role": "debtor",
            "parties[1].party_type": "natural_person",
            "parties[1].name": str(debtor["name"]),
            "parties[1].id_number": str(debtor["id_number"]),
            "do": "save",
        }
        files = [
            (f"document.{kind}", (f"{kind}.pdf", io.BytesIO(PDF), "application/pdf"))
            for kind in ("letter_of_delegation", "enforcement_ruling", "officer_credentials", "announcement")
        ]
        response = await browser.post("/delegations/new", data=data, files=files)
        assert response.status_code == 303, response.text[:1000]
        location = response.headers["location"]
        assert re.fullmatch(r"/delegations/\d+\?ok=draft_saved", location)
        page = await _page(browser, location)
        assert "草稿已保存" in page and "协助执行函预览" in page  # 规定 第十二条: on-site
        assert "11010519491231002X" in page  # the author sees what they typed in their own draft (issue 11)
        again = await browser.post("/delegations/new", data=data, files=files)  # a double click: same draft
        assert again.headers["location"] == location
        ident = int(location.split("/")[2].split("?")[0])
        version = re.search(r'name="version" value="(\d+)"', page)
        assert version
        submitted = await browser.post(
            f"/delegations/{ident}/act/submit", data={"csrf_token": token, "version": version.group(1)}
        )
        assert submitted.status_code == 303 and submitted.headers["location"] == f"/delegations/{ident}?ok=submit"
        page = await _page(browser, submitted.headers["location"])
        assert "操作成功：提交委托" in page and "待签收" in page


async def test_errors_appear_next_to_their_fields_in_chinese_and_nothing_is_saved(api: Api) -> None:
    async with api.client() as browser:
        token = await login(browser, "shinan-officer")
        async with api.sessions() as session:
            before = (await session.exec(select(func.count()).select_from(DelegationRow))).one()
        response = await browser.post(
            "/delegations/new",
            data={
                "csrf_token": token,
                "matter_type": "real_estate_seal",
                "case_number": "(2026)鲁0602执1号",
                "assisting_court": "鲁0602",
                "fields.properties[0].address": "",
                "fields.period_months": "40",
                "parties[0].role": "applicant",
                "parties[0].party_type": "natural_person",
                "parties[0].name": "李四",
                "do": "save",
            },
        )
        assert response.status_code == 422
        page = response.text
        assert 'id="f-case_number"' in page and "f-case_number-err1" in page
        assert re.search(r'id="f-fields-period_months"[^>]*aria-invalid="true"', page)
        assert "期限（月）" in page and "请修改以下" in page
        assert 'href="#f-fields-properties"' in page and 'id="f-fields-properties"' in page  # summary links
        async with api.sessions() as session:
            assert (await session.exec(select(func.count()).select_from(DelegationRow))).one() == before


async def test_actions_show_their_errors_in_their_form_and_a_stale_page_gets_the_current_state(api: Api) -> None:
    async with api.client() as browser, api.client("shinan-officer") as officer:
        matter = await file_matter(officer)
        token = await login(browser, "zhifu-clerk")
        ident, version = matter["id"], matter["version"]
        page = await _page(browser, f"/delegations/{ident}")
        assert "签收" in page and "退回补正" in page and "确认办理结果" not in page  # only what I may do now
        signed = await browser.post(
            f"/delegations/{ident}/act/sign_for", data={"csrf_token": token, "version": version}
        )
        assert signed.status_code == 303
        empty = await browser.post(
            f"/delegations/{ident}/act/assign_handler", data={"csrf_token": token, "version": version + 1}
        )
        assert empty.status_code == 422 and "请填写承办人" in empty.text
        stale = await browser.post(
            f"/delegations/{ident}/act/assign_handler",
            data={"csrf_token": token, "version": version, "handler": "王法官"},
        )
        assert stale.status_code == 409 and "您已在另一窗口中办理了该事项" in stale.text and "签收" in stale.text
        assert "已签收" in stale.text  # the page shows the state as it is now


async def test_revealing_without_script_asks_for_a_reason_and_is_logged(api: Api) -> None:
    async with api.client() as browser, api.client("shinan-officer") as officer:
        matter = await file_matter(officer)
        token = await login(browser, "zhifu-clerk")
        path = f"/delegations/{matter['id']}/reveal"
        short = await browser.post(path, data={"csrf_token": token, "field": "parties[1].id_number", "reason": "看"})
        assert short.status_code == 422 and "请写明查看理由" in short.text
        shown = await browser.post(
            path, data={"csrf_token": token, "field": "parties[1].id_number", "reason": "核对被执行人身份"}
        )
        assert shown.status_code == 200 and "11010519491231002X" in shown.text
        assert shown.headers["cache-control"] == "no-store"
        async with api.sessions() as session:
            logged = (await session.exec(select(AccessLogRow).where(AccessLogRow.kind == "reveal"))).all()
        assert [(r.actor, r.target, r.reason) for r in logged] == [
            ("zhifu-clerk", "parties[1].id_number", "核对被执行人身份")
        ]


def _menu_badge(html: str) -> str | None:
    """The menu's count of 督办 to acknowledge beside 通知 (None: not shown)."""
    badge = r'<a href="/notices"[^>]*>通知 <span class="count late" title="待签收的督办通知">(\d+)</span>'
    found = re.search(badge, html)
    return found.group(1) if found else None


async def test_supervision_notice_from_the_dashboard_is_acknowledged_with_a_reply(api: Api) -> None:
    async with api.client() as center, api.client() as clerk, api.client("shinan-officer") as officer:
        matter = await file_matter(officer)
        api.clock.set("2026-03-10")
        center_token = await login(center, "yantai-center")
        issued = await center.post(
            f"/delegations/{matter['id']}/notices",
            data={"csrf_token": center_token, "kind": "supervise", "back": "/dashboard"},
        )
        assert issued.status_code == 303 and issued.headers["location"] == "/dashboard?ok=notice_issued"
        board = await _page(center, issued.headers["location"])
        assert "烟中法执督〔2026〕1号" in board and "未签收" in board
        assert _menu_badge(board) is None  # a command center's menu counts no 督办 to acknowledge
        token = await login(clerk, "zhifu-clerk")
        inbox = await _page(clerk, "/notices?pending=1")
        assert _menu_badge(inbox) == "1"  # read with the session on a GET
        notice_id = re.search(r'href="/notices/(\d+)"', inbox)
        assert notice_id
        path = f"/notices/{notice_id.group(1)}"
        empty = await clerk.post(f"{path}/acknowledge", data={"csrf_token": token, "reply": " "})
        assert empty.status_code == 422 and "请填写回复" in empty.text
        assert _menu_badge(empty.text) == "1"  # read when a POST renders its page
        done = await clerk.post(f"{path}/acknowledge", data={"csrf_token": token, "reply": "已安排专人办理"})
        assert done.status_code == 303
        page = await _page(clerk, done.headers["location"])
        assert "督办通知已签收" in page and "已安排专人办理" in page
        assert _menu_badge(page) is None
        printed = await _page(clerk, f"/print/notices/{notice_id.group(1)}")
        assert "督 办 通 知" in printed.replace("督办通知", "督 办 通 知") and "已安排专人办理" in printed
        officer_view = await _page(center, "/dashboard")
        assert "未签收" not in re.sub(r"<h2.*?</h2>", "", officer_view.split('id="s-issued"')[1], flags=re.S)


async def test_a_second_supervision_within_the_interval_names_the_first_and_needs_a_confirmation(api: Api) -> None:
    async with api.client() as center, api.client("shinan-officer") as officer:
        matter = await file_matter(officer)
        api.clock.set("2026-03-10")
        token = await login(center, "yantai-center")
        path = f"/delegations/{matter['id']}/notices"
        first = await center.post(path, data={"csrf_token": token, "kind": "supervise"})
        assert first.status_code == 303
        again = await center.post(path, data={"csrf_token": token, "kind": "supervise"})
        assert again.status_code == 422
        assert "烟中法执督〔2026〕1号" in again.text and 'name="confirm_repeat"' in again.text
        confirmed = await center.post(path, data={"csrf_token": token, "kind": "supervise", "confirm_repeat": "1"})
        assert confirmed.status_code == 303
        board = await _page(center, "/dashboard")
        assert "烟中法执督〔2026〕2号" in board


async def test_english_by_a_switch_and_chinese_dates_by_default(api: Api) -> None:
    async with api.client() as browser:
        await login(browser, "shinan-officer")
        page = await _page(browser, "/work")
        assert '<html lang="zh-CN">' in page and "今天是2026年3月2日" in page
        switched = await browser.get("/lang/en?next=/work")
        assert switched.status_code == 303 and switched.headers["location"] == "/work"
        page = await _page(browser, "/work")
        assert '<html lang="en">' in page and "My court&#39;s work" in page and "March 2, 2026" in page
        odd = await browser.get("/lang/en?next=https://evil.example/")
        assert odd.headers["location"] == "/"


async def test_case_number_check_for_the_form_script(api: Api) -> None:
    async with api.client() as browser:
        await login(browser, "shinan-officer")
        good = (await browser.get("/web/check/case-number", params={"value": "(2026)鲁0202执5号"})).json()
        assert good == {"ok": True, "canonical": "（2026）鲁0202执5号", "messages": []}
        foreign = (await browser.get("/web/check/case-number", params={"value": "(2026)鲁0602执5号"})).json()
        assert foreign["ok"] is False and foreign["messages"]


async def test_an_unexpected_error_is_a_page_without_a_stack_trace(api: Api, monkeypatch: Any) -> None:
    from delegation.reading import dashboard as dashboard_service

    async def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("database on fire")

    monkeypatch.setattr(dashboard_service, "notice_inbox", broken)
    transport = httpx.ASGITransport(app=api.app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as browser:
        await login(browser, "zhifu-clerk")
        response = await browser.get("/notices")
        assert response.status_code == 500 and response.headers["content-type"].startswith("text/html")
        assert "系统内部错误" in response.text
        assert "database on fire" not in response.text and "Traceback" not in response.text
