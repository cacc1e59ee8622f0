"""What a list page shows beside its matters, for the rows of one page, in one round trip (row_facts): what
has already been done about them while they wait (the 催办 and 督办 issued, how many and the latest; an
extension waiting for the command center), whether an open statutory duty is past its period (法定期限), and
how 网络查控 handles them. A list row shows the follow-ups beside its next step, so that nobody issues a second
督办 without knowing the first."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import bindparam, cast, func, literal, null, select, union_all
from sqlmodel.ext.asyncio.session import AsyncSession

from delegation.network.model import handling_mode
from delegation.store.sql import is_postgres, one_of_param, run, table
from delegation.store.tables import ExtensionRow, NetworkJobRow, NoticeRow, StatutoryClockRow

FOLLOWED_KINDS = ("urge", "supervise")


@dataclass(frozen=True)
class Issued:
    count: int
    latest: datetime


@dataclass(frozen=True)
class Followup:
    issued: dict[str, Issued] = field(default_factory=dict)  # by notice kind: urge, supervise
    pending_extension_days: int | None = None


@dataclass(frozen=True)
class RowFacts:
    followups: dict[int, Followup] = field(default_factory=dict)  # a matter with none is absent
    late: frozenset[int] = frozenset()  # an open statutory duty past its period (statutory_breaches)
    modes: dict[int, str] = field(default_factory=dict)  # network.model.handling_mode; absent: by hand


# The kinds of the rows of row_facts' UNION ALL besides the notices' (urge, supervise).
_EXTENSION = "extension"  # an extension request waiting for a decision: its days
_LATE = "late"  # an open statutory duty past its period
_NETWORK = "network:"  # a network job: its status after the colon, its round


@cache
def _facts_statement(postgres: bool) -> Any:
    """row_facts' statement, built once per dialect: the matters' ids and now are bound when it runs."""
    n, e, s, j = table(NoticeRow).c, table(ExtensionRow).c, table(StatutoryClockRow).c, table(NetworkJobRow).c

    def of_page(column: Any) -> Any:
        return one_of_param(postgres, column, "ids")

    no_time = cast(null(), n.issued_at.type)
    notices = (
        select(n.delegation_id, n.kind, func.count().label("n"), func.max(n.issued_at).label("latest"))
        .where(of_page(n.delegation_id), n.kind.in_(FOLLOWED_KINDS))
        .group_by(n.delegation_id, n.kind)
    )
    pending = select(e.delegation_id, literal(_EXTENSION), e.days, no_time).where(
        of_page(e.delegation_id), e.status == "pending"
    )
    late = select(s.delegation_id, literal(_LATE), literal(0), no_time).where(
        of_page(s.delegation_id), s.is_open.is_(True), s.due_at <= bindparam("now")
    )
    jobs = select(j.delegation_id, literal(_NETWORK).concat(j.status), j.round, no_time).where(of_page(j.delegation_id))
    return union_all(notices, pending, late, jobs)


async def row_facts(session: AsyncSession, ids: Sequence[int], now: datetime) -> RowFacts:
    """The facts of these matters, as the arms of one UNION ALL of (matter, kind, number, time): the notices
    grouped by kind, the pending extension requests, the open statutory duties past their period
    (ix_statutory_delegation), and the network jobs (the latest round decides the handling)."""
    if not ids:
        return RowFacts()
    stmt = _facts_statement(is_postgres(session))
    found = (await run(session, stmt, {"ids": list(ids), "now": now})).all()
    issued: dict[int, dict[str, Issued]] = {}
    extensions: dict[int, int] = {}
    breached: set[int] = set()
    latest_job: dict[int, tuple[int, str]] = {}
    for ident, kind, number, at in found:
        if kind == _EXTENSION:
            extensions[ident] = int(number)
        elif kind == _LATE:
            breached.add(ident)
        elif kind.startswith(_NETWORK):
            if ident not in latest_job or number > latest_job[ident][0]:
                latest_job[ident] = (int(number), kind[len(_NETWORK) :])
        else:
            issued.setdefault(ident, {})[kind] = Issued(int(number), at)
    follow = {
        ident: Followup(issued.get(ident, {}), extensions.get(ident)) for ident in sorted(set(issued) | set(extensions))
    }
    modes = {ident: handling_mode(status) for ident, (_round, status) in latest_job.items()}
    return RowFacts(follow, frozenset(breached), modes)
