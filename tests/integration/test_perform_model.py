"""A model-based test of the write path (hypothesis.stateful) on SQLite: random legal and illegal actions by
every role, stale versions among them. After every step: at most one running clock, every open clock held by
its stage's court, the version +1 and one timeline event per accepted transition (签收 naming a handler is
two), nothing per refused one."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test
from sqlalchemy import func
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from delegation.core.access import Actor, Parties, acting_roles
from delegation.core.clocks import local_day
from delegation.core.errors import DomainError
from delegation.core.reference import Reference
from delegation.core.states import STAGE_HOLDER, Action, Mechanism, Side, Stage, Status, allowed_actions
from delegation.handling import service
from delegation.handling.commands import decode, follow_ups
from delegation.reading import dashboard as dashboard_service
from delegation.refdata.service import load_reference
from delegation.store.context import Context
from delegation.store.db import make_engine, make_sessionmaker
from delegation.store.tables import ClockRow, DelegationRow, DocumentRow, EventRow
from jiaodong.cli.database import upgrade_database
from tests.sla_support import ACTORS, CLERK, OFFICER, add_users, at
from tests.support import ALL_DOCUMENTS, vehicle_inquiry_draft

pytestmark = pytest.mark.slow

EVERYONE = [*ACTORS, Actor.system()]


def values_for(now: datetime) -> dict[str, Any]:
    """Input that satisfies each action's own rule when the state allows it (the model explores the rest)."""
    return {
        "comment": "测试理由",
        "reason_code": "missing_documents",
        "new_court": "鲁0611",
        "handler": "王法官",
        "scheduled_date": local_day(now) + timedelta(days=1),
        "results": [{"asset": "鲁B12345", "outcome": "done"}],
        "days": 3,
    }


class PerformModel(RuleBasedStateMachine):
    database_url: ClassVar[str] = ""
    accepted: ClassVar[set[Action]] = set()  # over all runs: the test is not vacuous

    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.engine = make_engine(self.database_url)
        self.session: AsyncSession = make_sessionmaker(self.engine)()
        self.ref: Reference = self.run(load_reference(self.session))
        self.now = at("2026-03-02", "09:00")
        self.ident = 0
        self.version = 0
        self.events = 0

    def run(self, coro: Any) -> Any:
        return self.loop.run_until_complete(coro)

    def teardown(self) -> None:
        self.run(self.session.close())
        self.run(self.engine.dispose())
        self.loop.close()

    def ctx(self, actor: Actor) -> Context:
        self.now += timedelta(hours=3)
        return Context(self.session, self.ref, actor, self.now)

    async def _transition_events(self) -> int:
        stmt = select(func.count()).select_from(EventRow)
        stmt = stmt.where(EventRow.delegation_id == self.ident, EventRow.kind == "transition")
        return int((await self.session.exec(stmt)).one())

    async def _file(self) -> None:
        n = await self.session.scalar(select(func.count()).select_from(DelegationRow))
        draft = vehicle_inquiry_draft(case_number=f"（2026）鲁0202执{9000 + int(n or 0)}号")
        row = (await service.create_draft(self.ctx(OFFICER), draft)).row
        self.ident, self.version = row.id or 0, row.version
        for kind in ALL_DOCUMENTS:
            self.session.add(
                DocumentRow(
                    delegation_id=self.ident,
                    kind=kind,
                    filename=f"{kind}.pdf",
                    content_type="application/pdf",
                    size=1,
                    sha256="0" * 64,
                    storage_key=f"test/{kind}",
                    uploaded_by=OFFICER.username,
                    uploaded_court="鲁0202",
                    uploaded_at=self.now,
                )
            )
        await self.session.commit()
        self.events = await self._transition_events()

    @initialize()
    def file_a_draft(self) -> None:
        self.run(self._file())

    @rule(action=st.sampled_from(list(Action)), actor=st.sampled_from(EVERYONE), stale=st.integers(0, 7))
    def any_action(self, action: Action, actor: Actor, stale: int) -> None:
        self.attempt(action, actor, stale)

    @rule(data=st.data())
    def an_action_the_table_allows(self, data: st.DataObject) -> None:
        """Someone who can act now does one of their actions (withdrawing, which ends a run at once, is left
        to `any_action`)."""
        row = self.run(self.session.get(DelegationRow, self.ident, populate_existing=True))
        assert row is not None
        parties = Parties(row.requesting_court, row.assisting_court, draft=row.status == Status.DRAFT)
        choices = [
            (actor, action)
            for actor in EVERYONE
            for action in allowed_actions(
                Status(row.status), Mechanism(row.mechanism), acting_roles(actor, parties, self.ref.city_of)
            )
            if action is not Action.WITHDRAW
        ]
        if choices:
            actor, action = data.draw(st.sampled_from(choices))
            self.attempt(action, actor, stale=1)

    def attempt(self, action: Action, actor: Actor, stale: int) -> None:
        version = self.version - 1 if stale == 0 else self.version
        ctx = self.ctx(actor)

        command = decode(action, values_for(ctx.now))
        # 签收 naming a handler also assigns it, in the same transaction: two transitions, both or neither.
        steps = 1 + len(follow_ups(action, command))

        async def attempt() -> bool:
            try:
                row = await service.perform(ctx, self.ident, action, version, command)
            except DomainError:
                await self.session.rollback()
                return False
            assert row.version == self.version + steps, "each accepted transition adds one to the version"
            return True

        accepted = self.run(attempt())
        if accepted:
            self.version += steps
            PerformModel.accepted.add(action)
        assert not (accepted and stale == 0), "a stale version is never accepted"
        row = self.run(self.session.get(DelegationRow, self.ident, populate_existing=True))
        assert row is not None and row.version == self.version
        events = self.run(self._transition_events())
        expected = self.events + (steps if accepted else 0)
        assert events == expected, "one event per accepted transition, none per refusal"
        self.events = events

    @rule()
    def the_assisting_court_uploads_its_receipt(self) -> None:
        ctx = self.ctx(CLERK)

        async def upload() -> None:
            try:
                await service.record_document(
                    ctx.session,
                    ctx.ref,
                    ctx.actor,
                    ctx.now,
                    self.ident,
                    kind="receipt",
                    filename="receipt.pdf",
                    content_type="application/pdf",
                    size=1,
                    sha256="1" * 64,
                    storage_key="test/receipt",
                )
            except DomainError:
                await self.session.rollback()

        self.run(upload())

    @invariant()
    def clocks_follow_the_ball(self) -> None:
        if not self.ident:
            return

        async def check() -> None:
            row = await self.session.get(DelegationRow, self.ident, populate_existing=True)
            assert row is not None
            stmt = select(ClockRow).where(ClockRow.delegation_id == self.ident, ClockRow.closed_at.is_(None))  # type: ignore[union-attr]
            open_clocks = list(await self.session.exec(stmt.execution_options(populate_existing=True)))
            running = [c for c in open_clocks if not c.paused]
            assert len(running) <= 1, f"at most one running clock, got {[c.stage for c in running]}"
            for clock in open_clocks:
                side = STAGE_HOLDER[Stage(clock.stage)]
                holder = row.assisting_court if side is Side.ASSISTING else row.requesting_court
                if side is Side.COMMAND_CENTER:  # a declined matter waits on its city's command center
                    center = self.ref.registry.intermediate_of_city(self.ref.city_of(row.assisting_court) or "")
                    holder = center.code if center else row.assisting_court
                assert clock.court_code == holder, f"{clock.stage} clock held by {clock.court_code}, not {holder}"

        self.run(check())

    @invariant()
    def the_dashboard_counters_agree_with_the_rows(self) -> None:
        """Every transition moved the maintained counters (migration 0014's triggers) with it."""

        async def check() -> None:
            found = await dashboard_service.reconcile_counters(self.session, repair=False)
            await self.session.rollback()
            assert (found.status_differences, found.due_differences) == (0, 0), found.examples

        self.run(check())


def test_perform_keeps_its_invariants_under_random_actions_by_every_role(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'model.sqlite3'}"
    upgrade_database(url)

    async def users() -> None:
        engine = make_engine(url)
        async with make_sessionmaker(engine)() as session:
            await add_users(session)
        await engine.dispose()

    asyncio.run(users())
    PerformModel.database_url = url
    run_state_machine_as_test(
        PerformModel,
        settings=settings(
            max_examples=20,
            derandomize=True,  # the same runs every time: a failure reproduces, the coverage check holds
            stateful_step_count=30,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
    # Not vacuous: the runs went past the draft, through several kinds of accepted action.
    assert Action.SUBMIT in PerformModel.accepted and len(PerformModel.accepted) >= 4, PerformModel.accepted
