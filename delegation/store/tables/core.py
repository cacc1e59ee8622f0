"""Core tables: delegations, their events, clocks, extensions, results, documents, users, reference data."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Column, Index, String, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from delegation.core import clocks
from delegation.core.states import Stage
from delegation.store.tables.columns import _json, _json_list, _ts


class CourtOverrideRow(SQLModel, table=True):
    """An administrator's correction, addition or retirement of a court, applied over the shipped list."""

    __tablename__ = "court_override"
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=16, index=True)
    renamed_from: str | None = Field(default=None, max_length=16)
    changes: dict[str, Any] = _json()
    effective_from: date
    created_at: datetime = _ts()
    created_by: str = Field(max_length=64)
    note: str = Field(default="", max_length=500)


class CalendarScheduleRow(SQLModel, table=True):
    """An official holiday schedule loaded for a year; the newest row per year wins."""

    __tablename__ = "calendar_schedule"
    id: int | None = Field(default=None, primary_key=True)
    year: int = Field(index=True)
    document: str  # the file as loaded, re-parsed on use
    source: str = Field(default="", max_length=200)
    loaded_at: datetime = _ts()
    loaded_by: str = Field(max_length=64)


class PolicyDocumentRow(SQLModel, table=True):
    """A policy version (matter catalogue + SLA) loaded over the shipped ones."""

    __tablename__ = "policy_document"
    id: int | None = Field(default=None, primary_key=True)
    version: str = Field(max_length=40, unique=True)
    effective_from: date
    document: str
    loaded_at: datetime = _ts()
    loaded_by: str = Field(max_length=64)


class UserRow(SQLModel, table=True):
    __tablename__ = "app_user"
    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=64, unique=True)
    display_name: str = Field(max_length=100)
    court_code: str = Field(max_length=16, index=True)
    roles: list[str] = _json_list()
    password_hash: str = Field(max_length=200)
    phone: str = Field(default="", max_length=32)  # 联系电话 printed at the foot of the court's documents
    active: bool = True
    created_at: datetime = _ts()


_HANDLED = text("handler_username IS NOT NULL")


class DelegationRow(SQLModel, table=True):
    __tablename__ = "delegation"
    __table_args__ = (
        UniqueConstraint("created_by", "idempotency_key", name="uq_delegation_idempotency"),
        Index("ix_delegation_assisting_status", "assisting_court", "status", "id"),
        Index("ix_delegation_requesting_status", "requesting_court", "status", "id"),
        Index("ix_delegation_status_id", "status", "id"),
        # 我承办的 and its count, index-only with the list scope's columns (migration 0020).
        Index(
            "ix_delegation_handler_scope",
            "handler_username",
            "id",
            "requesting_court",
            "assisting_court",
            "status",
            postgresql_where=_HANDLED,
            sqlite_where=_HANDLED,
        ),
    )
    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(max_length=32, unique=True)  # platform number, e.g. JD2026-000123
    case_number: str = Field(max_length=64, index=True)
    requesting_court: str = Field(max_length=16)
    assisting_court: str = Field(max_length=16)
    matter_type: str = Field(max_length=64, index=True)
    mechanism: str = Field(max_length=32)
    status: str = Field(max_length=32)
    policy_version: str = Field(max_length=40)
    summary: str = Field(default="", max_length=2000)
    fields: dict[str, Any] = _json()
    parties: list[dict[str, Any]] = _json_list()
    search_text: str = Field(default="", max_length=2000)  # 案号 and party names, for free-text filters
    search_keys: str = Field(default="", max_length=2000)  # digests of its ID numbers, USCCs, plates, VINs
    handler: str | None = Field(default=None, max_length=100)  # the handler's name as shown and printed
    handler_username: str | None = Field(default=None, max_length=64)  # the handler as a user (item 3 of issue 11)
    handler_phone: str | None = Field(default=None, max_length=32)  # the assisting court's 承办人's 联系电话
    scheduled_date: date | None = None
    created_by: str = Field(max_length=64)
    idempotency_key: str | None = Field(default=None, max_length=128)
    created_at: datetime = _ts()
    updated_at: datetime = _ts()
    submitted_at: datetime | None = _ts(nullable=True)
    version: int = 1


class EventRow(SQLModel, table=True):
    """Append-only history of a delegation: every transition, message, notice and clock change."""

    __tablename__ = "delegation_event"
    __table_args__ = (Index("ix_event_delegation", "delegation_id", "id"),)
    id: int | None = Field(default=None, primary_key=True)
    delegation_id: int = Field(foreign_key="delegation.id")
    kind: str = Field(default="transition", max_length=32)  # transition | message | clock | notice
    action: str = Field(max_length=40)
    from_status: str | None = Field(default=None, max_length=32)
    to_status: str | None = Field(default=None, max_length=32)
    actor: str = Field(max_length=64)
    actor_court: str | None = Field(default=None, max_length=16)
    actor_role: str = Field(max_length=64)  # every part played at once, e.g. "assisting,command_center,regional"
    at: datetime = _ts()
    comment: str = Field(default="", max_length=4000)
    data: dict[str, Any] = _json()


_RUNNING_PG = text("closed_at IS NULL AND paused IS false")
_RUNNING_SQLITE = text("closed_at IS NULL AND paused IS 0")
_CAPPED = text("closed_at IS NULL AND latest_due IS NOT NULL")  # an open renewal's clock (migration 0016)
_OPEN_DUTY_PG = text("is_open IS true")
_OPEN_DUTY_SQLITE = text("is_open IS 1")
_UNRECORDED_PG = text("is_open IS true AND breach_recorded_at IS NULL")
_UNRECORDED_SQLITE = text("is_open IS 1 AND breach_recorded_at IS NULL")


class ClockRow(SQLModel, table=True):
    __tablename__ = "stage_clock"
    __table_args__ = (
        Index("ix_clock_next_rung_at", "next_rung_at"),
        Index("ix_clock_delegation", "delegation_id", "stage"),
        Index("ix_clock_court_open", "court_code", "closed_at"),
        # Running clocks only (open, not paused), for the dashboard's lists and the work lists' "due first"
        # keyset pages, in (due_at, id) order (migrations 0004, 0015).
        Index(
            "ix_clock_running_court_due",
            "court_code",
            "due_at",
            "id",
            postgresql_where=_RUNNING_PG,
            sqlite_where=_RUNNING_SQLITE,
        ),
        Index(
            "ix_clock_running_due",
            "due_at",
            "id",
            postgresql_include=["court_code", "delegation_id"],
            postgresql_where=_RUNNING_PG,
            sqlite_where=_RUNNING_SQLITE,
        ),
        # Open renewals by the last day before the lapse: the dashboard's renewals at risk (migration 0016).
        Index(
            "ix_clock_open_latest_due",
            "latest_due",
            "id",
            postgresql_include=["court_code"],
            postgresql_where=_CAPPED,
            sqlite_where=_CAPPED,
        ),
    )
    id: int | None = Field(default=None, primary_key=True)
    delegation_id: int = Field(foreign_key="delegation.id")
    stage: str = Field(max_length=32)
    court_code: str = Field(max_length=16)
    budget_days: int
    unit: str = Field(max_length=16)
    policy_version: str = Field(max_length=40)
    started_at: datetime = _ts()
    anchor_date: date | None = None
    extra_days: int = 0
    extra_working_days: int = 0  # working-day extensions of a plain-day clock (clocks.extend)
    latest_due: date | None = None  # a renewal's clocks end before the seizure lapses (clocks.lapse_cap)
    closed_at: datetime | None = _ts(nullable=True)
    paused: bool = False
    due_at: datetime | None = _ts(nullable=True, index=True)
    due_provisional: bool = False
    next_rung: str | None = Field(default=None, max_length=32)
    next_rung_at: datetime | None = _ts(nullable=True)


class StatutoryClockRow(SQLModel, table=True):
    """A statutory duty of the assisting court (民诉法 第二百四十条; clocks.StatutoryClock), beside the stage
    clocks: never paused or extended. due_at is derived (clocks.statutory_due) and kept for the indexes;
    breach_recorded_at is set once by the sweep that records the breach on the timeline."""

    __tablename__ = "statutory_clock"
    __table_args__ = (
        Index("ix_statutory_delegation", "delegation_id", "duty"),
        Index("ix_statutory_open_due", "due_at", postgresql_where=_OPEN_DUTY_PG, sqlite_where=_OPEN_DUTY_SQLITE),
        Index(
            "ix_statutory_unrecorded_due", "due_at", postgresql_where=_UNRECORDED_PG, sqlite_where=_UNRECORDED_SQLITE
        ),
    )
    id: int | None = Field(default=None, primary_key=True)
    delegation_id: int = Field(foreign_key="delegation.id")
    duty: str = Field(max_length=16)  # start | report
    seq: int = 1
    court_code: str = Field(max_length=16)
    days: int
    counted_from: date
    source: str = Field(max_length=300)  # the article, as the policy cites it
    policy_version: str = Field(max_length=40)
    is_open: bool = True  # neither met nor ended
    due_at: datetime = _ts()
    due_provisional: bool = False
    met_at: datetime | None = _ts(nullable=True)
    met_by: str | None = Field(default=None, max_length=40)  # the action that met it
    closed_at: datetime | None = _ts(nullable=True)
    breach_recorded_at: datetime | None = _ts(nullable=True)
    remedy_requested_at: datetime | None = _ts(nullable=True)  # 请求上级法院指令执行


class ClockStopRow(SQLModel, table=True):
    __tablename__ = "clock_stop"
    id: int | None = Field(default=None, primary_key=True)
    clock_id: int = Field(foreign_key="stage_clock.id", index=True)
    stopped_at: datetime = _ts()
    resumed_at: datetime | None = _ts(nullable=True)
    reason: str = Field(max_length=200)
    approved_by: str | None = Field(default=None, max_length=64)
    document_id: str | None = Field(default=None, max_length=64)


class ClockRungRow(SQLModel, table=True):
    """A rung fired for a clock; the unique constraint makes each (clock, rung) fire exactly once."""

    __tablename__ = "clock_rung"
    __table_args__ = (UniqueConstraint("clock_id", "rung", name="uq_clock_rung"),)
    id: int | None = Field(default=None, primary_key=True)
    clock_id: int = Field(foreign_key="stage_clock.id")
    rung: str = Field(max_length=32)
    fired_at: datetime = _ts()


class ExtensionRow(SQLModel, table=True):
    __tablename__ = "extension_request"
    __table_args__ = (
        Index(
            "ix_extension_pending",
            "requested_court",
            postgresql_where=text("status = 'pending'"),
            sqlite_where=text("status = 'pending'"),
        ),
    )
    id: int | None = Field(default=None, primary_key=True)
    delegation_id: int = Field(foreign_key="delegation.id", index=True)
    clock_id: int = Field(foreign_key="stage_clock.id")
    requested_by: str = Field(max_length=64)
    requested_court: str = Field(max_length=16)
    days: int
    reason: str = Field(max_length=1000)
    status: str = Field(default="pending", max_length=16)  # pending | approved | refused
    approved_days: int | None = None
    decided_by: str | None = Field(default=None, max_length=64)
    decision_reason: str | None = Field(default=None, max_length=1000)
    created_at: datetime = _ts()
    decided_at: datetime | None = _ts(nullable=True)


class AssetResultRow(SQLModel, table=True):
    """Per-asset outcome (three flats asked: two sealed, one not found)."""

    __tablename__ = "asset_result"
    id: int | None = Field(default=None, primary_key=True)
    delegation_id: int = Field(foreign_key="delegation.id", index=True)
    asset: str = Field(max_length=200)
    outcome: str = Field(max_length=32)
    note: str = Field(default="", max_length=2000)
    # Service of documents (送达回证): when, how (民诉法 第八十七条 to 第九十五条) and who signed for it.
    served_on: date | None = None
    service_method: str | None = Field(default=None, max_length=32)
    signed_by: str | None = Field(default=None, max_length=100)
    recorded_by: str = Field(max_length=64)
    recorded_at: datetime = _ts()


class DocumentRow(SQLModel, table=True):
    __tablename__ = "document"
    id: int | None = Field(default=None, primary_key=True)
    delegation_id: int = Field(foreign_key="delegation.id", index=True)
    kind: str = Field(max_length=40)
    filename: str = Field(max_length=200)
    content_type: str = Field(max_length=100)
    size: int
    sha256: str = Field(sa_column=Column(String(64), nullable=False))
    storage_key: str = Field(max_length=300)
    uploaded_by: str = Field(max_length=64)
    uploaded_court: str = Field(max_length=16)
    uploaded_at: datetime = _ts()


def clock_from_row(row: ClockRow, stops: list[ClockStopRow], fired: list[str]) -> clocks.Clock:
    return clocks.Clock(
        stage=Stage(row.stage),
        court_code=row.court_code,
        budget_days=row.budget_days,
        unit=clocks.Unit(row.unit),
        started_at=row.started_at,
        policy_version=row.policy_version,
        anchor_date=row.anchor_date,
        extra_days=row.extra_days,
        extra_working_days=row.extra_working_days,
        latest_due=row.latest_due,
        stops=tuple(
            clocks.Stop(s.stopped_at, s.reason, s.resumed_at, s.approved_by, s.document_id)
            for s in sorted(stops, key=lambda s: (s.stopped_at, s.id or 0))
        ),
        closed_at=row.closed_at,
        fired=frozenset(clocks.Rung(r) for r in fired),
    )


def statutory_from_row(row: StatutoryClockRow) -> clocks.StatutoryClock:
    return clocks.StatutoryClock(
        duty=clocks.Duty(row.duty),
        court_code=row.court_code,
        days=row.days,
        counted_from=row.counted_from,
        seq=row.seq,
        met_at=row.met_at,
        closed_at=row.closed_at,
    )
