"""sla-watch (every minute): fire the clock rungs that are due, in working hours; then fold the dashboard's
counter deltas (store.counts)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

from prefect import flow, get_run_logger

from delegation.reading import dashboard as dashboard_service
from delegation.sla import service as sla_service
from flows import runtime


@flow(name="sla-watch", retries=1, retry_delay_seconds=15, log_prints=False)
async def sla_watch(now: datetime | None = None, batch_size: int | None = None) -> dict[str, Any]:
    """One sweep: each due (clock, rung) fires once, with its notice, timeline event and notifications."""
    at = runtime.moment(now)
    async with runtime.database() as (session, reference):
        configured = runtime.settings()
        result = await sla_service.sweep(
            session, reference, at, batch_size or configured.sla_batch_size, configured.sla_sweep_lanes
        )
        folded = await dashboard_service.compact_counters(session)  # the dashboard's counters (migration 0013)
    summary = asdict(result)
    summary["counter_deltas_folded"] = folded
    summary["query_ms"] = round(max(result.query_ms), 2) if result.query_ms else None
    if not result.working_moment:
        get_run_logger().info("outside working hours at %s: nothing fires", at.isoformat())
    else:
        get_run_logger().info(
            "%d rung(s) fired on %d clock(s), %d notice(s), %d withdrawn",
            result.rungs_fired,
            result.clocks,
            result.notices,
            result.withdrawn,
        )
    return summary
