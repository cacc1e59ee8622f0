"""The deployments, defined once: `prefect.yaml` declares the same (checked by a test), `serve_all` serves
them from this process for the embedded default (`jiaodong serve`), `prefect deploy --all` uses the YAML."""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any

TIMEZONE = "Asia/Shanghai"
WORK_POOL = "jiaodong-process"
TAGS = ("jiaodong",)


@dataclass(frozen=True)
class DeploymentSpec:
    name: str
    entrypoint: str  # path/to/file.py:function, relative to the project folder (as prefect.yaml wants it)
    cron: str
    description: str
    parameters: dict[str, Any] = field(default_factory=dict)

    @property
    def module(self) -> str:
        return self.entrypoint.split(":")[0].removesuffix(".py").replace("/", ".")

    @property
    def function(self) -> str:
        return self.entrypoint.split(":")[1]


DEPLOYMENTS: tuple[DeploymentSpec, ...] = (
    DeploymentSpec(
        "sla-watch",
        "flows/sla_watch.py:sla_watch",
        "* * * * *",
        "Every minute: fire due clock rungs (due soon, overdue, 督办, escalation) once each, in working hours.",
    ),
    DeploymentSpec(
        "deliver-notifications",
        "flows/deliver.py:deliver_notifications",
        "* * * * *",
        "Every minute and on demand: expand outbox intents, send e-mail/webhooks/chat/Prefect events with backoff.",
    ),
    DeploymentSpec(
        "daily-digest",
        "flows/digest.py:daily_digest",
        "30 8 * * *",
        "08:30 on working days: per court due today and overdue; per command center its overdue list.",
    ),
    DeploymentSpec(
        "monthly-report",
        "flows/monthly_report.py:monthly_report",
        "0 7 * * *",
        "First working day of the month, 07:00: last month's report per court and court pair (.xlsx).",
    ),
    DeploymentSpec(
        "recompute-deadlines",
        "flows/recompute.py:recompute_deadlines",
        "*/5 * * * *",
        "After a holiday schedule or policy load (queued with it): recompute open clocks, record moved due times.",
    ),
)


def flow_of(spec: DeploymentSpec) -> Any:
    return getattr(importlib.import_module(spec.module), spec.function)


def _options(spec: DeploymentSpec) -> dict[str, Any]:
    """to_deployment arguments: cron in Asia/Shanghai, module-path entrypoints (runs do not depend on the cwd)."""
    from prefect.schedules import Cron
    from prefect.types.entrypoint import EntrypointType

    return {
        "name": spec.name,
        "schedules": [Cron(spec.cron, timezone=TIMEZONE)],
        "description": spec.description,
        "tags": list(TAGS),
        "parameters": dict(spec.parameters),
        "entrypoint_type": EntrypointType.MODULE_PATH,
    }


def build_deployments() -> list[Any]:
    """RunnerDeployments for `serve` (from synchronous code)."""
    return [flow_of(spec).to_deployment(**_options(spec)) for spec in DEPLOYMENTS]


async def abuild_deployments() -> list[Any]:
    """The same, from async code (where Prefect's to_deployment would hand back coroutines)."""
    return [await flow_of(spec).ato_deployment(**_options(spec)) for spec in DEPLOYMENTS]


def serve_all(limit: int | None = 4) -> None:
    """Serve every deployment from this process until interrupted (Ctrl-C / SIGTERM)."""
    from prefect import serve

    serve(*build_deployments(), limit=limit, pause_on_shutdown=False, print_starting_message=True)
