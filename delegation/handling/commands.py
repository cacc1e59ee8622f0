"""What each action takes from its user: one typed command per kind of action, and the one decoder from
plain values (an API body, a web form, a demo scenario) to the command of an action. Pure."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from delegation.core.states import Action


@dataclass(frozen=True)
class Plain:
    """An action that takes only a comment (required for some: decline, rework, withdraw once submitted)."""

    comment: str = ""


@dataclass(frozen=True)
class Return:
    """Return for correction: the reason, what to correct, and the fields and documents flagged for the
    requesting court to correct (paths: case_number, summary, fields.<name>, parties[i].<name>,
    document.<kind>); only flagged fields may change with the resubmission."""

    reason_code: str | None = None
    comment: str = ""
    flagged: tuple[str, ...] = ()


@dataclass(frozen=True)
class Resubmit:
    """Resubmit after correction: the new values of flagged fields (by path), and the reply to the reason
    (the comment), which the assisting court reads with the matter."""

    changes: Mapping[str, Any] = field(default_factory=dict)
    comment: str = ""


@dataclass(frozen=True)
class Redirect:
    new_court: str = ""
    comment: str = ""


@dataclass(frozen=True)
class AssignHandler:
    """handler: the username (or the display name) of a handler of the assisting court; first_step: the first
    enforcement step taken, with which assigning the handler starts execution (开始执行, 民诉法 第二百四十条)."""

    handler: str = ""
    comment: str = ""
    first_step: str = ""
    phone: str = ""  # the handler's 联系电话, printed on the court's documents


@dataclass(frozen=True)
class ReportProgress:
    """执行情况函复: what was done, what remains, when it should be finished (the comment), with the signed
    letter if one was uploaded (document_id of the assisting court's document on the matter)."""

    comment: str = ""
    document_id: int | None = None


@dataclass(frozen=True)
class SignFor:
    """签收, and optionally assign the handler in the same step (handler: as in AssignHandler)."""

    comment: str = ""
    handler: str = ""


@dataclass(frozen=True)
class Schedule:
    scheduled_date: date | None = None
    comment: str = ""


@dataclass(frozen=True)
class AssetResult:
    """One asset's (or, for service, one recipient's) result; a served document adds the 送达回证's facts."""

    asset: str
    outcome: str
    note: str = ""
    served_on: date | None = None
    service_method: str = ""
    signed_by: str = ""


@dataclass(frozen=True)
class RecordResult:
    results: tuple[AssetResult, ...] = ()
    comment: str = ""


@dataclass(frozen=True)
class RequestExtension:
    days: int | None = None
    comment: str = ""


@dataclass(frozen=True)
class DecideExtension:
    """Approve (days: the working days granted, default all asked for) or refuse (comment: the reason)."""

    extension_id: int | None = None
    days: int | None = None
    comment: str = ""


Command = (
    Plain
    | SignFor
    | Return
    | Resubmit
    | Redirect
    | AssignHandler
    | Schedule
    | RecordResult
    | RequestExtension
    | DecideExtension
    | ReportProgress
)

COMMAND_OF: dict[Action, type[Command]] = {
    Action.SIGN_FOR: SignFor,
    Action.RETURN_FOR_CORRECTION: Return,
    Action.RESUBMIT: Resubmit,
    Action.REDIRECT: Redirect,
    Action.ASSIGN_HANDLER: AssignHandler,
    Action.SCHEDULE: Schedule,
    Action.RECORD_RESULT: RecordResult,
    Action.REQUEST_EXTENSION: RequestExtension,
    Action.APPROVE_EXTENSION: DecideExtension,
    Action.REFUSE_EXTENSION: DecideExtension,
    Action.REPORT_PROGRESS: ReportProgress,
}


def command_type(action: Action) -> type[Command]:
    return COMMAND_OF.get(action, Plain)


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _optional_text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _day(value: object) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value) if isinstance(value, str) and value else None
    except ValueError:
        return None


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def decode(action: Action, values: Mapping[str, Any] | None = None) -> Command:
    """The command of `action` from plain values (already parsed: ints, dates); what is missing stays
    empty, for the action's rule to refuse with a message that names the field."""
    v = values or {}
    kind = command_type(action)
    comment = _text(v.get("comment"))
    if kind is Return:
        flagged = v.get("flagged") or ()
        paths = (
            tuple(dict.fromkeys(p for p in flagged if isinstance(p, str))) if isinstance(flagged, list | tuple) else ()
        )
        return Return(_optional_text(v.get("reason_code")), comment, paths)
    if kind is Resubmit:
        changes = v.get("changes")
        return Resubmit(dict(changes) if isinstance(changes, Mapping) else {}, comment)
    if kind is Redirect:
        return Redirect(_text(v.get("new_court")), comment)
    if kind is AssignHandler:
        return AssignHandler(_text(v.get("handler")), comment, _text(v.get("first_step")), _text(v.get("phone")))
    if kind is SignFor:
        return SignFor(comment, _text(v.get("handler")).strip())
    if kind is Schedule:
        day = v.get("scheduled_date")
        return Schedule(day if isinstance(day, date) else None, comment)
    if kind is RecordResult:
        rows = v.get("results") or ()
        results = tuple(
            r
            if isinstance(r, AssetResult)
            else AssetResult(
                _text(r.get("asset")),
                _text(r.get("outcome")),
                _text(r.get("note")),
                _day(r.get("served_on")),
                _text(r.get("service_method")),
                _text(r.get("signed_by")),
            )
            for r in rows
            if isinstance(r, AssetResult | Mapping)
        )
        return RecordResult(results, comment)
    if kind is RequestExtension:
        return RequestExtension(_int(v.get("days")), comment)
    if kind is DecideExtension:
        return DecideExtension(_int(v.get("extension_id")), _int(v.get("days")), comment)
    if kind is ReportProgress:
        return ReportProgress(comment, _int(v.get("document_id")))
    return Plain(comment)


def follow_ups(action: Action, command: Command) -> list[tuple[Action, Command]]:
    """Actions a command asks to take right after its own, in the same transaction: 签收 with a handler named
    assigns that handler (two events, one commit: both or neither)."""
    if action is Action.SIGN_FOR and isinstance(command, SignFor) and command.handler:
        return [(Action.ASSIGN_HANDLER, AssignHandler(command.handler))]
    return []
