"""Who decides an extension (rules.extension_decider_refusal, pure): the command center of the city of the court
that asked for it, which supervises that court (its 催办 and 督办), or the regional coordinator; more time to
correct a returned matter also the assisting court that returned it, or the command center of either city."""

from __future__ import annotations

from courts.registry import CourtRegistry
from delegation.core.access import Actor, UserRole
from delegation.core.states import Stage
from delegation.handling.rules import extension_decider_refusal
from delegation.store.tables import DelegationRow

REGISTRY = CourtRegistry.shipped()
MATTER = DelegationRow(
    id=1,
    number="JD2026-0000001",
    case_number="（2026）鲁0202执1号",
    requesting_court="鲁0202",  # 青岛市市南区
    assisting_court="鲁0602",  # 烟台市芝罘区
    matter_type="vehicle_inquiry",
    mechanism="matter_delegation",
    status="in_progress",
    policy_version="2025-01-01",
    created_by="shinan-officer",
)


def city_of(code: str) -> str | None:
    court = REGISTRY.find(code)
    return court.city if court else None


def someone(court: str, *roles: UserRole) -> Actor:
    return Actor("someone", court, frozenset(roles))


YANTAI_CENTER = someone("鲁06", UserRole.COMMAND_CENTER)
QINGDAO_CENTER = someone("鲁02", UserRole.COMMAND_CENTER)
WEIFANG_CENTER = someone("鲁07", UserRole.COMMAND_CENTER)
REGIONAL = someone("鲁02", UserRole.REGIONAL_COORDINATOR)
CLERK = someone("鲁0602", UserRole.ASSISTING_CLERK)
OFFICER = someone("鲁0202", UserRole.REQUESTING_OFFICER)


def test_the_assisting_courts_extension_is_decided_by_its_own_citys_command_center() -> None:
    for decider in (YANTAI_CENTER, REGIONAL):
        assert extension_decider_refusal(decider, MATTER, "鲁0602", Stage.EXECUTION, city_of) is None
    for other in (QINGDAO_CENTER, WEIFANG_CENTER, CLERK, OFFICER):
        refusal = extension_decider_refusal(other, MATTER, "鲁0602", Stage.EXECUTION, city_of)
        assert refusal is not None and refusal.code == "permission_denied"
        # The court that asked, not the requesting court (委托法院, a defined term), is the one meant.
        assert refusal.title_zh == "只有申请延期的法院所在市的执行指挥中心可以审批该延期"
        assert "委托法院" not in refusal.title_zh and "requesting court" not in refusal.detail_en


def test_an_extension_asked_by_the_requesting_court_is_decided_by_its_own_citys_command_center() -> None:
    """The confirmation period is the requesting court's (when a policy lets it be extended)."""
    assert extension_decider_refusal(QINGDAO_CENTER, MATTER, "鲁0202", Stage.CONFIRMATION, city_of) is None
    assert extension_decider_refusal(YANTAI_CENTER, MATTER, "鲁0202", Stage.CONFIRMATION, city_of) is not None


def test_more_time_to_correct_is_granted_by_the_assisting_court_or_either_citys_command_center() -> None:
    for decider in (CLERK, YANTAI_CENTER, QINGDAO_CENTER, REGIONAL):
        assert extension_decider_refusal(decider, MATTER, "鲁0202", Stage.CORRECTION, city_of) is None
    for other in (OFFICER, WEIFANG_CENTER):
        refusal = extension_decider_refusal(other, MATTER, "鲁0202", Stage.CORRECTION, city_of)
        assert refusal is not None and refusal.title_zh == "只有受托法院或双方所在市的执行指挥中心可以决定补正延期"
