"""网络查控: registry connectors as data, the connector protocol's request and answer, and the mapping of a
registry's answer to a per-asset result. Pure: no I/O, no clock (times come in as arguments).

A matter goes "by network" when the assisting court (or its city) has an active connector to the registry
that matter needs (a vehicle inquiry -> the vehicle registry), for that matter type. The connector says where
the registry answers (endpoint), how we prove who we are (a secret *referenced* by name, never stored), how
fast we may ask (rate limit, requests in flight), when the registry works (business hours) and whether the
assisting court lets the system sign for such matters itself (auto_accept).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from enum import StrEnum
from typing import Any, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from delegation.outbox.model import canonical_json, sign, verify

SHANGHAI = ZoneInfo("Asia/Shanghai")
PROTOCOL_VERSION: Literal["jiaodong-registry/1"] = "jiaodong-registry/1"
SIGNATURE_HEADER = "X-Jiaodong-Signature"
SIGNATURE_TOLERANCE_SECONDS = 300

__all__ = [
    "PROTOCOL_VERSION",
    "SIGNATURE_HEADER",
    "AnswerCode",
    "Asset",
    "AssetAnswer",
    "AssetRequest",
    "BusinessHours",
    "ConnectorConfig",
    "ControlAction",
    "DocumentRef",
    "FoundItem",
    "Priority",
    "RegistryKind",
    "assets_of",
    "canonical_json",
    "result_of",
    "route_of",
    "sign",
    "verify",
]


class RegistryKind(StrEnum):
    REAL_ESTATE = "real_estate"  # 不动产登记中心（自然资源和规划局）
    VEHICLE = "vehicle"  # 公安交警车管所
    EQUITY = "equity"  # 市场监督管理局（国家企业信用信息公示系统）
    HOUSING_FUND = "housing_fund"  # 住房公积金管理中心
    SOCIAL_SECURITY = "social_security"  # 人力资源和社会保障局
    BANK = "bank"  # a bank with a local point-to-point link


REGISTRY_LABELS: dict[RegistryKind, tuple[str, str]] = {
    RegistryKind.REAL_ESTATE: ("不动产登记", "Real estate registry"),
    RegistryKind.VEHICLE: ("车辆登记", "Vehicle registry"),
    RegistryKind.EQUITY: ("股权登记", "Equity registry"),
    RegistryKind.HOUSING_FUND: ("公积金", "Housing provident fund"),
    RegistryKind.SOCIAL_SECURITY: ("社保", "Social security"),
    RegistryKind.BANK: ("银行", "Bank"),
}


class ControlAction(StrEnum):
    INQUIRE = "inquire"  # 查询
    SEAL = "seal"  # 查封 / 冻结
    RENEW = "renew"  # 续封 / 续冻
    RELEASE = "release"  # 解封 / 解冻


ACTION_LABELS: dict[ControlAction, tuple[str, str]] = {
    ControlAction.INQUIRE: ("查询", "Inquiry"),
    ControlAction.SEAL: ("查封冻结", "Seizure or freeze"),
    ControlAction.RENEW: ("续封续冻", "Renewal"),
    ControlAction.RELEASE: ("解封解冻", "Release"),
}

# Which registry and which act each network-capable matter type needs. 过户 and 扣划 move property and stay
# with a clerk; so do investigation, service and on-site work.
MATTER_ROUTES: dict[str, tuple[RegistryKind, ControlAction]] = {
    "real_estate_inquiry": (RegistryKind.REAL_ESTATE, ControlAction.INQUIRE),
    "real_estate_seal": (RegistryKind.REAL_ESTATE, ControlAction.SEAL),
    "real_estate_seal_renewal": (RegistryKind.REAL_ESTATE, ControlAction.RENEW),
    "real_estate_seal_release": (RegistryKind.REAL_ESTATE, ControlAction.RELEASE),
    "vehicle_inquiry": (RegistryKind.VEHICLE, ControlAction.INQUIRE),
    "vehicle_seal": (RegistryKind.VEHICLE, ControlAction.SEAL),
    "vehicle_seal_release": (RegistryKind.VEHICLE, ControlAction.RELEASE),
    "equity_freeze": (RegistryKind.EQUITY, ControlAction.SEAL),
    "equity_freeze_renewal": (RegistryKind.EQUITY, ControlAction.RENEW),
    "equity_freeze_release": (RegistryKind.EQUITY, ControlAction.RELEASE),
    "deposit_freeze": (RegistryKind.BANK, ControlAction.SEAL),
    "deposit_freeze_renewal": (RegistryKind.BANK, ControlAction.RENEW),
    "deposit_freeze_release": (RegistryKind.BANK, ControlAction.RELEASE),
}


def route_of(matter_type: str) -> tuple[RegistryKind, ControlAction] | None:
    return MATTER_ROUTES.get(matter_type)


# ---------------------------------------------------------------- connector configuration

_SECRET_REF = re.compile(r"^(env:[A-Z][A-Z0-9_]{2,63}|file:/[^\x00\n]{1,250})$")
_SCOPE = re.compile(r"^鲁[0-9]{0,4}$")
_HM = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")


class BusinessHours(BaseModel):
    """When the registry takes requests: working days of the court calendar (or every day), local time."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    start: str = "08:30"
    end: str = "17:30"
    working_days_only: bool = True

    @field_validator("start", "end")
    @classmethod
    def _hm(cls, value: str) -> str:
        if not _HM.match(value):
            raise ValueError("时间格式应为HH:MM / time must be HH:MM")
        return value

    @model_validator(mode="after")
    def _ordered(self) -> BusinessHours:
        if self.start >= self.end:
            raise ValueError("营业时间的开始应早于结束 / business hours must start before they end")
        return self

    def is_open(self, at: datetime, is_working_day: bool) -> bool:
        local = at.astimezone(SHANGHAI)
        if self.working_days_only and not is_working_day:
            return False
        return time.fromisoformat(self.start) <= local.time() < time.fromisoformat(self.end)


class ConnectorConfig(BaseModel):
    """One registry link of an assisting court (scope: its court code) or of a whole city (the intermediate
    court's code, 鲁06: every court of Yantai). The secret is a reference: env:NAME or file:/path."""

    model_config = ConfigDict(extra="forbid")
    scope: str = Field(description="court code (鲁0602) or a city's intermediate court code (鲁06)")
    registry: RegistryKind
    name: str = Field(min_length=1, max_length=100)
    matter_types: tuple[str, ...] = Field(min_length=1)
    endpoint: str = Field(max_length=300)
    secret_ref: str = Field(max_length=260)
    rate_per_minute: int = Field(default=60, ge=1, le=6000)
    max_in_flight: int = Field(default=4, ge=1, le=100)
    answer_timeout_seconds: int = Field(default=600, ge=5, le=86400)
    request_timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    business_hours: BusinessHours = Field(default_factory=BusinessHours)
    auto_accept: bool = False
    active: bool = True

    @field_validator("scope")
    @classmethod
    def _scope(cls, value: str) -> str:
        if not _SCOPE.match(value):
            raise ValueError("适用范围应为法院代码，如鲁0602或鲁06 / scope must be a court code")
        return value

    @field_validator("endpoint")
    @classmethod
    def _endpoint(cls, value: str) -> str:
        if not re.match(r"^https?://[^\s/]+(/[^\s]*)?$", value):
            raise ValueError("接口地址应为http(s)://开头的网址 / endpoint must be an http(s) URL")
        return value.rstrip("/")

    @field_validator("secret_ref")
    @classmethod
    def _secret(cls, value: str) -> str:
        if not _SECRET_REF.match(value):
            raise ValueError(
                "密钥只能以引用方式配置：env:变量名 或 file:/路径 / "
                "the secret must be a reference: env:NAME or file:/absolute/path"
            )
        return value

    @model_validator(mode="after")
    def _matters(self) -> ConnectorConfig:
        wrong = [m for m in self.matter_types if MATTER_ROUTES.get(m, (None,))[0] is not self.registry]
        if wrong:
            raise ValueError(
                f"这些事项不由{REGISTRY_LABELS[self.registry][0]}办理：{', '.join(wrong)} / "
                f"not matters of this registry: {', '.join(wrong)}"
            )
        return self

    def covers(self, court_code: str, matter_type: str) -> bool:
        """Scope 鲁06 covers 鲁06 and 鲁06xx; scope 鲁0602 only itself."""
        in_scope = court_code == self.scope or (len(self.scope) == 3 and court_code.startswith(self.scope))
        return self.active and in_scope and matter_type in self.matter_types


# ---------------------------------------------------------------- assets of a matter


@dataclass(frozen=True)
class Asset:
    """One thing the registry is asked about: an item of the matter's asset list (a flat, a car, a holding,
    an account) or, for an inquiry, one debtor whose property is searched."""

    index: int
    label: str  # what the result list shows (no ID or account number in full)
    subject: Mapping[str, Any]  # the debtor the request names
    item: Mapping[str, Any]  # the asset's own fields (empty for an inquiry)


def _debtors(parties: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    return [p for p in parties if p.get("role") == "debtor"]


def _subject(party: Mapping[str, Any]) -> dict[str, Any]:
    keys = ("party_type", "name", "id_number", "uscc", "other_id")
    return {k: party[k] for k in keys if party.get(k)}


def _tail(value: object, n: int = 4) -> str:
    text = str(value or "")
    return text[-n:] if len(text) > n else text


def _label(registry: RegistryKind, item: Mapping[str, Any]) -> str:
    if registry is RegistryKind.VEHICLE:
        return str(item.get("plate") or f"VIN尾号{_tail(item.get('vin'), 6)}")
    if registry is RegistryKind.REAL_ESTATE:
        return str(item.get("address") or item.get("cert_no") or "不动产")[:200]
    if registry is RegistryKind.EQUITY:
        return str(item.get("company_name") or "股权")[:200]
    if registry is RegistryKind.BANK:
        return f"{item.get('bank_name', '')} 尾号{_tail(item.get('account_no'))}"
    return "财产"


def assets_of(
    matter_type: str, asset_field: str | None, fields: Mapping[str, Any], parties: Sequence[Mapping[str, Any]]
) -> list[Asset]:
    """The requests a matter makes: one per listed asset, or one per debtor for an inquiry."""
    route = route_of(matter_type)
    if route is None:
        return []
    registry = route[0]
    debtors = _debtors(parties)
    subject = _subject(debtors[0]) if debtors else {}
    if asset_field is None:
        name = REGISTRY_LABELS[registry][0]
        return [
            Asset(i, f"被执行人{d.get('name', '')}名下{name}"[:200], _subject(d), {}) for i, d in enumerate(debtors)
        ]
    items = fields.get(asset_field) or []
    return [Asset(i, _label(registry, item), subject, dict(item)) for i, item in enumerate(items)]


# ---------------------------------------------------------------- the protocol


class AnswerCode(StrEnum):
    FOUND = "found"  # done: found / sealed / frozen / renewed / released as asked
    PARTIAL = "partial"  # part of it (a lower amount frozen, one of two plots)
    NOT_FOUND = "not_found"  # nothing registered under that subject or number
    ALREADY_SEALED = "already_sealed"  # sealed by another court first: ours is 轮候 (waiting in line)
    REJECTED = "rejected"  # the registry refuses the request (documents, subject mismatch)
    ERROR = "error"  # the registry failed; try again or hand back
    CLOSED = "closed"  # outside business hours


FINAL_CODES = frozenset(
    {AnswerCode.FOUND, AnswerCode.PARTIAL, AnswerCode.NOT_FOUND, AnswerCode.ALREADY_SEALED, AnswerCode.REJECTED}
)


class Priority(StrEnum):
    FIRST = "first"  # 首封 / 首冻
    WAITING = "waiting"  # 轮候


PRIORITY_LABELS = {Priority.FIRST: "首封", Priority.WAITING: "轮候"}


class DocumentRef(BaseModel):
    """A legal document the request rests on, by reference: the registry may fetch or match it."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    kind: str
    filename: str
    sha256: str


class MatterRef(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    number: str
    case_number: str
    requesting_court: str
    assisting_court: str
    matter_type: str


class AssetRequest(BaseModel):
    """One asset, one request. request_id is our idempotency key: sent again, the registry answers the same."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    protocol: Literal["jiaodong-registry/1"] = PROTOCOL_VERSION
    request_id: str = Field(min_length=8, max_length=64)
    registry: RegistryKind
    action: ControlAction
    matter: MatterRef
    documents: tuple[DocumentRef, ...]
    subject: dict[str, Any]
    asset: dict[str, Any]
    period_months: int | None = None
    callback_url: str | None = None


class FoundItem(BaseModel):
    """What the registry holds or did for one thing it found."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    description: str = Field(max_length=300)
    seal_from: date | None = None
    seal_until: date | None = None
    priority: Priority | None = None
    amount_frozen: str | None = Field(default=None, pattern=r"^[0-9]{1,15}(\.[0-9]{1,2})?$")


class AssetAnswer(BaseModel):
    """A registry's answer to one request: final, or `pending` (it will call back, or be asked again)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    protocol: Literal["jiaodong-registry/1"] = PROTOCOL_VERSION
    request_id: str
    status: Literal["answered", "pending"]
    code: AnswerCode | None = None
    receipt_no: str | None = Field(default=None, max_length=64)
    answered_at: datetime | None = None
    items: tuple[FoundItem, ...] = ()
    message: str = Field(default="", max_length=500)  # an "answered" without a code counts as still pending


def request_body(request: AssetRequest) -> bytes:
    return canonical_json(json.loads(request.model_dump_json()))


def answer_body(answer: AssetAnswer) -> bytes:
    return canonical_json(json.loads(answer.model_dump_json()))


# ---------------------------------------------------------------- answer -> per-asset result


@dataclass(frozen=True)
class AssetOutcome:
    """The result the matter records for one asset (outcome codes of handling.rules.RESULT_OUTCOMES)."""

    outcome: str
    note: str
    needs_clerk: bool = False  # no usable answer: the asset goes back to manual handling


_DONE_WORD = {
    ControlAction.INQUIRE: "查询到",
    ControlAction.SEAL: "已办理",
    ControlAction.RENEW: "已续行",
    ControlAction.RELEASE: "已解除",
}


def _item_text(item: FoundItem) -> str:
    parts = [item.description]
    if item.seal_from or item.seal_until:
        parts.append(f"期限{item.seal_from or '?'}至{item.seal_until or '?'}")
    if item.priority is not None:
        parts.append(PRIORITY_LABELS[item.priority])
    if item.amount_frozen is not None:
        parts.append(f"冻结金额{item.amount_frozen}元")
    return "，".join(parts)


def result_of(action: ControlAction, answer: AssetAnswer, waiting_rule: str = "") -> AssetOutcome:
    """How the registry's answer reads as the asset's result. 轮候 is a seizure registered behind another
    court's: done, with its priority on the record and the policy's 轮候 rule (`waiting_rule`, the matter
    type's seal policy: it takes effect by itself when the earlier one is released); a refusal or error is for a
    clerk to take over."""
    receipt = f"（回执号{answer.receipt_no}）" if answer.receipt_no else ""
    details = "；".join(_item_text(i) for i in answer.items)
    code = answer.code
    if code is AnswerCode.FOUND or code is AnswerCode.ALREADY_SEALED:
        word = _DONE_WORD[action]
        if action is ControlAction.INQUIRE and not answer.items:
            return AssetOutcome("not_found", f"未查询到登记信息{receipt}")
        rule = f"。{waiting_rule}" if code is AnswerCode.ALREADY_SEALED and waiting_rule else ""
        return AssetOutcome("done", f"{word}：{details}{receipt}{rule}"[:2000])
    if code is AnswerCode.PARTIAL:
        return AssetOutcome("partial", f"部分办理：{details}；{answer.message}{receipt}"[:2000])
    if code is AnswerCode.NOT_FOUND:
        return AssetOutcome("not_found", f"登记机关未查到{receipt}；{answer.message}".rstrip("；")[:2000])
    reason = answer.message or (code.value if code else "no answer")
    return AssetOutcome("failed", f"登记机关未能办理：{reason}{receipt}"[:2000], needs_clerk=True)


@dataclass(frozen=True)
class QueryPlan:
    """What the flow asks for one asset, with the registry connector that answers it."""

    asset: Asset
    request_id: str
    documents: tuple[DocumentRef, ...] = field(default_factory=tuple)


def handling_mode(latest_status: str) -> str:
    """How a matter is handled, from the status of its latest network job (its highest round): 'network' when
    that job completed it, 'handed_back' when the network gave it back, 'network_pending' while one runs.
    A matter without a job is handled by hand ('manual')."""
    return {"done": "network", "handed_back": "handed_back"}.get(latest_status, "network_pending")
