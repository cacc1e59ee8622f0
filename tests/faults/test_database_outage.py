"""PostgreSQL stopped and started under a bounded client load against `jiaodong serve`: every request gets
an HTTP answer (no reset), only 503s while the database is down, no acknowledged write is lost, and service
resumes within 2 s of the database's return."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from delegation.store.db import make_engine
from tests.api.support import draft_body
from tests.faults.conftest import ThrowawayPostgres, environment, migrated_with_users, start_server

pytestmark = pytest.mark.faults

CLIENTS = 6


@dataclass
class Observed:
    answers: list[tuple[float, int]] = field(default_factory=list)  # (monotonic time, status)
    resets: list[str] = field(default_factory=list)
    acknowledged: set[int] = field(default_factory=set)


async def _client(base_url: str, token: str, n: int, stop: asyncio.Event, seen: Observed) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=10) as client:
        i = 0
        while not stop.is_set():
            i += 1
            try:
                if i % 2:
                    key = f"fault-{n}-{i}"
                    response = await client.post(
                        "/api/v1/delegations", json=draft_body(), headers={"Idempotency-Key": key}
                    )
                    if response.status_code in (200, 201):
                        seen.acknowledged.add(int(response.json()["id"]))
                else:
                    response = await client.get("/api/v1/delegations", params={"limit": 5})
                seen.answers.append((time.monotonic(), response.status_code))
            except httpx.TransportError as exc:  # a reset or no answer at all
                seen.resets.append(f"{type(exc).__name__}: {exc}")
            await asyncio.sleep(0.02)


async def _count_rows(database_url: str, ids: set[int]) -> int:
    engine = make_engine(database_url.replace("postgresql://", "postgresql+asyncpg://"))
    try:
        async with engine.connect() as connection:
            found = await connection.execute(text("SELECT id FROM delegation"))
            return len(ids & {int(r[0]) for r in found})
    finally:
        await engine.dispose()


def test_a_database_outage_under_load_answers_503_loses_nothing_and_recovers_within_two_seconds(
    postgres: ThrowawayPostgres, tmp_path: Path
) -> None:
    env = environment(postgres.url, tmp_path / "data")
    tokens = migrated_with_users(postgres.url, env)
    server = start_server(env, tmp_path / "serve.log")
    seen = Observed()
    try:

        async def scenario() -> tuple[float, float, float]:
            stop = asyncio.Event()
            clients = [
                asyncio.create_task(_client(server.base_url, tokens["shinan-officer"], n, stop, seen))
                for n in range(CLIENTS)
            ]
            await asyncio.sleep(1.5)
            down_from = time.monotonic()
            await asyncio.to_thread(postgres.stop, "fast")
            await asyncio.sleep(2.0)
            await asyncio.to_thread(postgres.start)
            back_at = time.monotonic()
            await asyncio.sleep(3.0)
            stop.set()
            await asyncio.gather(*clients)
            return down_from, back_at, time.monotonic()

        down_from, back_at, _end = asyncio.run(scenario())
    finally:
        server.stop()
    log = server.log.read_text(errors="replace")
    statuses = {status for _at, status in seen.answers}
    assert seen.resets == [], seen.resets[:5]
    assert statuses <= {200, 201, 503}, statuses  # never a 500
    unavailable = [t for t, status in seen.answers if status == 503]
    assert unavailable, "the outage was not seen"
    assert all(t >= down_from for t in unavailable)
    recovered = min(t for t, status in seen.answers if t > back_at and status in (200, 201))
    assert recovered - back_at < 2.0
    assert all(status != 503 for t, status in seen.answers if t > back_at + 2.0)
    assert asyncio.run(_count_rows(postgres.url, seen.acknowledged)) == len(seen.acknowledged)
    assert "Traceback" not in log
