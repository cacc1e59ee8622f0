"""record-result refers to the items of the matter's asset list (docs/matters.md): on a matter with two
vehicles, an `asset` naming neither (`foo`, `5`) is 422 at results[i].asset with a Chinese message and nothing
is written; positions are accepted and stored under the item's name. The OpenAPI document says so."""

from __future__ import annotations

from typing import Any

import httpx

from tests.api.actors import Api
from tests.api.support import act, file_matter, ok

VEHICLES = [{"plate": "鲁B12345", "brand_model": "大众帕萨特"}, {"plate": "鲁B67890"}]


async def vehicles_in_progress(officer: httpx.AsyncClient, clerk: httpx.AsyncClient) -> dict[str, Any]:
    matter = await file_matter(officer, matter_type="vehicle_seal", fields={"vehicles": VEHICLES, "period_months": 24})
    return dict(ok(await act(clerk, matter["id"], "sign-for", matter["version"], {"handler": "zhifu-wang"})))


async def nothing_written(clerk: httpx.AsyncClient, matter: dict[str, Any]) -> None:
    after = ok(await clerk.get(f"/api/v1/delegations/{matter['id']}"))
    assert after["version"] == matter["version"] and after["results"] == []
    timeline = ok(await clerk.get(f"/api/v1/delegations/{matter['id']}/timeline"))
    assert "record_result" not in [e["action"] for e in timeline["items"]]


async def test_an_asset_the_matter_does_not_list_is_refused_and_nothing_is_written(api: Api) -> None:
    async with api.client("shinan-officer") as officer, api.client("zhifu-clerk") as clerk:
        matter = await vehicles_in_progress(officer, clerk)
        for asset in ("foo", "5", "车辆 3", "鲁B00000"):
            body = {"results": [{"asset": asset, "outcome": "done"}]}
            refused = await act(clerk, matter["id"], "record-result", matter["version"], body)
            problem = refused.json()
            assert refused.status_code == 422 and problem["code"] == "validation_failed", asset
            [error] = problem["errors"]
            assert error["field"] == "results[0].asset"
            assert error["message_zh"].startswith(f"第1项结果：“{asset}”不是本委托所列的车辆，请填写其序号（1至2）")
        both = {"results": [{"asset": "1", "outcome": "done"}, {"asset": "foo", "outcome": "not_found"}]}
        refused = await act(clerk, matter["id"], "record-result", matter["version"], both)
        assert refused.status_code == 422 and [e["field"] for e in refused.json()["errors"]] == ["results[1].asset"]
        twice = {"results": [{"asset": "2", "outcome": "done"}, {"asset": "鲁B67890", "outcome": "failed"}]}
        refused = await act(clerk, matter["id"], "record-result", matter["version"], twice)
        assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "results[1].asset"
        await nothing_written(clerk, matter)


async def test_valid_positions_are_accepted_and_stored_under_the_items_name(api: Api) -> None:
    async with api.client("shinan-officer") as officer, api.client("zhifu-clerk") as clerk:
        matter = await vehicles_in_progress(officer, clerk)
        body = {"results": [{"asset": "1", "outcome": "done"}, {"asset": "车辆 2", "outcome": "not_found"}]}
        recorded = ok(await act(clerk, matter["id"], "record-result", matter["version"], body))
        after = ok(await clerk.get(f"/api/v1/delegations/{matter['id']}"))
        assert [(r["asset"], r["outcome"]) for r in after["results"]] == [("车辆 1", "done"), ("车辆 2", "not_found")]
        assert after["version"] == recorded["version"] == matter["version"] + 1


async def test_the_openapi_document_says_what_asset_must_contain(api: Api) -> None:
    async with api.client() as client:
        schema = ok(await client.get("/openapi.json"))["components"]["schemas"]["AssetResultIn"]
    asset = schema["properties"]["asset"]
    assert "counted from 1" in asset["description"] and "results[i].asset" in asset["description"]
    assert asset["examples"][:2] == ["1", "车辆 2"]
