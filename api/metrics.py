"""Prometheus metrics at `/metrics`: requests by route and status with their latency, the database pool, and
the operational figures read from the database at scrape time (outbox backlog and age, due rungs not yet fired
and their lag, notices issued and acknowledged, failed logins).

Who may scrape: with JIAODONG_METRICS_TOKEN set, only a request bearing that token; without it (the embedded
default), only clients on loopback. Labels carry route templates (`/api/v1/delegations/{delegation_id}`), never
ids, names or other personal data.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import time
from datetime import datetime
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.responses import PlainTextResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from sqlalchemy.pool import QueuePool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.deps import get_now
from delegation.reading.operations import operational_figures

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    """One registry per app (tests build many apps in one process)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.requests = Counter(
            "jiaodong_http_requests", "HTTP requests answered", ["method", "route", "status"], registry=r
        )
        self.latency = Histogram(
            "jiaodong_http_request_duration_seconds",
            "Time to answer a request",
            ["method", "route"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.pool = Gauge("jiaodong_db_pool_connections", "Database pool connections", ["state"], registry=r)
        self.outbox_rows = Gauge("jiaodong_outbox_rows", "Outbox rows", ["channel", "status"], registry=r)
        self.outbox_oldest = Gauge(
            "jiaodong_outbox_oldest_pending_age_seconds", "Age of the oldest undelivered row", ["channel"], registry=r
        )
        self.paused_receivers = Gauge(
            "jiaodong_outbox_receiver_paused",
            "1 while sends to this receiver are paused by its circuit breaker (jiaodong sla resume ends it)",
            ["receiver"],
            registry=r,
        )
        self.due_rungs = Gauge("jiaodong_sla_due_rungs_unfired", "Clock rungs due but not yet fired", registry=r)
        self.rung_lag = Gauge(
            "jiaodong_sla_oldest_due_rung_lag_seconds", "How late the oldest unfired due rung is", registry=r
        )
        self.notices = Gauge(
            "jiaodong_notices", "Notices by kind, issued and acknowledged", ["kind", "state"], registry=r
        )
        self.login_failures = Gauge("jiaodong_login_failures_last_hour", "Failed logins in the last hour", registry=r)


def route_of(scope: Scope) -> str:
    """The template of the route that answered (the router records it in the scope), or a fixed label."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    return str(path) if path else "unmatched"


access_log = logging.getLogger("jiaodong.request")


class RequestMetrics:
    """Count and time every HTTP request by route template and status, and log it: one line per request with
    its id, route, status, latency, user and court (no query strings, ids or personal data)."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def record_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, record_status)
        finally:
            elapsed = time.perf_counter() - started
            route = route_of(scope)
            method = str(scope.get("method", ""))
            self.metrics.requests.labels(method, route, str(status)).inc()
            self.metrics.latency.labels(method, route).observe(elapsed)
            state = scope.get("state", {})
            access_log.info(
                "request",
                extra={
                    "request_id": state.get("request_id"),
                    "method": method,
                    "route": route,
                    "status": status,
                    "latency_ms": round(elapsed * 1000, 1),
                    "user": state.get("log_user"),
                    "court": state.get("log_court"),
                },
            )


def _allowed(request: Request, token: str | None) -> bool:
    if token:
        given = request.headers.get("authorization", "")
        return hmac.compare_digest(given.encode(), f"Bearer {token}".encode())
    host = request.client.host if request.client else ""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host in {"testclient", "localhost"}


def install(app: FastAPI, runtime: Any) -> Metrics:
    metrics = Metrics()
    app.add_middleware(RequestMetrics, metrics=metrics)

    @app.get("/metrics", include_in_schema=False)
    async def scrape(request: Request, now: datetime = Depends(get_now)) -> Response:
        if not _allowed(request, runtime.settings.metrics_token):
            return PlainTextResponse("not found\n", status_code=404)
        await runtime.ready()
        pool = runtime.engine.pool if runtime.engine is not None else None
        if isinstance(pool, QueuePool):
            metrics.pool.labels("checked_out").set(pool.checkedout())
            metrics.pool.labels("idle").set(pool.checkedin())
            metrics.pool.labels("overflow").set(max(0, pool.overflow()))
            metrics.pool.labels("size").set(pool.size())
        async with runtime.sessions() as session:
            figures = await operational_figures(session, now)
        metrics.outbox_rows.clear()
        for (channel, status), n in figures.outbox.rows.items():
            metrics.outbox_rows.labels(channel, status).set(n)
        metrics.outbox_oldest.clear()
        for channel, age in figures.outbox.oldest_pending_seconds.items():
            metrics.outbox_oldest.labels(channel).set(age)
        metrics.paused_receivers.clear()
        for receiver in figures.outbox.paused_receivers:
            metrics.paused_receivers.labels(receiver).set(1)
        metrics.due_rungs.set(figures.due_rungs_unfired)
        metrics.rung_lag.set(figures.oldest_due_rung_lag_seconds)
        metrics.notices.clear()
        for (kind, state), n in figures.notices.items():
            metrics.notices.labels(kind, state).set(n)
        metrics.login_failures.set(figures.login_failures_last_hour)
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    return metrics
