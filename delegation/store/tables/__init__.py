"""SQLModel tables: the only package that knows SQLModel. One module per concern; all are imported here
so that SQLModel.metadata (and Alembic) sees every table."""

from delegation.store.tables.access import AccessLogRow, ApiTokenRow, LoginAttemptRow, UserSessionRow
from delegation.store.tables.columns import UTCDateTime
from delegation.store.tables.core import (
    AssetResultRow,
    CalendarScheduleRow,
    ClockRow,
    ClockRungRow,
    ClockStopRow,
    CourtOverrideRow,
    DelegationRow,
    DocumentRow,
    EventRow,
    ExtensionRow,
    PolicyDocumentRow,
    StatutoryClockRow,
    UserRow,
    clock_from_row,
    statutory_from_row,
)
from delegation.store.tables.network import ConnectorRow, NetworkJobRow, NetworkQueryRow
from delegation.store.tables.sla import (
    InboxRow,
    JobRunRow,
    NoticeCounterRow,
    NoticeRow,
    OutboxRow,
    ReceiverCircuitRow,
    RecomputeRequestRow,
    SubscriptionRow,
    SupervisionDraftRow,
)
from delegation.store.tables.stats import StatDailyRow, StatFactRow, StatPairMonthRow, StatTypeMonthRow

__all__ = [
    "AccessLogRow",
    "ApiTokenRow",
    "AssetResultRow",
    "CalendarScheduleRow",
    "ClockRow",
    "ClockRungRow",
    "ClockStopRow",
    "ConnectorRow",
    "CourtOverrideRow",
    "DelegationRow",
    "DocumentRow",
    "EventRow",
    "ExtensionRow",
    "InboxRow",
    "JobRunRow",
    "LoginAttemptRow",
    "NetworkJobRow",
    "NetworkQueryRow",
    "NoticeCounterRow",
    "NoticeRow",
    "OutboxRow",
    "PolicyDocumentRow",
    "ReceiverCircuitRow",
    "RecomputeRequestRow",
    "StatDailyRow",
    "StatFactRow",
    "StatPairMonthRow",
    "StatTypeMonthRow",
    "StatutoryClockRow",
    "SubscriptionRow",
    "SupervisionDraftRow",
    "UTCDateTime",
    "UserRow",
    "UserSessionRow",
    "clock_from_row",
    "statutory_from_row",
]
