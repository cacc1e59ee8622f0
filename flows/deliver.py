"""deliver-notifications (every minute and on demand): drain the outbox.

Intents become inbox rows and deliveries; each claimed e-mail, webhook or chat delivery is one
`send-notification` task run (Prefect events are emitted directly). A failed
send is not retried by Prefect: the retry schedule (exponential backoff) lives on the outbox row, so it
survives restarts, and a row is never sent twice.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

from delegation.outbox import service as outbox_service
from delegation.outbox.model import Channel, Message
from flows import runtime
from flows.senders import Senders, emit_prefect_event


@task(name="send-notification", retries=0, cache_policy=NO_CACHE, task_run_name="send {message.channel} #{message.id}")
async def send_notification(message: Message, senders: Senders) -> None:
    await senders(message)


@flow(name="deliver-notifications", log_prints=False)
async def deliver_notifications(now: datetime | None = None, limit: int = 200) -> dict[str, Any]:
    at = runtime.moment(now)
    senders = Senders.from_settings(runtime.settings())

    async def send(message: Message) -> None:
        if message.channel is Channel.PREFECT_EVENT:
            emit_prefect_event(message)  # no task run around it: that would add three events per event
        else:
            await send_notification(message, senders)

    try:
        async with runtime.database() as (session, reference):
            report = await outbox_service.deliver(
                session, reference, at, send, retry=runtime.retry_policy(), limit=limit
            )
    finally:
        await senders.close()
    get_run_logger().info(
        "outbox: %d expanded, %d claimed, %d sent, %d to retry, %d failed, %d interrupted",
        report.expanded,
        report.claimed,
        report.sent,
        report.retrying,
        report.failed,
        report.interrupted,
    )
    return asdict(report)
