"""Who may see a delegation and which parts they play on it: pure functions of (user, delegation).

A user belongs to one court and holds user roles; on a given delegation that turns into acting roles
(requester, assisting, command center, regional). Nobody sees a matter that does not involve their court
unless a command role covers it; a draft is seen by its requesting court only.

`authorize` is the one decision every HTTP route goes through: (actor, operation, delegation) -> allow,
deny (403) or hide (404, so that a foreign matter's existence does not leak).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from delegation.core.errors import NotFound, PermissionDenied
from delegation.core.states import ACTION_PARTS, Action, Role


class UserRole(StrEnum):
    REQUESTING_OFFICER = "requesting_officer"  # 承办人 of a requesting court
    ASSISTING_CLERK = "assisting_clerk"  # clerk or officer of an assisting court
    # 承办人 of an assisting court: a matter signed for there may be assigned to them (a flag: what they may
    # do on a matter still comes from their other roles, usually assisting_clerk).
    HANDLER = "handler"
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
    """The two courts of a delegation, and whether it is still a draft (private to the requesting court)."""

    requesting_court: str
    assisting_court: str
    draft: bool = False


CityOf = Callable[[str], str | None]

# 网络查控: the system acting for an assisting court through its registry connectors (never a person: no user
# may take this name). It signs for a matter and takes it as its own handler, 网络查控.
NETWORK_USERNAME = "network-control"


def is_network(actor: Actor) -> bool:
    return actor.username == NETWORK_USERNAME


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
    if UserRole.SYSTEM in actor.roles:
        return True
    if parties.draft:
        return actor.court_code == parties.requesting_court
    if UserRole.REGIONAL_COORDINATOR in actor.roles:
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


class Operation(StrEnum):
    """What a caller asks to do; with a delegation or without one."""

    READ_REFERENCE = "read_reference"  # courts, matter catalogue, calendar, policy versions
    LIST_DELEGATIONS = "list_delegations"  # the list itself is scoped by `list_scope`
    CREATE_DRAFT = "create_draft"
    READ_ACCESS_LOG = "read_access_log"
    VIEW = "view"  # a delegation, its timeline, clocks and document list
    EDIT_DRAFT = "edit_draft"
    UPLOAD_DOCUMENT = "upload_document"
    DOWNLOAD_DOCUMENT = "download_document"
    SEND_MESSAGE = "send_message"
    REVEAL = "reveal"  # one personal-data value in full
    TRANSITION = "transition"  # an action of the state machine; the state itself is checked by states.py


class Verdict(StrEnum):
    ALLOW = "allow"
    DENY = "deny"  # the caller may know the thing exists but may not do this: 403
    HIDE = "hide"  # the caller may not know the thing exists: 404


ON_DELEGATION: frozenset[Operation] = frozenset(
    {
        Operation.VIEW,
        Operation.EDIT_DRAFT,
        Operation.UPLOAD_DOCUMENT,
        Operation.DOWNLOAD_DOCUMENT,
        Operation.SEND_MESSAGE,
        Operation.REVEAL,
        Operation.TRANSITION,
    }
)
THE_TWO_COURTS: frozenset[Role] = frozenset({Role.REQUESTER, Role.ASSISTING})
COVERING: frozenset[Role] = frozenset({Role.REQUESTER, Role.ASSISTING, Role.COMMAND_CENTER, Role.REGIONAL})


def authorize(
    actor: Actor,
    operation: Operation,
    parties: Parties | None = None,
    city_of: CityOf | None = None,
    *,
    action: Action | None = None,
) -> Verdict:
    """The one authorization decision: pure, from the actor, the operation and the delegation's courts.

    Operations on a delegation first ask whether the actor may know it exists (else HIDE), then whether
    one of the parts the actor plays on it allows the operation (else DENY). For a TRANSITION the state
    is not looked at here: an action the actor's parts could never take is DENY, one that the current
    state does not allow is for states.check_transition to refuse.
    """
    if operation not in ON_DELEGATION:
        if operation in (Operation.READ_REFERENCE, Operation.LIST_DELEGATIONS):
            return Verdict.ALLOW
        if operation is Operation.CREATE_DRAFT:
            ok = UserRole.REQUESTING_OFFICER in actor.roles and actor.court_code is not None
            return Verdict.ALLOW if ok else Verdict.DENY
        if operation is Operation.READ_ACCESS_LOG:
            return Verdict.ALLOW if UserRole.ADMIN in actor.roles else Verdict.DENY
        return Verdict.DENY
    if parties is None or city_of is None:
        raise ValueError(f"{operation} needs the delegation's parties and a city lookup")
    if not can_view(actor, parties, city_of):
        return Verdict.HIDE
    roles = acting_roles(actor, parties, city_of)
    if operation in (Operation.VIEW, Operation.DOWNLOAD_DOCUMENT):
        allowed = True
    elif operation is Operation.EDIT_DRAFT:
        allowed = parties.draft and Role.REQUESTER in roles
    elif operation in (Operation.UPLOAD_DOCUMENT, Operation.SEND_MESSAGE):
        allowed = bool(roles & THE_TWO_COURTS)
    elif operation is Operation.REVEAL:
        allowed = bool(roles & COVERING)
    else:  # TRANSITION
        if action is None:
            raise ValueError("a TRANSITION needs the action")
        allowed = bool(roles & ACTION_PARTS.get(action, frozenset()))
    return Verdict.ALLOW if allowed else Verdict.DENY


def enforce(verdict: Verdict, what: str, operation: Operation) -> None:
    """Turn a verdict into the domain error the edge maps to 404 or 403."""
    if verdict is Verdict.HIDE:
        raise NotFound(f"{what} not found.")
    if verdict is Verdict.DENY:
        raise PermissionDenied(f"Your roles do not allow '{operation}' on {what}.")


@dataclass(frozen=True)
class ListScope:
    """Which delegations a list may show the actor, as plain sets the repository turns into a query.

    A row is visible when its requesting court is in `own` (drafts included), or, drafts excluded, when
    `everything` is set or one of its two courts is in `courts`.
    """

    own: frozenset[str]
    courts: frozenset[str]
    everything: bool = False


def list_scope(actor: Actor, courts_of_city: Callable[[str], frozenset[str]], city_of: CityOf) -> ListScope:
    """The same rule as `can_view`, for queries: own court, plus the city (command center) or all (regional)."""
    own = frozenset({actor.court_code}) if actor.court_code else frozenset()
    if actor.roles & {UserRole.REGIONAL_COORDINATOR, UserRole.SYSTEM}:
        return ListScope(own, own, everything=True)
    courts = set(own)
    if UserRole.COMMAND_CENTER in actor.roles and actor.court_code is not None:
        city = city_of(actor.court_code)
        if city is not None:
            courts |= courts_of_city(city)
    return ListScope(own, frozenset(courts))
