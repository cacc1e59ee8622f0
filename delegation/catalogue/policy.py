"""The matter catalogue and its SLA policy, as versioned, effective-dated data.

One JSON document per policy version (delegation/catalogue/data/policy/<version>.json, or loaded by an administrator).
Adding a matter type, a field or a new set of deadlines is a data change; only a new *kind* of field
(a new validator) needs code, in delegation.catalogue.fields.
"""

from __future__ import annotations

import bisect
import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, time
from functools import cache, cached_property
from importlib import resources
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_core import PydanticCustomError

from delegation.catalogue.fields import DOCUMENT_KINDS, LIST_KIND
from delegation.catalogue.specs import (
    Choice,
    Code,
    FieldSpec,
    Label,
    Model,
    OneOf,
    PartyPolicy,
    PartyRole,
    check_names,
    policy_rule,
)
from delegation.catalogue.values import (
    CourtLookup,
    keep_stored_where_masked,
    mask_record,
    pii_paths,
    validate_parties_with,
    validate_record,
)
from delegation.core.errors import FieldError, NotFound, ValidationFailed

__all__ = [
    "STAGES",
    "Choice",
    "ExtensionPolicy",
    "FieldSpec",
    "MatterGroup",
    "MatterType",
    "PartyPolicy",
    "PartyRole",
    "PolicyBook",
    "PolicyVersion",
    "RenewalPolicy",
    "RungPolicy",
    "StageBudget",
    "StageDefault",
    "StageDefaults",
    "StatutoryDuties",
    "load_shipped_policies",
    "mask_fields",
    "missing_documents",
    "parse_policy",
    "pii_field_names",
    "unmask_unchanged",
    "validate_matter_fields",
    "validate_parties",
]

SHANGHAI = ZoneInfo("Asia/Shanghai")

StageName = Literal["sign_for", "correction", "plan", "execution", "confirmation", "redirect"]
STAGES: tuple[StageName, ...] = ("sign_for", "correction", "plan", "execution", "confirmation", "redirect")
Mechanism = Literal["matter_delegation", "onsite_assistance"]
Unit = Literal["working", "calendar"]


class StageBudget(Model):
    """A stage's time budget: N working or calendar days, counted from the stage start, the agreed date, or
    the receipt of the letter (the submission; 委托送达 counts from it, 民诉法解释 第一百三十四条); `source`
    cites the rule or agreement the figure comes from."""

    days: int = Field(ge=1, le=365)
    unit: Unit
    starts_from: Literal["stage_start", "scheduled_date", "receipt"] = Field("stage_start", alias="from")
    source: str = Field("", max_length=300)


class StageDefault(StageBudget):
    """The default budget of a stage, plus what expiry means and which mechanisms have the stage at all."""

    on_expiry: Literal["escalate", "withdraw"] = "escalate"  # correction: expiry = deemed withdrawn
    mechanisms: tuple[Mechanism, ...] | None = None  # None: every mechanism

    def budget(self) -> StageBudget:
        return StageBudget(days=self.days, unit=self.unit, starts_from=self.starts_from, source=self.source)


class StageDefaults(Model):
    sign_for: StageDefault
    correction: StageDefault
    plan: StageDefault
    execution: StageDefault
    confirmation: StageDefault
    # A declined matter's redirect by the command center (versions without it get the product default).
    redirect: StageDefault = StageDefault(days=2, unit="working", source="产品默认值：指挥中心2个工作日内指定移送")

    def of(self, stage: StageName) -> StageDefault:
        result: StageDefault = getattr(self, stage)
        return result


class RungPolicy(Model):
    """When reminders and escalations fire, in working days around the due day, and when they may be sent."""

    due_soon_days_before: int = Field(ge=0, le=30)
    supervise_days_after: int = Field(ge=1, le=60)  # 督办
    supervise_requires_acknowledgement: bool = True
    # False: the 督办 rung prepares a draft for the superior court's command center to issue (a court decides to
    # issue a 督办 in its name); true: the sweep issues it at once.
    supervise_auto_issue: bool = False
    # The deadline a 督办 sets, in working days from its issue (执行工作若干问题的规定 第74条 "限期执行";
    # the number is policy): the notice says 请于二〇二六年三月十二日前办结并书面回复.
    supervise_reply_working_days: int = Field(default=5, ge=1, le=60)
    # Within this many working days of a 督办 on the same matter, another one warns and shows the first.
    supervise_repeat_working_days: int = Field(default=5, ge=0, le=60)
    escalate_days_after: int = Field(ge=1, le=120)  # to the regional coordinator
    reminder_window_start: time
    reminder_window_end: time

    @model_validator(mode="after")
    def _ordered(self) -> RungPolicy:
        if self.escalate_days_after <= self.supervise_days_after:
            raise policy_rule(
                "升级（escalate）应晚于督办（supervise）", "escalate_days_after must exceed supervise_days_after"
            )
        if self.reminder_window_start >= self.reminder_window_end:
            raise policy_rule("提醒时段的开始应早于结束", "The reminder window must start before it ends")
        return self


class ExtensionPolicy(Model):
    """How far an assisting court may extend a stage (延期), and who approves."""

    stages: tuple[StageName, ...] = Field(min_length=1)
    max_working_days_per_request: int = Field(ge=1, le=90)
    max_requests: int = Field(ge=0, le=10)
    approver: Literal["command_center", "regional"] = "command_center"


class StatutoryDuties(Model):
    """The statutory backstops of a matter, counted in plain days from receipt of the 委托函 (on the platform:
    submission) with the roll-forward of 民诉法 第八十五条, beside the policy clocks and never extended:
    start within `start_days`, finish or report the state of execution within `report_days`, and report
    again every `report_days` while the matter stays open. `applies: false` on a matter opts it out of
    its group's duties. `source` cites the law as the Chinese pages show it; `source_en` says the same for the
    English pages, keeping the statute's Chinese name beside its English one (none: they show `source`)."""

    applies: bool = True
    start_days: int = Field(default=15, ge=1, le=365)
    report_days: int = Field(default=30, ge=1, le=365)
    source: str = Field(min_length=1, max_length=300)
    source_en: str = Field("", max_length=300)


class RenewalPolicy(Model):
    """A renewal (续封/续冻) must be done before the existing seizure or freeze lapses (民诉法解释 第四百八十五条:
    续行手续 before the period ends): the assisting court's clocks are due no later than `margin_working_days`
    working days before the earliest `expiry_field` of the matter's assets."""

    expiry_field: str = Field("expires_on", min_length=1, max_length=64)
    margin_working_days: int = Field(default=5, ge=0, le=60)
    source: str = Field(min_length=1, max_length=300)


class SealPolicy(Model):
    """A 查封、扣押、冻结 (or its renewal) of this kind of property: the longest period the law allows, which is
    the period asked of a registry when the matter names none (民诉法解释 第四百八十五条: bank deposits one
    year, movables such as vehicles two years, real estate and other property rights such as equity three
    years; a renewal no longer than that), and the rule for a seizure registered behind another court's (轮候).

    The period counts from the day the registry registers the seizure, that day included: N months from
    2026-03-03 end on the day before the corresponding day (2028-03-02 for 24 months); a month without that
    day ends on its last day (民法典 第二百零三条's rule for a missing corresponding day)."""

    max_months: int = Field(ge=1, le=120)
    source: str = Field(min_length=1, max_length=300)
    waiting_rule: str = Field(min_length=1, max_length=300)  # what 轮候 means for the requesting court
    waiting_source: str = Field(min_length=1, max_length=300)

    def months(self, asked: int | None) -> int:
        """The period to ask for: what the matter asks, never more than the law allows; none asked: the most."""
        return self.max_months if asked is None or asked <= 0 else min(asked, self.max_months)

    def until(self, start: date, months: int | None = None) -> date:
        """The last day of a seizure registered on `start` for `months` (default: the most the law allows)."""
        n = self.months(months)
        year, month = divmod(start.month - 1 + n, 12)
        year, month = start.year + year, month + 1
        last = (date(year + month // 12, month % 12 + 1, 1) - date.resolution).day
        corresponding = date(year, month, min(start.day, last))
        return corresponding - date.resolution if start.day <= last else corresponding


class MatterGroup(Model):
    """A family of matters (查控, investigation, service, on-site) sharing default deadlines."""

    code: Code
    name_zh: Label
    name_en: Label
    sla: dict[StageName, StageBudget] = Field(default_factory=dict)
    statutory: StatutoryDuties | None = None
    # Results are served documents: each records the 送达回证 (day, method, who signed).
    service_of_documents: bool = False


# ---- matters and parties ---------------------------------------------------------------------------------


class MatterType(Model):
    code: Code
    name_zh: Label
    name_en: Label
    group: Code
    mechanism: Mechanism
    fields: tuple[FieldSpec, ...]
    require_one_of: OneOf = ()
    assets: str | None = None  # the list field whose items get one result each (several flats...)
    required_documents: tuple[str, ...]
    sla: dict[StageName, StageBudget] = Field(default_factory=dict)
    statutory: StatutoryDuties | None = None
    renewal: RenewalPolicy | None = None
    seal: SealPolicy | None = None  # 查封冻结 and 续封续冻: the legal period and the 轮候 rule

    @field_validator("required_documents")
    @classmethod
    def _known_documents(cls, kinds: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [k for k in kinds if k not in DOCUMENT_KINDS]
        if unknown:
            known = ", ".join(DOCUMENT_KINDS)
            raise policy_rule(
                f"未知的材料类型：{', '.join(unknown)}；可用：{known}",
                f"Unknown document kinds: {', '.join(unknown)}; known: {known}",
            )
        if len(set(kinds)) != len(kinds):
            raise policy_rule("材料类型重复", "Duplicate document kinds")
        return kinds

    @model_validator(mode="after")
    def _consistent(self) -> MatterType:
        check_names(self.fields, self.require_one_of)
        period = self.field_map.get("period_months")
        if self.seal is not None and period is not None and (period.max_value or 0) > self.seal.max_months:
            raise policy_rule(
                f"period_months的上限（{period.max_value}个月）超过法定期限（{self.seal.max_months}个月）",
                f"period_months allows {period.max_value} months, more than the legal {self.seal.max_months}",
            )
        if self.assets is not None:
            target = next((f for f in self.fields if f.name == self.assets), None)
            if target is None or target.kind != LIST_KIND:
                raise policy_rule(
                    f"assets应指向本事项的一个list字段，而“{self.assets}”不是",
                    f"assets must name a list field of this matter; '{self.assets}' is not one",
                )
        return self

    @cached_property
    def field_map(self) -> Mapping[str, FieldSpec]:
        return {f.name: f for f in self.fields}

    def earliest_expiry(self, values: Mapping[str, object]) -> date | None:
        """A renewal's earliest current expiry among its assets (or a top-level date field), None if none."""
        if self.renewal is None:
            return None
        name = self.renewal.expiry_field
        found: list[object] = [values.get(name)]
        items = values.get(self.assets) if self.assets is not None else None
        if isinstance(items, list):
            found += [item.get(name) for item in items if isinstance(item, Mapping)]
        days = []
        for value in found:
            try:
                days.append(value if isinstance(value, date) else date.fromisoformat(str(value)))
            except ValueError:
                continue
        return min(days, default=None)


# ---- a policy version ------------------------------------------------------------------------------------


class PolicyVersion(Model):
    version: str = Field(pattern=r"^[0-9A-Za-z][0-9A-Za-z._-]{0,39}$")
    effective_from: date  # a calendar day in Asia/Shanghai
    note: str = ""
    rungs: RungPolicy
    stages: StageDefaults
    extensions: ExtensionPolicy
    groups: tuple[MatterGroup, ...] = Field(min_length=1)
    party_fields: PartyPolicy
    matter_types: tuple[MatterType, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> PolicyVersion:
        # Cross-references are all checked and reported together, each at its own path.
        problems: list[tuple[tuple[str | int, ...], str, str]] = []
        seen: set[str] = set()
        for i, g in enumerate(self.groups):
            if g.code in seen:
                problems.append((("groups", i, "code"), f"分组代码重复：{g.code}", f"Duplicate group code '{g.code}'"))
            seen.add(g.code)
        seen = set()
        groups = {g.code: g for g in self.groups}
        for i, m in enumerate(self.matter_types):
            at: tuple[str | int, ...] = ("matter_types", i)
            if m.code in seen:
                problems.append(((*at, "code"), f"事项代码重复：{m.code}", f"Duplicate matter code '{m.code}'"))
            seen.add(m.code)
            group = groups.get(m.group)
            if group is None:
                problems.append(
                    (
                        (*at, "group"),
                        f"分组“{m.group}”未在groups中定义",
                        f"Group '{m.group}' is not defined in groups",
                    )
                )
                continue
            for stage in sorted({*group.sla, *m.sla}):
                if not self._applies(m, stage):
                    problems.append(
                        (
                            (*at, "sla", stage),
                            f"{m.mechanism}类事项没有“{stage}”阶段，不能设置其时限（可能来自分组{m.group}）",
                            f"A {m.mechanism} matter has no '{stage}' stage to budget (maybe via group '{m.group}')",
                        )
                    )
            if any(self._resolve(m, s).starts_from == "scheduled_date" for s in self._stages_of(m)):
                spec = m.field_map.get("scheduled_date")
                if spec is None or spec.kind != "date" or not spec.required:
                    problems.append(
                        (
                            (*at, "fields"),
                            "时限从约定日期起算，须有必填的date字段scheduled_date",
                            "A budget counts from the agreed date, so a required date field 'scheduled_date' is needed",
                        )
                    )
        if problems:
            raise PydanticCustomError(
                "policy_rules",
                "{en}",
                {"zh": problems[0][1], "en": "; ".join(p[2] for p in problems), "problems": problems},
            )
        return self

    @property
    def matter_codes(self) -> list[str]:
        return [m.code for m in self.matter_types]

    @cached_property
    def _matters(self) -> Mapping[str, MatterType]:
        return {m.code: m for m in self.matter_types}

    @cached_property
    def _groups(self) -> Mapping[str, MatterGroup]:
        return {g.code: g for g in self.groups}

    def matter(self, code: str) -> MatterType:
        found = self._matters.get(code)
        if found is None:
            raise ValidationFailed(
                [FieldError("matter_type", f"未知的事项类型“{code}”", f"Unknown matter type '{code}'")]
            )
        return found

    def group(self, code: str) -> MatterGroup:
        return self._groups[code]

    def _applies(self, matter: MatterType, stage: str) -> bool:
        mechanisms = self.stages.of(stage).mechanisms  # type: ignore[arg-type]
        return mechanisms is None or matter.mechanism in mechanisms

    def _stages_of(self, matter: MatterType) -> tuple[StageName, ...]:
        return tuple(s for s in STAGES if self._applies(matter, s))

    def _resolve(self, matter: MatterType, stage: StageName) -> StageBudget:
        # Most specific wins: the matter's own override, then its group's, then the stage default.
        return matter.sla.get(stage) or self._groups[matter.group].sla.get(stage) or self.stages.of(stage).budget()

    def past_scheduled_date(self, matter: MatterType, values: Mapping[str, object], today: date) -> list[FieldError]:
        """A matter whose period counts from the agreed date (from: scheduled_date) cannot be filed with a
        date already past: its period would start before the assisting court has even seen it. The same
        rule as agreeing the date after signing for (handling.rules.schedule)."""
        if not any(self._resolve(matter, s).starts_from == "scheduled_date" for s in self._stages_of(matter)):
            return []
        day = values.get("scheduled_date")
        if isinstance(day, str):
            try:
                day = date.fromisoformat(day)
            except ValueError:
                return []
        if not isinstance(day, date) or day >= today:
            return []
        spec = matter.field_map["scheduled_date"]
        return [
            FieldError(
                "fields.scheduled_date",
                f"{spec.label_zh}不能早于今天",
                f"{spec.label_en} cannot be in the past.",
            )
        ]

    def stages_for(self, matter_code: str) -> tuple[StageName, ...]:
        """The stages a matter of this type goes through (plan only for on-site assistance)."""
        return self._stages_of(self.matter(matter_code))

    def budget(self, matter_code: str, stage: str) -> StageBudget:
        matter = self.matter(matter_code)
        if stage not in STAGES:
            raise ValidationFailed(
                [
                    FieldError(
                        "stage", f"未知的办理阶段“{stage}”", f"Unknown stage '{stage}'; known: {', '.join(STAGES)}"
                    )
                ]
            )
        if not self._applies(matter, stage):
            raise ValidationFailed(
                [
                    FieldError(
                        "stage",
                        f"事项“{matter.name_zh}”没有“{stage}”阶段",
                        f"Matter '{matter.code}' has no '{stage}' stage",
                    )
                ]
            )
        return self._resolve(matter, stage)

    def statutory(self, matter_code: str) -> StatutoryDuties | None:
        """The statutory duties a matter of this type triggers (its own, else its group's), None if none."""
        matter = self.matter(matter_code)
        duties = matter.statutory or self._groups[matter.group].statutory
        return duties if duties is not None and duties.applies else None

    def on_expiry(self, stage: StageName) -> Literal["escalate", "withdraw"]:
        return self.stages.of(stage).on_expiry


# ---- loading ---------------------------------------------------------------------------------------------

_ZH_BY_TYPE = {
    "missing": "缺少必填项",
    "extra_forbidden": "不认识的键（可能拼写错误）",
    "literal_error": "取值不在允许范围内",
    "int_type": "应为整数",
    "int_parsing": "应为整数",
    "string_type": "应为文本",
    "bool_type": "应为true或false",
    "date_type": "应为日期（YYYY-MM-DD）",
    "date_parsing": "应为日期（YYYY-MM-DD）",
    "date_from_datetime_parsing": "应为日期（YYYY-MM-DD）",
    "time_type": "应为时间（HH:MM）",
    "time_parsing": "应为时间（HH:MM）",
    "greater_than_equal": "数值过小",
    "less_than_equal": "数值过大",
    "string_too_short": "不能为空",
    "string_too_long": "过长",
    "too_short": "至少需要一项",
    "string_pattern_mismatch": "格式不正确（代码应为小写英文、数字和下划线）",
    "json_invalid": "不是有效的JSON",
    "json_type": "不是有效的JSON",
}


def _path(loc: Sequence[int | str], raw: object) -> str:
    """A readable location, naming matter codes: matter_types[3](real_estate_seal).fields[0].kind."""
    out = "policy"
    node = raw
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
            node = node[part] if isinstance(node, list) and part < len(node) else None
            code = node.get("code") if isinstance(node, dict) else None
            if isinstance(code, str):
                out += f"({code})"
        else:
            out += f".{part}"
            node = node.get(part) if isinstance(node, dict) else None
    return out


def _no_duplicate_keys(pairs: list[tuple[str, object]]) -> dict[str, object]:
    keys = [k for k, _ in pairs]
    dupes = sorted({k for k in keys if keys.count(k) > 1})
    if dupes:
        raise ValueError(f"duplicate keys: {', '.join(dupes)}")
    return dict(pairs)


def parse_policy(text: str) -> PolicyVersion:
    """Parse one policy version strictly; every problem comes back as a FieldError naming its path."""
    try:
        raw = json.loads(text, object_pairs_hook=_no_duplicate_keys)
    except ValueError as e:  # JSONDecodeError is a ValueError
        raise ValidationFailed([FieldError("policy", f"策略文件不是有效的JSON：{e}", f"Not valid JSON: {e}")]) from None
    try:
        return PolicyVersion.model_validate_json(text, strict=True)
    except ValidationError as e:
        errors = []
        for err in e.errors():
            ctx = err.get("ctx") or {}
            for loc, zh, en in ctx.get("problems", ()):
                errors.append(FieldError(_path([*err["loc"], *loc], raw), zh, en))
            if "problems" in ctx:
                continue
            zh = str(ctx.get("zh") or _ZH_BY_TYPE.get(err["type"], "策略数据有误"))
            en = str(ctx.get("en") or err["msg"])
            errors.append(FieldError(_path(err["loc"], raw), zh, en))
        raise ValidationFailed(errors) from None


@cache
def _shipped() -> tuple[PolicyVersion, ...]:
    folder = resources.files("delegation.catalogue").joinpath("data").joinpath("policy")
    versions = []
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".json"):
            policy = parse_policy(entry.read_text(encoding="utf-8"))
            if policy.version != entry.name.removesuffix(".json"):
                raise ValueError(f"policy file {entry.name} holds version {policy.version}")
            versions.append(policy)
    return tuple(sorted(versions, key=lambda v: v.effective_from))


def load_shipped_policies() -> list[PolicyVersion]:
    """The policy versions shipped with the package, oldest first (parsed once per process)."""
    return list(_shipped())


class PolicyBook:
    """All known policy versions; picks the one in force at a moment."""

    def __init__(self, versions: Iterable[PolicyVersion]) -> None:
        ordered = sorted(versions, key=lambda v: v.effective_from)
        if not ordered:
            raise ValueError("a policy book needs at least one version")
        ids = [v.version for v in ordered]
        days = [v.effective_from for v in ordered]
        if len(set(ids)) != len(ids):
            raise ValueError(f"duplicate policy versions: {ids}")
        if len(set(days)) != len(days):
            raise ValueError("two policy versions take effect on the same day")
        self._versions = tuple(ordered)
        self._days = days
        self._by_id = {v.version: v for v in ordered}

    @property
    def versions(self) -> tuple[PolicyVersion, ...]:
        return self._versions

    def in_force(self, at: datetime) -> PolicyVersion:
        if at.tzinfo is None or at.utcoffset() is None:
            raise ValueError("`at` must be timezone-aware")
        day = at.astimezone(SHANGHAI).date()
        i = bisect.bisect_right(self._days, day)
        if i == 0:
            raise NotFound(
                f"No policy version is in force on {day.isoformat()} (earliest: {self._days[0].isoformat()})",
                title_zh="该日期没有生效的办理时限策略",
            )
        return self._versions[i - 1]

    def get(self, version: str) -> PolicyVersion:
        found = self._by_id.get(version)
        if found is None:
            raise NotFound(f"Unknown policy version '{version}'", title_zh="找不到该版本的办理时限策略")
        return found


# ---- values of a matter ----------------------------------------------------------------------------------


def validate_matter_fields(
    matter: MatterType, values: Mapping[str, object], *, courts: CourtLookup | None = None
) -> dict[str, object]:
    """Normalized values of a matter's fields; every problem reported at once in one ValidationFailed."""
    errors: list[FieldError] = []
    result = validate_record(matter.fields, matter.require_one_of, values, "", errors, courts)
    if errors:
        raise ValidationFailed(errors)
    return result


def validate_parties(
    policy: PolicyVersion, parties: Sequence[Mapping[str, object]], *, courts: CourtLookup | None = None
) -> list[dict[str, object]]:
    """Normalized parties, each with its role code; at least the policy's minimum of each role."""
    return validate_parties_with(policy.party_fields, parties, courts)


def missing_documents(matter: MatterType, present_kinds: Iterable[str]) -> list[str]:
    """The document kinds the matter requires that are not present, in the matter's order."""
    present = set(present_kinds)
    return [k for k in matter.required_documents if k not in present]


FieldSource = MatterType | PartyPolicy | Sequence[FieldSpec]


def _specs(source: FieldSource) -> Sequence[FieldSpec]:
    return source.fields if isinstance(source, (MatterType, PartyPolicy)) else source


def mask_fields(source: FieldSource, values: Mapping[str, object]) -> dict[str, object]:
    """A copy with every personal-data value masked (recursing into lists); keys the specs don't know stay."""
    return mask_record(_specs(source), values)


def unmask_unchanged(
    source: FieldSource, values: Mapping[str, object], stored: Mapping[str, object]
) -> dict[str, object]:
    """A copy of `values` where each personal-data value equal to the mask of the stored one is the stored value
    again (a read shows masks; sending one back means "unchanged")."""
    return keep_stored_where_masked(_specs(source), values, stored)


def pii_field_names(source: FieldSource) -> frozenset[str]:
    """Paths of personal-data fields; list items as 'properties[].address'."""
    return pii_paths(_specs(source))
