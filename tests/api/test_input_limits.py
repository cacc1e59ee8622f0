"""Input at the edges of what the server handles: timestamps far from now are a 422, never a 500."""

from __future__ import annotations

import pytest

from tests.api.conftest import Api


@pytest.mark.parametrize(
    "query",
    [
        "due_before=0001-01-01T00:00:00Z",
        "due_after=9999-12-31T23:59:59Z",
        "due_before=0001-01-01T00:00:00%2B14:00",
        "due_after=9999-12-31T23:59:59-12:00",
    ],
)
async def test_a_timestamp_filter_near_year_1_or_9999_is_refused_with_422(api: Api, query: str) -> None:
    async with api.client("shinan-officer") as client:
        response = await client.get(f"/api/v1/delegations?{query}")
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] in ("due_before", "due_after")


async def test_a_timestamp_filter_within_range_is_accepted(api: Api) -> None:
    async with api.client("shinan-officer") as client:
        response = await client.get("/api/v1/delegations?due_before=2030-01-01T00:00:00%2B08:00")
    assert response.status_code == 200
