"""The outbox as pure data: backoff, signatures, intents and who receives them."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from courts.calendar import WorkingCalendar
from courts.registry import CourtRegistry
from delegation.catalogue.policy import PolicyBook, load_shipped_policies
from delegation.core.clocks import SHANGHAI
from delegation.core.reference import Reference
from delegation.outbox.intents import transition_intent
from delegation.outbox.model import (
    Audience,
    Channel,
    Circuit,
    CircuitPolicy,
    Directory,
    Intent,
    Person,
    RetryPolicy,
    Subscription,
    after_send,
    canonical_json,
    deliveries,
    recipients,
    resumed,
    sign,
    verify,
)


@pytest.fixture(scope="module")
def ref() -> Reference:
    return Reference(CourtRegistry.shipped(), WorkingCalendar.shipped(), PolicyBook(load_shipped_policies()))


def test_retries_back_off_exponentially_up_to_a_cap() -> None:
    policy = RetryPolicy(max_attempts=8, base_seconds=30, max_seconds=600)
    assert [policy.delay(n).total_seconds() for n in range(1, 7)] == [30, 60, 120, 240, 480, 600]
    assert not policy.gives_up(7) and policy.gives_up(8)


def test_a_webhook_signature_proves_the_sender_and_the_body_and_expires() -> None:
    body = canonical_json({"b": 1, "a": "督办"})
    header = sign("s3cret-s3cret-s3cret", 1_700_000_000, body)
    assert header.startswith("t=1700000000,v1=")
    assert verify("s3cret-s3cret-s3cret", header, body, now=1_700_000_100)
    assert not verify("s3cret-s3cret-s3cret", header, body + b" ", now=1_700_000_100)
    assert not verify("another-secret-entirely", header, body, now=1_700_000_100)
    assert not verify("s3cret-s3cret-s3cret", header, body, now=1_700_001_000)  # replayed too late
    assert not verify("s3cret-s3cret-s3cret", "garbage", body, now=1_700_000_000)


def test_an_intent_survives_its_json_round_trip() -> None:
    intent = Intent(
        topic="notice",
        event="jiaodong.notice.urge",
        subject="s",
        body="b",
        occurred_at="2026-03-05T09:00:00+08:00",
        audiences=(Audience("assisting_clerk", court="鲁0602"),),
        courts=("鲁0602",),
        delegation_id=1,
        delegation_number="JD2026-0000001",
        related=({"prefect.resource.id": "court.鲁0602"},),
    )
    assert Intent.from_json(intent.to_json()) == intent


def _directory(ref: Reference) -> Directory:
    people = [
        Person("zhifu-clerk", "鲁0602", frozenset({"assisting_clerk"})),
        Person("zhifu-officer", "鲁0602", frozenset({"requesting_officer"})),
        Person("shinan-officer", "鲁0202", frozenset({"requesting_officer"})),
        Person("yantai-center", "鲁06", frozenset({"command_center"})),
        Person("regional", "鲁02", frozenset({"regional_coordinator"})),
    ]
    subs = [
        Subscription(1, "鲁0602", "webhook", "https://zhifu.example/hook", ("transition",)),
        Subscription(2, "鲁0602", "email", "zhifu@example.invalid", ("notice",)),
        Subscription(3, "鲁0202", "email", "shinan@example.invalid", ()),
    ]
    return Directory(people, subs, ref.city_of)


def test_a_requesters_submission_notifies_the_assisting_court_and_both_courts_systems(ref: Reference) -> None:
    intent = transition_intent(
        ref,
        delegation_id=1,
        number="JD2026-0000001",
        case_number="（2026）鲁0202执100号",
        requesting_court="鲁0202",
        assisting_court="鲁0602",
        action="submit",
        from_status="draft",
        to_status="submitted",
        actor="shinan-officer",
        actor_court="鲁0202",
        at=datetime(2026, 3, 2, 10, tzinfo=SHANGHAI),
        comment="被执行人张三，身份证号11010519491231002X",
        data={"results": [{"asset": "鲁B12345"}], "reason_code": None},
    )
    directory = _directory(ref)
    assert recipients(intent, directory) == ["zhifu-clerk"]
    sent = deliveries(intent, directory, uuid.uuid4())
    assert [(d.channel, d.target) for d in sent] == [
        (Channel.PREFECT_EVENT, "delegation.JD2026-0000001"),
        (Channel.EMAIL, "shinan@example.invalid"),  # every topic
        (Channel.WEBHOOK, "https://zhifu.example/hook"),
    ]
    event = sent[0].payload
    assert event["event"] == "jiaodong.delegation.submit"
    assert event["resource"]["prefect.resource.id"] == "delegation.JD2026-0000001"
    published = canonical_json(event).decode() + canonical_json(sent[2].payload).decode()
    assert "张三" not in published and "1101051949" not in published and "鲁B12345" not in published


def test_an_extension_request_also_reaches_the_approving_command_center(ref: Reference) -> None:
    intent = transition_intent(
        ref,
        delegation_id=1,
        number="JD2026-0000001",
        case_number="x",
        requesting_court="鲁0202",
        assisting_court="鲁0602",
        action="request_extension",
        from_status="in_progress",
        to_status="in_progress",
        actor="zhifu-clerk",
        actor_court="鲁0602",
        at=datetime(2026, 3, 4, 10, tzinfo=SHANGHAI),
        comment="",
        data={"days": 5},
    )
    assert recipients(intent, _directory(ref)) == ["shinan-officer", "yantai-center"]
    assert intent.data["days"] == 5


def test_rows_are_due_again_after_their_backoff() -> None:
    start = datetime(2026, 3, 2, 10, tzinfo=SHANGHAI)
    policy = RetryPolicy(base_seconds=30)
    assert start + policy.delay(1) == start + timedelta(seconds=30)


# ---------------------------------------------------------------- circuit breaker

T0 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
BREAKER = CircuitPolicy(failures_to_open=3, cool_down=timedelta(minutes=15))


def _failed(times: int, circuit: Circuit | None = None) -> Circuit:
    circuit = circuit or Circuit("https://court.example")
    for n in range(times):
        circuit = after_send(circuit, f"HTTP 500 #{n + 1}", T0, BREAKER)
    return circuit


def test_a_receiver_is_paused_after_the_set_number_of_failures_in_a_row() -> None:
    assert not _failed(2).is_open(T0)
    paused = _failed(3)
    assert paused.is_open(T0) and paused.open_until == T0 + timedelta(minutes=15)
    assert paused.last_error == "HTTP 500 #3" and paused.failures == 3


def test_a_success_forgets_the_failures_before_it() -> None:
    circuit = after_send(_failed(2), None, T0, BREAKER)
    assert circuit == Circuit("https://court.example")
    assert not _failed(2, circuit).is_open(T0)  # counting starts again


def test_after_the_cool_down_one_failed_probe_pauses_it_again_and_one_success_closes_it() -> None:
    later = T0 + timedelta(minutes=15)
    paused = _failed(3)
    assert not paused.is_open(later) and paused.is_probing(later, BREAKER)
    again = after_send(paused, "timeout", later, BREAKER)
    assert again.is_open(later) and again.open_until == later + timedelta(minutes=15)
    closed = after_send(paused, None, later, BREAKER)
    assert not closed.is_probing(later, BREAKER) and closed.failures == 0


def test_an_operators_resume_closes_the_circuit_at_once() -> None:
    assert not resumed(_failed(3)).is_open(T0) and resumed(_failed(3)).failures == 0
