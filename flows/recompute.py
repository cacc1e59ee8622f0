"""recompute-deadlines (every 5 minutes, and on demand): after an official holiday schedule or a policy
version is loaded, recompute every open clock and record why each due time moved (old -> new).

Loading a schedule or a policy queues a request in the same transaction; this flow picks it up. With a
`reason` it recomputes everything now (on demand)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

from prefect import flow, get_run_logger

from delegation.sla import service as sla_service
from flows import runtime


@flow(name="recompute-deadlines", retries=1, retry_delay_seconds=30, log_prints=False)
async def recompute_deadlines(
    now: datetime | None = None, reason: str | None = None, adopt_policy: bool = False
) -> dict[str, Any]:
    at = runtime.moment(now)
    async with runtime.database() as (session, reference):
        if reason:
            result = await sla_service.recompute_deadlines(
                session, reference, at, reason=reason, source="manual", adopt_policy=adopt_policy
            )
        else:
            pending = await sla_service.run_pending_recomputes(session, reference, at)
            if pending is None:
                get_run_logger().info("no recompute requested")
                return {"ran": False}
            result = pending
    get_run_logger().info(
        "recomputed %d open clocks: %d changed, %d due times moved", result.clocks, result.changed, result.moved
    )
    return {"ran": True, **asdict(result)}
