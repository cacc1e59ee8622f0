"""monthly-report (first working day, 07:00 Asia/Shanghai): the month before, per court and court pair,
as an .xlsx in the document store (reports/ beside documents/: the data folder or S3), recorded in job_run.
Scheduled daily; acts on the first working day."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run

from delegation.reports import service as report_service
from flows import runtime


@task(name="save-report", retries=3, retry_delay_seconds=5, cache_policy=NO_CACHE)
async def save_report(filename: str, data: bytes) -> str:
    return await report_service.store_report(runtime.blob_store(), filename, data)


@flow(name="monthly-report", retries=1, retry_delay_seconds=60, log_prints=False)
async def monthly_report(now: datetime | None = None, month: str | None = None) -> dict[str, Any]:
    """`month` (YYYY-MM) makes the report of that month now, whatever the day."""
    at = runtime.moment(now)
    run_name = flow_run.get_name() if flow_run.get_id() else None
    async with runtime.database() as (session, reference):
        result = await report_service.monthly_report(
            session, reference, at, save_report, month=month, generated_by=f"flow run {run_name}" if run_name else None
        )
    get_run_logger().info("monthly report: %s", result.path or result.reason)
    return asdict(result)
