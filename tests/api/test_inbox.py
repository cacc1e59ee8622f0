"""The inbox over HTTP, on SQLite and PostgreSQL: what the other court did and wrote reaches each user's
inbox, the unread state answers 304 while nothing changed, marking read is per user and never swallows an item
that arrived after the reader looked."""

from __future__ import annotations

from delegation.outbox import service as outbox_service
from delegation.outbox.model import RetryPolicy
from delegation.refdata.service import load_reference
from tests.api.actors import Api
from tests.api.support import act, file_matter, ok


async def deliver(api: Api) -> int:
    """What the deliver-notifications flow does every minute: expand the committed intents into inbox rows."""
    async with api.sessions() as session:
        ref = await load_reference(session)
        return await outbox_service.expand_fanouts(session, ref, api.clock.now, RetryPolicy())


async def test_the_other_courts_actions_and_messages_reach_the_officers_inbox(api: Api) -> None:
    async with api.client("shinan-officer") as officer, api.client("zhifu-clerk") as clerk:
        filed = await file_matter(officer)
        ident = filed["id"]
        await deliver(api)
        # The clerk is told of the new matter; the officer, who filed it, is not told of their own act.
        clerk_items = ok(await clerk.get("/api/v1/inbox"))["items"]
        assert [i["topic"] for i in clerk_items] == ["transition"]
        assert clerk_items[0]["delegation_number"] == filed["number"]
        assert ok(await officer.get("/api/v1/inbox"))["items"] == []

        api.clock.set("2026-03-03")
        signed = ok(await act(clerk, ident, "sign-for", filed["version"]))
        ok(await clerk.post(f"/api/v1/delegations/{ident}/messages", json={"text": "已签收，本周内办理。"}), 201)
        await deliver(api)

        page = ok(await officer.get("/api/v1/inbox"))
        assert [i["topic"] for i in page["items"]] == ["message", "transition"]  # newest first
        message, signed_item = page["items"]
        assert "已签收，本周内办理。" in message["body"] and message["unread"] is True
        assert signed_item["title"].startswith(filed["number"]) and "签收" in signed_item["title"]
        assert signed_item["link"] == f"/api/v1/delegations/{ident}"
        assert page["unread"] == 2 and page["latest_id"] == message["id"]
        assert signed["status"] == "accepted"

        only_messages = ok(await officer.get("/api/v1/inbox", params={"topic": "message"}))
        assert [i["id"] for i in only_messages["items"]] == [message["id"]]


async def test_the_unread_state_is_cheap_to_poll_and_marking_read_is_per_user(api: Api) -> None:
    async with api.client("shinan-officer") as officer, api.client("zhifu-clerk") as clerk:
        filed = await file_matter(officer)
        ident = filed["id"]
        ok(await clerk.post(f"/api/v1/delegations/{ident}/messages", json={"text": "请补充车辆号牌"}), 201)
        await deliver(api)

        first = await officer.get("/api/v1/inbox/unread")
        state = ok(first)
        assert state == {"unread": 1, "latest_id": state["latest_id"]} and state["latest_id"] > 0
        tag = first.headers["ETag"]
        assert "no-cache" in first.headers["Cache-Control"]
        again = await officer.get("/api/v1/inbox/unread", headers={"If-None-Match": tag})
        assert again.status_code == 304 and again.content == b"" and again.headers["ETag"] == tag

        # The officer marks everything read up to what they saw; a message arriving afterwards stays unread.
        seen = state["latest_id"]
        ok(await clerk.post(f"/api/v1/delegations/{ident}/messages", json={"text": "另：请提供车架号"}), 201)
        await deliver(api)
        marked = ok(await officer.post("/api/v1/inbox/read", json={"up_to": seen}))
        assert marked["marked"] == 1 and marked["unread"] == 1
        changed = await officer.get("/api/v1/inbox/unread", headers={"If-None-Match": tag})
        assert changed.status_code == 200 and changed.headers["ETag"] != tag

        newest = ok(await officer.get("/api/v1/inbox", params={"unread": "true"}))["items"]
        assert len(newest) == 1 and "车架号" in newest[0]["body"]

        # Nobody reads or marks another user's items: not found, and nothing changes.
        assert (await clerk.get(f"/api/v1/inbox/items/{newest[0]['id']}")).status_code == 404
        assert ok(await clerk.post("/api/v1/inbox/read", json={"ids": [newest[0]["id"]]}))["marked"] == 0
        assert ok(await officer.get("/api/v1/inbox/unread"))["unread"] == 1

        ok(await officer.post("/api/v1/inbox/read", json={"ids": [newest[0]["id"]]}))
        assert ok(await officer.get("/api/v1/inbox/unread"))["unread"] == 0
        read = ok(await officer.get(f"/api/v1/inbox/items/{newest[0]['id']}"))
        assert read["unread"] is False and read["read_at"]


async def test_bad_inbox_requests_are_problems(api: Api) -> None:
    async with api.client("shinan-officer") as officer:
        both = await officer.post("/api/v1/inbox/read", json={"ids": [1], "up_to": 3})
        assert both.status_code == 422 and both.headers["content-type"].startswith("application/problem+json")
        neither = await officer.post("/api/v1/inbox/read", json={})
        assert neither.status_code == 422
        assert (await officer.post("/api/v1/inbox/read", json={"ids": []})).status_code == 422
        assert (await officer.get("/api/v1/inbox", params={"topic": "gossip"})).status_code == 422
        assert (await officer.get("/api/v1/inbox", params={"limit": 0})).status_code == 422
    async with api.client() as anonymous:
        assert (await anonymous.get("/api/v1/inbox/unread")).status_code == 401
