"""A request's id: in its answer's header, its problem body, its log line, and the outbox row it caused (and on
to the webhook it becomes); the logs are JSON lines."""

from __future__ import annotations

import io
import json
import logging
import uuid

import pytest
from sqlmodel import select

from delegation.outbox.model import Intent, webhook_document
from delegation.store.tables import OutboxRow
from flows.senders import webhook_request
from jiaodong.logs import configure
from tests.api.actors import Api
from tests.api.support import file_matter


async def test_a_problem_names_its_request_id_as_the_header_and_the_log_line_do(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="jiaodong.request")
    async with api.client("shinan-officer") as officer:
        missing = await officer.get("/api/v1/delegations/999999", headers={"X-Request-ID": "req-0001-missing"})
    assert missing.status_code == 404
    assert missing.headers["X-Request-ID"] == "req-0001-missing" == missing.json()["request_id"]
    [line] = [r for r in caplog.records if r.name == "jiaodong.request"]
    assert line.__dict__["request_id"] == "req-0001-missing" and line.__dict__["status"] == 404
    assert line.__dict__["route"] == "/api/v1/delegations/{delegation_id}"
    assert line.__dict__["user"] == "shinan-officer" and line.__dict__["court"] == "鲁0202"
    assert line.__dict__["latency_ms"] >= 0


async def test_the_outbox_row_a_request_causes_carries_its_id_to_the_webhook(api: Api) -> None:
    async with api.client("shinan-officer") as officer:
        officer.headers["X-Request-ID"] = "req-0002-file"
        await file_matter(officer)  # the submit queues the notification
    async with api.sessions() as session:
        [row] = (await session.exec(select(OutboxRow))).all()
    assert row.payload["request_id"] == "req-0002-file"
    intent = Intent.from_json(row.payload)
    document = webhook_document(intent, uuid.uuid4())
    assert document["request_id"] == "req-0002-file"

    class Sent:
        id = 1
        topic = intent.topic
        payload = document
        secret = None

    _body, headers = webhook_request(Sent(), now=0)  # type: ignore[arg-type]
    assert headers["X-Request-ID"] == "req-0002-file"


def test_logs_are_json_lines_with_the_request_id() -> None:
    from delegation.core import trace

    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    try:
        configure()
        stream = io.StringIO()
        root.handlers[0].setStream(stream)  # type: ignore[attr-defined]
        token = trace.request_id.set("req-0003-log")
        try:
            logging.getLogger("jiaodong.api").warning("database unavailable", extra={"route": "/api/v1/x"})
        finally:
            trace.request_id.reset(token)
        line = json.loads(stream.getvalue().strip().splitlines()[-1])
    finally:
        root.handlers = saved[0]
        root.setLevel(saved[1])
    assert line["event"] == "database unavailable" and line["level"] == "warning"
    assert line["request_id"] == "req-0003-log" and line["route"] == "/api/v1/x" and line["logger"] == "jiaodong.api"
    assert line["timestamp"].endswith("Z")
