"""Tables of the SLA engine: notices and their numbering, the per-user inbox, notification subscriptions,
the outbox, scheduled-job runs (digests, reports) and deadline recompute requests."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from delegation.store.tables.columns import _json, _json_list, _message_json, _ts


class NoticeCounterRow(SQLModel, table=True):
    """The last number given to a notice of one kind, per issuing court and year (烟中法执督〔2026〕3号 -> 3).

    ``city`` holds the numbering group: the issuing court's code (migration 0006; before it, the city).

    Allocated with one upsert (INSERT .. ON CONFLICT DO UPDATE .. RETURNING) in the transaction that writes
    the notices, so numbers have no gaps and no duplicates on SQLite and PostgreSQL alike.
    """

    __tablename__ = "notice_counter"
    __table_args__ = (UniqueConstraint("city", "kind", "year", name="uq_notice_counter"),)
    id: int | None = Field(default=None, primary_key=True)
    city: str = Field(max_length=16)
    kind: str = Field(max_length=16)
    year: int
    last_seq: int = 0


_ESCALATE = text("kind = 'escalate'")
_MANUAL = text("kind IN ('urge', 'supervise')")


class NoticeRow(SQLModel, table=True):
    """A reminder, 催办, 督办 or escalation about one delegation, addressed to the court holding the ball."""

    __tablename__ = "notice"
    __table_args__ = (
        UniqueConstraint("issuing_court", "kind", "year", "seq", name="uq_notice_number"),
        Index("ix_notice_delegation", "delegation_id", "id"),
        Index("ix_notice_to_court", "to_court", "issued_at"),
        Index("ix_notice_issued_at", "issued_at"),
        Index("ix_notice_cc_court", "cc_court", "issued_at"),  # a command center's notices (migration 0004)
        Index("ix_notice_issuing_court", "issuing_court", "issued_at"),  # migration 0006
        # The dashboard's notice panels, each over just its rows (migration 0017).
        Index("ix_notice_escalations", "issued_at", "id", postgresql_where=_ESCALATE, sqlite_where=_ESCALATE),
        Index("ix_notice_manual", "issued_at", "id", postgresql_where=_MANUAL, sqlite_where=_MANUAL),
        Index(
            "ix_notice_awaiting_ack",
            "issuing_court",
            postgresql_where=text(f"{_MANUAL.text} AND requires_ack IS true AND acknowledged_at IS NULL"),
            sqlite_where=text(f"{_MANUAL.text} AND requires_ack IS 1 AND acknowledged_at IS NULL"),
        ),
        # The menu's badge on every page: 督办 to a court not acknowledged yet (migration 0020).
        Index(
            "ix_notice_unacknowledged_to",
            "to_court",
            postgresql_where=text("requires_ack IS true AND acknowledged_at IS NULL"),
            sqlite_where=text("requires_ack IS 1 AND acknowledged_at IS NULL"),
        ),
    )
    id: int | None = Field(default=None, primary_key=True)
    delegation_id: int = Field(foreign_key="delegation.id")
    clock_id: int | None = Field(default=None, foreign_key="stage_clock.id")
    rung: str | None = Field(default=None, max_length=32)  # None when issued by hand
    kind: str = Field(max_length=16)  # reminder | urge | supervise | escalate
    number: str | None = Field(default=None, max_length=40)  # 青岛督〔2026〕12号 (urge and supervise only)
    city: str = Field(max_length=16)
    year: int
    seq: int | None = None
    to_court: str = Field(max_length=16)
    cc_court: str | None = Field(default=None, max_length=16)  # 抄送: 督办 the other court of the matter
    issuing_court: str | None = Field(default=None, max_length=16)  # in whose name (督办: the holder's superior)
    reply_by: datetime | None = _ts(nullable=True)  # 督办: the deadline it sets (24:00 of that day)
    stage: str | None = Field(default=None, max_length=32)
    due_at: datetime | None = _ts(nullable=True)
    working_days_overdue: int = 0
    issued_by: str = Field(max_length=64)
    issued_at: datetime = _ts()
    title: str = Field(max_length=200)
    body: str = Field(max_length=4000)
    requires_ack: bool = False
    acknowledged_at: datetime | None = _ts(nullable=True)
    acknowledged_by: str | None = Field(default=None, max_length=64)
    ack_reply: str | None = Field(default=None, max_length=2000)
    ack_seconds: int | None = None  # time to acknowledge, wall-clock seconds


class SupervisionDraftRow(SQLModel, table=True):
    """A 督办 the sweep prepared (the SUPERVISE rung of a clock) for the superior court's command center to
    issue (or the regional coordinator, for the 山东省高级人民法院): numbered and sent only when issued.
    Closed without a notice (discarded_at) when the clock ended before anyone issued it."""

    __tablename__ = "supervision_draft"
    __table_args__ = (
        UniqueConstraint("clock_id", name="uq_supervision_draft_clock"),
        Index("ix_supervision_draft_pending", "issuing_court", "created_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    delegation_id: int = Field(foreign_key="delegation.id")
    clock_id: int = Field(foreign_key="stage_clock.id")
    issuing_court: str = Field(max_length=16)
    to_court: str = Field(max_length=16)
    created_at: datetime = _ts()
    issued_notice_id: int | None = Field(default=None, foreign_key="notice.id")
    issued_by: str | None = Field(default=None, max_length=64)
    issued_at: datetime | None = _ts(nullable=True)
    discarded_at: datetime | None = _ts(nullable=True)


class InboxRow(SQLModel, table=True):
    """One in-app notification for one user."""

    __tablename__ = "inbox_item"
    __table_args__ = (
        Index("ix_inbox_user", "username", "id"),
        # The badge's unread count, polled by every open page (migration 0009).
        Index(
            "ix_inbox_unread",
            "username",
            postgresql_where=text("read_at IS NULL"),
            sqlite_where=text("read_at IS NULL"),
        ),
    )
    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=64)
    topic: str = Field(max_length=32)  # transition | notice | acknowledgement | digest | message | assignment
    delegation_id: int | None = Field(default=None, foreign_key="delegation.id")
    notice_id: int | None = Field(default=None, foreign_key="notice.id")
    title: str = Field(max_length=200)
    body: str = Field(max_length=8000)
    created_at: datetime = _ts()
    read_at: datetime | None = _ts(nullable=True)


class SubscriptionRow(SQLModel, table=True):
    """Where a court wants its notifications: an e-mail address, a webhook URL (HMAC-signed JSON) or an
    Apprise URL (chat tools), for some topics."""

    __tablename__ = "notification_subscription"
    __table_args__ = (Index("ix_subscription_court", "court_code", "active"),)
    id: int | None = Field(default=None, primary_key=True)
    court_code: str = Field(max_length=16)
    channel: str = Field(max_length=16)  # email | webhook | apprise
    target: str = Field(max_length=500)
    secret: str | None = Field(default=None, max_length=200)  # webhook signing key
    topics: list[str] = _json_list()  # e.g. ["notice", "transition", "digest"]; empty = every topic
    active: bool = True
    created_at: datetime = _ts()
    created_by: str = Field(max_length=64)


class OutboxRow(SQLModel, table=True):
    """A message to send, written in the transaction of the change that caused it.

    status: pending -> sending (claimed) -> sent | pending (retry later) | failed (after the last try).
    channel `fanout` is a change to expand into inbox rows and deliveries; the others are deliveries.
    delegation_id and notice_id name rows written in the same transaction, which are never deleted; they are
    not foreign keys (migration 0023): a queue's message is not the record, and the two checks were a third of
    the cost of appending it (the sweep appends thousands at once).
    """

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_due", "status", "next_attempt_at"),
        Index("ix_outbox_delegation", "delegation_id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=16)  # fanout | prefect_event | email | webhook | apprise
    topic: str = Field(max_length=32)
    target: str = Field(default="", max_length=500)
    subscription_id: int | None = Field(default=None, foreign_key="notification_subscription.id")
    delegation_id: int | None = None
    notice_id: int | None = None
    subject: str = Field(default="", max_length=200)
    payload: dict[str, Any] = _message_json()
    status: str = Field(default="pending", max_length=16)
    attempts: int = 0
    next_attempt_at: datetime = _ts()
    claim_token: str | None = Field(default=None, max_length=40)
    claimed_at: datetime | None = _ts(nullable=True)
    last_error: str | None = Field(default=None, max_length=2000)
    created_at: datetime = _ts()
    sent_at: datetime | None = _ts(nullable=True)


class JobRunRow(SQLModel, table=True):
    """A scheduled job done for a period (a day's digest, a month's report); the unique key makes it once."""

    __tablename__ = "job_run"
    __table_args__ = (UniqueConstraint("job", "period", name="uq_job_run"),)
    id: int | None = Field(default=None, primary_key=True)
    job: str = Field(max_length=40)
    period: str = Field(max_length=20)
    ran_at: datetime = _ts()
    path: str | None = Field(default=None, max_length=500)  # the report file, under the data folder
    generated_by: str | None = Field(default=None, max_length=100)  # the flow run or user (migration 0007)
    summary: dict[str, Any] = _json()


class RecomputeRequestRow(SQLModel, table=True):
    """Deadlines to recompute because the calendar or the policy changed; written with that change."""

    __tablename__ = "recompute_request"
    __table_args__ = (Index("ix_recompute_pending", "done_at", "run_after"),)
    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(max_length=16)  # calendar | policy | manual
    reason: str = Field(max_length=500)
    requested_by: str = Field(max_length=64)
    requested_at: datetime = _ts()
    run_after: datetime = _ts()
    done_at: datetime | None = _ts(nullable=True)
    result: dict[str, Any] = _json()


class ReceiverCircuitRow(SQLModel, table=True):
    """The circuit breaker of one receiver (a webhook or chat host): consecutive failed sends, and until when
    sends to it are paused. No row means closed with no failures."""

    __tablename__ = "receiver_circuit"
    receiver: str = Field(primary_key=True, max_length=300)
    failures: int = 0
    open_until: datetime | None = _ts(nullable=True)
    last_error: str | None = Field(default=None, max_length=2000)
    updated_at: datetime = _ts()
