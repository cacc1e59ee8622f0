"""Builders for the SLA engine's tests (integration and flows): users, filed delegations, counts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from delegation.core.access import Actor, UserRole
from delegation.core.clocks import SHANGHAI
from delegation.core.reference import Reference
from delegation.core.states import Action
from delegation.handling.service import DraftInput
from delegation.store.tables import DelegationRow, DocumentRow, UserRow
from tests.support import ALL_DOCUMENTS, act, file_draft, vehicle_inquiry_draft

OFFICER = Actor("shinan-officer", "鲁0202", frozenset({UserRole.REQUESTING_OFFICER}))
CLERK = Actor("zhifu-clerk", "鲁0602", frozenset({UserRole.ASSISTING_CLERK}))
OTHER_CLERK = Actor("kuiwen-clerk", "鲁0705", frozenset({UserRole.ASSISTING_CLERK}))
YANTAI_CENTER = Actor("yantai-center", "鲁06", frozenset({UserRole.COMMAND_CENTER}))
QINGDAO_CENTER = Actor("qingdao-center", "鲁02", frozenset({UserRole.COMMAND_CENTER}))
WEIFANG_CENTER = Actor("weifang-center", "鲁07", frozenset({UserRole.COMMAND_CENTER}))
REGIONAL = Actor("regional", "鲁02", frozenset({UserRole.REGIONAL_COORDINATOR}))
ADMIN = Actor("admin", "鲁02", frozenset({UserRole.ADMIN}))

ACTORS = [OFFICER, CLERK, OTHER_CLERK, YANTAI_CENTER, QINGDAO_CENTER, WEIFANG_CENTER, REGIONAL, ADMIN]


def at(day: str, hm: str = "10:00") -> datetime:
    return datetime.fromisoformat(f"{day}T{hm}").replace(tzinfo=SHANGHAI)


async def add_users(session: AsyncSession, now: datetime | None = None) -> None:
    """The actors above as users (password hashes are placeholders: these tests never log in)."""
    for actor in ACTORS:
        session.add(
            UserRow(
                username=actor.username,
                display_name=actor.username,
                court_code=actor.court_code or "",
                roles=sorted(r.value for r in actor.roles),
                password_hash="-",
                created_at=now or at("2026-01-05"),
            )
        )
    await session.commit()


async def filed(
    session: AsyncSession, ref: Reference, now: datetime, draft: DraftInput | None = None, n: int = 1
) -> DelegationRow:
    """A submitted delegation (documents registered directly, without going through uploads)."""
    draft = draft or vehicle_inquiry_draft(case_number=f"（2026）鲁0202执{n}号")
    row = await file_draft(session, ref, OFFICER, now, draft)
    for kind in ALL_DOCUMENTS:
        session.add(
            DocumentRow(
                delegation_id=row.id or 0,
                kind=kind,
                filename=f"{kind}.pdf",
                content_type="application/pdf",
                size=1,
                sha256="0" * 64,
                storage_key=f"test/{kind}",
                uploaded_by=OFFICER.username,
                uploaded_court="鲁0202",
                uploaded_at=now,
            )
        )
    await session.commit()
    return await act(session, ref, OFFICER, now, row.id or 0, Action.SUBMIT, row.version)


async def count(session: AsyncSession, model: Any, *where: Any) -> int:
    stmt = select(func.count()).select_from(model)
    for condition in where:
        stmt = stmt.where(condition)
    return int((await session.exec(stmt)).one())
