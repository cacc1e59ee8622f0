"""Delegation lists: inbox and outbox, every filter, and cursor pagination."""

from __future__ import annotations

from typing import Any

from api.schemas import EventKind
from delegation.store import rows
from tests.api.actors import Api
from tests.api.support import act, file_matter, ok
from tests.support import PARTIES


async def ids(client: Any, **params: Any) -> list[int]:
    page = ok(await client.get("/api/v1/delegations", params=params))
    return [d["id"] for d in page["items"]]


async def test_inbox_and_outbox_filter_by_status_matter_counterpart_city_and_text(api: Api) -> None:
    async with api.client("shinan-officer") as officer, api.client("zhifu-clerk") as clerk:
        to_zhifu = await file_matter(officer, case_number="（2026）鲁0202执11号")
        to_fushan = await file_matter(officer, case_number="（2026）鲁0202执12号", assisting_court="鲁0611")
        eviction = await file_matter(
            officer,
            case_number="（2026）鲁0202执13号",
            matter_type="property_investigation",
            fields={"scope": "被执行人在当地的房产"},
        )
        ok(await act(clerk, to_zhifu["id"], "sign-for", to_zhifu["version"]))

        assert await ids(officer, box="outbox") == [eviction["id"], to_fushan["id"], to_zhifu["id"]]
        assert await ids(officer, box="inbox") == []
        assert await ids(clerk, box="inbox") == [eviction["id"], to_zhifu["id"]]
        assert await ids(clerk, box="inbox", status="accepted") == [to_zhifu["id"]]
        assert await ids(clerk, box="inbox", status=["accepted", "submitted"]) == [eviction["id"], to_zhifu["id"]]
        assert await ids(officer, box="outbox", matter_type="property_investigation") == [eviction["id"]]
        assert await ids(officer, box="outbox", counterpart="鲁0611") == [to_fushan["id"]]
        assert await ids(clerk, box="inbox", counterpart="鲁0202") == [eviction["id"], to_zhifu["id"]]
        assert await ids(clerk, box="inbox", city="潍坊") == []
        assert await ids(officer, city="烟台") == [eviction["id"], to_fushan["id"], to_zhifu["id"]]
        assert await ids(officer, q="（2026）鲁0202执12号") == [to_fushan["id"]]
        assert await ids(officer, q="(2026)鲁0202执12号") == [to_fushan["id"]]  # ASCII brackets
        assert await ids(officer, q="执13") == [eviction["id"]]
        assert await ids(officer, q="张三") == [eviction["id"], to_fushan["id"], to_zhifu["id"]]
        assert await ids(officer, q="100%_") == []


async def test_due_overdue_and_provisional_filters_follow_the_running_clock(api: Api) -> None:
    async with api.client("shinan-officer") as officer:
        api.clock.set("2026-03-02")
        early = await file_matter(officer, case_number="（2026）鲁0202执21号")  # sign-for due 03-05 00:00
        api.clock.set("2026-12-30")
        late = await file_matter(officer, case_number="（2026）鲁0202执22号")  # due in 2027: provisional
        assert late["clock"]["provisional"] is True
        api.clock.set("2026-12-30", "11:00")
        assert await ids(officer, overdue="true") == [early["id"]]
        assert await ids(officer, overdue="false") == [late["id"]]
        assert await ids(officer, provisional="true") == [late["id"]]
        assert await ids(officer, provisional="false") == [early["id"]]
        assert await ids(officer, due_before="2026-06-01T00:00:00+08:00") == [early["id"]]
        assert await ids(officer, due_after="2026-06-01T00:00:00+08:00") == [late["id"]]
        naive = await officer.get("/api/v1/delegations", params={"due_before": "2026-06-01T00:00:00"})
        assert naive.status_code == 422
        listed = ok(await officer.get("/api/v1/delegations", params={"overdue": "true"}))
        clock = listed["items"][0]["clock"]
        assert clock["overdue"] is True and clock["working_days_left"] < 0 and clock["court_code"] == "鲁0602"


async def test_pages_follow_the_cursor_without_gaps_or_repeats(api: Api) -> None:
    async with api.client("shinan-officer") as officer:
        made = []
        for serial in range(5):
            response = await officer.post(
                "/api/v1/delegations",
                json={
                    "case_number": f"（2026）鲁0202执{30 + serial}号",
                    "assisting_court": "鲁0602",
                    "matter_type": "vehicle_inquiry",
                    "parties": PARTIES,
                },
            )
            made.append(ok(response, 201)["id"])
        seen: list[int] = []
        cursor = None
        while True:
            params: dict[str, Any] = {"limit": 2, "box": "outbox"}
            if cursor:
                params["cursor"] = cursor
            page = ok(await officer.get("/api/v1/delegations", params=params))
            seen += [d["id"] for d in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert seen == sorted(made, reverse=True)
        bad = await officer.get("/api/v1/delegations", params={"cursor": "not-a-cursor"})
        assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "cursor"


async def test_the_timeline_filters_by_an_event_kind_and_refuses_one_that_is_none(api: Api) -> None:
    async with api.client("shinan-officer") as officer:
        matter = await file_matter(officer)
        ident = matter["id"]
        ok(await officer.post(f"/api/v1/delegations/{ident}/messages", json={"text": "请尽快办理"}), 201)
        async with api.sessions() as session:  # a 网络查控 hand-back, as delegation.network writes it
            await rows.insert_events(
                session,
                [
                    rows.Event(
                        delegation_id=ident,
                        kind="network",
                        action="network_handed_back",
                        from_status="submitted",
                        to_status="submitted",
                        actor="network",
                        actor_court="鲁0602",
                        actor_role="assisting",
                        at=api.clock.now,
                        comment="登记机关暂停服务",
                    )
                ],
            )
            await session.commit()

        url = f"/api/v1/delegations/{ident}/timeline"
        messages = ok(await officer.get(url, params={"kind": "message"}))["items"]
        assert [e["comment"] for e in messages] == ["请尽快办理"]
        network = ok(await officer.get(url, params={"kind": "network"}))["items"]
        assert [(e["kind"], e["action"]) for e in network] == [("network", "network_handed_back")]
        every = ok(await officer.get(url))["items"]
        assert {"transition", "document", "message", "network"} <= {e["kind"] for e in every}
        detail = ok(await officer.get(f"/api/v1/delegations/{ident}"))  # the detail's timeline holds it too
        assert detail["timeline"][-1]["kind"] == "network"

        refused = await officer.get(url, params={"kind": "nope"})
        assert refused.status_code == 422 and refused.json()["code"] == "validation_failed"
        [error] = refused.json()["errors"]
        assert error["field"] == "kind"
        for kind in ("transition", "message", "document", "notice", "clock", "network"):
            assert f"'{kind}'" in error["message_en"] and f"'{kind}'" in error["message_zh"]

    parameter = next(
        p
        for p in api.app.openapi()["paths"]["/api/v1/delegations/{delegation_id}/timeline"]["get"]["parameters"]
        if p["name"] == "kind"
    )
    assert parameter["schema"]["$ref"] == "#/components/schemas/EventKind"
    assert api.app.openapi()["components"]["schemas"]["EventKind"]["enum"] == [k.value for k in EventKind]
