"""Reads mask personal data; a client that edits a draft by sending back what it read keeps the real values."""

from __future__ import annotations

from typing import Any

from tests.api.actors import Api
from tests.api.support import draft_body, ok
from tests.support import PARTIES

EDITABLE = ("case_number", "assisting_court", "matter_type", "summary", "fields", "parties")


async def _revealed(client: Any, ident: int, field: str) -> str:
    answer = ok(
        await client.post(f"/api/v1/delegations/{ident}/reveal", json={"field": field, "reason": "核对草稿内容"})
    )
    return str(answer["value"])


async def test_a_draft_sent_back_as_read_keeps_its_real_personal_data(api: Api) -> None:
    async with api.client("shinan-officer") as officer:
        draft = ok(await officer.post("/api/v1/delegations", json=draft_body()), 201)
        url = f"/api/v1/delegations/{draft['id']}"
        read = ok(await officer.get(url))
        assert read["parties"][1]["address"] == "山东省烟台市芝罘区****"  # what every read shows
        body = {key: read[key] for key in EDITABLE} | {"summary": "只改了说明"}
        edited = ok(await officer.put(url, json=body, headers={"If-Match": '"1"'}))
        assert edited["summary"] == "只改了说明"
        for field in ("address", "id_number", "phone"):
            assert await _revealed(officer, draft["id"], f"parties[1].{field}") == PARTIES[1][field]


async def test_a_masked_value_that_is_not_the_partys_own_is_refused_not_stored(api: Api) -> None:
    async with api.client("shinan-officer") as officer:
        debtor = {**PARTIES[1], "name": "李四", "id_number": "370202199001011237"}
        draft = ok(await officer.post("/api/v1/delegations", json=draft_body(parties=[*PARTIES, debtor])), 201)
        url = f"/api/v1/delegations/{draft['id']}"
        read = ok(await officer.get(url))
        # The two debtors swapped: each masked address now stands beside another party's stored one.
        swapped = [read["parties"][0], read["parties"][2] | {"address": "山东省青岛市市南区****"}, read["parties"][1]]
        body = {key: read[key] for key in EDITABLE} | {"parties": swapped}
        refused = await officer.put(url, json=body, headers={"If-Match": '"1"'})
        assert refused.status_code == 422
        [error] = [e for e in refused.json()["errors"] if e["field"] == "parties[1].address"]
        assert "脱敏" in error["message_zh"] and "masked" in error["message_en"]
        assert ok(await officer.get(url))["version"] == 1  # nothing written
        assert await _revealed(officer, draft["id"], "parties[1].address") == PARTIES[1]["address"]
