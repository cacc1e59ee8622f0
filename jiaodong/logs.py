"""Logs as one JSON object per line (structlog over the standard library's logging), for a log shipper.

Every line carries a UTC timestamp, the level, the logger and, inside a request, its request id; `extra=`
fields of a stdlib call become keys. The request line (api/metrics.py) adds method, route, status, latency,
user and court. Nothing here logs personal data: ids of rows and codes of courts only.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

import structlog

from delegation.core.trace import request_id


def _request_id(_logger: Any, _method: str, event: dict[str, Any]) -> dict[str, Any]:
    rid = request_id.get()
    if rid is not None:
        event.setdefault("request_id", rid)
    return event


def configure(level: str = "INFO") -> None:
    """JSON lines on stderr for every logger (ours, uvicorn's, Prefect's)."""
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.ExtraAdder(),
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _request_id,
    ]
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(ensure_ascii=False),
        ],
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers = []
        logging.getLogger(name).propagate = True
