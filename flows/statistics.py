"""reconcile-statistics (nightly, 01:30 Asia/Shanghai): every matter's statistics facts recomputed (open
breaches grow by the day) and the daily sums rebuilt from them. The transitions keep both current in between."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

from prefect import flow, get_run_logger

from delegation.statistics import service as statistics_service
from flows import runtime


@flow(name="reconcile-statistics", retries=1, retry_delay_seconds=300, log_prints=False)
async def reconcile_statistics(now: datetime | None = None) -> dict[str, Any]:
    at = runtime.moment(now)
    async with runtime.database() as (session, reference):
        result = await statistics_service.reconcile(session, reference, at)
    get_run_logger().info("statistics reconciled: %s", result)
    return asdict(result)
