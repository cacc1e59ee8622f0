"""/metrics: the series operators alert on, scraped through the app on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from datetime import timedelta

import httpx
from prometheus_client.parser import text_string_to_metric_families

from api.app import create_app
from delegation.outbox import service as outbox_service
from delegation.outbox.model import Circuit
from jiaodong.settings import Settings
from tests.api.actors import PASSWORD, Api
from tests.api.support import file_matter, ok

SERIES = {
    "jiaodong_http_requests",
    "jiaodong_http_request_duration_seconds",
    "jiaodong_outbox_rows",
    "jiaodong_outbox_oldest_pending_age_seconds",
    "jiaodong_sla_due_rungs_unfired",
    "jiaodong_sla_oldest_due_rung_lag_seconds",
    "jiaodong_notices",
    "jiaodong_login_failures_last_hour",
    "jiaodong_outbox_receiver_paused",
}


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


async def test_metrics_show_requests_by_route_outbox_backlog_due_rungs_and_failed_logins(api: Api) -> None:
    async with api.client("shinan-officer") as officer, api.client() as anonymous:
        submitted = await file_matter(officer)  # a submitted matter: its transition queued outbox rows
        ok(await officer.get(f"/api/v1/delegations/{submitted['id']}"))
        refused = await anonymous.post("/api/v1/auth/login", json={"username": "shinan-officer", "password": "x"})
        assert refused.status_code == 401
        api.clock.set("2026-03-10")  # the sign-for period (2 working days) has long ended: rungs are due
        scraped = await anonymous.get("/metrics")
    assert scraped.status_code == 200 and scraped.headers["content-type"].startswith("text/plain")
    text = scraped.text
    families = {f.name for f in text_string_to_metric_families(text)}
    assert families >= SERIES
    got = samples(text)
    route = "/api/v1/delegations/{delegation_id}"
    assert got[("jiaodong_http_requests_total", (("method", "GET"), ("route", route), ("status", "200")))] == 1
    routes = {dict(labels).get("route") for (name, labels) in got if name == "jiaodong_http_requests_total"}
    assert routes and not any(re.search(r"/\d+(/|$)", r or "") for r in routes)  # templates, never ids
    assert any(name == "jiaodong_outbox_rows" and value > 0 for (name, _), value in got.items())
    assert got[("jiaodong_sla_due_rungs_unfired", ())] >= 1
    assert got[("jiaodong_sla_oldest_due_rung_lag_seconds", ())] > 24 * 3600
    assert got[("jiaodong_login_failures_last_hour", ())] == 0  # the failure was at the real time, not 03-10
    assert "张三" not in text and "鲁0202" not in text


async def test_metrics_show_each_receiver_paused_by_its_circuit_breaker_until_the_pause_ends(api: Api) -> None:
    now = api.clock.now
    paused = Circuit("https://court.example:8443", failures=5, open_until=now + timedelta(minutes=15))
    over = Circuit("https://other.example", failures=5, open_until=now - timedelta(minutes=1))
    async with api.sessions() as session:
        await outbox_service.save_circuits(session, [paused, over], now)
        await session.commit()
    async with api.client() as anonymous:
        got = samples((await anonymous.get("/metrics")).text)
    paused_series = {dict(labels)["receiver"] for (name, labels) in got if name == "jiaodong_outbox_receiver_paused"}
    assert paused_series == {"https://court.example:8443"}


async def test_metrics_count_failed_logins_within_the_hour(api: Api) -> None:
    async with api.client() as anonymous:
        for _ in range(2):
            await anonymous.post("/api/v1/auth/login", json={"username": "shinan-officer", "password": "wrong"})
        ok(await anonymous.post("/api/v1/auth/login", json={"username": "shinan-officer", "password": PASSWORD}))
        got = samples((await anonymous.get("/metrics")).text)
    assert got[("jiaodong_login_failures_last_hour", ())] == 2


async def test_metrics_need_the_token_when_one_is_set_and_loopback_otherwise(api: Api, database_url: str) -> None:
    runtime = api.app.state.runtime
    settings = Settings(database_url=database_url, data_dir=api.data_dir, metrics_token="scrape-me")
    app = create_app(settings, engine=runtime.engine)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        assert (await client.get("/metrics")).status_code == 404
        assert (await client.get("/metrics", headers={"Authorization": "Bearer wrong"})).status_code == 404
        assert (await client.get("/metrics", headers={"Authorization": "Bearer scrape-me"})).status_code == 200
    remote = httpx.ASGITransport(app=api.app, client=("203.0.113.9", 5000))
    async with httpx.AsyncClient(transport=remote, base_url="http://testserver") as client:
        assert (await client.get("/metrics")).status_code == 404  # no token configured: loopback only
    await app.state.runtime.stop()
