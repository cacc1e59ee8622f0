"""Runtime configuration from environment variables (prefix JIAODONG_, plus DATABASE_URL)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_SECRET_KEY = "dev-only-change-me"  # noqa: S105 - the known development value, refused in production
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="JIAODONG_", extra="ignore")

    data_dir: Path = Field(default=Path("data"), description="Folder for the SQLite file, documents, reports.")
    database_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("DATABASE_URL", "JIAODONG_DATABASE_URL"),
        description="SQLAlchemy async URL; default: SQLite file in the data folder.",
    )
    # Connections each web process keeps open to PostgreSQL (SQLAlchemy's pool_size); a burst beyond them opens
    # up to database_max_overflow more, each closed when its request ends. Below the requests a worker has in
    # flight, connections open and close all the time (each a new PostgreSQL backend and TLS handshake).
    database_pool_size: int = Field(default=10, ge=1)
    database_max_overflow: int = Field(default=10, ge=0)
    secret_key: str = Field(default=DEV_SECRET_KEY, description="Signs session cookies and CSRF tokens.")
    forwarded_allow_ips: str = Field(
        default="127.0.0.1",
        description="Proxies whose X-Forwarded-Proto/-For are trusted (uvicorn's --forwarded-allow-ips).",
    )
    max_upload_bytes: int = 20 * 1024 * 1024
    # Document store: files under the data folder, or an S3-compatible bucket (credentials from AWS_* variables).
    storage: Literal["local", "s3"] = "local"
    s3_bucket: str | None = None
    s3_endpoint_url: str | None = Field(default=None, description="e.g. http://object-store:9000 for MinIO")
    s3_region: str | None = None
    metrics_token: str | None = Field(
        default=None, description="Bearer token for /metrics; unset: /metrics answers loopback clients only."
    )
    max_documents_per_matter: int = 50
    # API-token lookups kept per web process on PostgreSQL, emptied by NOTIFY on every change (docs/api.md);
    # 0: every request reads the database (e.g. behind PgBouncer's transaction mode, which drops LISTEN).
    token_cache_size: int = Field(default=4096, ge=0)
    max_bytes_per_matter: int = 200 * 1024 * 1024
    # Notifications (SLA engine): SMTP for e-mail, webhook timeout, outbox retries with exponential backoff.
    smtp_host: str | None = Field(default=None, description="SMTP server; e-mail deliveries fail visibly without it.")
    smtp_port: int = 25
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    smtp_ssl: bool = False
    smtp_from: str = "jiaodong-noreply@localhost"
    smtp_timeout_seconds: float = 15.0
    webhook_timeout_seconds: float = 10.0
    outbox_max_attempts: int = 8
    outbox_backoff_seconds: float = 30.0
    outbox_backoff_max_seconds: float = 3600.0
    outbox_lease_seconds: float = 60.0  # a deliverer renews its claim every third of this while it sends
    sla_batch_size: int = 500
    # Batches the sweep works at once on PostgreSQL, each on its own connection (SQLite: always one).
    sla_sweep_lanes: int = Field(default=2, ge=1, le=8)
    # 网络查控 (docs/network.md): where registries post their asynchronous answers (this app's
    # /api/v1/network/callbacks); unset: no callbacks, pending answers are fetched by polling.
    network_callback_url: str | None = None
    network_poll_seconds: float = 3.0
    prefect_ui_url: str | None = Field(
        default=None,
        description="Prefect's UI (http://host:4200), to link a matter's network-control flow run; "
        "`jiaodong serve` sets it to the Prefect server it starts.",
    )

    def pool_options(self) -> dict[str, int]:
        """make_engine's pool settings for a web process (none on SQLite: aiosqlite's own pool)."""
        if self.resolved_database_url.startswith("sqlite"):
            return {}
        return {"pool_size": self.database_pool_size, "max_overflow": self.database_max_overflow}

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return normalise_database_url(self.database_url)
        return f"sqlite+aiosqlite:///{(self.data_dir / 'jiaodong.sqlite3').resolve()}"


def insecure_start_reason(settings: Settings, host: str) -> str | None:
    """Why serving with these settings on `host` would be unsafe (the development secret key where others
    can reach the service or on a production database), or None."""
    if settings.secret_key != DEV_SECRET_KEY:
        return None
    if settings.resolved_database_url.startswith("postgresql"):
        return "JIAODONG_SECRET_KEY 仍是开发用默认值，不能用于PostgreSQL：请设置随机密钥（或开发时加 --insecure-dev）"
    if host not in LOOPBACK_HOSTS:
        return f"JIAODONG_SECRET_KEY 仍是开发用默认值，不能监听 {host}：请设置随机密钥（或开发时加 --insecure-dev）"
    return None


def normalise_database_url(url: str) -> str:
    """Accept plain postgresql:// and sqlite:// URLs and pick the async drivers the design fixes."""
    for plain, driver in (
        ("postgresql://", "postgresql+asyncpg://"),
        ("postgres://", "postgresql+asyncpg://"),
        ("sqlite://", "sqlite+aiosqlite://"),
    ):
        if url.startswith(plain):
            return driver + url[len(plain) :]
    return url


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
