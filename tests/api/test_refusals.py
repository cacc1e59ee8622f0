"""Refusals of an action say why: the caller's part on the matter (403 permission_denied, with a Chinese title
naming who may take it) or the matter's state (409 transition_not_allowed, with what is possible now), for
every action route of the transition table; nothing is written either way."""

from __future__ import annotations

from typing import Any

import httpx

from api.routes.actions import ACTION_ROUTES
from delegation.core.states import ACTION_PARTS, Mechanism, Role, Status, find_transition
from tests.api.actors import Api
from tests.api.support import act, file_matter, ok
from tests.api.test_foreign_access import BODIES

# The parts each user plays on a matter of 市南区 (Qingdao) to 芝罘区 (Yantai).
PARTS: dict[str, Role] = {
    "shinan-officer": Role.REQUESTER,
    "zhifu-clerk": Role.ASSISTING,
    "yantai-center": Role.COMMAND_CENTER,  # of the assisting court's city
    "qingdao-center": Role.COMMAND_CENTER,  # of the requesting court's city
    "regional": Role.REGIONAL,
}


def expected_refusal(state: Status, action: Any, part: Role) -> int | None:
    """None: the part may take the action now; 403: its part never or not in this state; 409: nobody now."""
    row = find_transition(state, action, Mechanism.MATTER_DELEGATION)
    if row is not None:
        return None if part in row.roles else 403
    return 409 if part in ACTION_PARTS[action] else 403


async def test_the_reviews_reproductions_are_403_for_the_part_and_409_for_the_state(api: Api) -> None:
    async with api.client("shinan-officer") as officer, api.client("zhifu-clerk") as clerk:
        matter = await file_matter(officer)
        ident = matter["id"]
        signed = ok(await act(clerk, ident, "sign-for", matter["version"], {"handler": "zhifu-wang"}))
        asked = ok(await act(clerk, ident, "request-extension", signed["version"], {"days": 2, "comment": "调取档案"}))
        decided = await act(clerk, ident, "approve-extension", asked["version"])
        problem = decided.json()
        assert decided.status_code == 403 and problem["code"] == "permission_denied"
        assert problem["title"] == "您在该委托中的身份不能执行此操作，须由执行指挥中心或五市协调员办理"
        assert "allowed_actions" not in problem or problem["allowed_actions"] is None
        by_officer = await act(
            officer, ident, "request-extension", asked["version"], {"days": 2, "comment": "多给时间"}
        )
        assert by_officer.status_code == 403 and by_officer.json()["code"] == "permission_denied"
        assert by_officer.json()["title"] == "您在该委托中的身份不能执行此操作，须由受托法院办理"
        never = await act(officer, ident, "sign-for", asked["version"])  # a part that never signs for
        assert never.status_code == 403 and never.json()["title"].endswith("须由受托法院办理")
        again = await act(clerk, ident, "sign-for", asked["version"])  # its own action, not in this state
        assert again.status_code == 409 and again.json()["code"] == "transition_not_allowed"
        assert again.json()["current"]["status"] == "in_progress" and "complete" in again.json()["allowed_actions"]
        after = ok(await clerk.get(f"/api/v1/delegations/{ident}"))
        assert after["version"] == asked["version"] and [e["status"] for e in after["extensions"]] == ["pending"]


async def _refusals(api: Api, ident: int, state: Status, version: int) -> int:
    """Every action route as every part: each one the part may not take now is refused as the table says."""
    checked = 0
    for user, part in PARTS.items():
        async with api.client(user) as client:
            for route in ACTION_ROUTES:
                expected = expected_refusal(state, route.action, part)
                if expected is None:
                    continue
                body: dict[str, Any] = BODIES.get(route.action.value, {})
                answer: httpx.Response = await act(client, ident, route.path, version, body)
                code = "permission_denied" if expected == 403 else "transition_not_allowed"
                assert (answer.status_code, answer.json()["code"]) == (expected, code), (user, route.path)
                if expected == 403:
                    assert answer.json()["title"].startswith("您在该委托中的身份不能执行此操作，须由"), (
                        user,
                        route.path,
                    )
                checked += 1
    return checked


async def test_every_action_route_refuses_a_part_with_403_and_a_state_with_409(api: Api) -> None:
    async with api.client("shinan-officer") as officer, api.client("zhifu-clerk") as clerk:
        matter = await file_matter(officer)
        ident = matter["id"]
        checked = await _refusals(api, ident, Status.SUBMITTED, matter["version"])
        signed = ok(await act(clerk, ident, "sign-for", matter["version"], {"handler": "zhifu-wang"}))
        checked += await _refusals(api, ident, Status.IN_PROGRESS, signed["version"])
        assert checked > 100
        after = ok(await officer.get(f"/api/v1/delegations/{ident}"))
        assert (after["status"], after["version"]) == ("in_progress", signed["version"])  # nothing was written
