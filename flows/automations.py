"""The operators' Prefect automations, declared here and applied by one command (`jiaodong ops apply-automations`).

Prefect keeps no state of ours (the database does), but it is where a stuck or failing job shows first. These
automations make it say so:
- zombie runs: a run of ours that stops sending heartbeats (its host died) is marked Crashed, so its deployment's
  concurrency slot is freed and the next scheduled run can start (Prefect's "detect zombie flows" recipe);
- crashed or failed runs of our deployments, a work pool or a deployment going not-ready, and every escalation
  of a matter to the five-city coordinator (`jiaodong.notice.escalate`) are posted to the operators' channel.

The channel is a Prefect "Custom Webhook" notification block named `jiaodong-operators`, created or updated from
the URL given to the command (e.g. a chat room's incoming-webhook address). Applying is idempotent: an automation
of the same name is replaced, so the repository stays the single definition.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from uuid import UUID

from flows.deployments import DEPLOYMENTS, TAGS, WORK_POOL

NOTIFY_BLOCK = "jiaodong-operators"
PREFIX = "jiaodong: "
# Workers and runners must emit heartbeats at this frequency (PREFECT_FLOWS_HEARTBEAT_FREQUENCY, seconds);
# a run silent for ZOMBIE_AFTER is taken for dead. Prefect asks for a frequency above 30 s.
HEARTBEAT_SECONDS = 60
ZOMBIE_AFTER = timedelta(seconds=3 * HEARTBEAT_SECONDS)

_RUN_BODY = (
    "Flow run {{ flow_run.name }} of {{ deployment.name }} is {{ flow_run.state.name }}: "
    "{{ flow_run.state.message }}\n{{ flow_run|ui_url }}"
)


@dataclass(frozen=True)
class AutomationSpec:
    """One automation: its trigger as Prefect's EventTrigger fields, and whether it also crashes the run."""

    name: str
    description: str
    trigger: dict[str, Any]
    subject: str
    body: str
    crash_the_run: bool = False


def _our_runs() -> dict[str, Any]:
    return {"prefect.resource.id": "prefect.flow-run.*"}


def _tagged_ours() -> dict[str, Any]:
    return {"prefect.resource.role": "tag", "prefect.resource.id": [f"prefect.tag.{t}" for t in TAGS]}


AUTOMATIONS: tuple[AutomationSpec, ...] = (
    AutomationSpec(
        name=PREFIX + "crash zombie flow runs",
        description="A run that sent no heartbeat for three intervals lost its host: mark it Crashed.",
        trigger={
            "after": {"prefect.flow-run.heartbeat"},
            "expect": {
                "prefect.flow-run.heartbeat",
                "prefect.flow-run.Completed",
                "prefect.flow-run.Failed",
                "prefect.flow-run.Cancelled",
                "prefect.flow-run.Crashed",
            },
            "match": _our_runs(),
            "match_related": _tagged_ours(),
            "for_each": {"prefect.resource.id"},
            "posture": "Proactive",
            "threshold": 1,
            "within": ZOMBIE_AFTER,
        },
        subject="[jiaodong] flow run lost (no heartbeat)",
        body="Flow run {{ flow_run.name }} stopped sending heartbeats; it was marked Crashed.\n{{ flow_run|ui_url }}",
        crash_the_run=True,
    ),
    AutomationSpec(
        name=PREFIX + "run crashed or failed",
        description="Tell the operators when a run of a jiaodong deployment crashes or fails.",
        trigger={
            "expect": {"prefect.flow-run.Crashed", "prefect.flow-run.Failed"},
            "match": _our_runs(),
            "match_related": _tagged_ours(),
            "posture": "Reactive",
            "threshold": 1,
        },
        subject="[jiaodong] flow run {{ flow_run.state.name }}",
        body=_RUN_BODY,
    ),
    AutomationSpec(
        name=PREFIX + "work pool not ready",
        description="No worker polls the jiaodong work pool: scheduled jobs (sweeps, deliveries) are not running.",
        trigger={
            "expect": {"prefect.work-pool.not-ready"},
            "match": {"prefect.resource.name": WORK_POOL},
            "posture": "Reactive",
            "threshold": 1,
        },
        subject="[jiaodong] work pool not ready",
        body="Work pool {{ event.resource.name }} has no ready worker since {{ event.occurred }}.",
    ),
    AutomationSpec(
        name=PREFIX + "deployment not ready",
        description="A jiaodong deployment has no worker able to run it.",
        trigger={
            "expect": {"prefect.deployment.not-ready"},
            "match": {"prefect.resource.name": [spec.name for spec in DEPLOYMENTS]},
            "posture": "Reactive",
            "threshold": 1,
        },
        subject="[jiaodong] deployment not ready",
        body="Deployment {{ event.resource.name }} is not ready since {{ event.occurred }}.",
    ),
    AutomationSpec(
        name=PREFIX + "escalated to the regional coordinator",
        description="A matter reached the last rung (报请协调): the five-city coordinator must act.",
        trigger={
            "expect": {"jiaodong.notice.escalate"},
            "match": {"prefect.resource.id": "jiaodong.delegation.*"},
            "posture": "Reactive",
            "threshold": 1,
        },
        subject="[jiaodong] 报请协调 {{ event.resource.name }}",
        body="Matter {{ event.resource.name }} was escalated to the regional coordinator at {{ event.occurred }}.",
    ),
)


def build(spec: AutomationSpec, notify_block_id: UUID) -> Any:
    """The Prefect Automation object of a spec, notifying through the given block."""
    from prefect.automations import Automation
    from prefect.client.schemas.objects import StateType
    from prefect.events.actions import ChangeFlowRunState, SendNotification
    from prefect.events.schemas.automations import EventTrigger

    actions: list[Any] = []
    if spec.crash_the_run:
        actions.append(ChangeFlowRunState(state=StateType.CRASHED, message="no heartbeat: marked Crashed"))
    actions.append(SendNotification(block_document_id=notify_block_id, subject=spec.subject, body=spec.body))
    return Automation(
        name=spec.name,
        description=spec.description,
        enabled=True,
        trigger=EventTrigger(**spec.trigger),
        actions=actions,
    )


async def apply(webhook_url: str) -> list[str]:
    """Create or replace the notification block and every automation on the current Prefect API; return
    the automations' names. Automations named with our prefix that are no longer declared are deleted."""
    from prefect.automations import Automation
    from prefect.blocks.notifications import CustomWebhookNotificationBlock
    from prefect.client.orchestration import get_client

    block = CustomWebhookNotificationBlock(
        name=NOTIFY_BLOCK,
        url=webhook_url,
        json_data={"text": "{{subject}}\n{{body}}", "title": "{{name}}"},
    )
    block_id = await block.asave(NOTIFY_BLOCK, overwrite=True)
    declared = {spec.name for spec in AUTOMATIONS}
    async with get_client() as client:
        for existing in await client.read_automations():
            if existing.name.startswith(PREFIX) and existing.name not in declared:
                await client.delete_automation(existing.id)
        for spec in AUTOMATIONS:
            for existing in await client.read_automations_by_name(spec.name):
                await client.delete_automation(existing.id)
    created: list[Automation] = [await build(spec, block_id).acreate() for spec in AUTOMATIONS]
    return [a.name for a in created]
