"""A deliverer (`jiaodong sla deliver`, a real process) killed with SIGKILL mid-batch, then simply run again:
every webhook row reaches the local receiver, exactly once after the receiver drops repeats by the
Idempotency-Key header, with no manual step (no requeue). On SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from delegation.core.reference import Reference
from delegation.outbox import service as outbox_service
from delegation.refdata.service import load_reference
from delegation.store.tables import OutboxRow
from tests.faults.conftest import ROOT, environment, jiaodong
from tests.sla_support import ADMIN, add_users, at, filed

pytestmark = pytest.mark.faults

MATTERS = 40
LEASE_SECONDS = 1.0


class SlowReceiver:
    """A court system's webhook endpoint that takes 50 ms per call and notes each Idempotency-Key."""

    def __init__(self) -> None:
        self.keys: list[str] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers["Content-Length"]))
                time.sleep(0.05)
                outer.keys.append(self.headers["Idempotency-Key"])
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/jiaodong"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _kill_mid_batch_then_rerun(env: dict[str, str], receiver: SlowReceiver) -> None:
    argv = [sys.executable, "-c", "from jiaodong.cli.main import main; main()", "sla", "deliver"]
    first = subprocess.Popen(argv, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 120
    while len(receiver.keys) < 10:
        assert first.poll() is None, first.stdout.read() if first.stdout else ""
        assert time.monotonic() < deadline, "the deliverer never started sending"
        time.sleep(0.01)
    os.kill(first.pid, signal.SIGKILL)
    first.wait(10)
    time.sleep(LEASE_SECONDS * 1.5)  # the dead deliverer's claim is no longer renewed
    again = jiaodong(["sla", "deliver"], env)  # the next scheduled run, nothing done by hand
    assert again.returncode == 0, again.stderr
    # A send that failed on this loaded machine (a timeout) is retried by the run after, as on schedule.
    if '"retrying": 0' not in again.stdout:
        time.sleep(0.5)
        assert jiaodong(["sla", "deliver"], env).returncode == 0


@pytest.fixture
async def ref(session: AsyncSession) -> Reference:
    await add_users(session)
    return await load_reference(session)


async def test_a_deliverer_killed_mid_batch_then_rerun_delivers_every_row_exactly_once(
    session: AsyncSession, ref: Reference, database_url: str, tmp_path: Path
) -> None:
    receiver = SlowReceiver()
    try:
        await outbox_service.add_subscription(
            session,
            ref,
            ADMIN,
            at("2026-03-01"),
            court_code="鲁0602",
            channel="webhook",
            target=receiver.url,
            topics=["transition"],
            secret="court-system-shared-secret",
        )
        for n in range(1, MATTERS + 1):
            await filed(session, ref, at("2026-03-02"), n=n)
        env = environment(
            database_url,
            tmp_path / "data",
            JIAODONG_OUTBOX_LEASE_SECONDS=str(LEASE_SECONDS),
            JIAODONG_OUTBOX_BACKOFF_SECONDS="0.1",
        )
        await asyncio.to_thread(_kill_mid_batch_then_rerun, env, receiver)
        session.expunge_all()
        rows = list(await session.exec(select(OutboxRow).where(OutboxRow.channel == "webhook")))
    finally:
        receiver.close()
    assert len(rows) == MATTERS
    assert {r.status for r in rows} == {"sent"}, [
        (r.id, r.status, r.attempts, r.last_error) for r in rows if r.status != "sent"
    ]
    expected = {f"jiaodong-outbox-{r.id}" for r in rows}
    seen = Counter(receiver.keys)
    assert set(seen) == expected  # every row arrived; the receiver keeps one per key
    repeats = [key for key, n in seen.items() if n > 1]
    assert len(repeats) <= 16  # only rows in flight when the deliverer died were sent twice
