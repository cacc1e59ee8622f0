"""Request and response bodies of the REST API.

Requests forbid unknown fields (a typo is an error, not silently ignored) and refuse invisible control
characters anywhere in their text. Responses are built from the service layer's views; personal data in
them is always masked (see delegation.reading.delegations.masked).
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    PlainSerializer,
    WithJsonSchema,
)
from pydantic_core import CoreSchema, PydanticCustomError, core_schema

from courts.calendar import YearStatus
from courts.registry import CourtLevel
from delegation.core.access import UserRole
from delegation.core.clocks import SHANGHAI, Rung, RunningClock, StatutoryView, Unit
from delegation.core.states import Action, Mechanism, Role, Stage, Status
from delegation.handling import service
from delegation.reading import delegations as query_service
from delegation.reading.delegations import DetailView, Listed
from delegation.store.tables import AccessLogRow, AssetResultRow, DocumentRow, EventRow, ExtensionRow

T = TypeVar("T")

# ---------------------------------------------------------------- input hygiene

_MAX_DEPTH = 6
_MAX_ITEMS = 200


def _check_text(value: str, *, multiline: bool) -> str:
    for ch in value:
        category = unicodedata.category(ch)
        if category == "Cs" or (category == "Cc" and not (multiline and ch in "\n\r\t")):
            raise ValueError("must not contain control characters")
    return value


def _single_line(value: str) -> str:
    return _check_text(value, multiline=False)


def _multi_line(value: str) -> str:
    return _check_text(value, multiline=True)


def _clean_json(value: Any, depth: int = 0) -> Any:
    """Free-form JSON (matter fields, parties): bounded depth and size, no control characters."""
    if depth > _MAX_DEPTH:
        raise ValueError("nested too deeply")
    if isinstance(value, str):
        return _check_text(value, multiline=True)
    if isinstance(value, dict):
        if len(value) > _MAX_ITEMS:
            raise ValueError("too many keys")
        for key, item in value.items():
            _check_text(str(key), multiline=False)
            _clean_json(item, depth + 1)
    elif isinstance(value, list):
        if len(value) > _MAX_ITEMS:
            raise ValueError("too many items")
        for item in value:
            _clean_json(item, depth + 1)
    return value


def _shanghai(value: datetime) -> str:
    return value.astimezone(SHANGHAI).isoformat()


# Every instant leaves the API in Asia/Shanghai time with its offset, e.g. 2026-03-05T00:00:00+08:00.
Instant = Annotated[
    datetime,
    PlainSerializer(_shanghai, return_type=str),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]

# The refusal of control characters, stated in the schema too (the validators give the clearer message).
# Surrogates cannot occur in UTF-8 JSON text; the validators refuse the escaped ones.
SINGLE_LINE_PATTERN = r"^[^\u0000-\u001f\u007f-\u009f]*$"
MULTI_LINE_PATTERN = r"^[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]*$"
_ONE_LINE = Field(json_schema_extra={"pattern": SINGLE_LINE_PATTERN})
_LINES = Field(json_schema_extra={"pattern": MULTI_LINE_PATTERN})

Line = Annotated[str, _ONE_LINE, AfterValidator(_single_line)]
Text = Annotated[str, _LINES, AfterValidator(_multi_line)]
Comment = Annotated[str, Field(max_length=4000), _LINES, AfterValidator(_multi_line)]
JsonObject = Annotated[dict[str, Any], AfterValidator(_clean_json)]
JsonList = Annotated[list[dict[str, Any]], Field(max_length=50), AfterValidator(_clean_json)]
CourtCode = Annotated[str, Field(min_length=1, max_length=16), _ONE_LINE, AfterValidator(_single_line)]

# Timestamps a caller sends: aware, and within years the calendar and the database handle (near year 1
# or 9999, arithmetic and the drivers' bindings overflow).
EARLIEST_INSTANT = datetime(1970, 1, 1, tzinfo=UTC)
LATEST_INSTANT = datetime(2200, 1, 1, tzinfo=UTC)


def _sane_instant(value: datetime) -> datetime:
    # The year as written (whatever the offset), so that the schema's pattern can state the same range.
    if not EARLIEST_INSTANT.year <= value.year < LATEST_INSTANT.year:
        raise ValueError(f"must lie between {EARLIEST_INSTANT.year} and {LATEST_INSTANT.year - 1}")
    return value


_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}")
# Years 1970-2199, as _sane_instant checks them.
SANE_INSTANT_PATTERN = r"^(?:19[7-9][0-9]|2[01][0-9]{2})-"


def _date_time_text(value: object) -> object:
    # pydantic would also take a number as seconds since 1970; the schema says an RFC 3339 date-time.
    if isinstance(value, str) and not _RFC3339.match(value):
        raise ValueError("must be an ISO 8601 date-time with its offset, e.g. 2026-03-05T00:00:00+08:00")
    return value


SaneInstant = Annotated[
    AwareDatetime,
    BeforeValidator(_date_time_text),
    AfterValidator(_sane_instant),
    Field(json_schema_extra={"pattern": SANE_INSTANT_PATTERN}),
]
Code = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,63}$")]


class ReturnReason(StrEnum):
    MISSING_DOCUMENTS = "missing_documents"
    UNCLEAR_TARGET = "unclear_target"
    WRONG_DOCUMENTS = "wrong_documents"
    OTHER = "other"


class ServiceMethod(StrEnum):
    """民诉法 第八十七条 to 第九十五条."""

    DIRECT = "direct"
    LODGED = "lodged"
    ELECTRONIC = "electronic"
    POST = "post"
    FORWARDED = "forwarded"
    PUBLIC_NOTICE = "public_notice"


class Outcome(StrEnum):
    DONE = "done"
    PARTIAL = "partial"
    NOT_FOUND = "not_found"
    FAILED = "failed"


class EventKind(StrEnum):
    """What a timeline event is (delegation_event.kind): the filter of GET /delegations/{id}/timeline too."""

    TRANSITION = "transition"
    MESSAGE = "message"
    DOCUMENT = "document"
    NOTICE = "notice"
    CLOCK = "clock"
    NETWORK = "network"  # 网络查控: handed to the registry connector, handed back


class ExtensionStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REFUSED = "refused"


class AccessKind(StrEnum):
    REVEAL = "reveal"
    DOWNLOAD = "download"
    PRINT = "print"  # a document printed with its personal data in full (the 委托函 / 协助执行函)


# The vocabularies fixed in code as mappings (delegation.catalogue.fields), as enums for the schema;
# tests/api/test_openapi.py pins them to the mappings.
class DocumentKindCode(StrEnum):
    LETTER_OF_DELEGATION = "letter_of_delegation"
    ENFORCEMENT_RULING = "enforcement_ruling"
    ASSISTANCE_NOTICE = "assistance_notice"
    OFFICER_CREDENTIALS = "officer_credentials"
    ANNOUNCEMENT = "announcement"
    DOCUMENTS_TO_SERVE = "documents_to_serve"
    RECEIPT = "receipt"
    CORRECTION = "correction"
    OTHER = "other"


class FieldKindCode(StrEnum):
    ADDRESS = "address"
    AMOUNT = "amount"
    BANK_ACCOUNT = "bank_account"
    CASE_NUMBER = "case_number"
    CHOICE = "choice"
    COURT_CODE = "court_code"
    DATE = "date"
    DECIMAL = "decimal"
    ID_NUMBER = "id_number"
    INTEGER = "integer"
    LIST = "list"
    LONG_TEXT = "long_text"
    PHONE = "phone"
    PLATE = "plate"
    REAL_ESTATE_CERT = "real_estate_cert"
    TEXT = "text"
    USCC = "uscc"
    VIN = "vin"


class _RequestModel:
    """Marks the request models (In and its subclasses) for _strict_scalars."""


def _json_integer(value: Any) -> Any:
    """An integer as JSON Schema has it: a number without a fraction (5, or 5.0), never text or true/false."""
    if isinstance(value, (str, bytes, bool)):
        raise PydanticCustomError("int_type", "Input should be a valid integer")
    return value


def _is_json_integer(schema: Any) -> bool:
    function = schema.get("function") if schema.get("type") == "function-before" else None
    return isinstance(function, dict) and function.get("function") is _json_integer


def _strict_scalars(schema: Any) -> None:
    """Hold every integer and boolean of a request model's core schema to its JSON form (in place): pydantic
    would otherwise take "5" or true for an integer and "true", "yes" or 1 for a boolean, which the schema does
    not admit. An integer is wrapped to refuse text and booleans (5.0 stays an integer, as JSON Schema says), a
    boolean is strict. Other types keep their JSON forms (a date or an enum value is a string in JSON). Models
    that are not request models are left as they are (a nested request model is held by its own class)."""
    if isinstance(schema, dict):
        if schema.get("type") == "model" and not issubclass(schema["cls"], _RequestModel):
            return
        if schema.get("type") == "bool":
            schema["strict"] = True
        children: Any = schema.items()
    elif isinstance(schema, list):
        children = enumerate(schema)
    else:
        return
    for key, value in list(children):
        if isinstance(value, dict) and value.get("type") == "int":
            schema[key] = core_schema.no_info_before_validator_function(_json_integer, value)
        elif not (isinstance(value, dict) and _is_json_integer(value)):
            _strict_scalars(value)


class In(_RequestModel, BaseModel):
    """A request body: unknown fields refused; integers and booleans only as JSON numbers and true/false
    (no "5" or true for 5, no "true" or 1 for true), as the schema states them. Query and path parameters, and the
    pages' forms, are not request models: they arrive as text and are converted as before."""

    model_config = ConfigDict(extra="forbid")

    @classmethod
    def __get_pydantic_core_schema__(cls, source: type[BaseModel], handler: GetCoreSchemaHandler) -> CoreSchema:
        schema = handler(source)
        _strict_scalars(schema)
        return schema


class Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


# ---------------------------------------------------------------- auth


class LoginIn(In):
    username: Annotated[str, Field(min_length=1, max_length=64), _ONE_LINE, AfterValidator(_single_line)]
    password: Annotated[str, Field(min_length=1, max_length=1024), _ONE_LINE, AfterValidator(_single_line)]


class MeOut(Out):
    username: str
    display_name: str
    court_code: str | None
    roles: list[UserRole]
    via: Literal["session", "token"]
    csrf_token: str | None = Field(None, description="Send as X-CSRF-Token on changes made with the session cookie.")


# ---------------------------------------------------------------- delegations: input


# A complete, valid draft (市南 asks 芝罘 to look up a debtor's vehicles): the example of the document.
DRAFT_EXAMPLE: dict[str, Any] = {
    "case_number": "（2026）鲁0202执100号",
    "assisting_court": "鲁0602",
    "matter_type": "vehicle_inquiry",
    "summary": "查询被执行人名下登记车辆",
    "fields": {"note": "请查询并反馈车辆登记信息"},
    "parties": [
        {
            "role": "applicant",
            "party_type": "legal_person",
            "name": "青岛海联贸易有限公司",
            "uscc": "91350100M000100Y43",
        },
        {
            "role": "debtor",
            "party_type": "natural_person",
            "name": "张三",
            "id_number": "11010519491231002X",
            "address": "山东省烟台市芝罘区南大街100号",
            "phone": "13800138000",
        },
    ],
}


class DraftIn(In):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [DRAFT_EXAMPLE]})

    case_number: Annotated[str, Field(min_length=1, max_length=64), _ONE_LINE, AfterValidator(_single_line)] = Field(
        description="The requesting court's 案号, e.g. （2026）鲁0202执100号 (full-width or ASCII brackets)."
    )
    assisting_court: CourtCode
    matter_type: Code
    summary: Annotated[str, Field(max_length=2000), _LINES, AfterValidator(_multi_line)] = ""
    fields: JsonObject = Field(
        default_factory=dict,
        description="The matter type's fields: described by /matter-types/{code}, as JSON Schema by "
        "/matter-types/{code}/fields.schema.json.",
    )
    parties: JsonList = Field(
        default_factory=list,
        description="Applicants and debtors, each with a role: described by /party-fields, as JSON Schema by "
        "/party-fields/schema.json.",
    )

    def to_domain(self) -> service.DraftInput:
        return service.DraftInput(
            case_number=self.case_number,
            assisting_court=self.assisting_court,
            matter_type=self.matter_type,
            summary=self.summary,
            fields=dict(self.fields),
            parties=[dict(p) for p in self.parties],
        )


class CommentIn(In):
    comment: Comment = ""


# What a return flags for correction: case_number, summary, fields.<name>, parties[i].<name>, document.<kind>.
FlaggedPath = Annotated[
    str,
    Field(
        max_length=100,
        pattern=r"^(case_number|summary|fields\.[a-z_][a-z0-9_]{0,63}|parties\[\d{1,2}\]\.[a-z_][a-z0-9_]{0,63}"
        r"|document\.[a-z_]{1,40})$",
    ),
]


class ReturnIn(In):
    reason_code: ReturnReason
    comment: Comment
    flagged: list[FlaggedPath] = Field(
        default_factory=list,
        max_length=50,
        description="The fields and documents the requesting court is to correct; only these may change "
        "when it resubmits (document.<kind>: a document to add).",
    )


class ResubmitIn(In):
    comment: Comment = Field("", description="The reply to the reason for the return, shown to the assisting court.")
    changes: Annotated[dict[FlaggedPath, Any], Field(max_length=50), AfterValidator(_clean_json)] = Field(
        default_factory=dict,
        description="New values of flagged fields, by path (a whole matter field, or one value of a party); "
        "checked as at filing.",
    )


class DeclineIn(In):
    comment: Comment


class RedirectIn(In):
    new_court: CourtCode
    comment: Comment = ""


HandlerName = Annotated[
    str,
    Field(
        min_length=1,
        max_length=100,
        description="The username of one of the assisting court's handlers (GET /api/v1/handlers), or a display "
        "name only one of them has. A court that has registered no handler may still give a name in plain text.",
    ),
    _ONE_LINE,
    AfterValidator(_single_line),
]


class AssignHandlerIn(In):
    handler: HandlerName
    comment: Comment = ""
    first_step: Annotated[str, Field(max_length=1000), _LINES, AfterValidator(_multi_line)] = Field(
        "", description="The first enforcement step taken; with it, execution has started (民诉法 第二百四十条)."
    )
    phone: Annotated[str, Field(max_length=32), _ONE_LINE, AfterValidator(_single_line)] = Field(
        "", description="The handler's 联系电话, printed on the court's documents."
    )


class ProgressReportIn(In):
    comment: Annotated[str, Field(min_length=1, max_length=4000), _LINES, AfterValidator(_multi_line)] = Field(
        description="执行情况函复: what was done, what remains, when it should be finished."
    )
    document_id: Annotated[int, Field(ge=1, le=2**31 - 1)] | None = Field(
        None, description="The signed letter, a document the assisting court uploaded to this matter."
    )


class SignForIn(In):
    comment: Comment = ""
    handler: HandlerName | None = Field(
        default=None, description="Assign this handler in the same step (签收 and 指定承办人: both or neither)."
    )


class ScheduleIn(In):
    scheduled_date: date
    comment: Comment = ""


class AssetResultIn(In):
    asset: Annotated[
        str,
        Field(
            min_length=1,
            max_length=200,
            description="What the result is about. A matter type with an asset list (`assets` in "
            "GET /matter-types/{code}: the flats, vehicles, holdings, accounts or recipients of the letter) names "
            'one of its items, each at most once: by its position in the list counted from 1 (`"2"`), by '
            'the name the pages give it (`"车辆 2"`, `"Vehicles 2"`), or by one of its values as filed '
            "when no other item has it (a plate, VIN, address, certificate or account number, company name or "
            "credit code, a recipient's name); anything else is 422 at `results[i].asset`. The result is "
            "stored and shown under the item's name (`车辆 2`, `受送达人 1（张伟）`). A matter without an "
            "asset list (an inquiry, an investigation) says in a line what was found or done.",
            examples=["1", "车辆 2", "鲁B12345", "被执行人名下车辆"],
        ),
        _ONE_LINE,
        AfterValidator(_single_line),
    ]
    outcome: Outcome
    note: Annotated[str, Field(max_length=2000), _LINES, AfterValidator(_multi_line)] = ""
    served_on: date | None = Field(None, description="Service of documents, when served: the day (送达回证).")
    service_method: ServiceMethod | None = Field(None, description="Service of documents, when served: how.")
    signed_by: Annotated[str, Field(max_length=100), _ONE_LINE, AfterValidator(_single_line)] = Field(
        "", description="Service of documents: who signed for it (none for 留置/公告/邮寄/电子送达)."
    )


class RecordResultIn(In):
    results: Annotated[list[AssetResultIn], Field(min_length=1, max_length=100)]
    comment: Comment = ""


class ExtensionRequestIn(In):
    days: Annotated[int, Field(ge=1, le=365)]
    comment: Comment


class ExtensionDecisionIn(In):
    extension_id: Annotated[int, Field(ge=1, le=2**31 - 1)] | None = None
    days: Annotated[int, Field(ge=1, le=365)] | None = None
    comment: Comment = ""


class ReasonIn(In):
    comment: Comment


class MessageIn(In):
    text: Annotated[str, Field(min_length=1, max_length=4000), _LINES, AfterValidator(_multi_line)]


class RevealIn(In):
    field: Annotated[str, Field(min_length=1, max_length=200), _ONE_LINE, AfterValidator(_single_line)] = Field(
        description="A path from revealable_fields, e.g. parties[1].id_number or fields.accounts[0].account_no."
    )
    # The at-least-4 rule is the service's (with its own message for the clerk); the schema states it too.
    reason: Annotated[
        str,
        Field(min_length=1, max_length=500, json_schema_extra={"minLength": 4}),
        _LINES,
        AfterValidator(_multi_line),
    ] = Field(description="Why you need the value: at least 4 characters besides surrounding spaces.")


# ---------------------------------------------------------------- delegations: output


class ClockSummaryOut(Out):
    stage: Stage
    court_code: str = Field(description="The court holding the ball.")
    due_at: Instant | None
    provisional: bool = Field(description="The due date depends on a year without a confirmed holiday schedule.")
    paused: bool
    working_days_left: int | None = Field(description="0 = due today; negative = working days overdue.")
    overdue: bool


class DelegationOut(Out):
    id: int
    number: str
    case_number: str
    requesting_court: str
    assisting_court: str
    matter_type: str = Field(description="A code of GET /api/v1/matter-types.")
    mechanism: Mechanism
    status: Status
    version: int = Field(description="Also the ETag; send it back in If-Match with every change.")
    policy_version: str
    summary: str
    handler: str | None = Field(description="The handler's name as shown and printed.")
    handler_username: str | None = Field(
        description="The handler as a user of the assisting court (null: none yet, or named in plain text)."
    )
    scheduled_date: date | None
    created_by: str
    created_at: Instant
    updated_at: Instant
    submitted_at: Instant | None
    my_roles: list[Role] = Field(description="The parts the caller plays on this delegation.")
    allowed_actions: list[Action] = Field(description="Actions the caller may take now.")
    clock: ClockSummaryOut | None = Field(description="The running clock: the open one due first.")
    statutory_breach: bool = Field(
        description="法定期限: a duty of 民诉法 第二百四十条 (start in 15 days, report in 30) is past its period."
    )


class StatutoryClockOut(Out):
    """A statutory period of the assisting court (民诉法 第二百四十条), counted in days from receipt."""

    id: int
    duty: Literal["start", "report"]
    seq: int = Field(description="1 for the first report period, 2 for the next (every 30 days while open), ...")
    court_code: str
    days: int
    counted_from: date
    due_date: date
    provisional: bool
    open: bool
    met_at: Instant | None
    closed_at: Instant | None
    breached: bool
    source: str = Field(description="The legal source, as the policy cites it.")
    remedy_requested_at: Instant | None = Field(description="When the superior court was asked to order execution.")


class ClockOut(Out):
    id: int
    stage: Stage
    court_code: str
    budget_days: int
    unit: Unit
    extra_days: int
    started_at: Instant
    closed_at: Instant | None
    paused: bool
    due_date: date | None
    due_at: Instant | None
    provisional: bool
    working_days_left: int | None
    breached: bool
    next_rung: Rung | None
    next_rung_at: Instant | None


class DocumentOut(Out):
    id: int
    kind: DocumentKindCode
    filename: str
    content_type: str
    size: int
    sha256: str
    uploaded_by: str
    uploaded_court: str
    uploaded_at: Instant


class EventOut(Out):
    id: int
    kind: EventKind
    action: str = Field(description="On a transition: the action (or create, edit); else what happened.")
    from_status: Status | None
    to_status: Status | None
    actor: str
    actor_court: str | None
    actor_role: str
    at: Instant
    comment: str = Field(description="Plain text; never markup. <, > and & are \\u-escaped in the JSON.")
    data: dict[str, Any]


class ExtensionOut(Out):
    id: int
    clock_id: int
    requested_by: str
    requested_court: str
    days: int
    reason: str
    status: ExtensionStatus
    approved_days: int | None
    decided_by: str | None
    decision_reason: str | None
    created_at: Instant
    decided_at: Instant | None


class AssetResultOut(Out):
    id: int
    asset: str
    outcome: Outcome
    note: str
    served_on: date | None = Field(None, description="Service of documents: the day served (送达回证).")
    service_method: ServiceMethod | None = None
    signed_by: str | None = Field(None, description="Service of documents: who signed for it.")
    recorded_by: str
    recorded_at: Instant


class DelegationDetailOut(DelegationOut):
    fields: dict[str, Any] = Field(description="The matter's fields, personal data masked.")
    parties: list[dict[str, Any]] = Field(description="Parties, personal data masked.")
    revealable_fields: list[str] = Field(description="Masked values the caller may reveal (POST .../reveal).")
    clocks: list[ClockOut]
    statutory_clocks: list[StatutoryClockOut]
    documents: list[DocumentOut]
    extensions: list[ExtensionOut]
    results: list[AssetResultOut]
    timeline: list[EventOut]


class PageOut(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page.")


class RevealOut(Out):
    field: str
    value: Any


class AccessLogOut(Out):
    id: int
    at: Instant
    actor: str
    actor_court: str | None
    actor_roles: str
    kind: AccessKind
    delegation_id: int
    target: str
    reason: str
    address: str


class IdentifierSearchOut(Out):
    id: int
    at: Instant
    actor: str
    actor_court: str | None
    actor_roles: str
    kind: Literal["id_number", "uscc"]
    digest: str = Field(description="The searched value's digest (the same value always has the same one).")
    masked: str = Field(description="The searched value, masked.")
    matched: list[int] = Field(description="The delegations the search found (at most 200).")
    matched_count: int
    address: str


# ---------------------------------------------------------------- reference data


class CourtOut(Out):
    code: str
    name: str
    name_en: str
    city: str
    level: CourtLevel
    parent_code: str | None = Field(description="the superior court's code (same as superior; kept for clients)")
    superior: str | None = Field(description="the superior court (上级人民法院) that supervises it; none for 鲁")
    division_code: str | None
    code_verified: bool
    active: bool


class SuggestionOut(Out):
    query: str
    court: CourtOut | None


class ChoiceOut(Out):
    value: str
    label_zh: str
    label_en: str


class FieldOut(Out):
    name: str
    label_zh: str
    label_en: str
    kind: FieldKindCode
    required: bool
    personal_data: bool
    help_zh: str | None = None
    help_en: str | None = None
    choices: list[ChoiceOut] | None = None
    max_length: int | None = None
    min_value: str | None = None
    max_value: str | None = None
    item_fields: list[FieldOut] | None = None
    item_require_one_of: list[list[str]] = []
    min_items: int | None = None
    max_items: int | None = None


class DocumentKindOut(Out):
    code: DocumentKindCode
    label_zh: str
    label_en: str


class StageBudgetOut(Out):
    stage: Stage
    days: int
    unit: Unit
    starts_from: str


class MatterTypeOut(Out):
    code: str
    name_zh: str
    name_en: str
    group: str
    mechanism: Mechanism
    policy_version: str
    fields: list[FieldOut]
    require_one_of: list[list[str]]
    required_documents: list[DocumentKindOut]
    assets: str | None
    stages: list[StageBudgetOut]


class PartyFieldsOut(Out):
    policy_version: str
    roles: list[ChoiceOut]
    fields: list[FieldOut]
    require_one_of: list[list[str]]


class WorkingDayOut(Out):
    date: date
    working_day: bool
    provisional: bool = Field(description="The year has no confirmed official holiday schedule.")


class DueOut(Out):
    trigger: date
    days: int
    unit: Unit
    due_date: date
    due_at: Instant = Field(description="24:00 Asia/Shanghai of due_date.")
    provisional: bool


class YearStatusOut(Out):
    year: int
    status: YearStatus


class PolicyVersionOut(Out):
    version: str
    effective_from: date
    note: str
    in_force: bool
    matter_types: int


# ---------------------------------------------------------------- builders (views -> bodies)


def clock_summary(clock: RunningClock | None) -> ClockSummaryOut | None:
    if clock is None:
        return None
    return ClockSummaryOut(
        stage=clock.stage,
        court_code=clock.court_code,
        due_at=clock.due_at,
        provisional=clock.provisional,
        paused=clock.paused,
        working_days_left=clock.working_days_left,
        overdue=clock.overdue,
    )


def _base(item: Listed) -> dict[str, Any]:
    row = item.row
    return {
        "id": row.id,
        "number": row.number,
        "case_number": row.case_number,
        "requesting_court": row.requesting_court,
        "assisting_court": row.assisting_court,
        "matter_type": row.matter_type,
        "mechanism": row.mechanism,
        "status": row.status,
        "version": row.version,
        "policy_version": row.policy_version,
        "summary": row.summary,
        "handler": row.handler,
        "handler_username": row.handler_username,
        "scheduled_date": row.scheduled_date,
        "created_by": row.created_by,
        "created_at": row.created_at,
        "updated_at": row.updated_at,
        "submitted_at": row.submitted_at,
        "my_roles": sorted(r.value for r in item.roles),
        "allowed_actions": [a.value for a in item.allowed],
        "clock": clock_summary(item.clock),
        "statutory_breach": item.statutory_breach,
    }


def delegation_out(item: Listed) -> DelegationOut:
    return DelegationOut(**_base(item))


def clock_out(view: query_service.ClockView) -> ClockOut:
    clock = view.clock
    return ClockOut(
        id=view.id,
        stage=clock.stage.value,
        court_code=clock.court_code,
        budget_days=clock.budget_days,
        unit=clock.unit.value,
        extra_days=clock.extra_days,
        started_at=clock.started_at,
        closed_at=clock.closed_at,
        paused=clock.is_paused,
        due_date=view.due.day if view.due else None,
        due_at=view.due.at.astimezone(SHANGHAI) if view.due else None,
        provisional=bool(view.due and view.due.provisional),
        working_days_left=view.working_days_left,
        breached=view.breached,
        next_rung=view.next_rung,
        next_rung_at=view.next_rung_at,
    )


def statutory_out(view: StatutoryView) -> StatutoryClockOut:
    clock = view.clock
    return StatutoryClockOut(
        id=view.id,
        duty=clock.duty.value,
        seq=clock.seq,
        court_code=clock.court_code,
        days=clock.days,
        counted_from=clock.counted_from,
        due_date=view.due.day,
        provisional=view.due.provisional,
        open=clock.is_open,
        met_at=clock.met_at,
        closed_at=clock.closed_at,
        breached=view.breached,
        source=view.source,
        remedy_requested_at=view.remedy_requested_at,
    )


def document_out(row: DocumentRow) -> DocumentOut:
    return DocumentOut.model_validate(row)


def event_out(row: EventRow) -> EventOut:
    return EventOut.model_validate(row)


def detail_out(view: DetailView) -> DelegationDetailOut:
    return DelegationDetailOut(
        **_base(view.listed),
        fields=view.masked.fields,
        parties=view.masked.parties,
        revealable_fields=view.masked.revealable,
        clocks=[clock_out(c) for c in view.clocks],
        statutory_clocks=[statutory_out(v) for v in view.statutory],
        documents=[document_out(d) for d in view.documents],
        extensions=[ExtensionOut.model_validate(e) for e in view.extensions if isinstance(e, ExtensionRow)],
        results=[AssetResultOut.model_validate(r) for r in view.results if isinstance(r, AssetResultRow)],
        timeline=[event_out(e) for e in view.events],
    )


def access_log_out(row: AccessLogRow) -> AccessLogOut:
    return AccessLogOut.model_validate(row)


def page_of(page: query_service.Page[Any], convert: Any) -> dict[str, Any]:
    return {"items": [convert(item) for item in page.items], "next_cursor": page.next_cursor}


class FieldErrorOut(Out):
    field: str
    message_zh: str
    message_en: str


class ProblemOut(BaseModel):
    """RFC 9457 problem details, as every error of this API is returned (application/problem+json)."""

    type: str = Field(description="urn:jiaodong:problem:<code>")
    title: str = Field(description="What went wrong, in Chinese, for the clerk.")
    status: int
    detail: str = Field(description="What went wrong, in English, for the integrator.")
    instance: str
    code: str = Field(description="Stable machine code, e.g. validation_failed, not_found, conflict.")
    request_id: str | None = Field(None, description="The request id (as in X-Request-ID), for the operators.")
    errors: list[FieldErrorOut] | None = Field(None, description="One entry per invalid field.")
    allowed_actions: list[Action] | None = Field(None, description="On transition_not_allowed: what is possible now.")
    current: DelegationOut | None = Field(None, description="On a 409: the delegation as it is now.")
