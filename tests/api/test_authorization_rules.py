"""access.authorize, the one decision behind every route: pure, so every combination is checked here."""

from __future__ import annotations

import itertools

import pytest

from courts.registry import CourtRegistry
from delegation.core.access import Actor, Operation, Parties, UserRole, Verdict, authorize, list_scope
from delegation.core.states import Action

REGISTRY = CourtRegistry.shipped()


def city_of(code: str) -> str | None:
    court = REGISTRY.find(code)
    return court.city if court else None


def courts_of_city(city: str) -> frozenset[str]:
    return frozenset(c.code for c in REGISTRY.by_city(city, include_retired=True))


def actor(court: str, *roles: UserRole) -> Actor:
    return Actor("someone", court, frozenset(roles))


MATTER = Parties("鲁0202", "鲁0602")  # Qingdao Shinan -> Yantai Zhifu
DRAFT = Parties("鲁0202", "鲁0602", draft=True)
ON_MATTER = [
    op
    for op in Operation
    if op
    not in {Operation.READ_REFERENCE, Operation.LIST_DELEGATIONS, Operation.CREATE_DRAFT, Operation.READ_ACCESS_LOG}
]


# The regional coordinator and the deadline engine see every city; every other role sees only its own.
LOCAL_ROLES = [r for r in UserRole if r not in (UserRole.REGIONAL_COORDINATOR, UserRole.SYSTEM)]


@pytest.mark.parametrize(("role", "operation"), list(itertools.product(LOCAL_ROLES, ON_MATTER)))
def test_a_court_of_a_third_city_is_told_nothing_exists_whatever_its_role(role: UserRole, operation: Operation) -> None:
    weifang = actor("鲁0705", role) if role is not UserRole.COMMAND_CENTER else actor("鲁07", role)
    action = Action.SIGN_FOR if operation is Operation.TRANSITION else None
    assert authorize(weifang, operation, MATTER, city_of, action=action) is Verdict.HIDE


def test_drafts_are_seen_by_the_requesting_court_only() -> None:
    assert authorize(actor("鲁0202", UserRole.REQUESTING_OFFICER), Operation.VIEW, DRAFT, city_of) is Verdict.ALLOW
    for other in (
        actor("鲁0602", UserRole.ASSISTING_CLERK),
        actor("鲁06", UserRole.COMMAND_CENTER),
        actor("鲁02", UserRole.COMMAND_CENTER),
        actor("鲁02", UserRole.REGIONAL_COORDINATOR),
    ):
        assert authorize(other, Operation.VIEW, DRAFT, city_of) is Verdict.HIDE


def test_parts_on_a_matter_decide_what_is_allowed_and_the_rest_is_forbidden_not_hidden() -> None:
    officer = actor("鲁0202", UserRole.REQUESTING_OFFICER)
    clerk = actor("鲁0602", UserRole.ASSISTING_CLERK)
    center = actor("鲁06", UserRole.COMMAND_CENTER)
    admin = actor("鲁0602", UserRole.ADMIN)  # a user of the court without a part on the matter
    assert authorize(clerk, Operation.TRANSITION, MATTER, city_of, action=Action.SIGN_FOR) is Verdict.ALLOW
    assert authorize(officer, Operation.TRANSITION, MATTER, city_of, action=Action.SIGN_FOR) is Verdict.DENY
    assert authorize(center, Operation.TRANSITION, MATTER, city_of, action=Action.REDIRECT) is Verdict.ALLOW
    assert authorize(center, Operation.SEND_MESSAGE, MATTER, city_of) is Verdict.DENY
    assert authorize(center, Operation.REVEAL, MATTER, city_of) is Verdict.ALLOW
    assert authorize(admin, Operation.VIEW, MATTER, city_of) is Verdict.ALLOW
    assert authorize(admin, Operation.REVEAL, MATTER, city_of) is Verdict.DENY
    assert authorize(admin, Operation.UPLOAD_DOCUMENT, MATTER, city_of) is Verdict.DENY
    assert authorize(officer, Operation.EDIT_DRAFT, MATTER, city_of) is Verdict.DENY
    assert authorize(officer, Operation.EDIT_DRAFT, DRAFT, city_of) is Verdict.ALLOW


def test_operations_without_a_matter_depend_on_roles_only() -> None:
    assert authorize(actor("鲁0602", UserRole.ASSISTING_CLERK), Operation.CREATE_DRAFT) is Verdict.DENY
    assert authorize(actor("鲁0602", UserRole.REQUESTING_OFFICER), Operation.CREATE_DRAFT) is Verdict.ALLOW
    assert authorize(actor("鲁0602", UserRole.COMMAND_CENTER), Operation.READ_ACCESS_LOG) is Verdict.DENY
    assert authorize(actor("鲁0602", UserRole.ADMIN), Operation.READ_ACCESS_LOG) is Verdict.ALLOW
    with pytest.raises(ValueError, match="needs the delegation's parties"):
        authorize(actor("鲁0602", UserRole.ADMIN), Operation.VIEW)


def test_list_scopes_match_the_visibility_rule() -> None:
    clerk = list_scope(actor("鲁0602", UserRole.ASSISTING_CLERK), courts_of_city, city_of)
    assert clerk.own == {"鲁0602"} and clerk.courts == {"鲁0602"} and not clerk.everything
    center = list_scope(actor("鲁06", UserRole.COMMAND_CENTER), courts_of_city, city_of)
    assert {"鲁06", "鲁0602", "鲁0611"} <= center.courts and "鲁0202" not in center.courts
    regional = list_scope(actor("鲁02", UserRole.REGIONAL_COORDINATOR), courts_of_city, city_of)
    assert regional.everything
