"""网络查控 tables: registry connectors (configuration as data), one job per matter and round of network
handling, one query per asset of a job (its request id is the idempotency key the registry sees)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from delegation.store.tables.columns import _json, _json_list, _ts


class ConnectorRow(SQLModel, table=True):
    """A registry link of a court or a city. `secret_ref` names where the secret is (env:NAME, file:/path);
    the secret itself is never stored."""

    __tablename__ = "registry_connector"
    __table_args__ = (UniqueConstraint("scope", "registry_kind", name="uq_connector_scope_registry"),)
    id: int | None = Field(default=None, primary_key=True)
    scope: str = Field(max_length=16)
    registry_kind: str = Field(max_length=32)
    name: str = Field(max_length=100)
    matter_types: list[str] = _json_list()
    endpoint: str = Field(max_length=300)
    secret_ref: str = Field(max_length=260)
    rate_per_minute: int = 60
    max_in_flight: int = 4
    answer_timeout_seconds: int = 600
    request_timeout_seconds: float = 10.0
    business_hours: dict[str, Any] = _json()
    auto_accept: bool = False
    active: bool = True
    created_at: datetime = _ts()
    created_by: str = Field(max_length=64)
    updated_at: datetime = _ts()
    updated_by: str = Field(max_length=64)


class NetworkJobRow(SQLModel, table=True):
    """One round of network handling of one matter (a rework starts another round)."""

    __tablename__ = "network_job"
    __table_args__ = (
        UniqueConstraint("delegation_id", "round", name="uq_network_job_round"),
        Index("ix_network_job_status", "status", "id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    delegation_id: int = Field(foreign_key="delegation.id", index=True)
    round: int = 1
    connector_id: int = Field(foreign_key="registry_connector.id")
    registry_kind: str = Field(max_length=32)
    action: str = Field(max_length=16)
    trigger: str = Field(max_length=16)  # auto | clerk
    requested_by: str = Field(max_length=64)
    status: str = Field(default="queued", max_length=16)  # queued | running | done | handed_back
    reason: str = Field(default="", max_length=500)
    flow_run_id: str | None = Field(default=None, max_length=64)
    created_at: datetime = _ts()
    started_at: datetime | None = _ts(nullable=True)
    lease_until: datetime | None = _ts(nullable=True)
    finished_at: datetime | None = _ts(nullable=True)


class NetworkQueryRow(SQLModel, table=True):
    """One asset asked of the registry; the answer's code, receipt and dates as the registry gave them."""

    __tablename__ = "network_query"
    __table_args__ = (UniqueConstraint("job_id", "asset_index", name="uq_network_query_asset"),)
    id: int | None = Field(default=None, primary_key=True)
    job_id: int = Field(foreign_key="network_job.id", index=True)
    delegation_id: int = Field(foreign_key="delegation.id", index=True)
    asset_index: int
    asset_label: str = Field(max_length=200)
    request_id: str = Field(max_length=64, unique=True)
    status: str = Field(default="planned", max_length=16)  # planned | sent | answered | failed
    attempts: int = 0
    answer_code: str | None = Field(default=None, max_length=32)
    receipt_no: str | None = Field(default=None, max_length=64)
    answer: dict[str, Any] = _json()
    answered_via: str | None = Field(default=None, max_length=16)  # sync | callback | poll
    error: str = Field(default="", max_length=500)
    sent_at: datetime | None = _ts(nullable=True)
    answered_at: datetime | None = _ts(nullable=True)
