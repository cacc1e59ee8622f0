"""网络查控 test support: the registry simulator and our web app served on loopback in threads (the simulator
posts its callbacks over real HTTP), and the connectors of the tests."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import httpx
import uvicorn
from sqlmodel.ext.asyncio.session import AsyncSession

from delegation.core.access import Actor, UserRole
from delegation.core.reference import Reference
from delegation.network import service as network
from delegation.network.model import BusinessHours, ConnectorConfig, RegistryKind
from delegation.store.context import Context
from delegation.store.tables import ConnectorRow
from jiaodong.registry_sim import Behaviour, create_sim_app, endpoint_of

SECRET_ENV = "JIAODONG_TEST_REGISTRY_SECRET"
SECRET = "test-registry-secret-0123456789"
ADMIN = Actor("admin", "鲁02", frozenset({UserRole.ADMIN}))
QUIET = Behaviour(latency=(0.0, 0.01), async_share=0.0, error_rate=0.0, timeout_rate=0.0, timeout_sleep=3.0)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def served(app: Any) -> Iterator[str]:
    """The ASGI app on a free loopback port in a thread, until the block ends."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("test server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


@contextmanager
def simulator(behaviour: Behaviour | None = None) -> Iterator[tuple[str, Any]]:
    app = create_sim_app(SECRET, behaviour or QUIET)
    with served(app) as url:
        yield url, app.state.registry


def script(base_url: str, request_id: str, *outcomes: str) -> None:
    response = httpx.post(f"{base_url}/_sim/script", json={"request_id": request_id, "outcomes": list(outcomes)})
    response.raise_for_status()


async def add_connector(
    session: AsyncSession,
    ref: Reference,
    now: datetime,
    base_url: str,
    registry: RegistryKind = RegistryKind.VEHICLE,
    scope: str = "鲁06",
    **overrides: Any,
) -> ConnectorRow:
    matters = {
        RegistryKind.VEHICLE: ("vehicle_inquiry", "vehicle_seal", "vehicle_seal_release"),
        RegistryKind.REAL_ESTATE: ("real_estate_inquiry", "real_estate_seal"),
        RegistryKind.BANK: ("deposit_freeze",),
    }[registry]
    values: dict[str, Any] = {
        "scope": scope,
        "registry": registry,
        "name": f"测试{registry.value}",
        "matter_types": matters,
        "endpoint": endpoint_of(base_url, scope, registry),
        "secret_ref": f"env:{SECRET_ENV}",
        "request_timeout_seconds": 1.0,
        "answer_timeout_seconds": 8,
        "business_hours": BusinessHours(start="00:00", end="23:59", working_days_only=False),
        "auto_accept": True,
    }
    values.update(overrides)
    return await network.save_connector(Context(session, ref, ADMIN, now), ConnectorConfig(**values))


def wait_for(predicate: Any, seconds: float = 15.0) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.05)


async def await_for(predicate: Any, seconds: float = 15.0) -> None:
    deadline = time.monotonic() + seconds
    while not await predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.1)
