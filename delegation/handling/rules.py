"""The per-action rules of the write path: what each action checks beyond the transition table, and the
changes it implies, as pure functions of the facts `perform` loaded (a table keyed by Action).

A rule raises ValidationFailed / PermissionDenied before anything is written; it never reads the database:
the facts it needs are declared in its entry and loaded once by `perform`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import Enum, auto
from typing import Any, TypeVar

from courts.registry import CourtLevel
from delegation.catalogue.fields import FIELD_KINDS, NO_CONSTRAINTS, FieldProblem, document_labels
from delegation.catalogue.policy import PolicyVersion, missing_documents
from delegation.catalogue.searchkeys import search_keys
from delegation.core import clocks
from delegation.core.access import Actor, CityOf, command_center_covers, is_network
from delegation.core.errors import FieldError, PermissionDenied, ValidationFailed
from delegation.core.reference import Reference
from delegation.core.states import Action, Stage, Status
from delegation.handling import assets, corrections
from delegation.handling import commands as c
from delegation.store.tables import (
    AssetResultRow,
    ClockRow,
    ClockStopRow,
    DelegationRow,
    DocumentRow,
    EventRow,
    ExtensionRow,
    StatutoryClockRow,
    UserRow,
)

# What the requesting court must correct. "The matter cannot be done" is not among them: the assisting court
# may not refuse (民诉法 第二百四十条 "不得拒绝"; 规定 第二条 "应当积极予以协助"); a matter that cannot be
# achieved is recorded as a result (not_found, failed) and answered.
RETURN_REASONS: dict[str, str] = {
    "missing_documents": "法律文书不全",
    "unclear_target": "执行标的不明确",
    "wrong_documents": "文书内容有误",
    "other": "其他",
}
RESULT_OUTCOMES: dict[str, str] = {"done": "已办结", "partial": "部分办结", "not_found": "未查到", "failed": "未能办理"}
RECEIPT_KIND = "receipt"  # 回执
# How a document was served (民诉法 第八十七条 to 第九十五条), as the 送达回证 records it.
SERVICE_METHODS: dict[str, str] = {
    "direct": "直接送达",
    "lodged": "留置送达",
    "electronic": "电子送达",
    "post": "邮寄送达",
    "forwarded": "转交送达",
    "public_notice": "公告送达",
}

ClockRows = list[tuple[ClockRow, list[ClockStopRow], list[str]]]


class Need(Enum):
    """Facts a rule reads, loaded by perform only for the actions that need them."""

    DOCUMENT_KINDS = auto()
    DOCUMENTS = auto()
    EXTENSIONS = auto()
    CLOCKS = auto()
    LAST_RETURN = auto()  # the last return for correction (its flagged fields and documents)
    HANDLERS = auto()
    DUTIES = auto()  # the statutory clocks (民诉法 第二百四十条)


@dataclass(frozen=True)
class Facts:
    ref: Reference
    actor: Actor
    now: datetime
    row: DelegationRow
    policy: PolicyVersion  # the delegation's own version
    clocks: ClockRows = field(default_factory=list)
    document_kinds: Sequence[str] = ()
    documents: Sequence[DocumentRow] = ()
    extensions: Sequence[ExtensionRow] = ()
    last_return: EventRow | None = None
    handlers: Sequence[UserRow] = ()  # the assisting court's active users holding the handler role
    duties: Sequence[StatutoryClockRow] = ()


@dataclass(frozen=True)
class Decision:
    """A pending extension decided: the values perform writes on its row."""

    extension: ExtensionRow
    status: str
    approved_days: int | None
    decided_by: str
    decided_at: datetime
    reason: str | None


@dataclass
class Step:
    """What one action changes, gathered before anything is written."""

    columns: dict[str, Any] = field(default_factory=dict)
    clock_court: dict[Stage, str] = field(default_factory=dict)  # overrides of the stage holder's court
    anchor: date | None = None
    extend_days: int = 0
    decision: Decision | None = None
    new_rows: list[AssetResultRow | ExtensionRow] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)
    starts_execution: bool = True  # whether the table's "start met" applies (assigning needs a first step)
    remedy_duty: StatutoryClockRow | None = None  # the breached start duty a superior court is asked about


T = TypeVar("T", bound=c.Command)


def _as(command: c.Command, kind: type[T]) -> T:
    if not isinstance(command, kind):
        raise TypeError(f"expected {kind.__name__}, got {type(command).__name__}")
    return command


def _needs(condition: bool, field_name: str, zh: str, en: str) -> None:
    if not condition:
        raise ValidationFailed([FieldError(field_name, zh, en)])


def _reason(command: c.Command, zh: str = "请写明理由") -> None:
    _needs(bool(command.comment.strip()), "comment", zh, "A reason is required.")


# ---------------------------------------------------------------- the rules


def _documents_complete(f: Facts) -> None:
    missing = missing_documents(f.policy.matter(f.row.matter_type), list(f.document_kinds))
    zh, en = document_labels(missing)
    _needs(not missing, "documents", f"缺少必需的法律文书：{zh}", f"Required documents missing: {en}")


def submit(f: Facts, _command: c.Command) -> Step:
    _documents_complete(f)
    return Step(columns={"submitted_at": f.now})


def resubmit(f: Facts, command: c.Command) -> Step:
    """补正后重新提交: the flagged fields changed as the command says (checked as at filing), the documents
    flagged or required present, and the reply recorded with what changed."""
    cmd = _as(command, c.Resubmit)
    row = f.row
    flagged = list(f.last_return.data.get("flagged") or []) if f.last_return is not None else []
    current = {"case_number": row.case_number, "summary": row.summary, "fields": row.fields, "parties": row.parties}
    corrected = corrections.apply(
        f.policy,
        f.policy.matter(row.matter_type),
        current,
        flagged,
        cmd.changes,
        requesting_court=row.requesting_court,
        courts=f.ref.registry,
        today=clocks.local_day(f.now),
    )
    _documents_complete(f)
    asked = [p.removeprefix("document.") for p in flagged if p.startswith("document.")]
    since = f.last_return.at if f.last_return is not None else None
    added = {d.kind for d in f.documents if since is None or d.uploaded_at >= since}
    still = [k for k in asked if k not in added]
    zh, en = document_labels(still)
    _needs(not still, "documents", f"请上传受托法院要求补正的文书：{zh}", f"Upload the documents asked for: {en}")
    columns = dict(corrected.columns)
    if "case_number" in columns or "parties" in columns:
        names = (str(p.get("name", "")) for p in columns.get("parties", row.parties))
        columns["search_text"] = " ".join([columns.get("case_number", row.case_number), *names])[:2000]
    if "fields" in columns or "parties" in columns:
        columns["search_keys"] = search_keys(
            f.policy.matter(row.matter_type).fields,
            f.policy.party_fields.fields,
            columns.get("fields", row.fields),
            columns.get("parties", row.parties),
        )
    data: dict[str, Any] = {"changed": corrected.changed}
    if cmd.comment.strip():
        data["reply"] = True  # the reply itself is the event's comment
    return Step(columns=columns, data=data)


@dataclass(frozen=True)
class RenewalRisk:
    """A renewal (续封/续冻) whose seizure or freeze lapses soon: the earliest current expiry, the last day the
    assisting court's clocks allow (its margin before it), and whether that day is already past."""

    expires_on: date
    last_day: date
    margin_gone: bool


def renewal_risk(
    policy: PolicyVersion, matter_type: str, fields: Mapping[str, Any], today: date, calendar: clocks.Calendar
) -> RenewalRisk | None:
    """The lapse facts of a renewal matter, None for other matters (or without an expiry on file)."""
    matter = policy.matter(matter_type)
    expires = matter.earliest_expiry(fields)
    if matter.renewal is None or expires is None:
        return None
    last = clocks.lapse_cap(expires, matter.renewal.margin_working_days, calendar)
    return RenewalRisk(expires, last, margin_gone=last < today)


def return_for_correction(f: Facts, command: c.Command) -> Step:
    cmd = _as(command, c.Return)
    matter = f.policy.matter(f.row.matter_type)
    flagged = corrections.check_flagged(cmd.flagged, corrections.flaggable(f.policy, matter, len(f.row.parties)))
    errors = []  # both at once: a clerk who left both empty fixes both in one go
    if cmd.reason_code not in RETURN_REASONS:
        errors.append(
            FieldError("reason_code", "请选择退回原因", f"reason_code must be one of {', '.join(RETURN_REASONS)}")
        )
    if not cmd.comment.strip():
        errors.append(FieldError("comment", "请写明需要补正的内容", "Say what must be corrected."))
    if errors:
        raise ValidationFailed(errors)
    return Step(data={"reason_code": cmd.reason_code, "flagged": flagged})


def with_reason(_f: Facts, command: c.Command) -> Step:
    _reason(command)
    return Step()


def request_rework(_f: Facts, command: c.Command) -> Step:
    """The requesting court sends the result back: its reason is what must be redone (the form's label)."""
    _needs(bool(command.comment.strip()), "comment", "请写明需要重新办理的内容", "Say what must be redone.")
    return Step()


def withdraw(f: Facts, command: c.Command) -> Step:
    if f.row.status != Status.DRAFT:
        _reason(command)
    return Step()


def redirect_refusal(ref: Reference, row: DelegationRow, new_court: str) -> FieldError | None:
    """Why a declined matter may not go to `new_court` (None: it may): an active court, neither of the
    matter's own two, of the level of the court that declined it (right_level). The redirect rule's checks of
    the target, and the dashboard's choice of courts to offer."""
    target = ref.registry.find(new_court)
    if target is None or not target.active:
        return FieldError("new_court", "请选择有效的受托法院", "Choose an active court.")
    if target.code in (row.requesting_court, row.assisting_court):
        return FieldError(
            "new_court",
            "新的受托法院不能是委托法院或原受托法院",
            "The new court must differ from the requesting and the current assisting court.",
        )
    current = ref.registry.find(row.assisting_court)
    if current is not None and not right_level(current.level, target.level):
        return FieldError(
            "new_court",
            "应移送至与原受托法院同级的法院（规定 第三条：财产所在地的同级人民法院；船舶等海事事项由海事法院办理）",
            "Redirect to a court of the same level (规定 第三条), or to or from the maritime court.",
        )
    return None


def redirect(f: Facts, command: c.Command) -> Step:
    cmd = _as(command, c.Redirect)
    row = f.row
    city_of = f.ref.city_of
    if not command_center_covers(f.actor, row.assisting_court, city_of) and not command_center_covers(
        f.actor, cmd.new_court, city_of
    ):
        raise PermissionDenied("A command center can only redirect matters of its own city.")
    refusal = redirect_refusal(f.ref, row, cmd.new_court)
    if refusal is not None:
        raise ValidationFailed([refusal])
    target = f.ref.registry.find(cmd.new_court)
    assert target is not None  # redirect_refusal refused an unknown court
    return Step(
        columns={"assisting_court": target.code},
        clock_court={Stage.SIGN_FOR: target.code},
        data={"from_court": row.assisting_court, "to_court": target.code},
    )


def _handler_named(handlers: Sequence[UserRow], value: str) -> UserRow | None:
    """The handler a clerk named: by username, else by a display name no other handler of the court shares."""
    by_username = [h for h in handlers if h.username == value]
    if by_username:
        return by_username[0]
    by_name = [h for h in handlers if h.display_name == value]
    return by_name[0] if len(by_name) == 1 else None


_BASIC_TIER = frozenset({CourtLevel.BASIC, CourtLevel.RAILWAY})
_INTERMEDIATE_TIER = frozenset({CourtLevel.INTERMEDIATE, CourtLevel.MARITIME})


def right_level(declined_by: CourtLevel, target: CourtLevel) -> bool:
    """Whether a matter declined by a court of one level may go to a court of the other: the same level
    (规定 第三条: the same-level court where the property is), or to or from the maritime court (ships and
    maritime matters go to it). The high court and the railway intermediate court take no matters."""
    if CourtLevel.MARITIME in (declined_by, target):
        return target in _BASIC_TIER | _INTERMEDIATE_TIER
    return any(declined_by in tier and target in tier for tier in (_BASIC_TIER, _INTERMEDIATE_TIER))


def assign_handler(f: Facts, command: c.Command) -> Step:
    """The handler is one of the assisting court's handlers (users with the handler role). A court that has
    registered none yet may still name its handler in plain text, as before handlers were users; once it has
    registered one, only its handlers can be chosen. With a first step recorded, execution has started
    (开始执行, 民诉法 第二百四十条); the handler's 联系电话 (given, else on their account) goes on the documents."""
    cmd = _as(command, c.AssignHandler)
    value = cmd.handler.strip()
    if f.handlers:
        _needs(0 < len(value) <= 100, "handler", "请选择承办人", "Choose the handler.")
    else:
        _needs(0 < len(value) <= 100, "handler", "请填写承办人", "Name the handler.")
    phone = _phone(cmd.phone)
    first_step = cmd.first_step.strip()
    _needs(len(first_step) <= 1000, "first_step", "已采取的执行措施过长（最多1000字）", "At most 1000 characters.")
    steps = {"first_step": first_step} if first_step else {}
    previous = {"previous_handler": f.row.handler_username} if f.row.handler_username else {}
    if not f.handlers or (is_network(f.actor) and value == f.actor.display_name):
        # A court without registered handlers names its handler in plain text; and the network, taking a
        # matter as its own handler (网络查控), is no user of the court's.
        return Step(
            columns={"handler": value, "handler_username": None, **({"handler_phone": phone} if phone else {})},
            data={"handler": value, **previous, **steps},
            starts_execution=bool(first_step),
        )
    chosen = _handler_named(f.handlers, value)
    names = "、".join(f"{h.display_name}（{h.username}）" for h in f.handlers)
    _needs(
        chosen is not None,
        "handler",
        f"承办人须为本院登记的承办人之一：{names}",
        "Choose one of the court's handlers: " + ", ".join(f"{h.display_name} ({h.username})" for h in f.handlers),
    )
    assert chosen is not None
    _needs(
        chosen.username != f.row.handler_username,
        "handler",
        f"本事项已由{chosen.display_name}承办",
        f"{chosen.display_name} already handles this matter.",
    )
    phone = phone or chosen.phone
    return Step(
        columns={
            "handler": chosen.display_name,
            "handler_username": chosen.username,
            **({"handler_phone": phone} if phone else {}),
        },
        data={"handler": chosen.display_name, "handler_username": chosen.username, **previous, **steps},
        starts_execution=bool(first_step),
    )


def _phone(text: str) -> str:
    """A 联系电话 as the matter fields take it (mobile or landline), "" when none is given."""
    if not text.strip():
        return ""
    try:
        return str(FIELD_KINDS["phone"].normalize(text, NO_CONSTRAINTS))
    except FieldProblem as problem:
        raise ValidationFailed([FieldError("phone", problem.message_zh, problem.message_en)]) from None


def report_progress(f: Facts, command: c.Command) -> Step:
    """执行情况函复 (民诉法 第二百四十条): the state of execution in words, with the signed letter if uploaded."""
    cmd = _as(command, c.ReportProgress)
    _needs(
        bool(cmd.comment.strip()),
        "comment",
        "请写明执行情况：已采取的措施、尚待办理的事项及预计办结时间",
        "Say what was done, what remains and when it should be finished.",
    )
    data: dict[str, Any] = {}
    if cmd.document_id is not None:
        _needs(
            any(d.id == cmd.document_id and d.uploaded_court == f.row.assisting_court for d in f.documents),
            "document_id",
            "所选文书不是本院在该委托中上传的文书",
            "The document must be one the assisting court uploaded to this matter.",
        )
        data["document_id"] = cmd.document_id
    return Step(data=data)


def overdue_start_duty(duties: Sequence[StatutoryClockRow], court: str, now: datetime) -> StatutoryClockRow | None:
    """The assisting court's unmet duty to start execution whose fifteen days have ended, if any."""
    return next(
        (d for d in duties if d.duty == clocks.Duty.START and d.is_open and d.court_code == court and now >= d.due_at),
        None,
    )


def request_superior_order(f: Facts, _command: c.Command) -> Step:
    """请求上级法院指令执行 (民诉法 第二百四十条): open to the requesting court once the assisting court has not
    started within fifteen days of receipt; addressed to the assisting court's superior court."""
    duty = overdue_start_duty(f.duties, f.row.assisting_court, f.now)
    _needs(
        duty is not None,
        "duty",
        "受托法院收到委托函件未满十五日或已开始执行，尚不能请求上级法院指令执行",
        "Possible only once the assisting court has not started execution within 15 days of receipt.",
    )
    assert duty is not None
    _needs(
        duty.remedy_requested_at is None,
        "duty",
        "已就本次逾期请求过上级法院指令执行",
        "The superior court was already asked about this delay.",
    )
    superior = f.ref.registry.superior(f.row.assisting_court)
    _needs(superior is not None, "duty", "登记册中没有受托法院的上级法院", "The registry names no superior court.")
    assert superior is not None
    return Step(
        remedy_duty=duty,
        data={"superior_court": superior.code, "duty_due_at": duty.due_at.isoformat(), "source": duty.source},
    )


def schedule(f: Facts, command: c.Command) -> Step:
    day = _as(command, c.Schedule).scheduled_date
    _needs(
        day is not None and day >= clocks.local_day(f.now),
        "scheduled_date",
        "执行日期不能早于今天",
        "The on-site date cannot be in the past.",
    )
    return Step(columns={"scheduled_date": day}, anchor=day, data={"scheduled_date": str(day)})


def agreed_date_ahead(row: DelegationRow, now: datetime) -> date | None:
    """The agreed on-site date while it is still ahead of `now` (None once the day has come, or without one).
    On-site assistance is done on the agreed date, and its result reported within 2 working days after it (the
    execution clock runs from that date): no result and no completion before the day comes. Work done earlier
    than agreed is rescheduled to the day it took place first (schedule refuses only past days)."""
    day = row.scheduled_date
    return day if day is not None and day > clocks.local_day(now) else None


def _agreed_date_reached(f: Facts) -> None:
    day = agreed_date_ahead(f.row, f.now)
    if day is not None:
        raise ValidationFailed(
            [
                FieldError(
                    "scheduled_date",
                    f"约定执行日期（{day.year}年{day.month}月{day.day}日）尚未到来，现场执行后方可登记结果或办结；"
                    "如已提前执行，请先将约定执行日期改为实际执行的日期",
                    f"The agreed on-site date ({day.isoformat()}) has not come: record the result or complete "
                    "after the work on site; if it was done earlier, first change the agreed date to the day it "
                    "was done.",
                )
            ]
        )


def record_result(f: Facts, command: c.Command) -> Step:
    cmd = _as(command, c.RecordResult)
    _agreed_date_reached(f)
    _needs(bool(cmd.results), "results", "请至少填写一项财产的办理结果", "Record at least one asset result.")
    for result in cmd.results:
        _needs(
            result.outcome in RESULT_OUTCOMES and bool(result.asset.strip()),
            "results",
            "每项结果须写明财产并选择办理结果",
            f"Each result needs an asset and one of {list(RESULT_OUTCOMES)}",
        )
    names = _asset_names(f, cmd.results)
    step = Step(data={"results": [_result_data(r, name) for r, name in zip(cmd.results, names, strict=True)]})
    for result, name in zip(cmd.results, names, strict=True):
        served = _service_details(f, result)
        step.new_rows.append(
            AssetResultRow(
                delegation_id=f.row.id or 0,
                asset=name,
                outcome=result.outcome,
                note=result.note[:2000],
                served_on=served[0],
                service_method=served[1],
                signed_by=served[2],
                recorded_by=f.actor.username,
                recorded_at=f.now,
            )
        )
    return step


def _asset_names(f: Facts, results: Sequence[c.AssetResult]) -> list[str]:
    """What each result is about, as stored: for a matter with an asset list, the name of the item its `asset`
    names (assets.check: by position, by the pages' name, or by a value as filed; each item once), else the
    text given. Every result naming no item is refused at once, at results[i].asset."""
    listed = assets.asset_list(f.policy.matter(f.row.matter_type), f.row.fields)
    if listed is None:
        return [r.asset.strip()[: assets.MAX_ASSET] for r in results]
    names, problems = assets.check(listed, [r.asset for r in results])
    if problems:
        raise ValidationFailed([FieldError(f"results[{p.index}].asset", p.message_zh, p.message_en) for p in problems])
    return names


def _result_data(result: c.AssetResult, name: str) -> dict[str, Any]:
    """A result as the timeline keeps it (JSON), under the stored name: the service details only when given."""
    data: dict[str, Any] = {"asset": name, "outcome": result.outcome, "note": result.note}
    if result.served_on is not None:
        data["served_on"] = result.served_on.isoformat()
    if result.service_method:
        data["service_method"] = result.service_method
    if result.signed_by:
        data["signed_by"] = result.signed_by
    return data


def _service_details(f: Facts, result: c.AssetResult) -> tuple[date | None, str | None, str | None]:
    """A document served (service matters, outcome done or partial) records the 送达回证's facts: the day,
    the method and who signed (or, for 留置/公告, the note says why no one did)."""
    policy = f.policy
    matter = policy.matter(f.row.matter_type)
    if not policy.group(matter.group).service_of_documents or result.outcome not in ("done", "partial"):
        return None, None, None
    _needs(result.served_on is not None, "results", "请填写送达日期", "Give the day of service.")
    assert result.served_on is not None
    _needs(
        result.served_on <= clocks.local_day(f.now),
        "results",
        "送达日期不能晚于今天",
        "The day of service cannot be in the future.",
    )
    _needs(
        result.service_method in SERVICE_METHODS,
        "results",
        "请选择送达方式",
        f"service_method must be one of {', '.join(SERVICE_METHODS)}",
    )
    signed_by = result.signed_by.strip()[:100]
    _needs(
        bool(signed_by) or result.service_method in ("lodged", "public_notice", "post", "electronic"),
        "results",
        "直接送达或转交送达须写明签收人",
        "Name who signed for it.",
    )
    return result.served_on, result.service_method, signed_by or None


def complete(f: Facts, _command: c.Command) -> Step:
    _agreed_date_reached(f)
    _needs(
        any(d.kind == RECEIPT_KIND and d.uploaded_court == f.row.assisting_court for d in f.documents),
        "documents",
        "办结前请上传回执",
        "Upload the 回执 (receipt) before completing.",
    )
    return Step()


def request_extension(f: Facts, command: c.Command) -> Step:
    cmd = _as(command, c.RequestExtension)
    running = clocks.running(clock_row for clock_row, _stops, _fired in f.clocks)
    _needs(
        running is not None and running.court_code == f.actor.court_code,
        "days",
        "只有当前办理期限所属的法院可以申请延期",
        "Only the court holding the running clock can ask.",
    )
    assert running is not None and running.id is not None
    limits = f.policy.extensions
    _needs(
        running.stage in limits.stages,
        "days",
        "该阶段不能申请延期",
        f"Extensions are possible only for the stages {', '.join(limits.stages)}.",
    )
    _needs(
        cmd.days is not None and 1 <= cmd.days <= limits.max_working_days_per_request,
        "days",
        f"延期天数应为1至{limits.max_working_days_per_request}个工作日",
        f"days must be between 1 and {limits.max_working_days_per_request}",
    )
    _needs(bool(cmd.comment.strip()), "comment", "请写明延期理由", "A reason is required.")
    _needs(
        not any(e.status == "pending" for e in f.extensions),
        "days",
        "已有待审批的延期申请",
        "An extension request is already pending.",
    )
    _needs(
        sum(1 for e in f.extensions if e.clock_id == running.id) < limits.max_requests,
        "days",
        "该期限的延期申请次数已达上限",
        "No more extension requests for this clock.",
    )
    assert f.actor.court_code is not None
    extension = ExtensionRow(
        delegation_id=f.row.id or 0,
        clock_id=running.id,
        requested_by=f.actor.username,
        requested_court=f.actor.court_code,
        days=cmd.days or 0,
        reason=cmd.comment.strip(),
        created_at=f.now,
    )
    return Step(new_rows=[extension], data={"days": cmd.days, "stage": running.stage})


def decide_extension(f: Facts, command: c.Command, *, approve: bool) -> Step:
    cmd = _as(command, c.DecideExtension)
    pending = [e for e in f.extensions if e.status == "pending"]
    extension = next((e for e in pending if cmd.extension_id in (None, e.id)), None)
    _needs(extension is not None, "extension_id", "没有待审批的延期申请", "No pending extension request.")
    assert extension is not None
    _may_decide(f, extension)
    reason = cmd.comment.strip() or None
    if approve:
        days = cmd.days if cmd.days is not None else extension.days
        _needs(
            1 <= days <= extension.days,
            "days",
            f"批准天数应为1至{extension.days}个工作日",
            f"Approved days must be between 1 and {extension.days}.",
        )
        decision = Decision(extension, "approved", days, f.actor.username, f.now, reason)
        data = {"extension_id": extension.id, "approved_days": days, "unit": clocks.Unit.WORKING.value}
        return Step(extend_days=days, decision=decision, data=data)
    _needs(bool(cmd.comment.strip()), "comment", "请写明不予批准的理由", "A reason is required.")
    decision = Decision(extension, "refused", extension.approved_days, f.actor.username, f.now, reason)
    return Step(decision=decision, data={"extension_id": extension.id, "approved_days": extension.approved_days})


def extension_decider_refusal(
    actor: Actor, row: DelegationRow, requested_court: str, stage: str | None, city_of: CityOf
) -> PermissionDenied | None:
    """Why `actor` may not decide the pending extension asked for by `requested_court` on the clock of `stage`
    (None: they may). The command center of the city of the court that asked for it decides: its own city's
    center, which supervises that court and issues its 催办 and 督办 (执行工作若干问题的规定 第74条), or the regional
    coordinator. More time to correct a returned matter (规定 第八条 by analogy), asked by the requesting court,
    is also granted by the assisting court that returned it, or by the command center of either court's city.
    The rule of approve_extension and refuse_extension, and what a matter offers in its allowed_actions."""
    if stage == Stage.CORRECTION:
        if actor.court_code == row.assisting_court or any(
            command_center_covers(actor, court, city_of) for court in (row.assisting_court, row.requesting_court)
        ):
            return None
        return PermissionDenied(
            "Only the assisting court or a command center of either court's city decides more time to correct.",
            title_zh="只有受托法院或双方所在市的执行指挥中心可以决定补正延期",
        )
    if command_center_covers(actor, requested_court, city_of):
        return None
    return PermissionDenied(
        "Only the command center of the city of the court that asked for the extension (or the regional "
        "coordinator) decides it.",
        title_zh="只有申请延期的法院所在市的执行指挥中心可以审批该延期",
    )


def _may_decide(f: Facts, extension: ExtensionRow) -> None:
    stage = next((c.stage for c, _stops, _fired in f.clocks if c.id == extension.clock_id), None)
    refusal = extension_decider_refusal(f.actor, f.row, extension.requested_court, stage, f.ref.city_of)
    if refusal is not None:
        raise refusal


def approve_extension(f: Facts, command: c.Command) -> Step:
    return decide_extension(f, command, approve=True)


def refuse_extension(f: Facts, command: c.Command) -> Step:
    return decide_extension(f, command, approve=False)


def nothing(_f: Facts, _command: c.Command) -> Step:
    return Step()


@dataclass(frozen=True)
class Rule:
    check: Callable[[Facts, c.Command], Step]
    needs: frozenset[Need] = frozenset()


RULES: dict[Action, Rule] = {
    Action.SUBMIT: Rule(submit, frozenset({Need.DOCUMENT_KINDS})),
    Action.RESUBMIT: Rule(resubmit, frozenset({Need.DOCUMENT_KINDS, Need.DOCUMENTS, Need.LAST_RETURN})),
    Action.RETURN_FOR_CORRECTION: Rule(return_for_correction),
    Action.DECLINE: Rule(with_reason),
    Action.REQUEST_REWORK: Rule(request_rework),
    Action.WITHDRAW: Rule(withdraw),
    Action.REDIRECT: Rule(redirect),
    Action.ASSIGN_HANDLER: Rule(assign_handler, frozenset({Need.HANDLERS})),
    Action.SCHEDULE: Rule(schedule),
    Action.RECORD_RESULT: Rule(record_result),
    Action.COMPLETE: Rule(complete, frozenset({Need.DOCUMENTS})),
    Action.REQUEST_EXTENSION: Rule(request_extension, frozenset({Need.CLOCKS, Need.EXTENSIONS})),
    Action.APPROVE_EXTENSION: Rule(approve_extension, frozenset({Need.EXTENSIONS, Need.CLOCKS})),
    Action.REFUSE_EXTENSION: Rule(refuse_extension, frozenset({Need.EXTENSIONS, Need.CLOCKS})),
    Action.REPORT_PROGRESS: Rule(report_progress, frozenset({Need.DOCUMENTS})),
    Action.REQUEST_SUPERIOR_ORDER: Rule(request_superior_order, frozenset({Need.DUTIES})),
}


def rule_of(action: Action) -> Rule:
    """The action's rule; actions the transition table fully decides (sign for, confirm, ...) have none."""
    return RULES.get(action, Rule(nothing))
