"""What a matter offers is what it accepts: `approve_extension` / `refuse_extension` are in `allowed_actions`
(the matter's GET, its list item and an action's answer) exactly when the caller's POST is accepted. An
extension of the assisting court's deadline is decided by the command center of its own city (the court that
asked), not by the requesting court's; more time to correct also by the assisting court or either center."""

from __future__ import annotations

from typing import Any

import httpx

from tests.api.actors import Api
from tests.api.support import act, file_matter, ok

DECISIONS = {"approve_extension", "refuse_extension"}
# The covering parts of a matter of 市南区 (Qingdao) to 芝罘区 (Yantai), and who of them decides.
EXECUTION_DECIDERS = {"yantai-center": True, "qingdao-center": False, "regional": True, "zhifu-clerk": False}
CORRECTION_DECIDERS = {"yantai-center": True, "qingdao-center": True, "regional": True, "zhifu-clerk": True}


async def offered(client: httpx.AsyncClient, ident: int) -> set[str]:
    """The decisions the matter offers the caller, on its own GET and as an item of the caller's list."""
    detail = ok(await client.get(f"/api/v1/delegations/{ident}"))
    listed = ok(await client.get("/api/v1/delegations", params={"box": "all", "limit": 100}))
    [item] = [i for i in listed["items"] if i["id"] == ident]
    assert set(item["allowed_actions"]) & DECISIONS == set(detail["allowed_actions"]) & DECISIONS
    return set(detail["allowed_actions"]) & DECISIONS


async def execution_extension_pending(api: Api) -> dict[str, Any]:
    """A matter in progress whose assisting court (芝罘区) asked for two more working days."""
    async with api.client("shinan-officer") as officer, api.client("zhifu-clerk") as clerk:
        matter = await file_matter(officer)
        signed = ok(await act(clerk, matter["id"], "sign-for", matter["version"], {"handler": "zhifu-wang"}))
        asked = ok(
            await act(clerk, matter["id"], "request-extension", signed["version"], {"days": 2, "comment": "调档"})
        )
        assert not set(asked["allowed_actions"]) & DECISIONS  # the clerk who asked does not decide
        return dict(asked)


async def correction_extension_pending(api: Api) -> dict[str, Any]:
    """A matter returned for correction whose requesting court (市南区) asked for more time to correct."""
    async with api.client("shinan-officer") as officer, api.client("zhifu-clerk") as clerk:
        matter = await file_matter(officer)
        body = {"reason_code": "missing_documents", "comment": "请补充执行裁定书"}
        returned = ok(await act(clerk, matter["id"], "return", matter["version"], body))
        asked = ok(
            await act(officer, matter["id"], "request-extension", returned["version"], {"days": 5, "comment": "调档"})
        )
        return dict(asked)


async def test_each_command_center_is_offered_an_execution_extension_exactly_when_it_may_decide_it(api: Api) -> None:
    for user, decides in EXECUTION_DECIDERS.items():
        matter = await execution_extension_pending(api)
        ident, version = matter["id"], matter["version"]
        async with api.client(user) as client:
            assert await offered(client, ident) == (DECISIONS if decides else set()), user
            approved = await act(client, ident, "approve-extension", version, {"days": 1})
            refused = await act(client, ident, "refuse-extension", version, {"comment": "理由不足"})
            if decides:
                answer = ok(approved)
                assert [e["status"] for e in ok(await client.get(f"/api/v1/delegations/{ident}"))["extensions"]] == [
                    "approved"
                ]
                assert not set(answer["allowed_actions"]) & DECISIONS  # nothing pending any more
                assert await offered(client, ident) == set()
                nothing = await act(client, ident, "refuse-extension", answer["version"], {"comment": "理由不足"})
                assert nothing.status_code == 422 and nothing.json()["errors"][0]["field"] == "extension_id"
            else:
                for answer in (approved, refused):
                    assert answer.status_code == 403 and answer.json()["code"] == "permission_denied", user
                if user == "qingdao-center":  # the requesting court's center, not the asking court's
                    assert approved.json()["title"] == "只有申请延期的法院所在市的执行指挥中心可以审批该延期"
                after = ok(await client.get(f"/api/v1/delegations/{ident}"))
                assert after["version"] == version and after["extensions"][0]["status"] == "pending"


async def test_more_time_to_correct_is_offered_to_and_accepted_from_each_who_may_grant_it(api: Api) -> None:
    for user, decides in CORRECTION_DECIDERS.items():
        matter = await correction_extension_pending(api)
        ident, version = matter["id"], matter["version"]
        async with api.client(user) as client:
            assert await offered(client, ident) == (DECISIONS if decides else set()), user
            answer = ok(await act(client, ident, "approve-extension", version, {"days": 5}))
            assert answer["status"] == "returned" and not set(answer["allowed_actions"]) & DECISIONS
    async with api.client("shinan-officer") as officer:  # the court that asked decides nothing
        matter = await correction_extension_pending(api)
        assert await offered(officer, matter["id"]) == set()
        refused = await act(officer, matter["id"], "approve-extension", matter["version"], {"days": 5})
        assert refused.status_code == 403


async def test_no_decision_is_offered_while_no_extension_is_pending(api: Api) -> None:
    async with api.client("shinan-officer") as officer, api.client("zhifu-clerk") as clerk:
        matter = await file_matter(officer)
        signed = ok(await act(clerk, matter["id"], "sign-for", matter["version"], {"handler": "zhifu-wang"}))
    for user in ("yantai-center", "regional"):
        async with api.client(user) as client:
            assert await offered(client, matter["id"]) == set()
            nothing = await act(client, matter["id"], "approve-extension", signed["version"], {"days": 1})
            assert nothing.status_code == 422 and nothing.json()["errors"][0]["field"] == "extension_id"
