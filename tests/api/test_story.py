"""The whole story through HTTP, on SQLite and PostgreSQL: log in, file, sign for, complete, confirm."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import select

from delegation.store.tables import AccessLogRow, DelegationRow, EventRow
from tests.api.actors import PASSWORD, Api
from tests.api.support import act, draft_body, file_matter, ok, upload
from tests.support import ALL_DOCUMENTS


async def test_a_matter_is_filed_signed_for_worked_completed_and_confirmed_over_http(api: Api) -> None:
    async with api.client() as browser, api.client("zhifu-clerk") as clerk:
        # The requesting officer logs in with a password: a session cookie plus a CSRF token.
        me = ok(await browser.post("/api/v1/auth/login", json={"username": "shinan-officer", "password": PASSWORD}))
        assert me["court_code"] == "鲁0202" and me["via"] == "session" and me["csrf_token"]
        cookie = browser.cookies.get("jd_session")
        assert cookie
        browser.headers["X-CSRF-Token"] = me["csrf_token"]

        created = await browser.post("/api/v1/delegations", json=draft_body(), headers={"Idempotency-Key": "story-1"})
        draft = ok(created, 201)
        assert created.headers["ETag"] == '"1"' and created.headers["Location"] == f"/api/v1/delegations/{draft['id']}"
        assert draft["status"] == "draft" and draft["allowed_actions"] == ["submit", "withdraw"]
        ident = draft["id"]

        # The assisting court cannot see the draft yet.
        assert (await clerk.get(f"/api/v1/delegations/{ident}")).status_code == 404

        missing = await act(browser, ident, "submit", draft["version"])
        assert missing.status_code == 422 and missing.json()["errors"][0]["field"] == "documents"
        for kind in ALL_DOCUMENTS:
            await upload(browser, ident, kind)
        api.clock.set("2026-03-02", "16:00")
        submitted = ok(await act(browser, ident, "submit", draft["version"]))
        assert submitted["status"] == "submitted" and submitted["clock"]["stage"] == "sign_for"
        assert submitted["clock"]["due_at"] == "2026-03-05T00:00:00+08:00"  # 2 working days

        inbox = ok(await clerk.get("/api/v1/delegations", params={"box": "inbox"}))
        assert [d["id"] for d in inbox["items"]] == [ident]
        assert inbox["items"][0]["allowed_actions"] == [
            "sign_for",
            "return_for_correction",
            "decline",
            "request_extension",
        ]

        api.clock.set("2026-03-03")
        signed = ok(await act(clerk, ident, "sign-for", submitted["version"]))
        assert signed["status"] == "accepted" and signed["clock"]["stage"] == "execution"
        assigned = ok(await act(clerk, ident, "assign-handler", signed["version"], {"handler": "王法官"}))
        recorded = ok(
            await act(
                clerk,
                ident,
                "record-result",
                assigned["version"],
                {"results": [{"asset": "鲁B12345", "outcome": "done"}, {"asset": "鲁B67890", "outcome": "not_found"}]},
            )
        )
        await upload(clerk, ident, "receipt", name="回执.pdf")
        completed = ok(await act(clerk, ident, "complete", recorded["version"], {"comment": "已查询完毕"}))
        assert completed["status"] == "completed" and completed["clock"]["court_code"] == "鲁0202"

        api.clock.set("2026-03-04")
        expired = await act(browser, ident, "confirm", completed["version"])
        assert expired.status_code == 401  # sessions last 12 hours; log in again
        me = ok(await browser.post("/api/v1/auth/login", json={"username": "shinan-officer", "password": PASSWORD}))
        browser.headers["X-CSRF-Token"] = me["csrf_token"]
        cookie = browser.cookies.get("jd_session")
        confirmed = ok(await act(browser, ident, "confirm", completed["version"]))
        assert confirmed["status"] == "confirmed" and confirmed["allowed_actions"] == [] and confirmed["clock"] is None

        page = await browser.get(f"/api/v1/delegations/{ident}")
        detail = ok(page)
        assert page.headers["ETag"] == f'"{confirmed["version"]}"'
        transitions = [e["action"] for e in detail["timeline"] if e["kind"] == "transition"]
        assert transitions == ["create", "submit", "sign_for", "assign_handler", "record_result", "complete", "confirm"]
        assert [r["outcome"] for r in detail["results"]] == ["done", "not_found"]
        assert {d["kind"] for d in detail["documents"]} == {*ALL_DOCUMENTS, "receipt"}
        assert all(c["closed_at"] for c in detail["clocks"])

        out = await browser.post("/api/v1/auth/logout")
        assert out.status_code == 204
        browser.cookies.set("jd_session", cookie)
        assert (await browser.get("/api/v1/me")).status_code == 401


async def test_cookie_changes_need_the_csrf_token_and_bearer_requests_do_not(api: Api) -> None:
    async with api.client() as browser, api.client("shinan-officer") as system:
        me = ok(await browser.post("/api/v1/auth/login", json={"username": "shinan-officer", "password": PASSWORD}))
        refused = await browser.post("/api/v1/delegations", json=draft_body())
        assert refused.status_code == 403 and refused.headers["content-type"] == "application/problem+json"
        wrong = await browser.post("/api/v1/delegations", json=draft_body(), headers={"X-CSRF-Token": "nope"})
        assert wrong.status_code == 403
        assert ok(await browser.get("/api/v1/me"))["username"] == "shinan-officer"  # reading needs no token
        right = await browser.post("/api/v1/delegations", json=draft_body(), headers={"X-CSRF-Token": me["csrf_token"]})
        ok(right, 201)
        ok(await system.post("/api/v1/delegations", json=draft_body()), 201)
        browser.cookies.set("jd_session", "forged.value.here")
        assert (await browser.get("/api/v1/me")).status_code == 401


async def test_session_cookie_is_httponly_and_samesite_lax(api: Api) -> None:
    async with api.client() as browser:
        response = await browser.post("/api/v1/auth/login", json={"username": "zhifu-clerk", "password": PASSWORD})
        cookie = response.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=lax" in cookie and "path=/" in cookie


async def test_a_retried_create_returns_the_first_result_and_a_reused_key_with_another_body_is_refused(
    api: Api,
) -> None:
    async with api.client("shinan-officer") as officer:
        key = {"Idempotency-Key": "retry-me"}
        first = await officer.post("/api/v1/delegations", json=draft_body(), headers=key)
        again = await officer.post("/api/v1/delegations", json=draft_body(), headers=key)
        assert first.status_code == 201 and again.status_code == 200
        assert again.json()["id"] == first.json()["id"] and again.headers["Idempotent-Replayed"] == "true"
        other = await officer.post("/api/v1/delegations", json=draft_body(summary="另一件事"), headers=key)
        assert other.status_code == 422 and other.json()["errors"][0]["field"] == "Idempotency-Key"
    async with api.sessions() as session:
        assert (await session.exec(select(func.count()).select_from(DelegationRow))).one() == 1


async def test_changes_need_if_match_and_a_stale_version_gets_409_with_the_current_state(api: Api) -> None:
    async with api.client("shinan-officer") as officer, api.client("zhifu-clerk") as clerk:
        filed = await file_matter(officer)
        ident = filed["id"]
        sign_for = f"/api/v1/delegations/{ident}/sign-for"
        missing = await clerk.post(sign_for, json={})
        assert missing.status_code == 428 and missing.json()["code"] == "precondition_required"
        for malformed in ("yesterday", f'W/"{filed["version"]}"', str(filed["version"]), f'"{filed["version"]}", "9"'):
            refused = await clerk.post(sign_for, json={}, headers={"If-Match": malformed})
            assert refused.status_code == 400 and refused.json()["code"] == "invalid_if_match", malformed
        weak = await clerk.post(sign_for, json={}, headers={"If-Match": f'W/"{filed["version"]}"'})
        assert "weak" in weak.json()["detail"] and "弱ETag" in weak.json()["title"]
        no_body = await clerk.post(sign_for, headers={"If-Match": f'"{filed["version"]}"'})
        assert no_body.status_code == 422 and no_body.json()["errors"][0]["field"] == "body"
        stale = await act(clerk, ident, "sign-for", filed["version"] - 1)
        problem = stale.json()
        assert stale.status_code == 409 and problem["code"] == "conflict"
        assert problem["current"]["version"] == filed["version"] and problem["current"]["status"] == "submitted"
        assert stale.headers["ETag"] == f'"{filed["version"]}"'
        ok(await act(clerk, ident, "sign-for", filed["version"]))
        late = await act(clerk, ident, "sign-for", filed["version"])
        assert late.status_code == 409 and late.json()["code"] == "transition_not_allowed"
        assert late.json()["current"]["status"] == "accepted"
        assert late.json()["allowed_actions"] == ["assign_handler", "report_progress", "request_extension"]
        # The requesting officer's part can never sign for: 403, not 409.
        never = await act(officer, ident, "sign-for", filed["version"] + 1)
        assert never.status_code == 403


async def test_a_draft_is_edited_with_if_match_and_only_while_it_is_a_draft(api: Api) -> None:
    async with api.client("shinan-officer") as officer:
        draft = ok(await officer.post("/api/v1/delegations", json=draft_body()), 201)
        url = f"/api/v1/delegations/{draft['id']}"
        assert (await officer.put(url, json=draft_body(summary="改"))).status_code == 428
        edited = await officer.put(url, json=draft_body(summary="改过的说明"), headers={"If-Match": '"1"'})
        assert ok(edited)["summary"] == "改过的说明" and edited.headers["ETag"] == '"2"'
        stale = await officer.put(url, json=draft_body(summary="再改"), headers={"If-Match": '"1"'})
        assert stale.status_code == 409 and stale.json()["current"]["summary"] == "改过的说明"
        for kind in ALL_DOCUMENTS:
            await upload(officer, draft["id"], kind)
        ok(await act(officer, draft["id"], "submit", 2))
        assert (await officer.put(url, json=draft_body(), headers={"If-Match": '"3"'})).status_code == 403


async def test_personal_data_is_masked_everywhere_and_revealed_one_value_with_a_logged_reason(api: Api) -> None:
    async with api.client("shinan-officer") as officer, api.client("yantai-center") as center:
        ident = (await file_matter(officer))["id"]
        page = await center.get(f"/api/v1/delegations/{ident}")
        text = page.text
        for secret in ("11010519491231002X", "13800138000", "南大街100号"):
            assert secret not in text
        detail = page.json()
        assert detail["parties"][1]["id_number"] == "110105********002X"
        assert "parties[1].id_number" in detail["revealable_fields"]

        no_reason = await center.post(
            f"/api/v1/delegations/{ident}/reveal", json={"field": "parties[1].id_number", "reason": ""}
        )
        assert no_reason.status_code == 422
        not_pii = await center.post(
            f"/api/v1/delegations/{ident}/reveal", json={"field": "parties[1].name", "reason": "核对当事人身份"}
        )
        assert not_pii.status_code == 422
        revealed = ok(
            await center.post(
                f"/api/v1/delegations/{ident}/reveal",
                json={"field": "parties[1].id_number", "reason": "核对被执行人身份"},
            )
        )
        assert revealed == {"field": "parties[1].id_number", "value": "11010519491231002X"}
    async with api.sessions() as session:
        [log] = list(await session.exec(select(AccessLogRow)))
    assert (log.actor, log.kind, log.target, log.reason) == (
        "yantai-center",
        "reveal",
        "parties[1].id_number",
        "核对被执行人身份",
    )
    assert log.actor_roles == "command_center" and log.delegation_id == ident


async def test_access_logs_are_listed_by_administrators_only_newest_first(api: Api) -> None:
    async with api.client("shinan-officer") as officer, api.client("qingdao-admin") as admin:
        ident = (await file_matter(officer))["id"]
        for path in ("parties[1].phone", "parties[1].address"):
            ok(
                await officer.post(
                    f"/api/v1/delegations/{ident}/reveal", json={"field": path, "reason": "电话联系当事人"}
                )
            )
        assert (await officer.get("/api/v1/access-logs")).status_code == 403
        first = ok(await admin.get("/api/v1/access-logs", params={"limit": 1}))
        assert [e["target"] for e in first["items"]] == ["parties[1].address"]
        second = ok(await admin.get("/api/v1/access-logs", params={"limit": 1, "cursor": first["next_cursor"]}))
        assert [e["target"] for e in second["items"]] == ["parties[1].phone"] and second["next_cursor"] is None
        filtered = ok(await admin.get("/api/v1/access-logs", params={"delegation_id": ident, "kind": "download"}))
        assert filtered["items"] == []


async def test_an_administrator_reads_only_the_access_logs_of_the_courts_the_log_concerns(api: Api) -> None:
    async with (
        api.client("shinan-officer") as officer,
        api.client("qingdao-admin") as qingdao,
        api.client("kuiwen-admin") as weifang,
    ):
        ident = (await file_matter(officer))["id"]
        ok(
            await officer.post(
                f"/api/v1/delegations/{ident}/reveal", json={"field": "parties[1].phone", "reason": "电话联系当事人"}
            )
        )
        assert [e["delegation_id"] for e in ok(await qingdao.get("/api/v1/access-logs"))["items"]] == [ident]
        assert ok(await weifang.get("/api/v1/access-logs"))["items"] == []  # a Weifang court is not concerned
        assert ok(await weifang.get("/api/v1/access-logs", params={"delegation_id": ident}))["items"] == []


async def test_messages_between_the_two_courts_are_plain_text_in_the_timeline(api: Api) -> None:
    async with api.client("shinan-officer") as officer, api.client("zhifu-clerk") as clerk:
        draft = ok(await officer.post("/api/v1/delegations", json=draft_body()), 201)
        early = await officer.post(f"/api/v1/delegations/{draft['id']}/messages", json={"text": "在吗"})
        assert early.status_code == 403
        ident = (await file_matter(officer, case_number="（2026）鲁0202执101号"))["id"]
        script = '<script>alert("x")</script> & 请尽快办理'
        sent = await officer.post(f"/api/v1/delegations/{ident}/messages", json={"text": script})
        assert sent.status_code == 201 and "<script>" not in sent.text and "\\u003cscript\\u003e" in sent.text
        assert sent.json()["comment"] == script and sent.json()["data"] == {"to_court": "鲁0602"}
        ok(await clerk.post(f"/api/v1/delegations/{ident}/messages", json={"text": "收到，今天签收"}), 201)
        control = await clerk.post(f"/api/v1/delegations/{ident}/messages", json={"text": "bad\u0000byte"})
        assert control.status_code == 422
        timeline = ok(await clerk.get(f"/api/v1/delegations/{ident}/timeline", params={"kind": "message"}))
        assert [(m["actor"], m["comment"]) for m in timeline["items"]] == [
            ("shinan-officer", script),
            ("zhifu-clerk", "收到，今天签收"),
        ]
    async with api.client("yantai-center") as center:
        refused = await center.post(f"/api/v1/delegations/{ident}/messages", json={"text": "催办"})
        assert refused.status_code == 403


async def test_failed_logins_delay_the_account_and_made_up_names_the_address(api: Api) -> None:
    async with api.client() as browser:
        for _ in range(3):
            wrong = await browser.post("/api/v1/auth/login", json={"username": "zhifu-clerk", "password": "x"})
            assert wrong.status_code == 401 and wrong.json()["code"] == "not_authenticated"
        locked = await browser.post("/api/v1/auth/login", json={"username": "zhifu-clerk", "password": PASSWORD})
        assert locked.status_code == 429 and int(locked.headers["Retry-After"]) > 0
        api.clock.set("2026-03-02", "10:16")  # the delay has passed
        ok(await browser.post("/api/v1/auth/login", json={"username": "zhifu-clerk", "password": PASSWORD}))
        for name in ("nobody-1", "nobody-2", "nobody-3", "nobody-4", "nobody-5", "nobody-6"):
            unknown = await browser.post("/api/v1/auth/login", json={"username": name, "password": "x"})
            assert unknown.status_code == 401  # the same answer as a wrong password
        address = await browser.post("/api/v1/auth/login", json={"username": "nobody-7", "password": "x"})
        assert address.status_code == 429  # six made-up names from this address


async def test_revoked_and_expired_tokens_are_refused(api: Api) -> None:
    from datetime import timedelta

    from delegation.accounts import auth as auth_service
    from delegation.refdata.service import load_reference

    async with api.sessions() as session:
        ref = await load_reference(session)
        token, row = await auth_service.create_token(
            session,
            ref,
            api.clock.now,
            username="zhifu-clerk",
            name="expiring",
            created_by="tests",
            expires_at=api.clock.now + timedelta(days=1),
        )
    async with api.client() as client:
        client.headers["Authorization"] = f"Bearer {token}"
        assert ok(await client.get("/api/v1/me"))["via"] == "token"
        api.clock.set("2026-03-04")
        assert (await client.get("/api/v1/me")).status_code == 401
        api.clock.set("2026-03-02")
        since = api.token_cache.generation
        async with api.sessions() as session:
            await auth_service.revoke_token(session, row.id or 0, api.clock.now)
        await api.heard(since)  # PostgreSQL: the revocation's notification empties the token cache
        refused = await client.get("/api/v1/me")
        assert refused.status_code == 401 and refused.headers["WWW-Authenticate"].startswith("Bearer")
        client.headers["Authorization"] = "Bearer jdt_made_up"
        assert (await client.get("/api/v1/me")).status_code == 401


async def test_events_are_never_written_for_refused_input(api: Api) -> None:
    async with api.client("shinan-officer") as officer:
        await officer.post("/api/v1/delegations", json=draft_body(case_number="2026鲁0202执1号"))
    async with api.sessions() as session:
        assert (await session.exec(select(func.count()).select_from(EventRow))).one() == 0
