"""The id of the request being served, for what a change causes (its outbox rows, webhooks, Prefect events)
and for log lines. Set by the HTTP edge for the length of a request; empty in flows and the CLI."""

from __future__ import annotations

from contextvars import ContextVar

request_id: ContextVar[str | None] = ContextVar("jiaodong_request_id", default=None)
