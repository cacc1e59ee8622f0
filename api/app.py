"""The FastAPI application: REST under /api/v1, health, OpenAPI at /docs."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from sqlalchemy import text

from api.state import AppState
from delegation.db import make_engine, make_sessionmaker
from delegation.reference_service import load_reference
from jiaodong.settings import Settings, get_settings


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = make_engine(settings.resolved_database_url)
        sessions = make_sessionmaker(engine)
        async with sessions() as session:
            reference = await load_reference(session)
        app.state.jd = AppState(settings=settings, engine=engine, sessions=sessions, reference=reference)
        try:
            yield
        finally:
            await engine.dispose()

    app = FastAPI(
        title="胶东五市跨院委托执行协作平台 API",
        summary="Jiaodong cross-court delegation of enforcement matters",
        version="0.1.0",
        lifespan=lifespan,
    )

    @app.get("/healthz", tags=["health"], summary="Liveness and database check")
    async def healthz() -> JSONResponse:
        state: AppState = app.state.jd
        try:
            async with state.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
            database = "ok"
        except Exception as exc:  # the health check reports any failure instead of raising
            database = f"error: {type(exc).__name__}"
        status = 200 if database == "ok" else 503
        body = {
            "status": "ok" if status == 200 else "degraded",
            "database": database,
            "database_backend": state.engine.dialect.name,
        }
        return JSONResponse(body, status_code=status)

    return app
