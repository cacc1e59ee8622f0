"""`jiaodong sla`: run the SLA engine's jobs by hand (without Prefect), inspect the outbox, add subscriptions.

The scheduled flows do the same through Prefect; these commands are for operators (and for a Prefect outage).
"""

from __future__ import annotations

import json
import os
from collections.abc import Awaitable, Callable
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar

import typer
from sqlmodel.ext.asyncio.session import AsyncSession

from delegation.core.access import Actor, UserRole
from delegation.core.errors import DomainError
from delegation.core.reference import Reference
from delegation.outbox.model import Channel, OutboxStatus
from delegation.refdata.service import load_reference
from jiaodong.cli.sessions import in_session
from jiaodong.settings import get_settings

T = TypeVar("T")
sla_app = typer.Typer(
    help="SLA engine: sweeps, notifications, digests, reports, deadline recomputes.", no_args_is_help=True
)
CLI_ADMIN = Actor("cli", None, frozenset({UserRole.ADMIN}), "命令行管理员")

At = Annotated[str | None, typer.Option("--at", help="The moment to act at, ISO 8601 with offset (default: now).")]


def _moment(text: str | None) -> datetime:
    if text is None:
        return datetime.now(UTC)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(f"not an ISO 8601 moment: {text!r}") from None
    if moment.tzinfo is None:
        raise typer.BadParameter("give the offset, e.g. 2026-03-02T09:00+08:00")
    return moment


def _with(work: Callable[[AsyncSession, Reference], Awaitable[T]]) -> T:
    async def with_reference(session: AsyncSession) -> T:
        ref = await load_reference(session)
        await session.rollback()
        return await work(session, ref)

    try:
        return in_session(with_reference)
    except DomainError as exc:
        typer.echo(f"{exc.title_zh} / {exc.detail_en}", err=True)
        raise typer.Exit(2) from None


def _print(value: Any) -> None:
    typer.echo(json.dumps(value, ensure_ascii=False, indent=2, default=str))


@sla_app.command("sweep")
def sweep(at: At = None) -> None:
    """Fire the rungs due now (what the sla-watch flow does every minute)."""
    from delegation.sla import service as sla_service

    configured = get_settings()
    result = _with(
        lambda s, r: sla_service.sweep(s, r, _moment(at), configured.sla_batch_size, configured.sla_sweep_lanes)
    )
    _print(asdict(result))


@sla_app.command("deliver")
def deliver(at: At = None, limit: int = 200) -> None:
    """Drain the outbox once (Prefect events only when PREFECT_API_URL is set)."""
    from delegation.outbox import service as outbox_service
    from flows.runtime import retry_policy
    from flows.senders import Senders

    # Without a Prefect server, Prefect events have nowhere to go: marked skipped rather than left pending.
    skip = [] if os.environ.get("PREFECT_API_URL") else [Channel.PREFECT_EVENT]

    async def work(session: AsyncSession, ref: Reference) -> Any:
        senders = Senders.from_settings(get_settings())
        try:
            return await outbox_service.deliver(
                session, ref, _moment(at), senders, retry=retry_policy(), limit=limit, skip=skip
            )
        finally:
            await senders.close()

    _print(asdict(_with(work)))


@sla_app.command("digest")
def digest(at: At = None) -> None:
    """Send today's digest (once per working day)."""
    from delegation.reports import digest as digest_service

    _print(asdict(_with(lambda s, r: digest_service.daily_digest(s, r, _moment(at)))))


@sla_app.command("report")
def report(month: Annotated[str, typer.Argument(help="YYYY-MM")], at: At = None) -> None:
    """Make the monthly report of MONTH now (.xlsx in the document store, under reports/)."""
    from delegation.reports import service as report_service
    from flows.runtime import blob_store

    async def save(name: str, data: bytes) -> str:
        return await report_service.store_report(blob_store(), name, data)

    _print(asdict(_with(lambda s, r: report_service.monthly_report(s, r, _moment(at), save, month=month))))


@sla_app.command("reconcile-stats")
def reconcile_stats(at: At = None) -> None:
    """Recompute every matter's statistics facts and rebuild the daily sums, and check the dashboard's counters
    against the rows, rebuilding them on a difference (what the nightly flow does)."""
    from delegation.reading import dashboard as dashboard_service
    from delegation.statistics import service as statistics_service

    async def both(session: AsyncSession, ref: Reference) -> dict[str, Any]:
        result = asdict(await statistics_service.reconcile(session, ref, _moment(at)))
        counted = await dashboard_service.reconcile_counters(session)
        await session.commit()
        return {**result, "counters": asdict(counted)}

    _print(_with(both))


@sla_app.command("recompute")
def recompute(
    reason: Annotated[str | None, typer.Option(help="Recompute every open clock now, for this reason.")] = None,
    adopt_policy: Annotated[bool, typer.Option(help="Also move clocks to the policy version in force.")] = False,
    at: At = None,
) -> None:
    """Run the queued recomputes (after a schedule or policy load), or all open clocks with --reason."""
    from delegation.sla import service as sla_service

    async def work(session: AsyncSession, ref: Reference) -> Any:
        if reason:
            return asdict(
                await sla_service.recompute_deadlines(
                    session, ref, _moment(at), reason=reason, source="manual", adopt_policy=adopt_policy
                )
            )
        result = await sla_service.run_pending_recomputes(session, ref, _moment(at))
        return asdict(result) if result else {"ran": False, "reason": "no recompute requested"}

    _print(_with(work))


@sla_app.command("outbox")
def outbox(
    status: Annotated[str, typer.Option(help="pending, sending, sent, failed or skipped")] = "failed",
) -> None:
    """Counts per status, the receivers with failed sends (paused ones with the time their pause ends), the stuck
    rows (claimed by a deliverer that stopped renewing its claim), and the newest rows with STATUS (failed by
    default) with their last error."""
    from delegation.outbox import service as outbox_service
    from flows.runtime import retry_policy

    try:
        wanted = OutboxStatus(status)
    except ValueError:
        raise typer.BadParameter(f"one of {', '.join(s.value for s in OutboxStatus)}", param_hint="--status") from None

    def listed(rows: list[Any]) -> list[dict[str, Any]]:
        return [
            {
                "id": r.id,
                "channel": r.channel,
                "target": r.target,
                "subject": r.subject,
                "attempts": r.attempts,
                "claimed_at": r.claimed_at,
                "next_attempt_at": r.next_attempt_at,
                "last_error": r.last_error,
            }
            for r in rows
        ]

    async def work(session: AsyncSession, _ref: Reference) -> Any:
        now = datetime.now(UTC)
        return {
            "counts": await outbox_service.counts_by_status(session),
            "receivers": [
                {**asdict(c), "paused": c.is_open(now)}
                for c in sorted((await outbox_service.load_circuits(session)).values(), key=lambda c: c.receiver)
            ],
            "stuck": listed(await outbox_service.stuck_rows(session, now, retry_policy())),
            "rows": listed(await outbox_service.rows_with_status(session, wanted)),
        }

    _print(_with(work))


@sla_app.command("requeue")
def requeue(
    outbox_ids: Annotated[list[int] | None, typer.Argument(help="Failed rows to send again.")] = None,
    failed: Annotated[bool, typer.Option("--failed", help="Every failed row at once.")] = False,
    channel: Annotated[str | None, typer.Option(help="With --failed: only this channel.")] = None,
) -> None:
    """Send failed outbox rows again (after checking the recipients did not get them)."""
    from delegation.outbox import service as outbox_service

    if failed:
        only = Channel(channel) if channel else None
        count = _with(lambda s, _r: outbox_service.requeue_failed(s, datetime.now(UTC), only))
        typer.echo(f"requeued {count} failed row(s)")
        return
    if not outbox_ids:
        raise typer.BadParameter("name the rows to requeue, or use --failed", param_hint="OUTBOX_IDS")

    def requeued(ident: int) -> bool:
        return bool(_with(lambda s, _r: outbox_service.requeue(s, ident, datetime.now(UTC))))

    missing = [i for i in outbox_ids if not requeued(i)]
    for ident in missing:
        typer.echo(f"outbox row {ident} is not failed", err=True)
    typer.echo(f"requeued {len(outbox_ids) - len(missing)}")
    if missing:
        raise typer.Exit(1)


@sla_app.command("resume")
def resume(
    receiver: Annotated[str, typer.Argument(help="as `jiaodong sla outbox` lists it, e.g. https://court.example:8443")],
) -> None:
    """End the pause of a receiver whose sends kept failing (its circuit breaker): its rows go out again now."""
    from delegation.outbox import service as outbox_service

    if not _with(lambda s, _r: outbox_service.resume_receiver(s, receiver, datetime.now(UTC))):
        typer.echo(f"no failed sends on record for {receiver}", err=True)
        raise typer.Exit(1)
    typer.echo(f"resumed {receiver}")


@sla_app.command("subscribe")
def subscribe(
    court: str,
    channel: Annotated[str, typer.Argument(help="email, webhook or apprise")],
    target: Annotated[str, typer.Argument(help="address, https URL or Apprise URL")],
    topic: Annotated[list[str] | None, typer.Option(help="transition, notice, acknowledgement, digest")] = None,
    secret: Annotated[str | None, typer.Option(help="webhook signing secret (16+ characters)")] = None,
) -> None:
    """Add a notification subscription for COURT."""
    from delegation.outbox import service as outbox_service

    row = _with(
        lambda s, r: outbox_service.add_subscription(
            s,
            r,
            CLI_ADMIN,
            datetime.now(UTC),
            court_code=court,
            channel=channel,
            target=target,
            topics=topic or (),
            secret=secret,
        )
    )
    typer.echo(f"subscription {row.id}: {row.court_code} {row.channel} {row.target} {row.topics or 'all topics'}")
