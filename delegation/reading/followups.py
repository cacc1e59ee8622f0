"""What has already been done about a list's matters while they wait: the 催办 and 督办 issued (how many, the
latest) and an extension waiting for the command center, for the rows of one page (two grouped queries).
A list row shows them beside its next step, so that nobody issues a second 督办 without knowing the first."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from delegation.store.tables import ExtensionRow, NoticeRow

FOLLOWED_KINDS = ("urge", "supervise")


@dataclass(frozen=True)
class Issued:
    count: int
    latest: datetime


@dataclass(frozen=True)
class Followup:
    issued: dict[str, Issued] = field(default_factory=dict)  # by notice kind: urge, supervise
    pending_extension_days: int | None = None


async def followups(session: AsyncSession, ids: Sequence[int]) -> dict[int, Followup]:
    """The follow-ups of these delegations; a delegation with none is absent."""
    if not ids:
        return {}
    n = NoticeRow
    notices = (
        select(col(n.delegation_id), col(n.kind), func.count(), func.max(col(n.issued_at)))
        .where(col(n.delegation_id).in_(ids), col(n.kind).in_(FOLLOWED_KINDS))
        .group_by(col(n.delegation_id), col(n.kind))
    )
    issued: dict[int, dict[str, Issued]] = {}
    for ident, kind, count, latest in await session.exec(notices):
        issued.setdefault(ident, {})[kind] = Issued(int(count), latest)
    e = ExtensionRow
    pending = select(col(e.delegation_id), col(e.days)).where(col(e.delegation_id).in_(ids), col(e.status) == "pending")
    extensions = {ident: days for ident, days in await session.exec(pending)}
    return {
        ident: Followup(issued.get(ident, {}), extensions.get(ident)) for ident in sorted(set(issued) | set(extensions))
    }
