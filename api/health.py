"""Health: `/healthz` is liveness (the process answers), `/readyz` is readiness (it can do its work).

Ready means: the database answers within a second, it is at the migrations' head, and the flow runner is
alive when this process supervises one (`jiaodong serve`); the outbox's backlog and the age of its oldest
pending row are reported alongside (an operator's signal, not a reason to take the instance out of rotation).
Not ready answers 503, so a load balancer or an orchestrator stops sending traffic until it is.

`/healthz` keeps the fields it always had (`status`, `database_backend`) and answers 200 while the process
runs, even when the database is down: restarting the process would not bring the database back.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from datetime import datetime
from functools import lru_cache
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

import migrations
from api.deps import Now
from api.state import Runtime
from delegation.store.availability import is_unavailable
from delegation.store.health import outbox_backlog, schema_revision

MIGRATIONS = migrations.PATH
DATABASE_TIMEOUT_SECONDS = 1.0

# The supervised flow runner's state (set by `jiaodong serve`): at least {"state": str, "alive": bool}.
RunnerProbe = Callable[[], Mapping[str, Any]]

router = APIRouter(tags=["health"])


@lru_cache(maxsize=1)
def migrations_head() -> str | None:
    from alembic.script import ScriptDirectory

    if not MIGRATIONS.is_dir():
        return None
    return ScriptDirectory(str(MIGRATIONS)).get_current_head()


@router.get("/healthz", summary="Liveness: the process answers", operation_id="healthz")
async def healthz(request: Request) -> JSONResponse:
    runtime: Runtime = request.app.state.runtime
    backend = runtime.engine.dialect.name if runtime.engine is not None else None
    return JSONResponse({"status": "ok", "live": True, "database_backend": backend, "readiness": "/readyz"})


@router.get("/readyz", summary="Readiness: database, migrations, flow runner, outbox", operation_id="readyz")
async def readyz(request: Request, now: Now) -> JSONResponse:
    runtime: Runtime = request.app.state.runtime
    probe: RunnerProbe | None = getattr(request.app.state, "runner_probe", None)
    body = await readiness(runtime, probe, now)
    return JSONResponse(body, status_code=200 if body["ready"] else 503, headers={"Cache-Control": "no-store"})


async def readiness(runtime: Runtime, probe: RunnerProbe | None, now: datetime) -> dict[str, Any]:
    checks: dict[str, Any] = {}
    ready = True
    try:
        async with asyncio.timeout(DATABASE_TIMEOUT_SECONDS):
            await runtime.ready()
            assert runtime.engine is not None
            async with runtime.engine.connect() as connection:
                revision = await schema_revision(connection)
                backlog = await outbox_backlog(connection) if revision is not None else None
        checks["database"] = {"ok": True, "backend": runtime.engine.dialect.name}
        head = migrations_head()
        at_head = revision is not None and (head is None or revision == head)
        checks["migrations"] = {"ok": at_head, "current": revision, "head": head}
        ready = ready and at_head
        if backlog is not None:
            oldest = backlog.oldest_pending_at
            checks["outbox"] = {
                "pending": backlog.pending,
                "failed": backlog.failed,
                "oldest_pending_age_seconds": round((now - oldest).total_seconds()) if oldest else None,
            }
    except Exception as error:
        reason = "unreachable" if is_unavailable(error) or isinstance(error, TimeoutError) else "error"
        checks["database"] = {"ok": False, "error": f"{reason}: {type(error).__name__}"}
        ready = False
    if probe is not None:
        runner = dict(probe())
        checks["flow_runner"] = runner
        ready = ready and bool(runner.get("alive"))
    else:
        checks["flow_runner"] = {"state": "not_supervised", "alive": None}
    return {"status": "ready" if ready else "not_ready", "ready": ready, "checks": checks}
