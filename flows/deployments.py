"""The deployments, defined once: `prefect.yaml` declares the same (checked by a test), `serve_all` serves
them from this process for the embedded default (`jiaodong serve`), `prefect deploy --all` uses the YAML.

Entrypoints are module paths (`flows.sla_watch.sla_watch`): a worker imports them from the installed
package, so no run depends on a checkout at a fixed path or on a pull step. The every-minute jobs carry a
deployment concurrency limit of one with CANCEL_NEW: when the database is slow, a new run is cancelled
instead of piling up behind the one still running (the next minute's run picks up the work)."""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass, field
from typing import Any

TIMEZONE = "Asia/Shanghai"
WORK_POOL = "jiaodong-process"
TAGS = ("jiaodong",)


@dataclass(frozen=True)
class DeploymentSpec:
    name: str
    entrypoint: str  # module path of the flow function: package.module.function
    cron: str | None  # None: started on demand (run_deployment), never on a schedule
    description: str
    parameters: dict[str, Any] = field(default_factory=dict)
    # At most this many runs at once; a run over the limit is cancelled (None: no limit).
    concurrency_limit: int | None = None

    @property
    def module(self) -> str:
        return self.entrypoint.rsplit(".", 1)[0]

    @property
    def function(self) -> str:
        return self.entrypoint.rsplit(".", 1)[1]


DEPLOYMENTS: tuple[DeploymentSpec, ...] = (
    DeploymentSpec(
        "sla-watch",
        "flows.sla_watch.sla_watch",
        "* * * * *",
        "Every minute: fire due clock rungs (due soon, overdue, 督办, escalation) once each, in working hours.",
        concurrency_limit=1,
    ),
    DeploymentSpec(
        "deliver-notifications",
        "flows.deliver.deliver_notifications",
        "* * * * *",
        "Every minute and on demand: expand outbox intents, send e-mail/webhooks/chat/Prefect events with backoff.",
        concurrency_limit=1,
    ),
    DeploymentSpec(
        "daily-digest",
        "flows.digest.daily_digest",
        "30 8 * * *",
        "08:30 on working days: per court due today and overdue; per command center its overdue list.",
    ),
    DeploymentSpec(
        "monthly-report",
        "flows.monthly_report.monthly_report",
        "0 7 * * *",
        "First working day of the month, 07:00: last month's report per court and court pair (.xlsx).",
    ),
    DeploymentSpec(
        "recompute-deadlines",
        "flows.recompute.recompute_deadlines",
        "*/5 * * * *",
        "After a holiday schedule or policy load (queued with it): recompute open clocks, record moved due times.",
        concurrency_limit=1,
    ),
    DeploymentSpec(
        "reconcile-statistics",
        "flows.statistics.reconcile_statistics",
        "30 1 * * *",
        "01:30 nightly: recompute every matter's statistics facts (open breaches grow daily), rebuild the daily sums.",
        concurrency_limit=1,
    ),
    DeploymentSpec(
        "network-dispatch",
        "flows.network.network_dispatch",
        "* * * * *",
        "Every minute: queue new matters for auto-accepting registry connectors; start a network-control run per job.",
        concurrency_limit=1,
    ),
    DeploymentSpec(
        "network-control",
        "flows.network.network_control",
        None,
        "On demand, one run per matter and act (named by the matter number): 网络查控 from sign-for to 办结.",
    ),
)


def flow_of(spec: DeploymentSpec) -> Any:
    return getattr(importlib.import_module(spec.module), spec.function)


def _options(spec: DeploymentSpec, name_suffix: str = "") -> dict[str, Any]:
    """to_deployment arguments: cron in Asia/Shanghai, module-path entrypoints (runs do not depend on the cwd).
    `name_suffix` names served deployments apart from the work pool's (see `served_name_suffix`)."""
    from prefect.client.schemas.objects import ConcurrencyLimitConfig, ConcurrencyLimitStrategy
    from prefect.schedules import Cron
    from prefect.types.entrypoint import EntrypointType

    options: dict[str, Any] = {
        "name": spec.name + name_suffix,
        "schedules": [Cron(spec.cron, timezone=TIMEZONE)] if spec.cron else [],
        "description": spec.description,
        "tags": list(TAGS),
        "parameters": dict(spec.parameters),
        "entrypoint_type": EntrypointType.MODULE_PATH,
    }
    if spec.concurrency_limit is not None:
        options["concurrency_limit"] = ConcurrencyLimitConfig(
            limit=spec.concurrency_limit, collision_strategy=ConcurrencyLimitStrategy.CANCEL_NEW
        )
    return options


def served_name_suffix(remote_api_url: str | None, host: str) -> str:
    """Deployments served by `jiaodong serve` on a Prefect server it did not start (--register-deployments) are
    named `<name>-served-<host>`: registering them under the work pool's names would replace the production
    deployments (their entrypoints, schedules and pool). On its own embedded server the names stay plain."""
    if not remote_api_url:
        return ""
    label = re.sub(r"[^a-z0-9-]+", "-", host.lower()).strip("-") or "host"
    return f"-served-{label}"


def build_deployments(name_suffix: str = "", unscheduled: frozenset[str] = frozenset()) -> list[Any]:
    """RunnerDeployments for `serve` (from synchronous code); those named in `unscheduled` without their schedule
    (started on demand only)."""
    deployments = []
    for spec in DEPLOYMENTS:
        options = _options(spec, name_suffix)
        if spec.name in unscheduled:
            options["schedules"] = []
        deployments.append(flow_of(spec).to_deployment(**options))
    return deployments


async def abuild_deployments(name_suffix: str = "") -> list[Any]:
    """The same, from async code (where Prefect's to_deployment would hand back coroutines)."""
    return [await flow_of(spec).ato_deployment(**_options(spec, name_suffix)) for spec in DEPLOYMENTS]


# The embedded runner (serve_all) runs network-dispatch back to back in a thread of its own process instead of on
# its every-minute schedule: a scheduled run is a new Python process (seconds of imports, 20-40 s on a loaded
# machine, beside the other every-minute jobs' processes) that starts at the next minute mark, and the next one is
# cancelled while it waits for its runs; so a matter filed just after a dispatch had to wait up to two minutes for
# the next. Back to back, a matter is with its registry within the dispatcher's poll (5 s) from the moment the
# runner is up. The deployment stays (a run by hand); production's work pool keeps the schedule (prefect.yaml).
IN_PROCESS = frozenset({"network-dispatch"})


def serve_all(limit: int | None = 8, name_suffix: str = "") -> None:
    """Serve every deployment from this process until interrupted (Ctrl-C / SIGTERM), and run network-dispatch
    back to back in a thread (IN_PROCESS). Eight runs at once: the network-control runs wait for registries
    (minutes at most) beside the every-minute jobs."""
    import threading

    from prefect import serve

    from flows.network import dispatch_forever

    stop = threading.Event()
    dispatcher = threading.Thread(target=dispatch_forever, args=(stop,), name="network-dispatch", daemon=True)
    dispatcher.start()
    try:
        serve(
            *build_deployments(name_suffix, unscheduled=IN_PROCESS),
            limit=limit,
            pause_on_shutdown=False,
            print_starting_message=True,
        )
    finally:
        stop.set()  # a dispatch under way ends with the process: its jobs' leases let the next start take them over
