"""催办 and 督办 over the API, on SQLite and PostgreSQL: the command center of the superior court lists the
supervision drafts the sweep prepared and issues them (one or several, with the repeat-督办 confirmation, as
the dashboard does); the court addressed lists its notices with their acknowledgement state and acknowledges
a 督办 with a written reply (as the notices page does)."""

from __future__ import annotations

import re
from typing import Any

import httpx

from delegation.core.access import Actor, UserRole
from delegation.notices import service as notice_service
from delegation.reading.dashboard import NOTICE_CURSOR_PATTERN
from delegation.refdata.service import load_reference
from delegation.sla import service as sla_service
from tests.api.actors import Api
from tests.api.support import act, file_matter, ok
from tests.api.test_inbox import deliver

YANTAI_CENTER = Actor("yantai-center", "鲁06", frozenset({UserRole.COMMAND_CENTER}))


async def sweep(api: Api, day: str, hm: str) -> int:
    """The deadline sweep at that moment; the supervision drafts it prepared."""
    api.clock.set(day, hm)
    async with api.sessions() as session:
        return (await sla_service.sweep(session, await load_reference(session), api.clock.now)).supervision_drafts


async def drafts(client: httpx.AsyncClient, **params: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = ok(await client.get("/api/v1/supervision-drafts", params=params))["items"]
    return items


async def notices(client: httpx.AsyncClient, **params: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = ok(await client.get("/api/v1/notices", params=params))["items"]
    return items


async def test_the_superior_courts_center_issues_a_prepared_supervision_and_the_court_acknowledges_it(
    api: Api,
) -> None:
    async with api.client("shinan-officer") as officer, api.client("zhifu-clerk") as clerk:
        matter = await file_matter(officer)  # 03-02: 芝罘区 to sign for by the end of 03-04
        ident = matter["id"]
        api.clock.set("2026-03-06")
        async with api.sessions() as session:  # a 督办 by hand two days before the sweep prepares one
            ref = await load_reference(session)
            by_hand = await notice_service.issue_notice(session, ref, YANTAI_CENTER, api.clock.now, ident, "supervise")
        assert by_hand.number == "烟中法执督〔2026〕1号"
        assert await sweep(api, "2026-03-09", "09:00") == 1  # and the reminder and the 催办 it overtook

        async with api.client("yantai-center") as center:
            [draft] = await drafts(center)
            assert draft["delegation_id"] == ident and draft["delegation_number"] == matter["number"]
            assert (draft["to_court"], draft["issuing_court"]) == ("鲁0602", "鲁06")
            assert draft["case_number"] == matter["case_number"] and draft["link"] == f"/api/v1/delegations/{ident}"
            assert await drafts(center, city="烟台") == [draft] and await drafts(center, city="青岛") == []
            for user in ("shinan-officer", "zhifu-clerk", "qingdao-center", "regional", "weifang-center"):
                async with api.client(user) as other:
                    assert await drafts(other) == [], user  # only the superior court's center issues it

            issue = "/api/v1/supervision-drafts/issue"
            async with api.client("qingdao-center") as qingdao, api.client("weifang-center") as weifang:
                not_theirs = await qingdao.post(issue, json={"draft_ids": [draft["id"]]})  # sees the matter
                assert not_theirs.status_code == 403 and not_theirs.json()["code"] == "permission_denied"
                assert not_theirs.json()["title"] == "督办以山东省烟台市中级人民法院名义发出，须由其执行指挥中心签发"
                foreign = await weifang.post(issue, json={"draft_ids": [draft["id"]]})  # does not
                assert foreign.status_code == 404 and foreign.json()["code"] == "not_found"

            api.clock.set("2026-03-09", "10:00")
            repeat = await center.post(issue, json={"draft_ids": [draft["id"]]})
            assert repeat.status_code == 422, repeat.text
            [error] = repeat.json()["errors"]
            assert error["field"] == "confirm_repeat"
            assert matter["number"] in error["message_zh"] and "烟中法执督〔2026〕1号" in error["message_zh"]
            twice = await center.post(issue, json={"draft_ids": [draft["id"], draft["id"]]})
            assert twice.status_code == 422 and twice.json()["errors"][0]["field"] == "draft_ids[1]"
            assert twice.json()["errors"][0]["message_zh"].startswith(f"督办草稿（id {draft['id']}）重复")
            text = await center.post(issue, json={"draft_ids": [draft["id"]], "confirm_repeat": "true"})
            assert text.status_code == 422 and text.json()["errors"][0]["field"] == "confirm_repeat"

            answer = ok(await center.post(issue, json={"draft_ids": [draft["id"]], "confirm_repeat": True}))
            assert answer["discarded"] == 0
            [issued] = answer["issued"]
            assert issued["number"] == "烟中法执督〔2026〕2号" and issued["kind"] == "supervise"
            assert (issued["to_court"], issued["cc_court"], issued["issuing_court"]) == ("鲁0602", "鲁0202", "鲁06")
            assert issued["requires_ack"] and issued["acknowledgement"] == "pending" and issued["reply_by"]
            assert issued["may_acknowledge"] is False  # the court addressed answers it, not its issuer
            assert issued["delegation_number"] == matter["number"] and "第74条" in issued["body"]
            again = await center.post(issue, json={"draft_ids": [draft["id"]], "confirm_repeat": True})
            assert again.status_code == 409 and again.json()["title"] == "该督办草稿已签发或已作废"
            assert await drafts(center) == []

        # The court addressed: its notices newest first, each with its acknowledgement state.
        mine = await notices(clerk)
        assert [(n["kind"], n["number"]) for n in mine] == [
            ("supervise", "烟中法执督〔2026〕2号"),
            ("urge", "烟台催〔2026〕1号"),
            ("reminder", None),
            ("supervise", "烟中法执督〔2026〕1号"),
        ]
        assert [n["acknowledgement"] for n in mine] == ["pending", "not_required", "not_required", "pending"]
        assert [n["may_acknowledge"] for n in mine] == [True, False, False, True]
        assert [n["id"] for n in await notices(clerk, unacknowledged="true")] == [mine[0]["id"], mine[3]["id"]]
        assert [n["id"] for n in await notices(clerk, kind="urge")] == [mine[1]["id"]]
        unknown = await clerk.get("/api/v1/notices", params={"kind": "nope"})
        assert unknown.status_code == 422 and "'supervise'" in unknown.json()["errors"][0]["message_zh"]

        # A page at a time: every notice once, in the same order.
        seen, cursor = [], None
        while True:
            page = ok(await clerk.get("/api/v1/notices", params={"limit": 1} | ({"cursor": cursor} if cursor else {})))
            seen += [n["id"] for n in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
            assert re.match(NOTICE_CURSOR_PATTERN, cursor)
        assert seen == [n["id"] for n in mine]
        bad = await clerk.get("/api/v1/notices", params={"cursor": "c1.1"})
        assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "cursor"
        assert ok(await clerk.get("/api/v1/notices", params={"cursor": "n0.0"}))["items"] == []  # before 1970

        # The requesting court reads the 督办 copied to it, and does not answer them.
        copied = await notices(officer)
        assert [(n["number"], n["may_acknowledge"]) for n in copied] == [
            ("烟中法执督〔2026〕2号", False),
            ("烟中法执督〔2026〕1号", False),
        ]
        async with api.client("weifang-center") as weifang:
            assert await notices(weifang) == []
            assert (await weifang.get(f"/api/v1/notices/{mine[0]['id']}")).status_code == 404
            foreign = await weifang.post(f"/api/v1/notices/{mine[0]['id']}/acknowledge", json={"reply": "收到"})
            assert foreign.status_code == 404

        # The acknowledgement: by the court addressed, with a reply, once.
        notice = mine[0]["id"]
        path = f"/api/v1/notices/{notice}/acknowledge"
        not_addressed = await officer.post(path, json={"reply": "收到"})
        assert not_addressed.status_code == 403 and not_addressed.json()["title"] == "只有被督办的法院可以签收督办通知"
        no_ack = await clerk.post(f"/api/v1/notices/{mine[1]['id']}/acknowledge", json={"reply": "收到"})
        assert no_ack.status_code == 422 and no_ack.json()["errors"][0]["field"] == "notice"
        blank = await clerk.post(path, json={"reply": "  "})
        assert blank.status_code == 422 and blank.json()["errors"][0]["field"] == "reply"
        assert blank.json()["errors"][0]["message_zh"] == "请填写回复（最多2000字）"
        api.clock.set("2026-03-09", "11:00")
        answered = ok(await clerk.post(path, json={"reply": "已安排专人办理，3月16日前办结"}))
        assert answered["acknowledgement"] == "acknowledged" and answered["may_acknowledge"] is False
        assert (answered["acknowledged_by"], answered["ack_reply"]) == ("zhifu-clerk", "已安排专人办理，3月16日前办结")
        assert answered["ack_seconds"] == 3600 and answered["acknowledged_at"] == "2026-03-09T11:00:00+08:00"
        twice = await clerk.post(path, json={"reply": "再次回复"})
        assert twice.status_code == 409 and twice.json()["title"] == "该督办已签收"
        assert ok(await officer.get(f"/api/v1/notices/{notice}"))["acknowledgement"] == "acknowledged"
        assert [n["id"] for n in await notices(clerk, unacknowledged="true")] == [mine[3]["id"]]
        timeline = ok(await officer.get(f"/api/v1/delegations/{ident}/timeline", params={"kind": "notice"}))
        assert timeline["items"][-1]["action"] == "acknowledge_notice"

        # An inbox item about a notice leads to it.
        await deliver(api)
        items = ok(await clerk.get("/api/v1/inbox", params={"topic": "notice"}))["items"]
        assert {i["notice_id"] for i in items} >= {mine[0]["id"], mine[1]["id"]}
        read = ok(await clerk.get(f"/api/v1/notices/{items[0]['notice_id']}"))
        assert read["delegation_id"] == ident


async def test_drafts_page_by_cursor_and_one_whose_clock_ended_is_discarded_not_issued(api: Api) -> None:
    async with api.client("shinan-officer") as officer, api.client("zhifu-clerk") as clerk:
        first = await file_matter(officer)
        second = await file_matter(officer, case_number="（2026）鲁0202执101号")
        assert await sweep(api, "2026-03-09", "09:00") == 2
        async with api.client("yantai-center") as center:
            page = ok(await center.get("/api/v1/supervision-drafts", params={"limit": 1}))
            assert [d["delegation_id"] for d in page["items"]] == [first["id"]]
            assert re.match(notice_service.DRAFT_CURSOR_PATTERN, page["next_cursor"])
            rest = ok(
                await center.get("/api/v1/supervision-drafts", params={"limit": 1, "cursor": page["next_cursor"]})
            )
            assert [d["delegation_id"] for d in rest["items"]] == [second["id"]] and rest["next_cursor"] is None
            bad = await center.get("/api/v1/supervision-drafts", params={"cursor": "n1.1"})
            assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "cursor"

            ok(await act(clerk, second["id"], "sign-for", second["version"]))  # its sign-for clock ends
            ids = [page["items"][0]["id"], rest["items"][0]["id"]]
            answer = ok(await center.post("/api/v1/supervision-drafts/issue", json={"draft_ids": ids}))
            assert answer["discarded"] == 1
            assert [(n["delegation_id"], n["number"]) for n in answer["issued"]] == [
                (first["id"], "烟中法执督〔2026〕1号")
            ]
            assert await drafts(center) == []


async def test_a_command_center_urges_or_supervises_a_matter_by_hand(api: Api) -> None:
    async with api.client("shinan-officer") as officer:
        matter = await file_matter(officer)
        path = f"/api/v1/delegations/{matter['id']}/notices"
        api.clock.set("2026-03-06")
        async with api.client("yantai-center") as center:
            urged = ok(await center.post(path, json={"kind": "urge", "comment": "请尽快签收"}), 201)
            assert (urged["kind"], urged["number"], urged["to_court"]) == ("urge", "烟台催〔2026〕1号", "鲁0602")
            assert urged["acknowledgement"] == "not_required" and "请尽快签收" in urged["body"]
            supervised = ok(await center.post(path, json={"kind": "supervise"}), 201)
            assert supervised["number"] == "烟中法执督〔2026〕1号" and supervised["acknowledgement"] == "pending"
            again = await center.post(path, json={"kind": "supervise"})
            assert again.status_code == 422 and again.json()["errors"][0]["field"] == "confirm_repeat"
            assert "烟中法执督〔2026〕1号" in again.json()["errors"][0]["message_zh"]
            confirmed = ok(await center.post(path, json={"kind": "supervise", "confirm_repeat": True}), 201)
            assert confirmed["number"] == "烟中法执督〔2026〕2号"
            assert (await center.post(path, json={"kind": "escalate"})).status_code == 422  # not by hand
        async with api.client("qingdao-center") as qingdao:  # sees the matter, supervises neither court
            refused = await qingdao.post(path, json={"kind": "supervise"})
            assert refused.status_code == 403 and refused.json()["code"] == "permission_denied"
            urge = await qingdao.post(path, json={"kind": "urge"})
            assert urge.status_code == 403 and urge.json()["title"] == "只有承办法院所在市的执行指挥中心可以催办"
        assert (await officer.post(path, json={"kind": "urge"})).status_code == 403
        async with api.client("weifang-center") as weifang:
            assert (await weifang.post(path, json={"kind": "urge"})).status_code == 404
        assert [n["number"] for n in await notices(officer)] == ["烟中法执督〔2026〕2号", "烟中法执督〔2026〕1号"]
