"""The outbox on SQLite and PostgreSQL, delivering to a local SMTP server (aiosmtpd) and a local webhook
receiver on 127.0.0.1: once per row, signed, retried with backoff, failures kept visible."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from email import message_from_bytes
from email.header import decode_header, make_header
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from delegation.core.reference import Reference
from delegation.core.states import Action
from delegation.outbox import service as outbox_service
from delegation.outbox.model import Channel, CircuitPolicy, Message, RetryPolicy, verify
from delegation.refdata.service import load_reference
from delegation.sla import service as sla_service
from delegation.store.tables import InboxRow, OutboxRow
from flows.senders import Senders, SmtpConfig
from tests.sla_support import ADMIN, CLERK, add_users, at, filed
from tests.support import act

SECRET = "court-system-shared-secret"
NO_EVENTS = [c for c in Channel if c not in (Channel.FANOUT, Channel.PREFECT_EVENT)]
FAST = RetryPolicy(max_attempts=4, base_seconds=30, max_seconds=600)


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: object, session: object, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.original_content or envelope.content))
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[Mailbox, int]]:
    box = Mailbox()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield box, port
    finally:
        controller.stop()


class Receiver:
    """A court system's webhook endpoint; answers 500 to the first `failures` calls."""

    def __init__(self, failures: int = 0) -> None:
        self.failures = failures
        self.calls: list[tuple[dict[str, str], bytes]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                outer.calls.append((dict(self.headers), body))
                failing = len(outer.calls) <= outer.failures
                self.send_response(500 if failing else 204)
                self.end_headers()
                if failing:
                    self.wfile.write(b"temporarily unavailable")

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/jiaodong"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


@pytest.fixture
def flaky() -> Iterator[Receiver]:
    r = Receiver(failures=2)
    yield r
    r.close()


@pytest.fixture
async def ref(session: AsyncSession) -> Reference:
    await add_users(session)
    return await load_reference(session)


async def _subscribe(session: AsyncSession, ref: Reference, channel: str, target: str, topics: list[str]) -> None:
    await outbox_service.add_subscription(
        session,
        ref,
        ADMIN,
        at("2026-03-01"),
        court_code="鲁0602",
        channel=channel,
        target=target,
        topics=topics,
        secret=SECRET if channel == "webhook" else None,
    )


async def _rows(session: AsyncSession, channel: str) -> list[OutboxRow]:
    session.expunge_all()
    return list(await session.exec(select(OutboxRow).where(OutboxRow.channel == channel).order_by(OutboxRow.id)))


async def test_a_notice_reaches_the_courts_mailbox_and_webhook_once_and_signed(
    session: AsyncSession, ref: Reference, smtp: tuple[Mailbox, int], receiver: Receiver
) -> None:
    box, port = smtp
    await _subscribe(session, ref, "email", "zhifu-court@example.invalid", ["notice"])
    await _subscribe(session, ref, "webhook", receiver.url, ["notice"])
    await filed(session, ref, at("2026-03-02"))
    await sla_service.sweep(session, ref, at("2026-03-05", "09:00"))  # reminder and 催办
    senders = Senders(SmtpConfig(host="127.0.0.1", port=port, sender="noreply@jiaodong.invalid"))
    try:
        report = await outbox_service.deliver(
            session, ref, at("2026-03-05", "09:01"), senders, FAST, channels=NO_EVENTS
        )
        again = await outbox_service.deliver(session, ref, at("2026-03-05", "09:02"), senders, FAST, channels=NO_EVENTS)
    finally:
        await senders.close()
    assert report.sent == 4 and report.failed == 0 and again.claimed == 0
    subjects = sorted(str(make_header(decode_header(m["Subject"]))) for m in box.messages)
    assert len(subjects) == 2 and subjects[0].startswith("催办通知 烟台催〔2026〕1号")
    assert all(m["To"] == "zhifu-court@example.invalid" for m in box.messages)
    texts = [m.get_payload(decode=True).decode("utf-8") for m in box.messages]
    assert any("烟台催〔2026〕1号" in t and "烟台市芝罘区人民法院：" in t for t in texts)  # the notice's own text
    assert len(receiver.calls) == 2
    for headers, body in receiver.calls:
        assert verify(SECRET, headers["X-Jiaodong-Signature"], body, now=int(time.time()))
        assert not verify("another-secret-entirely", headers["X-Jiaodong-Signature"], body, now=int(time.time()))
        document = json.loads(body)
        assert document["topic"] == "notice" and document["delegation"].startswith("JD2026-")
        assert "id_number" not in body.decode() and "张三" not in body.decode()  # no personal data in payloads
    assert {r.status for r in await _rows(session, "email")} == {"sent"}


async def test_a_webhook_that_fails_twice_is_retried_with_backoff_then_delivered(
    session: AsyncSession, ref: Reference, flaky: Receiver
) -> None:
    await _subscribe(session, ref, "webhook", flaky.url, ["transition"])
    await filed(session, ref, at("2026-03-02"))
    senders = Senders(SmtpConfig(host=None))
    t0 = at("2026-03-02", "10:01")
    try:
        first = await outbox_service.deliver(session, ref, t0, senders, FAST, channels=NO_EVENTS)
        [row] = await _rows(session, "webhook")
        assert first.retrying == 1 and row.status == "pending" and row.attempts == 1
        assert row.next_attempt_at == t0 + timedelta(seconds=30) and "HTTP 500" in (row.last_error or "")
        early = await outbox_service.deliver(
            session, ref, t0 + timedelta(seconds=20), senders, FAST, channels=NO_EVENTS
        )
        assert early.claimed == 0  # not due yet
        second = await outbox_service.deliver(
            session, ref, t0 + timedelta(seconds=31), senders, FAST, channels=NO_EVENTS
        )
        [row] = await _rows(session, "webhook")
        assert second.retrying == 1 and row.next_attempt_at == t0 + timedelta(seconds=31 + 60)
        third = await outbox_service.deliver(
            session, ref, t0 + timedelta(seconds=95), senders, FAST, channels=NO_EVENTS
        )
    finally:
        await senders.close()
    [row] = await _rows(session, "webhook")
    assert third.sent == 1 and row.status == "sent" and row.attempts == 3 and row.last_error is None
    assert len(flaky.calls) == 3
    delivery_ids = {headers["X-Jiaodong-Delivery"] for headers, _ in flaky.calls}
    assert delivery_ids == {str(row.id)}  # the same delivery id on every try, for the receiver to dedupe


async def test_a_message_that_never_gets_through_is_kept_as_failed_with_its_error(
    session: AsyncSession, ref: Reference
) -> None:
    await _subscribe(session, ref, "email", "zhifu-court@example.invalid", ["transition"])
    await filed(session, ref, at("2026-03-02"))
    closed_port = Senders(SmtpConfig(host="127.0.0.1", port=1, timeout=2))
    moment = at("2026-03-02", "10:01")
    try:
        for _ in range(6):
            await outbox_service.deliver(session, ref, moment, closed_port, FAST, channels=NO_EVENTS)
            moment += timedelta(hours=1)
    finally:
        await closed_port.close()
    [row] = await _rows(session, "email")
    assert row.status == "failed" and row.attempts == FAST.max_attempts
    assert "SMTP" in (row.last_error or "")
    assert [r.id for r in await outbox_service.rows_with_status(session, outbox_service.OutboxStatus.FAILED)] == [
        row.id
    ]
    assert await outbox_service.requeue(session, row.id or 0, moment)
    [row] = await _rows(session, "email")
    assert row.status == "pending" and row.attempts == 0


async def test_a_deliverer_that_dies_mid_send_has_its_rows_sent_again_with_the_same_idempotency_key(
    session: AsyncSession, ref: Reference, receiver: Receiver
) -> None:
    await _subscribe(session, ref, "webhook", receiver.url, ["transition"])
    await filed(session, ref, at("2026-03-02"))
    t0 = at("2026-03-02", "10:01")
    await outbox_service.expand_fanouts(session, ref, t0, FAST)
    claimed = await outbox_service.claim(session, t0, 100)  # ... and the process is killed before recording
    assert {m.channel for m in claimed} == {Channel.WEBHOOK, Channel.PREFECT_EVENT}
    sent: list[Message] = []

    async def record(message: Message) -> None:
        sent.append(message)

    soon = await outbox_service.deliver(session, ref, t0 + timedelta(seconds=30), record, FAST)
    assert soon.claimed == 0  # still within the dead deliverer's lease
    assert [r.id for r in await outbox_service.stuck_rows(session, t0 + timedelta(minutes=2), FAST)] == sorted(
        m.id for m in claimed
    )
    senders = Senders(SmtpConfig(host=None))
    try:
        later = await outbox_service.deliver(session, ref, t0 + timedelta(minutes=2), senders, FAST, channels=NO_EVENTS)
    finally:
        await senders.close()
    assert later.interrupted == 2
    [webhook] = await _rows(session, "webhook")
    assert webhook.status == "sent" and webhook.attempts == 2
    [(headers, _body)] = receiver.calls
    assert headers["Idempotency-Key"] == f"jiaodong-outbox-{webhook.id}"


class Killed(BaseException):
    """The process dies: no handler of Exception sees it."""


async def test_a_deliverer_killed_mid_batch_leaves_every_row_it_had_not_tried_pending(
    session: AsyncSession, ref: Reference
) -> None:
    await _subscribe(session, ref, "webhook", "http://127.0.0.1:9/unused", ["transition"])
    for n in range(1, 11):
        await filed(session, ref, at("2026-03-02"), n=n)
    t0 = at("2026-03-02", "10:01")
    tried: list[int] = []

    async def dies_on_the_sixth(message: Message) -> None:
        tried.append(message.id)
        if len(tried) == 6:
            raise Killed  # not an Exception: nothing in the deliverer records it
        await asyncio.sleep(0.01)

    with pytest.raises(Killed):
        await outbox_service.deliver(session, ref, t0, dies_on_the_sixth, FAST, concurrency=4, channels=NO_EVENTS)
    await session.rollback()
    rows = await _rows(session, "webhook")
    by_status = {status: [r for r in rows if r.status == status] for status in ("pending", "sending", "sent")}
    assert len(by_status["sending"]) <= 4  # only the round in flight is held
    assert len(by_status["pending"]) + len(by_status["sending"]) + len(by_status["sent"]) == 10
    assert all(r.attempts == 0 for r in by_status["pending"])  # never tried: back in the queue as they were


async def test_prefect_events_are_marked_skipped_without_a_prefect_server(
    session: AsyncSession, ref: Reference
) -> None:
    await filed(session, ref, at("2026-03-02"))
    t0 = at("2026-03-02", "10:01")

    async def nothing(message: Message) -> None:
        raise AssertionError("nothing is sent")

    report = await outbox_service.deliver(session, ref, t0, nothing, FAST, skip=[Channel.PREFECT_EVENT])
    events = await _rows(session, "prefect_event")
    assert events and report.skipped == len(events)
    assert {r.status for r in events} == {"skipped"}
    assert await outbox_service.counts_by_status(session) == {"sent": 1, "skipped": len(events)}


async def test_every_failed_row_is_requeued_at_once(session: AsyncSession, ref: Reference) -> None:
    await _subscribe(session, ref, "webhook", "http://127.0.0.1:9/unused", ["transition"])
    for n in range(1, 4):
        await filed(session, ref, at("2026-03-02"), n=n)
    once = RetryPolicy(max_attempts=1)

    async def refused(message: Message) -> None:
        raise OSError("connection refused")

    await outbox_service.deliver(session, ref, at("2026-03-02", "10:01"), refused, once, channels=NO_EVENTS)
    assert {r.status for r in await _rows(session, "webhook")} == {"failed"}
    assert await outbox_service.requeue_failed(session, at("2026-03-02", "11:00"), Channel.WEBHOOK) == 3
    assert {(r.status, r.attempts) for r in await _rows(session, "webhook")} == {("pending", 0)}


async def test_concurrent_deliverers_send_each_row_exactly_once(
    sessions: async_sessionmaker[AsyncSession], ref: Reference
) -> None:
    async with sessions() as session:
        await _subscribe(session, ref, "webhook", "http://127.0.0.1:9/unused", ["transition"])
        for n in range(1, 13):
            await filed(session, ref, at("2026-03-02"), n=n)
    sent: list[int] = []

    async def slow_send(message: Message) -> None:
        await asyncio.sleep(0.01)
        sent.append(message.id)

    async def one() -> None:
        async with sessions() as session:
            await outbox_service.deliver(session, ref, at("2026-03-02", "10:01"), slow_send, FAST, limit=5)

    for _ in range(4):
        await asyncio.gather(one(), one(), one())
    async with sessions() as session:
        rows = [r for r in await session.exec(select(OutboxRow)) if r.channel != "fanout"]
    assert len(rows) == 24 and {r.status for r in rows} == {"sent"}
    assert sorted(sent) == sorted(r.id for r in rows)  # each once


async def test_a_transition_lands_in_the_other_sides_inbox(session: AsyncSession, ref: Reference) -> None:
    row = await filed(session, ref, at("2026-03-02"))
    await act(session, ref, CLERK, at("2026-03-03"), row.id or 0, Action.SIGN_FOR, row.version)
    fanouts = await _rows(session, "fanout")
    assert [f.payload["event"] for f in fanouts] == ["jiaodong.delegation.submit", "jiaodong.delegation.sign_for"]

    async def nothing(message: Message) -> None:
        return None

    await outbox_service.deliver(session, ref, at("2026-03-03", "10:01"), nothing, FAST)
    inbox = [(i.username, i.title) for i in await session.exec(select(InboxRow).order_by(InboxRow.id))]
    assert inbox[0][0] == "zhifu-clerk" and "提交委托" in inbox[0][1]  # the requester submitted: the clerk hears
    assert inbox[1][0] == "shinan-officer" and "签收" in inbox[1][1]  # the clerk signed: the requester hears
    assert len(inbox) == 2


async def test_one_receiver_gets_at_most_two_sends_at_once_while_others_are_served_in_parallel(
    session: AsyncSession, ref: Reference
) -> None:
    await _subscribe(session, ref, "webhook", "http://127.0.0.1:9/busy-court", ["transition"])
    await _subscribe(session, ref, "webhook", "http://127.0.0.2:9/other-court", ["transition"])
    for n in range(1, 9):
        await filed(session, ref, at("2026-03-02"), n=n)
    in_flight: dict[str, int] = {}
    most: dict[str, int] = {}
    overall = 0
    most_overall = 0

    async def slow(message: Message) -> None:
        nonlocal overall, most_overall
        host = message.target.split("/")[2]
        in_flight[host] = in_flight.get(host, 0) + 1
        overall += 1
        most[host] = max(most.get(host, 0), in_flight[host])
        most_overall = max(most_overall, overall)
        await asyncio.sleep(0.02)
        in_flight[host] -= 1
        overall -= 1

    report = await outbox_service.deliver(
        session, ref, at("2026-03-02", "10:01"), slow, FAST, concurrency=16, channels=NO_EVENTS
    )
    assert report.sent == 16 and report.failed == 0
    assert most == {"127.0.0.1:9": 2, "127.0.0.2:9": 2}  # never more than two at one receiver
    assert most_overall == 4  # both receivers served at the same time


async def test_a_receiver_that_keeps_failing_is_paused_then_probed_while_the_others_are_served(
    session: AsyncSession, ref: Reference
) -> None:
    broken, healthy = "http://127.0.0.1:9", "http://127.0.0.2:9"
    await _subscribe(session, ref, "webhook", f"{broken}/down-court", ["transition"])
    await _subscribe(session, ref, "webhook", f"{healthy}/court", ["transition"])
    for n in range(1, 7):
        await filed(session, ref, at("2026-03-02"), n=n)
    calls: list[str] = []
    down = True

    async def send(message: Message) -> None:
        receiver = outbox_service.receiver_of(message)
        calls.append(receiver)
        if receiver == broken and down:
            raise ConnectionError("connection refused")

    breaker = CircuitPolicy(failures_to_open=3, cool_down=timedelta(minutes=15))

    async def deliver(moment: str) -> outbox_service.DeliveryReport:
        return await outbox_service.deliver(
            session, ref, at("2026-03-02", moment), send, FAST, channels=NO_EVENTS, per_receiver=1, breaker=breaker
        )

    first = await deliver("10:01")
    assert calls.count(broken) == 3 and calls.count(healthy) == 6  # paused after the third failure in a row
    assert first.sent == 6 and first.paused == 3 and first.retrying == 3 and first.failed == 0
    rows = [r for r in await _rows(session, "webhook") if r.target.startswith(broken)]
    assert sorted(r.attempts for r in rows) == [0, 0, 0, 1, 1, 1]  # the paused ones used up no try
    assert all(r.status == "pending" for r in rows)
    circuit = (await outbox_service.load_circuits(session))[broken]
    assert circuit.failures == 3 and circuit.last_error == "ConnectionError: connection refused"
    assert circuit.open_until is not None and circuit.is_open(at("2026-03-02", "10:15"))

    calls.clear()
    await deliver("10:10")  # within the cool-down: nothing goes to it, however due its rows are
    assert broken not in calls

    calls.clear()
    probe = await deliver("10:20")  # cool-down over: one probe, it fails, paused again
    assert calls.count(broken) == 1 and probe.paused >= 1
    assert (await outbox_service.load_circuits(session))[broken].is_open(at("2026-03-02", "10:30"))

    calls.clear()
    down = False
    assert await outbox_service.resume_receiver(session, broken, at("2026-03-02", "10:21"))
    assert not await outbox_service.resume_receiver(session, "http://never.example", at("2026-03-02", "10:21"))
    await deliver("12:00")  # resumed by the operator, the receiver is back: everything arrives
    assert calls.count(broken) == 6
    assert {r.status for r in await _rows(session, "webhook")} == {"sent"}
    assert (await outbox_service.load_circuits(session))[broken].failures == 0
