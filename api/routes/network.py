"""网络查控 over HTTP: the registries' callback (signed, no session), the connectors for command centers and
administrators, and a matter's network handling (status; the assisting clerk's one-click 网络办理)."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from api.deps import Ctx, CurrentActor, Now, Session
from delegation.core.access import Operation, UserRole
from delegation.core.errors import PermissionDenied
from delegation.network import service as network
from delegation.network.model import REGISTRY_LABELS, SHANGHAI, SIGNATURE_HEADER, AssetAnswer, RegistryKind
from delegation.reading.delegations import load_authorized

router = APIRouter(prefix="/api/v1", tags=["network"])


class ConnectorOut(BaseModel):
    id: int
    scope: str
    registry: str
    registry_label: str
    name: str
    matter_types: list[str]
    endpoint: str
    secret_ref: str | None  # administrators only: where the secret is, never the secret
    rate_per_minute: int
    max_in_flight: int
    answer_timeout_seconds: int
    business_hours: dict[str, Any]
    auto_accept: bool
    active: bool
    updated_at: datetime
    updated_by: str


class ItemOut(BaseModel):
    description: str
    seal_from: date | None
    seal_until: date | None
    priority: str | None  # first 首封 | waiting 轮候
    amount_frozen: str | None


class QueryOut(BaseModel):
    asset: str
    status: str
    answer_code: str | None
    receipt_no: str | None
    answered_at: datetime | None
    message: str = ""
    items: list[ItemOut] = []


class MatterNetworkOut(BaseModel):
    mode: str  # network | network_pending | handed_back | manual
    status: str | None
    trigger: str | None
    registry: str | None
    action: str | None = None
    connector: str | None
    reason: str
    flow_run_id: str | None = None
    queries: list[QueryOut]


class FiguresOut(BaseModel):
    court: str
    registry: str
    completed: int
    by_network: int
    network_share: float | None
    network_hours: float | None
    manual_hours: float | None
    failures: dict[str, int]


class JobOut(BaseModel):
    job_id: int
    status: str = "queued"


@router.post(
    "/network/callbacks",
    operation_id="registry_callback",
    status_code=204,
    responses={200: {"description": "A duplicate answer, already recorded: nothing changed."}},
)
async def registry_callback(
    answer: AssetAnswer,  # noqa: ARG001 - declared for the schema; verified and read from the signed bytes
    request: Request,
    session: Session,
    now: Now,
    signature: Annotated[str | None, Header(alias=SIGNATURE_HEADER)] = None,
) -> Response:
    """A registry's asynchronous answer (jiaodong-registry/1), signed with the connector's HMAC secret."""
    body = await request.body()
    outcome = await network.receive_callback(session, body, signature, now)
    if outcome in ("duplicate", "pending"):
        return JSONResponse({"status": outcome}, 200)
    return Response(status_code=204)


def _may_see_connectors(actor: CurrentActor) -> None:
    if not actor.roles & {UserRole.ADMIN, UserRole.COMMAND_CENTER, UserRole.REGIONAL_COORDINATOR}:
        raise PermissionDenied("Only command centers and administrators see the registry connectors.")


@router.get("/network/connectors", response_model=list[ConnectorOut], operation_id="list_network_connectors")
async def list_connectors(session: Session, actor: CurrentActor) -> list[ConnectorOut]:
    """Every registry connector of the five cities: which registry, for which matters, how fast, when open."""
    _may_see_connectors(actor)
    admin = UserRole.ADMIN in actor.roles
    return [
        ConnectorOut(
            id=c.id or 0,
            scope=c.scope,
            registry=c.registry_kind,
            registry_label=REGISTRY_LABELS[RegistryKind(c.registry_kind)][0],
            name=c.name,
            matter_types=list(c.matter_types),
            endpoint=c.endpoint,
            secret_ref=c.secret_ref if admin else None,
            rate_per_minute=c.rate_per_minute,
            max_in_flight=c.max_in_flight,
            answer_timeout_seconds=c.answer_timeout_seconds,
            business_hours=dict(c.business_hours),
            auto_accept=c.auto_accept,
            active=c.active,
            updated_at=c.updated_at,
            updated_by=c.updated_by,
        )
        for c in await network.list_connectors(session)
    ]


@router.get("/delegations/{delegation_id}/network", response_model=MatterNetworkOut, operation_id="get_matter_network")
async def matter_network(delegation_id: int, ctx: Ctx) -> MatterNetworkOut:
    """Whether the matter went by network or by hand, and each registry answer (code and receipt number)."""
    matter = await load_authorized(ctx.session, ctx.ref, ctx.actor, delegation_id, Operation.VIEW)
    found = await network.network_of(ctx.session, delegation_id)
    if found is None:
        coming = await network.taken_by_itself(ctx.session, matter)
        if coming is not None:  # a new matter an auto-accepting connector takes on its next pass
            return MatterNetworkOut(
                mode="network_pending",
                status=None,
                trigger="auto",
                registry=coming.registry_kind,
                connector=coming.name,
                reason="",
                queries=[],
            )
        return MatterNetworkOut(
            mode="manual", status=None, trigger=None, registry=None, connector=None, reason="", queries=[]
        )
    return MatterNetworkOut(
        mode=found.mode,
        status=found.status,
        trigger=found.trigger,
        registry=found.registry,
        action=found.action,
        connector=found.connector,
        reason=found.reason,
        flow_run_id=found.flow_run_id,
        queries=[QueryOut(**q) for q in found.queries],
    )


@router.post(
    "/delegations/{delegation_id}/network", status_code=202, response_model=JobOut, operation_id="hand_to_network"
)
async def hand_to_network(delegation_id: int, ctx: Ctx) -> JobOut:
    """网络办理: the assisting clerk hands the matter to the court's registry connector (one click)."""
    await load_authorized(ctx.session, ctx.ref, ctx.actor, delegation_id, Operation.VIEW)
    return JobOut(job_id=await network.request_by_clerk(ctx, delegation_id))


@router.get("/network/statistics", response_model=list[FiguresOut], operation_id="get_network_statistics")
async def network_statistics(
    session: Session,
    actor: CurrentActor,
    since: Annotated[date, Query(description="First day (Asia/Shanghai), e.g. 2026-12-01.")],
    until: Annotated[date, Query(description="Day after the last, e.g. 2027-01-01.")],
) -> list[FiguresOut]:
    """网络查控 per assisting court and registry: 查控 matters completed, the share by network, the mean hours from
    submission to result by network and by hand, and the hand-backs by cause."""
    _may_see_connectors(actor)
    start = datetime.combine(since, time(), SHANGHAI)
    end = datetime.combine(until, time(), SHANGHAI)
    return [
        FiguresOut(
            court=f.court,
            registry=f.registry,
            completed=f.completed,
            by_network=f.by_network,
            network_share=f.network_share,
            network_hours=f.network_hours,
            manual_hours=f.manual_hours,
            failures=f.failures,
        )
        for f in await network.network_figures(session, start, end)
    ]
