"""Who may see a delegation and which parts they play on it: pure functions of (user, delegation).

A user belongs to one court and holds user roles; on a given delegation that turns into acting roles
(requester, assisting, command center, regional). Nobody sees a matter that does not involve their court
unless a command role covers it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from delegation.states import Role


class UserRole(StrEnum):
    REQUESTING_OFFICER = "requesting_officer"  # 承办人 of a requesting court
    ASSISTING_CLERK = "assisting_clerk"  # clerk or officer of an assisting court
    COMMAND_CENTER = "command_center"  # 执行指挥中心 of a city (user's court: the intermediate court)
    REGIONAL_COORDINATOR = "regional_coordinator"
    ADMIN = "admin"
    SYSTEM = "system"  # the deadline engine


@dataclass(frozen=True)
class Actor:
    username: str
    court_code: str | None
    roles: frozenset[UserRole]
    display_name: str = ""

    @classmethod
    def system(cls) -> Actor:
        return cls("system", None, frozenset({UserRole.SYSTEM}), "系统")


@dataclass(frozen=True)
class Parties:
    """The two courts of a delegation, with a way to know a court's city."""

    requesting_court: str
    assisting_court: str


CityOf = Callable[[str], str | None]


def acting_roles(actor: Actor, parties: Parties, city_of: CityOf) -> frozenset[Role]:
    roles: set[Role] = set()
    if UserRole.SYSTEM in actor.roles:
        roles.add(Role.SYSTEM)
    if UserRole.REGIONAL_COORDINATOR in actor.roles:
        roles.add(Role.REGIONAL)
    if actor.court_code is None:
        return frozenset(roles)
    if UserRole.REQUESTING_OFFICER in actor.roles and actor.court_code == parties.requesting_court:
        roles.add(Role.REQUESTER)
    if UserRole.ASSISTING_CLERK in actor.roles and actor.court_code == parties.assisting_court:
        roles.add(Role.ASSISTING)
    if UserRole.COMMAND_CENTER in actor.roles:
        own_city = city_of(actor.court_code)
        if own_city is not None and own_city in {city_of(parties.requesting_court), city_of(parties.assisting_court)}:
            roles.add(Role.COMMAND_CENTER)
    return frozenset(roles)


def can_view(actor: Actor, parties: Parties, city_of: CityOf) -> bool:
    if actor.roles & {UserRole.REGIONAL_COORDINATOR, UserRole.SYSTEM}:
        return True
    if actor.court_code in (parties.requesting_court, parties.assisting_court):
        return True
    return bool(acting_roles(actor, parties, city_of))


def command_center_covers(actor: Actor, court_code: str, city_of: CityOf) -> bool:
    """A command center acts for the courts of its own city; the regional coordinator for all."""
    if UserRole.REGIONAL_COORDINATOR in actor.roles:
        return True
    if UserRole.COMMAND_CENTER not in actor.roles or actor.court_code is None:
        return False
    own_city = city_of(actor.court_code)
    return own_city is not None and own_city == city_of(court_code)
