"""Who reads what in the inbox (pure): a message goes to the other court's people, an assignment to the named
handler only (and to the handler it was taken from), never to a namesake at another court."""

from __future__ import annotations

import uuid
from datetime import datetime

import pytest

from courts.calendar import WorkingCalendar
from courts.registry import CourtRegistry
from delegation.catalogue.policy import PolicyBook, load_shipped_policies
from delegation.core.clocks import SHANGHAI
from delegation.core.reference import Reference
from delegation.outbox.intents import assignment_intents, message_intent
from delegation.outbox.model import Audience, Channel, Directory, Intent, Person, Subscription, deliveries, recipients

AT = datetime(2026, 3, 3, 10, tzinfo=SHANGHAI)


@pytest.fixture(scope="module")
def ref() -> Reference:
    return Reference(CourtRegistry.shipped(), WorkingCalendar.shipped(), PolicyBook(load_shipped_policies()))


def _directory(ref: Reference) -> Directory:
    people = [
        Person("zhifu-clerk", "鲁0602", frozenset({"assisting_clerk"})),
        Person("zhifu-wang", "鲁0602", frozenset({"assisting_clerk", "handler"})),
        Person("zhifu-li", "鲁0602", frozenset({"assisting_clerk", "handler"})),
        Person("shinan-officer", "鲁0202", frozenset({"requesting_officer"})),
        Person("fushan-wang", "鲁0611", frozenset({"assisting_clerk", "handler"})),
    ]
    subs = [Subscription(1, "鲁0202", "webhook", "https://shinan.example/hook", ())]
    return Directory(people, subs, ref.city_of)


def _message(ref: Reference, actor_court: str) -> Intent:
    return message_intent(
        ref,
        delegation_id=7,
        number="JD2026-0000007",
        case_number="（2026）鲁0202执100号",
        requesting_court="鲁0202",
        assisting_court="鲁0602",
        actor_court=actor_court,
        at=AT,
        text="被执行人张三的车辆已查封",
    )


def test_a_message_reaches_the_other_courts_people_and_its_text_stays_in_the_app(ref: Reference) -> None:
    directory = _directory(ref)
    from_clerk = _message(ref, "鲁0602")
    assert recipients(from_clerk, directory) == ["shinan-officer"]
    assert "张三" in from_clerk.body and from_clerk.topic == "message"
    sent = deliveries(from_clerk, directory, uuid.uuid4())
    assert [d.channel for d in sent] == [Channel.PREFECT_EVENT, Channel.WEBHOOK]
    assert all("张三" not in str(d.payload) for d in sent)  # systems learn that a message came, not its text
    from_officer = _message(ref, "鲁0202")
    assert recipients(from_officer, directory) == ["zhifu-clerk", "zhifu-wang", "zhifu-li"]


def test_an_assignment_tells_the_new_handler_and_the_one_it_was_taken_from(ref: Reference) -> None:
    directory = _directory(ref)
    common = dict(
        delegation_id=7,
        number="JD2026-0000007",
        case_number="（2026）鲁0202执100号",
        requesting_court="鲁0202",
        assisting_court="鲁0602",
        handler="zhifu-li",
        handler_name="李法官",
        at=AT,
        comment="",
    )
    first = assignment_intents(ref, previous_handler=None, **common)  # type: ignore[arg-type]
    assert [recipients(i, directory) for i in first] == [["zhifu-li"]]
    assert first[0].topic == "assignment" and "指定由您承办" in first[0].body
    moved = assignment_intents(ref, previous_handler="zhifu-wang", **common)  # type: ignore[arg-type]
    assert [recipients(i, directory) for i in moved] == [["zhifu-li"], ["zhifu-wang"]]
    assert "改由李法官承办" in moved[1].body
    # Assigning the same handler again tells them once, and no court subscription gets these.
    again = assignment_intents(ref, previous_handler="zhifu-li", **common)  # type: ignore[arg-type]
    assert len(again) == 1 and all(not deliveries(i, directory, uuid.uuid4()) for i in again)


def test_a_named_audience_is_that_user_at_that_court_holding_the_role(ref: Reference) -> None:
    directory = _directory(ref)
    assert directory.users(Audience("handler", court="鲁0602", username="zhifu-wang")) == ["zhifu-wang"]
    assert directory.users(Audience("handler", court="鲁0611", username="zhifu-wang")) == []  # another court
    assert directory.users(Audience("handler", court="鲁0602", username="zhifu-clerk")) == []  # not a handler
    assert directory.users(Audience("handler", court="鲁0602", username="nobody")) == []
    named = Intent("assignment", "e", "s", "b", AT.isoformat(), audiences=(Audience("handler", "鲁0602", None, "x"),))
    assert Intent.from_json(named.to_json()) == named
