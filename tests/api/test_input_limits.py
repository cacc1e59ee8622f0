"""Input at the edges of what the server handles: timestamps far from now are a 422, never a 500; uploads
are checked before a byte is stored and capped per matter; parallel retries of a create are replays."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

import pytest

from tests.api.actors import Api
from tests.api.support import PDF, act, draft_body, file_matter, ok, upload
from tests.support import ALL_DOCUMENTS


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


# ---------------------------------------------------------------- uploads


def _stored_files(api: Api) -> list[Path]:
    root = api.data_dir / "documents"
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


async def test_an_upload_refused_for_a_closed_matter_writes_nothing_to_disk(api: Api) -> None:
    async with api.client("shinan-officer") as officer:
        filed = await file_matter(officer)
        ok(await act(officer, filed["id"], "withdraw", filed["version"], {"comment": "当事人已履行"}))
        before = _stored_files(api)
        fresh = PDF + b"% never seen before\n"
        closed = await officer.post(
            f"/api/v1/delegations/{filed['id']}/documents",
            data={"kind": "other"},
            files={"file": ("new.pdf", io.BytesIO(fresh), "application/pdf")},
        )
        assert closed.status_code == 403
    assert _stored_files(api) == before


async def test_a_matter_takes_at_most_its_cap_of_documents_and_bytes(api: Api) -> None:
    api.app.state.runtime.settings.max_documents_per_matter = len(ALL_DOCUMENTS) + 2
    async with api.client("shinan-officer") as officer:
        created = ok(await officer.post("/api/v1/delegations", json=draft_body()), 201)
        for n in range(len(ALL_DOCUMENTS) + 2):
            await upload(officer, created["id"], "other", PDF + f"% {n}\n".encode())
        over = await officer.post(
            f"/api/v1/delegations/{created['id']}/documents",
            data={"kind": "other"},
            files={"file": ("one-more.pdf", io.BytesIO(PDF + b"% more\n"), "application/pdf")},
        )
        assert over.status_code == 422 and over.json()["errors"][0]["field"] == "file"
        api.app.state.runtime.settings.max_documents_per_matter = 50
        api.app.state.runtime.settings.max_bytes_per_matter = 1  # already over: the next byte is too many
        too_big = await officer.post(
            f"/api/v1/delegations/{created['id']}/documents",
            data={"kind": "other"},
            files={"file": ("big.pdf", io.BytesIO(PDF + b"% big\n"), "application/pdf")},
        )
        assert too_big.status_code == 413 and too_big.json()["code"] == "payload_too_large"


# ---------------------------------------------------------------- idempotent creates


async def test_parallel_creates_with_one_key_answer_one_201_and_otherwise_200_replayed(api: Api) -> None:
    body = draft_body()
    async with api.client("shinan-officer") as officer:
        answers = await asyncio.gather(
            *(
                officer.post("/api/v1/delegations", json=body, headers={"Idempotency-Key": "k-2026-1"})
                for _ in range(20)
            )
        )
    created = [a for a in answers if a.status_code == 201]
    replays = [a for a in answers if a.status_code == 200]
    assert len(created) == 1 and len(replays) == 19
    assert "idempotent-replayed" not in created[0].headers
    assert all(a.headers["Idempotent-Replayed"] == "true" for a in replays)
    assert {a.json()["id"] for a in answers} == {created[0].json()["id"]}


async def test_integers_and_booleans_of_a_json_body_are_json_numbers_and_true_or_false(api: Api) -> None:
    async with api.client("shinan-officer") as officer, api.client("zhifu-clerk") as clerk:
        matter = await file_matter(officer)
        ident = matter["id"]
        signed = ok(await act(clerk, ident, "sign-for", matter["version"]))
        version = signed["version"]
        refused = {
            "request-extension": {"days": "5", "comment": "需要更多时间"},
            "approve-extension": {"extension_id": "41", "days": "3"},
        }
        for path, body in refused.items():
            answer = await act(clerk, ident, path, version, body)
            assert answer.status_code == 422, (path, answer.text)
            errors = {e["field"]: e for e in answer.json()["errors"]}
            assert set(errors) == {k for k, v in body.items() if isinstance(v, str) and v.isdigit()}, path
            assert all(e["message_zh"] == "应为整数" for e in errors.values())
        for days in (True, 5.5):  # not an integer either, as JSON
            answer = await act(clerk, ident, "request-extension", version, {"days": days, "comment": "需要更多时间"})
            assert answer.status_code == 422 and answer.json()["errors"][0]["field"] == "days", days
        batch = await clerk.post("/api/v1/batch/sign-for", json={"items": [{"id": str(ident), "version": version}]})
        assert batch.status_code == 422 and batch.json()["errors"][0]["field"] == "items[0].id"
        read = await clerk.post("/api/v1/inbox/read", json={"up_to": "1"})
        assert read.status_code == 422
        assert (await clerk.get(f"/api/v1/delegations/{ident}")).json()["version"] == version  # nothing done

        # JSON integers as before (5.0 is one, as JSON Schema says); query and path parameters are text and are
        # still read as numbers.
        asked = ok(await act(clerk, ident, "request-extension", version, {"days": 5.0, "comment": "需要更多时间"}))
        assert asked["version"] == version + 1
        extensions = ok(await clerk.get(f"/api/v1/delegations/{ident}"))["extensions"]
        assert [(e["days"], e["status"]) for e in extensions] == [(5, "pending")]
        listed = ok(await officer.get("/api/v1/delegations", params={"limit": "1"}))
        assert [d["id"] for d in listed["items"]] == [ident]
        due = ok(await officer.get("/api/v1/calendar/due", params={"trigger": "2026-02-13", "days": "2"}))
        assert due["due_date"] == "2026-02-24"
