"""A database that cannot be reached: every request answers 503 with Retry-After (a page for people), the
security headers and a request id ride on every answer (500 and 503 too), one log line per failure; health
separates liveness from readiness."""

from __future__ import annotations

import logging
import socket
from pathlib import Path

import httpx
import pytest
from fastapi import APIRouter
from sqlalchemy import text

from api.app import create_app
from api.health import migrations_head
from jiaodong.settings import Settings
from tests.api.actors import Api


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def down_app(tmp_path: Path):  # type: ignore[no-untyped-def]
    """The app on a PostgreSQL URL where nothing listens: the database is down from the first request."""
    url = f"postgresql+asyncpg://postgres@127.0.0.1:{_closed_port()}/jiaodong"
    return create_app(Settings(database_url=url, data_dir=tmp_path, secret_key="test-secret-key"))


def _client(app) -> httpx.AsyncClient:  # type: ignore[no-untyped-def]
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")


async def test_an_api_request_while_the_database_is_down_answers_503_problem_with_retry_after(
    down_app, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="jiaodong")
    async with _client(down_app) as client:
        response = await client.get("/api/v1/delegations", headers={"Authorization": "Bearer jdt_x"})
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert int(response.headers["retry-after"]) > 0
    body = response.json()
    assert body["title"] == "服务暂时不可用" and body["code"] == "service_unavailable"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"] == "no-store"
    rid = response.headers["x-request-id"]
    failures = [r for r in caplog.records if rid in r.getMessage()]
    assert len(failures) == 1 and failures[0].exc_info is None  # one line, no traceback
    assert "database unavailable" in failures[0].getMessage()


async def test_a_page_while_the_database_is_down_is_a_friendly_503_page_with_the_page_headers(down_app) -> None:
    async with _client(down_app) as client:
        response = await client.get("/", headers={"Cookie": "jd_session=x"})
    assert response.status_code == 503
    assert response.headers["content-type"].startswith("text/html")
    assert "retry-after" in response.headers
    assert "content-security-policy" in response.headers
    assert "Traceback" not in response.text and "<h1" in response.text


async def test_a_proxys_request_id_is_kept_and_a_malformed_one_replaced(down_app) -> None:
    async with _client(down_app) as client:
        kept = await client.get("/healthz", headers={"X-Request-ID": "proxy-1234abcd"})
        replaced = await client.get("/healthz", headers={"X-Request-ID": "bad id\twith spaces"})
    assert kept.headers["x-request-id"] == "proxy-1234abcd"
    assert replaced.headers["x-request-id"] != "bad id\twith spaces" and len(replaced.headers["x-request-id"]) == 32


async def test_liveness_answers_while_the_database_is_down_and_readiness_says_not_ready(down_app) -> None:
    async with _client(down_app) as client:
        live = await client.get("/healthz")
        ready = await client.get("/readyz")
    assert live.status_code == 200 and live.json()["status"] == "ok"
    assert ready.status_code == 503
    body = ready.json()
    assert body["ready"] is False and body["checks"]["database"]["ok"] is False
    assert body["checks"]["database"]["error"].startswith("unreachable")


async def test_an_unexpected_error_is_a_500_problem_with_security_headers_and_one_logged_traceback(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    boom = APIRouter()

    @boom.get("/api/v1/boom")
    async def explode() -> None:
        raise RuntimeError("a bug")

    api.app.include_router(boom)
    caplog.set_level(logging.INFO, logger="jiaodong")
    async with api.client("shinan-officer") as client:
        response = await client.get("/api/v1/boom")
    assert response.status_code == 500 and response.json()["code"] == "internal_error"
    assert "a bug" not in response.text
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["cache-control"] == "no-store"
    logged = [r for r in caplog.records if response.headers["x-request-id"] in r.getMessage()]
    assert len(logged) == 1 and logged[0].exc_info is not None


async def test_readiness_on_a_migrated_database_reports_head_and_the_outbox_backlog(api: Api) -> None:
    async with api.client() as client:
        response = await client.get("/readyz")
    assert response.status_code == 200, response.text
    checks = response.json()["checks"]
    assert checks["database"]["ok"] is True
    assert checks["migrations"] == {"ok": True, "current": migrations_head(), "head": migrations_head()}
    assert checks["outbox"]["pending"] >= 0 and "oldest_pending_age_seconds" in checks["outbox"]
    assert checks["flow_runner"]["state"] == "not_supervised"


async def test_readiness_is_503_when_the_database_is_behind_the_migrations(api: Api) -> None:
    engine = api.app.state.runtime.engine
    async with engine.begin() as connection:
        current = (await connection.execute(text("SELECT version_num FROM alembic_version"))).scalar_one()
        await connection.execute(text("UPDATE alembic_version SET version_num = '0001'"))
    try:
        async with api.client() as client:
            response = await client.get("/readyz")
        assert response.status_code == 503
        assert response.json()["checks"]["migrations"]["ok"] is False
    finally:
        async with engine.begin() as connection:
            await connection.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": current})


async def test_readiness_is_503_when_the_supervised_flow_runner_is_not_alive(api: Api) -> None:
    api.app.state.runner_probe = lambda: {"state": "waiting_for_prefect", "alive": False, "restarts": 2}
    async with api.client() as client:
        response = await client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["flow_runner"]["state"] == "waiting_for_prefect"
