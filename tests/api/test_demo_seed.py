"""jiaodong seed-demo: users for every city and role, and ~30 delegations in varied states, idempotently."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from delegation.accounts import users as user_service
from delegation.store.tables import ClockRow, DelegationRow
from jiaodong.demo import seeder as demo
from tests.api.actors import at, password_hash


async def test_seed_demo_files_thirty_delegations_in_varied_states_once(
    engine: AsyncEngine,
    sessions: async_sessionmaker[AsyncSession],
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(user_service, "hash_password", lambda _password: password_hash())  # argon2 is slow
    now = at("2026-11-30", "16:00")
    lines = await demo.seed(database_url, now=now, data_dir=tmp_path, base_url="http://127.0.0.1:8123")
    assert lines[0] == "demo users: 27 created, 0 already present"  # 2 handlers (王法官, 李法官) per court
    assert "open http://127.0.0.1:8123/ in a browser, or" in lines
    assert any("http://127.0.0.1:8123/api/v1/auth/login" in line for line in lines)
    assert not any(":8000" in line for line in lines)  # the examples use the address served
    assert lines[1] == "demo delegations: 31 filed, 0 already present"
    assert any("password for every demo user" in line for line in lines)
    again = await demo.seed(database_url, now=now, data_dir=tmp_path)
    assert again[1] == "demo delegations: 0 filed, 31 already present"

    async with sessions() as session:
        rows = list(await session.exec(select(DelegationRow)))
        open_clocks = list(await session.exec(select(ClockRow).where(col(ClockRow.closed_at).is_(None))))
    statuses = Counter(r.status for r in rows)
    assert len(rows) == 31
    assert set(statuses) == {
        "draft",
        "submitted",
        "returned",
        "declined",
        "accepted",
        "in_progress",
        "scheduled",
        "completed",
        "confirmed",
        "withdrawn",
    }
    cities = {r.requesting_court[:3] for r in rows} | {r.assisting_court[:3] for r in rows}
    assert cities == {"鲁02", "鲁06", "鲁07", "鲁10", "鲁11"}
    overdue = [c for c in open_clocks if not c.paused and c.due_at is not None and c.due_at < now]
    assert len(overdue) >= 5
    assert any(c.due_provisional for c in open_clocks)  # a deadline in 2027, whose schedule is not confirmed
    assert list((tmp_path / "documents").rglob("*.pdf"))
    # Every assigned demo matter is handled by one of its assisting court's handlers (users).
    assigned = [r for r in rows if r.handler is not None]
    assert assigned
    assert all(r.handler_username and r.handler_username.endswith(("-wang", "-li")) for r in assigned)
