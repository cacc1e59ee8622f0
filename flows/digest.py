"""daily-digest (08:30 Asia/Shanghai): on working days, what is due today and overdue, per court and per
command center. Scheduled daily; on a day off the flow returns at once."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

from prefect import flow, get_run_logger

from delegation.reports import digest as digest_service
from flows import runtime


@flow(name="daily-digest", retries=1, retry_delay_seconds=60, log_prints=False)
async def daily_digest(now: datetime | None = None) -> dict[str, Any]:
    at = runtime.moment(now)
    async with runtime.database() as (session, reference):
        result = await digest_service.daily_digest(session, reference, at)
    get_run_logger().info(
        "digest: %s", result.reason if not result.ran else f"{result.courts} courts, {result.centers} centers"
    )
    return asdict(result)
