"""The delegation state machine as data: one row per (state, action, mechanism).

Each row says who may act, where the delegation goes, and what happens to the stage clocks.
Pure functions below check a request against the table; nothing here touches storage or time.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from delegation.core.errors import PermissionDenied, TransitionNotAllowed


class Status(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"  # waiting for the assisting court to sign for it
    RETURNED = "returned"  # returned for correction, waiting on the requester
    DECLINED = "declined"  # not the assisting court's jurisdiction, waiting for a redirect or withdrawal
    ACCEPTED = "accepted"  # signed for, no handler yet
    IN_PROGRESS = "in_progress"  # a handler works on it
    SCHEDULED = "scheduled"  # on-site assistance with an agreed date
    COMPLETED = "completed"  # result reported with its 回执, waiting for the requester to confirm
    CONFIRMED = "confirmed"
    WITHDRAWN = "withdrawn"


TERMINAL: frozenset[Status] = frozenset({Status.CONFIRMED, Status.WITHDRAWN})


class Action(StrEnum):
    SUBMIT = "submit"
    SIGN_FOR = "sign_for"
    RETURN_FOR_CORRECTION = "return_for_correction"
    RESUBMIT = "resubmit"
    DECLINE = "decline"
    REDIRECT = "redirect"
    ASSIGN_HANDLER = "assign_handler"
    SCHEDULE = "schedule"
    RECORD_RESULT = "record_result"
    COMPLETE = "complete"
    REQUEST_EXTENSION = "request_extension"
    APPROVE_EXTENSION = "approve_extension"
    REFUSE_EXTENSION = "refuse_extension"
    CONFIRM = "confirm"
    REQUEST_REWORK = "request_rework"
    WITHDRAW = "withdraw"
    EXPIRE_CORRECTION = "expire_correction"  # 规定 第八条: not corrected in time counts as withdrawn
    REPORT_PROGRESS = "report_progress"  # 执行情况函复 (民诉法 第二百四十条)
    REQUEST_SUPERIOR_ORDER = "request_superior_order"  # 请求上级法院指令执行 (民诉法 第二百四十条)


class Role(StrEnum):
    """The part an actor plays on one delegation (derived from the user's court and roles)."""

    REQUESTER = "requester"  # an officer of the requesting court
    ASSISTING = "assisting"  # a clerk or officer of the assisting court
    COMMAND_CENTER = "command_center"  # the command center of the assisting court's city
    REGIONAL = "regional"  # the five-city coordinator
    SYSTEM = "system"  # the deadline engine


class Mechanism(StrEnum):
    MATTER_DELEGATION = "matter_delegation"  # 事项委托
    ONSITE_ASSISTANCE = "onsite_assistance"  # 异地执行协助


class Stage(StrEnum):
    """A clock's stage; each is owned by the court that holds the ball during it."""

    SIGN_FOR = "sign_for"
    CORRECTION = "correction"
    PLAN = "plan"
    EXECUTION = "execution"
    CONFIRMATION = "confirmation"
    REDIRECT = "redirect"  # a declined matter waits for its command center to send it to the right court


class Side(StrEnum):
    REQUESTING = "requesting"
    ASSISTING = "assisting"
    COMMAND_CENTER = "command_center"  # of the assisting court's city (the intermediate court)


STAGE_HOLDER: dict[Stage, Side] = {
    Stage.SIGN_FOR: Side.ASSISTING,
    Stage.CORRECTION: Side.REQUESTING,
    Stage.PLAN: Side.ASSISTING,
    Stage.EXECUTION: Side.ASSISTING,
    Stage.CONFIRMATION: Side.REQUESTING,
    Stage.REDIRECT: Side.COMMAND_CENTER,
}


@dataclass(frozen=True)
class ClockEffect:
    """What a transition does to the stage clocks, applied in this order: close, pause, resume, start."""

    close: tuple[Stage, ...] = ()
    pause: tuple[Stage, ...] = ()
    resume: tuple[Stage, ...] = ()
    start: tuple[Stage, ...] = ()
    close_all: bool = False
    extend: bool = False  # the running clock's budget grows by the approved days

    def describe(self) -> str:
        parts = [
            f"{verb} {', '.join(stages)}"
            for verb, stages in (
                ("close", self.close),
                ("pause", self.pause),
                ("resume", self.resume),
                ("start", self.start),
            )
            if stages
        ]
        if self.close_all:
            parts.append("close all")
        if self.extend:
            parts.append("extend running clock")
        return "; ".join(parts) or "none"


NO_CLOCK = ClockEffect()


@dataclass(frozen=True)
class DutyEffect:
    """What a transition does to the statutory duties of 民诉法 第二百四十条 (delegation.core.clocks.Duty),
    applied in this order: end, begin, start met, report met, report again.

    begin: the assisting court receives the 委托函 (submission, resubmission, redirect): both duties start.
    end: it no longer holds the matter (returned, declined, redirected away, withdrawn, confirmed).
    start_met: an act that starts execution (开始执行). report_met: a progress report or the result.
    report_again: the duty to report starts anew from today (after a report, after rework)."""

    begin: bool = False
    end: bool = False
    start_met: bool = False
    report_met: bool = False
    report_again: bool = False

    def describe(self) -> str:
        names = ("end", "begin", "start_met", "report_met", "report_again")
        return ", ".join(n.replace("_", " ") for n in names if getattr(self, n)) or "none"


NO_DUTY = DutyEffect()
BEGIN = DutyEffect(begin=True)
END = DutyEffect(end=True)
STARTS = DutyEffect(start_met=True)
BOTH: frozenset[Mechanism] = frozenset(Mechanism)
DELEGATION_ONLY: frozenset[Mechanism] = frozenset({Mechanism.MATTER_DELEGATION})
ONSITE_ONLY: frozenset[Mechanism] = frozenset({Mechanism.ONSITE_ASSISTANCE})


@dataclass(frozen=True)
class Transition:
    state: Status
    action: Action
    roles: frozenset[Role]
    next_state: Status
    clock: ClockEffect = NO_CLOCK
    mechanisms: frozenset[Mechanism] = BOTH
    duties: DutyEffect = NO_DUTY


def _rows(
    states: Iterable[Status],
    action: Action,
    roles: Iterable[Role],
    next_state: Status | None,
    clock: ClockEffect = NO_CLOCK,
    mechanisms: frozenset[Mechanism] = BOTH,
    duties: DutyEffect = NO_DUTY,
) -> list[Transition]:
    """One row per state; next_state None means the state stays as it is."""
    return [
        Transition(s, action, frozenset(roles), s if next_state is None else next_state, clock, mechanisms, duties)
        for s in states
    ]


R, A, C, G, S = Role.REQUESTER, Role.ASSISTING, Role.COMMAND_CENTER, Role.REGIONAL, Role.SYSTEM
WORKING = (Status.ACCEPTED, Status.IN_PROGRESS, Status.SCHEDULED)
OPEN_BEFORE_DONE = (Status.SUBMITTED, Status.RETURNED, Status.DECLINED, *WORKING)

TRANSITIONS: tuple[Transition, ...] = tuple(
    _rows([Status.DRAFT], Action.SUBMIT, [R], Status.SUBMITTED, ClockEffect(start=(Stage.SIGN_FOR,)), duties=BEGIN)
    + _rows([Status.DRAFT], Action.WITHDRAW, [R], Status.WITHDRAWN)
    + _rows(
        [Status.SUBMITTED],
        Action.SIGN_FOR,
        [A],
        Status.ACCEPTED,
        ClockEffect(close=(Stage.SIGN_FOR,), start=(Stage.EXECUTION,)),
        DELEGATION_ONLY,
    )
    + _rows(
        [Status.SUBMITTED],
        Action.SIGN_FOR,
        [A],
        Status.ACCEPTED,
        ClockEffect(close=(Stage.SIGN_FOR,), start=(Stage.PLAN,)),
        ONSITE_ONLY,
    )
    + _rows(
        [Status.SUBMITTED],
        Action.RETURN_FOR_CORRECTION,
        [A],
        Status.RETURNED,
        ClockEffect(pause=(Stage.SIGN_FOR,), start=(Stage.CORRECTION,)),
        duties=END,
    )
    + _rows(
        [Status.RETURNED],
        Action.RESUBMIT,
        [R],
        Status.SUBMITTED,
        ClockEffect(close=(Stage.CORRECTION,), resume=(Stage.SIGN_FOR,)),
        duties=BEGIN,
    )
    + _rows([Status.RETURNED], Action.EXPIRE_CORRECTION, [S], Status.WITHDRAWN, ClockEffect(close_all=True), duties=END)
    # Declined as not its jurisdiction: the command center of its city has a period to send it on.
    + _rows(
        [Status.SUBMITTED],
        Action.DECLINE,
        [A],
        Status.DECLINED,
        ClockEffect(close=(Stage.SIGN_FOR,), start=(Stage.REDIRECT,)),
        duties=END,
    )
    + _rows(
        [Status.DECLINED],
        Action.REDIRECT,
        [C, G],
        Status.SUBMITTED,
        ClockEffect(close=(Stage.REDIRECT,), start=(Stage.SIGN_FOR,)),
        duties=DutyEffect(begin=True, end=True),
    )
    # A matter nobody declined is redirected only by the regional coordinator (cross-city disputes).
    + _rows(
        [Status.SUBMITTED],
        Action.REDIRECT,
        [G],
        Status.SUBMITTED,
        ClockEffect(close=(Stage.SIGN_FOR,), start=(Stage.SIGN_FOR,)),
        duties=DutyEffect(begin=True, end=True),
    )
    # Assigning a handler starts execution only with a first step recorded (the rule decides).
    + _rows([Status.ACCEPTED], Action.ASSIGN_HANDLER, [A], Status.IN_PROGRESS, duties=STARTS)
    + _rows([Status.IN_PROGRESS, Status.SCHEDULED], Action.ASSIGN_HANDLER, [A], None, duties=STARTS)  # reassign
    + _rows(
        [Status.IN_PROGRESS],
        Action.SCHEDULE,
        [A],
        Status.SCHEDULED,
        ClockEffect(close=(Stage.PLAN,), start=(Stage.EXECUTION,)),
        ONSITE_ONLY,
        STARTS,
    )
    + _rows(
        [Status.SCHEDULED],
        Action.SCHEDULE,
        [A],
        Status.SCHEDULED,
        ClockEffect(close=(Stage.EXECUTION,), start=(Stage.EXECUTION,)),
        ONSITE_ONLY,
    )
    + _rows([Status.IN_PROGRESS], Action.RECORD_RESULT, [A], None, mechanisms=DELEGATION_ONLY, duties=STARTS)
    + _rows([Status.SCHEDULED], Action.RECORD_RESULT, [A], None, mechanisms=ONSITE_ONLY, duties=STARTS)
    + _rows(WORKING, Action.REPORT_PROGRESS, [A], None, duties=DutyEffect(report_met=True, report_again=True))
    + _rows([Status.SUBMITTED, *WORKING], Action.REQUEST_SUPERIOR_ORDER, [R], None)
    + _rows(
        [Status.IN_PROGRESS],
        Action.COMPLETE,
        [A],
        Status.COMPLETED,
        ClockEffect(close=(Stage.EXECUTION,), start=(Stage.CONFIRMATION,)),
        DELEGATION_ONLY,
        DutyEffect(start_met=True, report_met=True),
    )
    + _rows(
        [Status.SCHEDULED],
        Action.COMPLETE,
        [A],
        Status.COMPLETED,
        ClockEffect(close=(Stage.EXECUTION,), start=(Stage.CONFIRMATION,)),
        ONSITE_ONLY,
        DutyEffect(start_met=True, report_met=True),
    )
    + _rows([Status.SUBMITTED, *WORKING], Action.REQUEST_EXTENSION, [A], None)
    + _rows([Status.RETURNED, Status.COMPLETED], Action.REQUEST_EXTENSION, [R], None)
    + _rows(
        [Status.SUBMITTED, *WORKING, Status.COMPLETED],
        Action.APPROVE_EXTENSION,
        [C, G],
        None,
        ClockEffect(extend=True),
    )
    + _rows([Status.SUBMITTED, *WORKING, Status.COMPLETED], Action.REFUSE_EXTENSION, [C, G], None)
    # More time to correct (规定 第八条 by analogy): the assisting court or a command center accepts the reason.
    + _rows([Status.RETURNED], Action.APPROVE_EXTENSION, [A, C, G], None, ClockEffect(extend=True))
    + _rows([Status.RETURNED], Action.REFUSE_EXTENSION, [A, C, G], None)
    + _rows(
        [Status.COMPLETED], Action.CONFIRM, [R], Status.CONFIRMED, ClockEffect(close=(Stage.CONFIRMATION,)), duties=END
    )
    + _rows(
        [Status.COMPLETED],
        Action.REQUEST_REWORK,
        [R],
        Status.IN_PROGRESS,
        ClockEffect(close=(Stage.CONFIRMATION,), start=(Stage.EXECUTION,)),
        DELEGATION_ONLY,
        DutyEffect(report_again=True),
    )
    + _rows(
        [Status.COMPLETED],
        Action.REQUEST_REWORK,
        [R],
        Status.IN_PROGRESS,
        ClockEffect(close=(Stage.CONFIRMATION,), start=(Stage.PLAN,)),
        ONSITE_ONLY,
        DutyEffect(report_again=True),
    )
    + _rows(OPEN_BEFORE_DONE, Action.WITHDRAW, [R], Status.WITHDRAWN, ClockEffect(close_all=True), duties=END)
)

# Every part that may take each action in some state (the union of its rows).
ACTION_PARTS: dict[Action, frozenset[Role]] = {}
for _row in TRANSITIONS:
    ACTION_PARTS[_row.action] = ACTION_PARTS.get(_row.action, frozenset()) | _row.roles

_INDEX: dict[tuple[Status, Action, Mechanism], Transition] = {
    (row.state, row.action, mechanism): row for row in TRANSITIONS for mechanism in row.mechanisms
}


def _check_table() -> None:
    """Fail at import if two rows claim the same (state, action, mechanism) or a terminal state has exits."""
    keys = [(row.state, row.action, m) for row in TRANSITIONS for m in row.mechanisms]
    if len(keys) != len(set(keys)):
        raise RuntimeError("transition table has duplicate rows")
    if any(row.state in TERMINAL for row in TRANSITIONS):
        raise RuntimeError("terminal states must have no transitions")


_check_table()


def find_transition(state: Status, action: Action, mechanism: Mechanism) -> Transition | None:
    return _INDEX.get((state, action, mechanism))


def allowed_actions(state: Status, mechanism: Mechanism, roles: Iterable[Role]) -> list[Action]:
    """Actions the holder of any of `roles` may take now, in table order."""
    held = frozenset(roles)
    seen: list[Action] = []
    for row in TRANSITIONS:
        if row.state == state and mechanism in row.mechanisms and row.roles & held and row.action not in seen:
            seen.append(row.action)
    return seen


# The parts as a clerk names them, in the order they are listed in a refusal.
PART_ZH: dict[Role, str] = {
    Role.REQUESTER: "委托法院",
    Role.ASSISTING: "受托法院",
    Role.COMMAND_CENTER: "执行指挥中心",
    Role.REGIONAL: "五市协调员",
    Role.SYSTEM: "系统",
}


def role_refusal(
    action: Action, needed: Iterable[Role], held: Iterable[Role], state: Status | None = None
) -> PermissionDenied:
    """The refusal of an action the caller's parts on the matter do not allow (403), naming who may take it;
    `state`: the refusal is for this state (another part may take the action now), else for every state."""
    parts = [part for part in PART_ZH if part in frozenset(needed)]
    where = f" in state '{state}'" if state is not None else ""
    return PermissionDenied(
        f"Action '{action}'{where} needs one of the roles {[p.value for p in parts]}; "
        f"your parts on this matter: {sorted(r.value for r in held)}.",
        title_zh=f"您在该委托中的身份不能执行此操作，须由{'或'.join(PART_ZH[p] for p in parts)}办理",
    )


def check_transition(state: Status, action: Action, mechanism: Mechanism, roles: Iterable[Role]) -> Transition:
    """The row that allows this move. When the state allows the action but none of the caller's parts may
    take it, PermissionDenied (403: the caller's part, not the state, is the reason); when the state does not
    allow it at all, TransitionNotAllowed naming what this actor could do instead (409)."""
    held = frozenset(roles)
    row = find_transition(state, action, mechanism)
    if row is not None and row.roles & held:
        return row
    if row is not None:
        raise role_refusal(action, row.roles, held, state)
    allowed = [a.value for a in allowed_actions(state, mechanism, held)]
    detail = f"Action '{action}' is not possible in state '{state}' for a {mechanism} matter."
    detail += f" Allowed now: {', '.join(allowed) or 'none'}."
    raise TransitionNotAllowed(detail, allowed=allowed)


def reachable_states(start: Status = Status.DRAFT) -> set[Status]:
    seen = {start}
    frontier = [start]
    while frontier:
        current = frontier.pop()
        for row in TRANSITIONS:
            if row.state == current and row.next_state not in seen:
                seen.add(row.next_state)
                frontier.append(row.next_state)
    return seen


def render_markdown() -> str:
    """The table as Markdown, for docs/state-machine.md (regenerated and checked in CI)."""
    lines = [
        "# Delegation state machine",
        "",
        "Generated from `delegation/core/states.py` by `jiaodong docs states`; do not edit by hand.",
        "",
        "| state | action | roles | next state | clock effect | statutory duties | mechanisms |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for row in TRANSITIONS:
        mechanisms = "both" if row.mechanisms == BOTH else ", ".join(sorted(m.value for m in row.mechanisms))
        roles = ", ".join(sorted(r.value for r in row.roles))
        lines.append(
            f"| {row.state} | {row.action} | {roles} | {row.next_state} | {row.clock.describe()} "
            f"| {row.duties.describe()} | {mechanisms} |"
        )
    lines += ["", "Terminal states: " + ", ".join(sorted(s.value for s in TERMINAL)) + ".", ""]
    lines += ["Stage clocks and the side that holds the ball:", ""]
    lines += [f"- `{stage}`: {side}" for stage, side in STAGE_HOLDER.items()]
    lines += [
        "",
        "Statutory duties (民诉法 第二百四十条), counted in plain days from receipt of the 委托函 beside the stage",
        "clocks and never extended: `start` (开始执行 within 15 days) and `report` (finish, or report the state of",
        "execution, within 30 days, and again every 30 days while the matter is open). `begin` starts both for the",
        "assisting court, `end` ends the open ones unmet, `start met` / `report met` meet them, `report again` starts",
        "the next report period from today. Periods are set per matter type in the policy.",
    ]
    return "\n".join(lines) + "\n"
