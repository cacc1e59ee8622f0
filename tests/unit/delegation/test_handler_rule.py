"""The assignment rule (pure): a handler is one of the assisting court's handlers, named by username or by a
display name only one of them has; 签收 naming a handler asks for the assignment right after it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from courts.calendar import WorkingCalendar
from courts.registry import CourtRegistry
from delegation.catalogue.policy import PolicyBook, load_shipped_policies
from delegation.core.access import Actor, UserRole
from delegation.core.clocks import SHANGHAI
from delegation.core.errors import ValidationFailed
from delegation.core.reference import Reference
from delegation.core.states import Action
from delegation.handling import commands as c
from delegation.handling.rules import Facts, assign_handler
from delegation.store.tables import DelegationRow, UserRow

NOW = datetime(2026, 3, 3, 10, tzinfo=SHANGHAI)
CLERK = Actor("zhifu-clerk", "鲁0602", frozenset({UserRole.ASSISTING_CLERK}))


@pytest.fixture(scope="module")
def ref() -> Reference:
    return Reference(CourtRegistry.shipped(), WorkingCalendar.shipped(), PolicyBook(load_shipped_policies()))


def _user(username: str, name: str) -> UserRow:
    return UserRow(username=username, display_name=name, court_code="鲁0602", roles=["handler"], password_hash="x")


def _facts(ref: Reference, handlers: list[UserRow], **row: Any) -> Facts:
    delegation = DelegationRow(
        id=1,
        number="JD2026-0000001",
        case_number="（2026）鲁0202执1号",
        requesting_court="鲁0202",
        assisting_court="鲁0602",
        matter_type="vehicle_inquiry",
        mechanism="matter_delegation",
        policy_version=ref.policies.in_force(NOW).version,
        created_by="shinan-officer",
        **{"status": "accepted", **row},
    )
    policy = ref.policies.get(delegation.policy_version)
    return Facts(ref=ref, actor=CLERK, now=NOW, row=delegation, policy=policy, handlers=handlers)


def _refused(facts: Facts, value: str) -> str:
    return _refusal(facts, value)[0]


def _refusal(facts: Facts, value: str) -> tuple[str, str]:
    """Why the assignment is refused, in Chinese and in English."""
    with pytest.raises(ValidationFailed) as refused:
        assign_handler(facts, c.AssignHandler(value))
    return refused.value.errors[0].message_zh, refused.value.errors[0].message_en


HANDLERS = [_user("zhifu-li", "李法官"), _user("zhifu-wang", "王法官"), _user("zhifu-wang2", "王法官")]


def test_a_handler_is_chosen_by_username_or_by_a_name_nobody_else_at_the_court_has(ref: Reference) -> None:
    facts = _facts(ref, HANDLERS)
    by_username = assign_handler(facts, c.AssignHandler("zhifu-wang"))
    assert by_username.columns == {"handler": "王法官", "handler_username": "zhifu-wang"}
    assert assign_handler(facts, c.AssignHandler(" 李法官 ")).columns["handler_username"] == "zhifu-li"
    assert "李法官（zhifu-li）" in _refused(facts, "王法官")  # two 王法官: the clerk must say which
    assert "承办人须为本院登记的承办人之一" in _refused(facts, "fushan-zhao")
    assert _refused(facts, "   ") == "请选择承办人"


def test_a_reassignment_records_the_previous_handler_and_refuses_the_same_one(ref: Reference) -> None:
    facts = _facts(ref, HANDLERS, handler="王法官", handler_username="zhifu-wang", status="in_progress")
    step = assign_handler(facts, c.AssignHandler("zhifu-li"))
    assert step.data == {"handler": "李法官", "handler_username": "zhifu-li", "previous_handler": "zhifu-wang"}
    assert _refusal(facts, "zhifu-wang") == ("本事项已由王法官承办", "王法官 already handles this matter.")
    li = _facts(ref, HANDLERS, handler="李法官", handler_username="zhifu-li", status="in_progress")
    # The person in both languages (the English named the login: "zhifu-li already handles this matter.").
    assert _refusal(li, "李法官") == ("本事项已由李法官承办", "李法官 already handles this matter.")


def test_a_handler_not_of_the_court_is_refused_with_the_handlers_named_in_both_languages(ref: Reference) -> None:
    zh, en = _refusal(_facts(ref, HANDLERS[:2]), "fushan-zhao")
    assert zh == "承办人须为本院登记的承办人之一：李法官（zhifu-li）、王法官（zhifu-wang）"
    assert en == "Choose one of the court's handlers: 李法官 (zhifu-li), 王法官 (zhifu-wang)"


def test_a_court_with_no_handlers_registered_names_its_handler_in_plain_text(ref: Reference) -> None:
    assert _refused(_facts(ref, []), "") == "请填写承办人"
    step = assign_handler(_facts(ref, []), c.AssignHandler("执行局一队"))
    assert step.columns == {"handler": "执行局一队", "handler_username": None}


def test_signing_for_with_a_handler_asks_for_the_assignment_in_the_same_transaction() -> None:
    command = c.decode(Action.SIGN_FOR, {"comment": "", "handler": " zhifu-wang "})
    assert command == c.SignFor("", "zhifu-wang")
    assert c.follow_ups(Action.SIGN_FOR, command) == [(Action.ASSIGN_HANDLER, c.AssignHandler("zhifu-wang"))]
    assert c.follow_ups(Action.SIGN_FOR, c.decode(Action.SIGN_FOR, {})) == []
    assert c.follow_ups(Action.CONFIRM, c.Plain()) == []


def test_the_network_takes_a_matter_as_its_own_handler_where_the_court_has_handlers(ref: Reference) -> None:
    from dataclasses import replace

    from delegation.network.service import NETWORK_HANDLER, network_actor

    network = replace(_facts(ref, HANDLERS), actor=network_actor("鲁0602"))
    step = assign_handler(network, c.AssignHandler(NETWORK_HANDLER, "交由登记机关网络办理"))
    assert step.columns["handler"] == "网络查控" and step.columns["handler_username"] is None
    # nobody else names the network, and the network names no one outside the court's handlers
    assert "承办人须为本院登记的承办人之一" in _refused(_facts(ref, HANDLERS), NETWORK_HANDLER)
    assert "承办人须为本院登记的承办人之一" in _refused(network, "张法官")
