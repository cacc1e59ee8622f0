"""The pure measures and the statistics tables are declared twice (the domain may not import SQLModel):
every measure must be a column of every statistics table, so the two can never drift apart silently."""

from __future__ import annotations

from delegation.statistics.model import MEASURES
from delegation.store.tables.stats import StatDailyRow, StatFactRow, StatPairMonthRow, StatTypeMonthRow


def test_every_measure_is_a_column_of_every_statistics_table() -> None:
    for row in (StatFactRow, StatDailyRow, StatPairMonthRow, StatTypeMonthRow):
        columns = set(row.__table__.columns.keys())  # type: ignore[attr-defined]
        assert set(MEASURES) <= columns, (row.__name__, sorted(set(MEASURES) - columns))
    assert len(MEASURES) == 22
