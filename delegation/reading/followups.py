"""What has already been done about a list's matters while they wait: the 催办 and 督办 issued (how many, the
latest) and an extension waiting for the command center, for the rows of one page (two grouped queries).
A list row shows them beside its next step, so that nobody issues a second 督办 without knowing the first."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import cast, func, literal, null, select, union_all
from sqlmodel.ext.asyncio.session import AsyncSession

from delegation.store.sql import one_of, run, table
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


_EXTENSION = "extension"  # the second arm's kind: an extension request waiting for a decision


async def followups(session: AsyncSession, ids: Sequence[int]) -> dict[int, Followup]:
    """The follow-ups of these delegations (one round trip: the notices grouped by kind, and the pending
    extension requests, as the two arms of a UNION ALL); a delegation with none is absent."""
    if not ids:
        return {}
    n, e = table(NoticeRow).c, table(ExtensionRow).c
    notices = (
        select(n.delegation_id, n.kind, func.count().label("n"), func.max(n.issued_at).label("latest"))
        .where(one_of(session, n.delegation_id, ids), n.kind.in_(FOLLOWED_KINDS))
        .group_by(n.delegation_id, n.kind)
    )
    pending = select(e.delegation_id, literal(_EXTENSION), e.days, cast(null(), n.issued_at.type)).where(
        one_of(session, e.delegation_id, ids), e.status == "pending"
    )
    issued: dict[int, dict[str, Issued]] = {}
    extensions: dict[int, int] = {}
    for ident, kind, number, latest in (await run(session, union_all(notices, pending))).all():
        if kind == _EXTENSION:
            extensions[ident] = int(number)
        else:
            issued.setdefault(ident, {})[kind] = Issued(int(number), latest)
    return {
        ident: Followup(issued.get(ident, {}), extensions.get(ident)) for ident in sorted(set(issued) | set(extensions))
    }
