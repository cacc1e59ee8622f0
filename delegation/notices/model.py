"""Notices (提醒, 催办, 督办, escalation) as pure data: which rung makes which notice, who issues it, who
it is addressed and copied to, how 催办 and 督办 are numbered, and their texts.

A 督办 comes from the superior of the court supervised (执行工作若干问题的规定 第74条: a higher court
"应当督促下级法院限期执行"): a basic court's intermediate court; for an intermediate court, the 青岛海事法院
and the railway intermediate court, the 山东省高级人民法院, for which the regional coordinator acts. It is
issued in that court's name with its command center as handling office, numbered per issuing court, kind
and year (烟中法执督〔2026〕3号), states the deadline it sets and is copied to the other court of the matter
(the requesting court, which holds the remedy of 民诉法 第二百四十条). 催办 stay with the city's command
center (青岛催〔2026〕12号).

Nothing here touches storage or the clock: the service passes `now`, the reference data and the facts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from courts.registry import CourtLevel
from delegation.core.access import Actor, UserRole
from delegation.core.chinese import chinese_date
from delegation.core.clocks import Due, Rung, due_day_of, end_of_day, local_day, working_days_overdue
from delegation.core.reference import Reference
from delegation.core.states import STAGE_HOLDER, Action, Side, Stage, Status
from delegation.outbox import texts


class NoticeKind(StrEnum):
    REMINDER = "reminder"  # 到期提醒: due soon
    URGE = "urge"  # 催办: overdue
    SUPERVISE = "supervise"  # 督办: formal, numbered, must be acknowledged
    ESCALATE = "escalate"  # 报请协调: to the regional coordinator


KIND_OF_RUNG: dict[Rung, NoticeKind] = {
    Rung.DUE_SOON: NoticeKind.REMINDER,
    Rung.OVERDUE: NoticeKind.URGE,
    Rung.SUPERVISE: NoticeKind.SUPERVISE,
    Rung.ESCALATE: NoticeKind.ESCALATE,
}
NUMBER_CHAR: dict[NoticeKind, str] = {NoticeKind.URGE: "催", NoticeKind.SUPERVISE: "督"}
KIND_LABEL: dict[NoticeKind, str] = {
    NoticeKind.REMINDER: "到期提醒",
    NoticeKind.URGE: "催办通知",
    NoticeKind.SUPERVISE: "督办通知",
    NoticeKind.ESCALATE: "超期报请协调",
}
MANUAL_KINDS: frozenset[NoticeKind] = frozenset({NoticeKind.URGE, NoticeKind.SUPERVISE})

STAGE_LABEL: dict[str, str] = {
    Stage.SIGN_FOR: "签收",
    Stage.CORRECTION: "补正",
    Stage.PLAN: "协助方案",
    Stage.EXECUTION: "办理",
    Stage.CONFIRMATION: "结果确认",
    Stage.REDIRECT: "指定移送",
}
STATUS_LABEL: dict[str, str] = {
    Status.DRAFT: "草稿",
    Status.SUBMITTED: "待签收",
    Status.RETURNED: "退回补正",
    Status.DECLINED: "不予受理，待移送",
    Status.ACCEPTED: "已签收",
    Status.IN_PROGRESS: "办理中",
    Status.SCHEDULED: "已约定执行日期",
    Status.COMPLETED: "已办结，待确认",
    Status.CONFIRMED: "已确认",
    Status.WITHDRAWN: "已撤回",
}
ACTION_LABEL: dict[str, str] = {
    Action.SUBMIT: "提交委托",
    Action.SIGN_FOR: "签收",
    Action.RETURN_FOR_CORRECTION: "退回补正",
    Action.RESUBMIT: "补正后重新提交",
    Action.DECLINE: "不予受理（非本院管辖）",
    Action.REDIRECT: "指定移送",
    Action.ASSIGN_HANDLER: "指定承办人",
    Action.SCHEDULE: "约定执行日期",
    Action.RECORD_RESULT: "登记办理结果",
    Action.COMPLETE: "办结并上传回执",
    Action.REQUEST_EXTENSION: "申请延期",
    Action.APPROVE_EXTENSION: "批准延期",
    Action.REFUSE_EXTENSION: "不予延期",
    Action.CONFIRM: "确认办理结果",
    Action.REQUEST_REWORK: "要求重新办理",
    Action.WITHDRAW: "撤回委托",
    Action.EXPIRE_CORRECTION: "逾期未补正，视为撤回委托",
    Action.REPORT_PROGRESS: "执行情况函复",
    Action.REQUEST_SUPERIOR_ORDER: "请求上级法院指令执行",
}
SIDE_ROLE: dict[Side, UserRole] = {
    Side.ASSISTING: UserRole.ASSISTING_CLERK,
    Side.REQUESTING: UserRole.REQUESTING_OFFICER,
    Side.COMMAND_CENTER: UserRole.COMMAND_CENTER,
}


def format_number(city: str, kind: NoticeKind, year: int, seq: int) -> str:
    """青岛催〔2026〕12号: city, kind character, year in 〔〕, sequence number."""
    return f"{city}{NUMBER_CHAR[kind]}〔{year}〕{seq}号"


# The 文号 abbreviation of each court that issues 督办 (each court's own; correctable data). Courts not
# listed use the first two characters of their place name and 法.
DOCUMENT_PREFIX: dict[str, str] = {
    "鲁": "鲁高法",
    "鲁02": "青中法",
    "鲁06": "烟中法",
    "鲁07": "潍中法",
    "鲁10": "威中法",
    "鲁11": "日中法",
    "鲁71": "济铁中法",
}


def document_prefix(ref: Reference, court_code: str) -> str:
    if court_code in DOCUMENT_PREFIX:
        return DOCUMENT_PREFIX[court_code]
    court = ref.registry.find(court_code)
    place = (court.place_name if court else None) or court_code
    return f"{place[:2]}法"


def format_supervision_number(prefix: str, year: int, seq: int) -> str:
    """烟中法执督〔2026〕3号: the issuing court's abbreviation, 执督, year in 〔〕, sequence number."""
    return f"{prefix}执督〔{year}〕{seq}号"


def supervising_court(ref: Reference, court_code: str) -> str | None:
    """The court whose 督办 reaches `court_code`: its superior (None for the high court)."""
    superior = ref.registry.superior(court_code) if ref.registry.find(court_code) else None
    return superior.code if superior else None


def may_supervise(ref: Reference, actor: Actor, issuing_court: str) -> bool:
    """The command center of the issuing court, or, for the 山东省高级人民法院, the regional coordinator
    acting on its behalf (or a command center user of that court, where one is set up)."""
    if UserRole.COMMAND_CENTER in actor.roles and actor.court_code == issuing_court:
        return True
    court = ref.registry.find(issuing_court)
    return court is not None and court.level is CourtLevel.HIGH and UserRole.REGIONAL_COORDINATOR in actor.roles


# Who answers a notice for the court it is addressed to (a 督办's 签收 with its written reply).
ACKNOWLEDGING_ROLES: frozenset[UserRole] = frozenset({UserRole.ASSISTING_CLERK, UserRole.REQUESTING_OFFICER})


def may_acknowledge(actor: Actor, to_court: str) -> bool:
    """Whether the actor answers for the court a notice is addressed to: its clerk or officer. The command
    center that issued it and the court it is copied to read it; they do not acknowledge it."""
    return actor.court_code == to_court and bool(actor.roles & ACKNOWLEDGING_ROLES)


def is_numbered(kind: NoticeKind) -> bool:
    return kind in NUMBER_CHAR


def holder_role(stage: Stage) -> UserRole:
    """The user role that acts for the court holding the ball in this stage."""
    return SIDE_ROLE[STAGE_HOLDER[stage]]


def day_text(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def due_text(due_at: datetime | None) -> str:
    """24:00 of the last day (stored as 00:00 of the next day) reads as that last day, 24时."""
    if due_at is None:
        return ""
    last = due_day_of(due_at)
    return f"{day_text(last)}24时"


def elapsed_text(seconds: int) -> str:
    hours, rest = divmod(max(0, seconds), 3600)
    days, hours = divmod(hours, 24)
    minutes = rest // 60
    parts = [f"{days}天" if days else "", f"{hours}小时" if hours else "", f"{minutes}分钟"]
    return "".join(p for p in parts if p)


@dataclass(frozen=True)
class Subject:
    """The delegation and clock a notice is about."""

    delegation_id: int
    number: str
    case_number: str
    matter_type: str
    policy_version: str
    status: str
    requesting_court: str
    assisting_court: str
    clock_id: int | None
    stage: Stage
    holder: str  # the court holding the ball
    due: Due | None


@dataclass
class NoticeDraft:
    """A notice before it is stored; seq is filled in when its number is allocated."""

    kind: NoticeKind
    subject: Subject
    rung: Rung | None
    city: str
    year: int
    cc_court: str | None
    working_days_overdue: int
    requires_ack: bool
    issued_by: str
    issuer_name: str
    issued_at: datetime
    comment: str = ""
    seq: int | None = None
    withdraw_on_expiry: bool = False
    extra: dict[str, object] = field(default_factory=dict)
    issuing_court: str | None = None  # in whose name it is issued (督办: the holder's superior)
    office_name: str = ""  # the handling office (承办部门): the issuing court's command center
    number_prefix: str = ""  # 督办: the issuing court's 文号 abbreviation
    reply_by: date | None = None  # 督办: the deadline it sets

    @property
    def numbering_group(self) -> str:
        """Numbers run per issuing court, kind and year (the city's command center for 催办)."""
        return self.issuing_court or self.city

    @property
    def number_text(self) -> str | None:
        if self.seq is None or not is_numbered(self.kind):
            return None
        if self.kind is NoticeKind.SUPERVISE and self.number_prefix:
            return format_supervision_number(self.number_prefix, self.year, self.seq)
        return format_number(self.city, self.kind, self.year, self.seq)

    def title(self, ref: Reference) -> str:
        court = court_name(ref, self.subject.holder)
        label = KIND_LABEL[self.kind]
        number = f" {self.number_text}" if self.number_text else ""
        return f"{label}{number}：{self.subject.number} {court}"[:200]

    def body(self, ref: Reference, patterns: dict[Any, texts.Pattern] | None = None) -> str:
        """The notice's text. `patterns`: texts already rendered for notices of the same kind, court, stage, due
        time and moment of issue, with the notice's and the matter's numbers open (texts.pattern); one dict for
        a batch renders each such group once."""
        s = self.subject
        own = (self.number_text or "", s.number, s.case_number)
        if patterns is None:
            return texts.render(self.kind.value, **self._context(ref, own))[:4000]
        key = (
            self.kind,
            s.holder,
            self.cc_court,
            s.policy_version,
            s.matter_type,
            s.stage,
            s.due,
            self.working_days_overdue,
            self.issued_at,
            self.issuer_name,
            self.comment,
            self.withdraw_on_expiry,
            self.office_name,
            self.reply_by,
            tuple(bool(value) for value in own),
        )
        found = patterns.get(key)
        if found is None:
            holes = [name for name, value in zip(_OWN_VALUES, own, strict=True) if value]
            found = patterns[key] = texts.pattern(self.kind.value, self._context(ref, own), holes)
        return texts.fill(found, [value for value in own if value])[:4000]

    def _context(self, ref: Reference, own: tuple[str, str, str]) -> dict[str, Any]:
        s = self.subject
        return {
            **dict(zip(_OWN_VALUES, own, strict=True)),
            "court_name": court_name(ref, s.holder),
            "cc_name": court_name(ref, self.cc_court) if self.cc_court else "",
            "matter_name": matter_name(ref, s.policy_version, s.matter_type),
            "stage_label": STAGE_LABEL.get(s.stage, s.stage),
            "due_text": due_text(s.due.at if s.due else None),
            "provisional": bool(s.due and s.due.provisional),
            "overdue": self.working_days_overdue > 0 or bool(s.due and self.issued_at >= s.due.at),
            "days_overdue": self.working_days_overdue,
            "issuer_name": self.issuer_name,
            "issued_text": day_text(local_day(self.issued_at)),
            "comment": self.comment,
            "withdraw_on_expiry": self.withdraw_on_expiry,
            "office_name": self.office_name,
            "issued_cn": chinese_date(local_day(self.issued_at)),
            "reply_by_text": chinese_date(self.reply_by) if self.reply_by else "",
        }


# What differs between notices otherwise alike: inserted as they are by every notice template (texts.pattern).
_OWN_VALUES = ("notice_number", "number", "case_number")


def court_name(ref: Reference, code: str | None) -> str:
    if code is None:
        return ""
    court = ref.registry.find(code)
    return court.name if court else code


def matter_name(ref: Reference, version: str, code: str) -> str:
    try:
        return ref.policies.get(version).matter(code).name_zh
    except Exception:  # an unknown version or matter still gets a notice, with the code
        return code


def command_center_of(ref: Reference, court_code: str) -> str | None:
    """The intermediate court whose command center covers `court_code` (itself for an intermediate court)."""
    city = ref.city_of(court_code)
    if city is None:
        return None
    center = ref.registry.intermediate_of_city(city)
    return center.code if center else None


def days_overdue(ref: Reference, due: Due | None, now: datetime) -> int:
    """Whole working days past the due day that have ended by `now` (today, still running, not counted)."""
    if due is None or now < due.at:
        return 0
    return working_days_overdue(due.day, now, ref.calendar)


def draft(
    ref: Reference,
    kind: NoticeKind,
    subject: Subject,
    now: datetime,
    *,
    rung: Rung | None,
    issued_by: str,
    issuer_name: str = "",
    comment: str = "",
    requires_ack: bool | None = None,
    withdraw_on_expiry: bool = False,
) -> NoticeDraft:
    """A notice addressed to the court holding the ball. A 督办 is issued in the name of the holder's
    superior court and copied to the other court of the matter; other notices come from the city's
    command center and are copied to it."""
    city = ref.city_of(subject.holder) or "胶东"
    center = command_center_of(ref, subject.holder)
    if requires_ack is None:
        requires_ack = kind is NoticeKind.SUPERVISE
    if kind is NoticeKind.SUPERVISE:
        return _supervision(ref, subject, now, rung, issued_by, comment, requires_ack, withdraw_on_expiry, city)
    return NoticeDraft(
        kind=kind,
        subject=subject,
        rung=rung,
        city=city,
        year=local_day(now).year,
        cc_court=center,
        working_days_overdue=days_overdue(ref, subject.due, now),
        requires_ack=requires_ack,
        issued_by=issued_by,
        issuer_name=issuer_name or (f"{court_name(ref, center)}执行指挥中心" if center else "胶东五市协作平台"),
        issued_at=now,
        comment=comment,
        withdraw_on_expiry=withdraw_on_expiry,
        issuing_court=center,
    )


def reply_deadline(ref: Reference, policy_version: str, now: datetime) -> date:
    """The day a 督办 issued at `now` sets: the policy's working days after the day of issue."""
    try:
        days = ref.policies.get(policy_version).rungs.supervise_reply_working_days
    except Exception:  # an unknown version still gets the current policy's number
        days = ref.policies.in_force(now).rungs.supervise_reply_working_days
    return ref.calendar.add_working_days(local_day(now), days).date


def reply_deadline_at(day: date) -> datetime:
    return end_of_day(day)


def _supervision(
    ref: Reference,
    subject: Subject,
    now: datetime,
    rung: Rung | None,
    issued_by: str,
    comment: str,
    requires_ack: bool,
    withdraw_on_expiry: bool,
    city: str,
) -> NoticeDraft:
    issuer = supervising_court(ref, subject.holder) or command_center_of(ref, subject.holder)
    other = subject.requesting_court if subject.holder != subject.requesting_court else subject.assisting_court
    issuer_court = court_name(ref, issuer) if issuer else "胶东五市协作平台"
    return NoticeDraft(
        kind=NoticeKind.SUPERVISE,
        subject=subject,
        rung=rung,
        city=city,
        year=local_day(now).year,
        cc_court=other,
        working_days_overdue=days_overdue(ref, subject.due, now),
        requires_ack=requires_ack,
        issued_by=issued_by,
        issuer_name=issuer_court,
        issued_at=now,
        comment=comment,
        withdraw_on_expiry=withdraw_on_expiry,
        issuing_court=issuer,
        office_name=f"{issuer_court}执行指挥中心" if issuer else "",
        number_prefix=document_prefix(ref, issuer) if issuer else "",
        reply_by=reply_deadline(ref, subject.policy_version, now),
    )
