"""The demo courts' registry connectors: every city's vehicle, real estate, equity and bank registry, pointed
at the registry simulator (`jiaodong serve` starts it and calls `configure`), auto-accepting, and open around
the clock so that a demo filed at night completes by network too (the simulator's own hours are optional)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from delegation.core.access import Actor, UserRole
from delegation.network import service as network
from delegation.network.model import MATTER_ROUTES, BusinessHours, ConnectorConfig, RegistryKind
from delegation.refdata.service import load_reference
from delegation.store.context import Context
from jiaodong.registry_sim import CITIES, CITY_OF_SCOPE, endpoint_of

SECRET_ENV = "JIAODONG_REGISTRY_SIM_SECRET"  # noqa: S105 - the variable that holds it, not a secret
DEMO_REGISTRIES = (RegistryKind.VEHICLE, RegistryKind.REAL_ESTATE, RegistryKind.EQUITY, RegistryKind.BANK)
REGISTRY_NAMES = {
    RegistryKind.VEHICLE: "公安局交警支队车辆管理所",
    RegistryKind.REAL_ESTATE: "不动产登记中心",
    RegistryKind.EQUITY: "市场监督管理局",
    RegistryKind.BANK: "银行点对点查控",
}


def demo_connectors(base_url: str) -> list[ConnectorConfig]:
    return [
        ConnectorConfig(
            scope=scope,
            registry=kind,
            name=f"{CITIES[city][0]}市{REGISTRY_NAMES[kind]}（模拟）",
            matter_types=tuple(m for m, (k, _a) in MATTER_ROUTES.items() if k is kind),
            endpoint=endpoint_of(base_url, scope, kind),
            secret_ref=f"env:{SECRET_ENV}",
            rate_per_minute=120,
            max_in_flight=4,
            answer_timeout_seconds=300,
            request_timeout_seconds=10,
            business_hours=BusinessHours(start="00:00", end="23:59", working_days_only=False),
            auto_accept=True,
        )
        for scope, city in CITY_OF_SCOPE.items()
        for kind in DEMO_REGISTRIES
    ]


async def configure(session: AsyncSession, base_url: str, now: datetime) -> int:
    """Point the demo connectors at the simulator at `base_url` (created once, endpoints updated after)."""
    ref = await load_reference(session)
    ctx = Context(session, ref, Actor("jiaodong-serve", None, frozenset({UserRole.ADMIN}), "演示配置"), now)
    configs = demo_connectors(base_url)
    for config in configs:
        await network.save_connector(ctx, config)
    return len(configs)
