"""The transition table: every allowed pair works, every other pair is refused with the allowed list."""

from __future__ import annotations

import itertools

import pytest

from delegation.core.errors import PermissionDenied, TransitionNotAllowed
from delegation.core.states import (
    PART_ZH,
    TERMINAL,
    TRANSITIONS,
    Action,
    Mechanism,
    Role,
    Status,
    allowed_actions,
    check_transition,
    find_transition,
    reachable_states,
    render_markdown,
)

ALLOWED = {(row.state, row.action, m, r) for row in TRANSITIONS for m in row.mechanisms for r in row.roles}
EVERY = list(itertools.product(Status, Action, Mechanism, Role))


@pytest.mark.parametrize(("state", "action", "mechanism", "role"), sorted(ALLOWED))
def test_every_allowed_pair_returns_its_row(state: Status, action: Action, mechanism: Mechanism, role: Role) -> None:
    row = check_transition(state, action, mechanism, {role})
    assert row.state == state and row.action == action and mechanism in row.mechanisms and role in row.roles


def test_an_action_the_state_does_not_allow_is_refused_naming_the_allowed_actions() -> None:
    """Nobody may take the action in this state (for this mechanism): 409 transition_not_allowed."""
    refused = 0
    for state, action, mechanism, role in EVERY:
        if find_transition(state, action, mechanism) is not None:
            continue
        with pytest.raises(TransitionNotAllowed) as caught:
            check_transition(state, action, mechanism, {role})
        expected = [a.value for a in allowed_actions(state, mechanism, {role})]
        assert caught.value.allowed == expected
        assert f"Allowed now: {', '.join(expected) or 'none'}" in caught.value.detail_en
        refused += 1
    assert refused == sum(1 for s, a, m, _r in EVERY if find_transition(s, a, m) is None)


def test_an_action_the_state_allows_to_another_part_is_refused_for_the_part_naming_who_may() -> None:
    """The state allows the action, but not to the caller's part: 403 permission_denied, never 409, with a
    Chinese title naming the parts that may take it."""
    refused = 0
    for state, action, mechanism, role in EVERY:
        row = find_transition(state, action, mechanism)
        if row is None or role in row.roles:
            continue
        with pytest.raises(PermissionDenied) as caught:
            check_transition(state, action, mechanism, {role})
        assert caught.value.code == "permission_denied"
        assert not isinstance(caught.value, TransitionNotAllowed)
        title = caught.value.title_zh
        assert title.startswith("您在该委托中的身份不能执行此操作，须由"), title
        assert all(PART_ZH[r] in title for r in row.roles) and PART_ZH[role] not in title.split("须由")[1]
        assert f"'{action}' in state '{state}'" in caught.value.detail_en
        refused += 1
    assert refused + len(ALLOWED) + sum(1 for s, a, m, _r in EVERY if find_transition(s, a, m) is None) == len(EVERY)


def test_extension_decisions_and_requests_refused_for_the_part_are_403() -> None:
    """The review's reproductions: the assisting clerk deciding an extension of its own deadline, the
    requesting officer asking for more time on the assisting court's clock."""
    with pytest.raises(PermissionDenied) as decided:
        check_transition(Status.IN_PROGRESS, Action.APPROVE_EXTENSION, Mechanism.MATTER_DELEGATION, {Role.ASSISTING})
    assert decided.value.title_zh == "您在该委托中的身份不能执行此操作，须由执行指挥中心或五市协调员办理"
    with pytest.raises(PermissionDenied) as asked:
        check_transition(Status.IN_PROGRESS, Action.REQUEST_EXTENSION, Mechanism.MATTER_DELEGATION, {Role.REQUESTER})
    assert asked.value.title_zh == "您在该委托中的身份不能执行此操作，须由受托法院办理"
    with pytest.raises(TransitionNotAllowed):  # nobody decides an extension of a declined matter
        check_transition(Status.DECLINED, Action.APPROVE_EXTENSION, Mechanism.MATTER_DELEGATION, {Role.ASSISTING})


def test_every_state_is_reachable_from_draft() -> None:
    assert reachable_states(Status.DRAFT) == set(Status)


@pytest.mark.parametrize("mechanism", list(Mechanism))
def test_both_mechanisms_can_reach_confirmation(mechanism: Mechanism) -> None:
    seen = {Status.DRAFT}
    frontier = [Status.DRAFT]
    while frontier:
        current = frontier.pop()
        for row in TRANSITIONS:
            if row.state == current and mechanism in row.mechanisms and row.next_state not in seen:
                seen.add(row.next_state)
                frontier.append(row.next_state)
    assert Status.CONFIRMED in seen and Status.WITHDRAWN in seen


@pytest.mark.parametrize("state", sorted(TERMINAL))
def test_terminal_states_are_final(state: Status) -> None:
    for action, mechanism in itertools.product(Action, Mechanism):
        assert find_transition(state, action, mechanism) is None
        assert allowed_actions(state, mechanism, set(Role)) == []


def test_non_terminal_states_have_a_way_out() -> None:
    for state in set(Status) - TERMINAL:
        assert any(row.state == state and row.next_state != state for row in TRANSITIONS), state


def test_only_onsite_matters_are_scheduled() -> None:
    assert find_transition(Status.IN_PROGRESS, Action.SCHEDULE, Mechanism.MATTER_DELEGATION) is None
    row = find_transition(Status.IN_PROGRESS, Action.SCHEDULE, Mechanism.ONSITE_ASSISTANCE)
    assert row is not None and row.next_state == Status.SCHEDULED


def test_return_pauses_sign_for_and_resubmit_resumes_it() -> None:
    returned = check_transition(
        Status.SUBMITTED, Action.RETURN_FOR_CORRECTION, Mechanism.MATTER_DELEGATION, {Role.ASSISTING}
    )
    assert returned.clock.pause and returned.clock.start
    resubmitted = check_transition(Status.RETURNED, Action.RESUBMIT, Mechanism.MATTER_DELEGATION, {Role.REQUESTER})
    assert resubmitted.clock.resume == returned.clock.pause


def test_rendered_table_lists_every_row() -> None:
    text = render_markdown()
    assert text.count("\n| ") - 2 == len(TRANSITIONS)  # minus the header and separator rows
