"""reconcile-statistics (nightly, 01:30 Asia/Shanghai): every matter's statistics facts recomputed (open
breaches grow by the day) and the daily sums rebuilt from them; the dashboard's counters (open matters per
court and status, running clocks per court and due day) checked against the rows and rebuilt on a difference.
The transitions keep all of them current in between."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

from prefect import flow, get_run_logger

from delegation.reading import dashboard as dashboard_service
from delegation.statistics import service as statistics_service
from flows import runtime


@flow(name="reconcile-statistics", retries=1, retry_delay_seconds=300, log_prints=False)
async def reconcile_statistics(now: datetime | None = None) -> dict[str, Any]:
    at = runtime.moment(now)
    async with runtime.database() as (session, reference):
        result = await statistics_service.reconcile(session, reference, at)
        counted = await dashboard_service.reconcile_counters(session)
        await session.commit()
    logger = get_run_logger()
    logger.info("statistics reconciled: %s", result)
    if counted.repaired:
        logger.warning("dashboard counters differed from the rows and were rebuilt: %s", counted)
    else:
        logger.info("dashboard counters agree with the rows: %s", counted)
    return {**asdict(result), "counters": asdict(counted)}
