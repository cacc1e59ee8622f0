"""Runtime configuration from environment variables (prefix JIAODONG_, plus DATABASE_URL)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="JIAODONG_", extra="ignore")

    data_dir: Path = Field(default=Path("data"), description="Folder for the SQLite file, documents, reports.")
    database_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("DATABASE_URL", "JIAODONG_DATABASE_URL"),
        description="SQLAlchemy async URL; default: SQLite file in the data folder.",
    )
    secret_key: str = Field(default="dev-only-change-me", description="Signs session cookies and CSRF tokens.")
    max_upload_bytes: int = 20 * 1024 * 1024
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
    sla_batch_size: int = 500

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return normalise_database_url(self.database_url)
        return f"sqlite+aiosqlite:///{(self.data_dir / 'jiaodong.sqlite3').resolve()}"


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
