"""Reference data: courts (and the court to ask for a place), the matter catalogue with its field schema,
the working-day calendar, and the policy versions."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import Annotated, Any, Literal, TypeVar

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import JSONResponse

from api.deps import CurrentActor, Now, Ref
from api.schemas import (
    ChoiceOut,
    CourtOut,
    DocumentKindOut,
    DueOut,
    FieldOut,
    Line,
    MatterTypeOut,
    PageOut,
    PartyFieldsOut,
    PolicyVersionOut,
    StageBudgetOut,
    SuggestionOut,
    WorkingDayOut,
    YearStatusOut,
)
from courts.calendar import DEFAULT_FIRST_YEAR, DEFAULT_LAST_YEAR
from courts.registry import Court, CourtLevel
from delegation.catalogue import jsonschema
from delegation.catalogue.fields import DOCUMENT_KINDS
from delegation.catalogue.policy import FieldSpec, MatterType, PolicyVersion
from delegation.core.access import Operation, authorize, enforce
from delegation.core.clocks import end_of_day
from delegation.core.errors import FieldError, NotFound, ValidationFailed
from delegation.core.reference import Reference
from delegation.reading import delegations as query_service


async def may_read_reference(actor: CurrentActor) -> None:
    """Reference data is for every authenticated user; asked of access.authorize like every route."""
    enforce(authorize(actor, Operation.READ_REFERENCE), "Reference data", Operation.READ_REFERENCE)


SCHEMA_MEDIA_TYPE = "application/schema+json"
router = APIRouter(prefix="/api/v1", tags=["reference"], dependencies=[Depends(may_read_reference)])

T = TypeVar("T")
Cursor = Annotated[
    str | None, Query(pattern=query_service.CURSOR_PATTERN, description="next_cursor of the previous page.")
]
Limit = Annotated[int, Query(ge=1, le=100)]
# The days the working-day calendar covers (courts.calendar's default range), as a pattern over ISO dates.
_YEARS = "|".join(str(y) for y in range(DEFAULT_FIRST_YEAR, DEFAULT_LAST_YEAR + 1))
CALENDAR_DAY_PATTERN = f"^(?:{_YEARS})-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])$"
CalendarDay = Annotated[
    date,
    Path(
        description=f"A day of {DEFAULT_FIRST_YEAR}-{DEFAULT_LAST_YEAR}, e.g. 2026-03-02.",
        json_schema_extra={"pattern": CALENDAR_DAY_PATTERN},
    ),
]
PolicyParam = Annotated[
    str | None, Query(pattern=r"^[0-9A-Za-z][0-9A-Za-z._-]{0,39}$", description="Default: the version in force.")
]


def _paged(items: Sequence[T], cursor: str | None, limit: int, convert: Callable[[T], Any]) -> dict[str, Any]:
    """Keyset paging over a small, fixed, ordered list held in memory (the position is the key)."""
    start = query_service.decode_cursor(cursor) or 0
    chunk = items[start : start + limit]
    more = start + limit < len(items)
    return {
        "items": [convert(i) for i in chunk],
        "next_cursor": query_service.encode_cursor(start + limit) if more else None,
    }


def court_out(court: Court) -> CourtOut:
    return CourtOut(
        code=court.code,
        name=court.name,
        name_en=court.name_en,
        city=court.city,
        level=court.level.value,
        parent_code=court.parent_code,
        superior=court.parent_code,
        division_code=court.division_code,
        code_verified=court.code_verified,
        active=court.active,
    )


@router.get("/courts", operation_id="list_courts", summary="Courts, by city", response_model=PageOut[CourtOut])
async def list_courts(
    ref: Ref,
    _actor: CurrentActor,
    city: Annotated[Line | None, Query(max_length=10, description="e.g. 青岛")] = None,
    level: CourtLevel | None = None,
    include_retired: bool = False,
    cursor: Cursor = None,
    limit: Limit = 100,
) -> dict[str, Any]:
    courts = (
        ref.registry.by_city(city, include_retired=include_retired)
        if city
        else ref.registry.courts(include_retired=include_retired)
    )
    chosen = [c for c in courts if level is None or c.level is level]
    return _paged(chosen, cursor, limit, court_out)


@router.get(
    "/courts/suggest",
    operation_id="suggest_court",
    summary="The assisting court for an administrative division code or a district name / address",
)
async def suggest_court(
    ref: Ref,
    _actor: CurrentActor,
    division_code: Annotated[str | None, Query(pattern=r"^\d{4,12}$", description="e.g. 370602")] = None,
    place: Annotated[Line | None, Query(max_length=200, description="e.g. 烟台市芝罘区南大街100号")] = None,
) -> SuggestionOut:
    if (division_code is None) == (place is None):
        raise ValidationFailed(
            [FieldError("division_code", "请给出行政区划代码或地名中的一项", "Give either division_code or place.")]
        )
    if division_code is not None:
        court = ref.registry.suggest_for_division(division_code)
        query = division_code
    else:
        assert place is not None
        court = ref.registry.suggest_for_district_name(place)
        query = place
    return SuggestionOut(query=query, court=court_out(court) if court else None)


@router.get("/courts/{code}", operation_id="get_court", summary="One court by its code (old codes resolve too)")
async def get_court(
    code: Annotated[str, Path(min_length=1, max_length=16)], ref: Ref, _actor: CurrentActor
) -> CourtOut:
    court = ref.registry.find(code)
    if court is None:
        raise NotFound(f"No court has the code {code!r}.", title_zh="法院代码不存在")
    return court_out(court)


def field_out(spec: FieldSpec) -> FieldOut:
    return FieldOut(
        name=spec.name,
        label_zh=spec.label_zh,
        label_en=spec.label_en,
        kind=spec.kind,
        required=spec.required,
        personal_data=spec.is_pii,
        help_zh=spec.help_zh,
        help_en=spec.help_en,
        choices=[ChoiceOut(value=c.value, label_zh=c.label_zh, label_en=c.label_en) for c in spec.choices]
        if spec.choices
        else None,
        max_length=spec.max_length,
        min_value=str(spec.min_value) if spec.min_value is not None else None,
        max_value=str(spec.max_value) if spec.max_value is not None else None,
        item_fields=[field_out(f) for f in spec.item_fields] if spec.item_fields else None,
        item_require_one_of=[list(g) for g in spec.item_require_one_of],
        min_items=spec.min_items,
        max_items=spec.max_items,
    )


def _policy(ref: Reference, version: str | None, now: Any) -> PolicyVersion:
    return ref.policies.get(version) if version else ref.policies.in_force(now)


def _matter(policy: PolicyVersion, code: str) -> MatterType:
    try:
        return policy.matter(code)
    except ValidationFailed:
        raise NotFound(f"No matter type {code!r} in policy {policy.version}.", title_zh="事项类型不存在") from None


def matter_out(policy: PolicyVersion, matter: MatterType) -> MatterTypeOut:
    stages = []
    for stage in policy.stages_for(matter.code):
        budget = policy.budget(matter.code, stage)
        stages.append(StageBudgetOut(stage=stage, days=budget.days, unit=budget.unit, starts_from=budget.starts_from))
    return MatterTypeOut(
        code=matter.code,
        name_zh=matter.name_zh,
        name_en=matter.name_en,
        group=matter.group,
        mechanism=matter.mechanism,
        policy_version=policy.version,
        fields=[field_out(f) for f in matter.fields],
        require_one_of=[list(g) for g in matter.require_one_of],
        required_documents=[
            DocumentKindOut(code=k, label_zh=DOCUMENT_KINDS[k].label_zh, label_en=DOCUMENT_KINDS[k].label_en)
            for k in matter.required_documents
        ],
        assets=matter.assets,
        stages=stages,
    )


@router.get(
    "/matter-types",
    operation_id="list_matter_types",
    summary="The matter catalogue with each type's field schema, required documents and deadlines",
    response_model=PageOut[MatterTypeOut],
)
async def list_matter_types(
    ref: Ref,
    _actor: CurrentActor,
    now: Now,
    policy_version: PolicyParam = None,
    cursor: Cursor = None,
    limit: Limit = 100,
) -> dict[str, Any]:
    policy = _policy(ref, policy_version, now)
    return _paged(policy.matter_types, cursor, limit, lambda m: matter_out(policy, m))


@router.get("/matter-types/{code}", operation_id="get_matter_type", summary="One matter type and its field schema")
async def get_matter_type(
    code: Annotated[str, Path(pattern=r"^[a-z][a-z0-9_]{0,63}$")],
    ref: Ref,
    _actor: CurrentActor,
    now: Now,
    policy_version: PolicyParam = None,
) -> MatterTypeOut:
    policy = _policy(ref, policy_version, now)
    matter = _matter(policy, code)
    return matter_out(policy, matter)


@router.get(
    "/matter-types/{code}/fields.schema.json",
    operation_id="get_matter_type_fields_schema",
    summary="JSON Schema (2020-12) of a matter type's `fields`, to check a filing before sending it",
    response_class=JSONResponse,
    responses={200: {"content": {SCHEMA_MEDIA_TYPE: {"schema": {"type": "object"}}}}},
)
async def get_matter_type_fields_schema(
    code: Annotated[str, Path(pattern=r"^[a-z][a-z0-9_]{0,63}$")],
    ref: Ref,
    _actor: CurrentActor,
    now: Now,
    policy_version: PolicyParam = None,
) -> JSONResponse:
    policy = _policy(ref, policy_version, now)
    matter = _matter(policy, code)
    body = jsonschema.object_schema(matter.fields, matter.require_one_of)
    schema_id = f"urn:jiaodong:policy:{policy.version}:matter-type:{code}:fields"
    return JSONResponse(jsonschema.document(schema_id, matter.name_zh, body), media_type=SCHEMA_MEDIA_TYPE)


@router.get(
    "/party-fields/schema.json",
    operation_id="get_parties_schema",
    summary="JSON Schema (2020-12) of a filing's `parties`",
    response_class=JSONResponse,
    responses={200: {"content": {SCHEMA_MEDIA_TYPE: {"schema": {"type": "object"}}}}},
)
async def get_parties_schema(
    ref: Ref, _actor: CurrentActor, now: Now, policy_version: PolicyParam = None
) -> JSONResponse:
    policy = _policy(ref, policy_version, now)
    schema_id = f"urn:jiaodong:policy:{policy.version}:parties"
    body = jsonschema.parties_schema(policy.party_fields)
    return JSONResponse(jsonschema.document(schema_id, "当事人", body), media_type=SCHEMA_MEDIA_TYPE)


@router.get("/party-fields", operation_id="get_party_fields", summary="The fields every party of a matter has")
async def get_party_fields(
    ref: Ref, _actor: CurrentActor, now: Now, policy_version: PolicyParam = None
) -> PartyFieldsOut:
    policy = _policy(ref, policy_version, now)
    parties = policy.party_fields
    return PartyFieldsOut(
        policy_version=policy.version,
        roles=[ChoiceOut(value=r.code, label_zh=r.name_zh, label_en=r.name_en) for r in parties.roles],
        fields=[field_out(f) for f in parties.fields],
        require_one_of=[list(g) for g in parties.require_one_of],
    )


@router.get(
    "/document-kinds",
    operation_id="list_document_kinds",
    summary="The kinds of documents a delegation can carry",
    response_model=PageOut[DocumentKindOut],
)
async def list_document_kinds(_actor: CurrentActor, cursor: Cursor = None, limit: Limit = 100) -> dict[str, Any]:
    kinds = list(DOCUMENT_KINDS.values())
    return _paged(
        kinds, cursor, limit, lambda k: DocumentKindOut(code=k.code, label_zh=k.label_zh, label_en=k.label_en)
    )


@router.get(
    "/calendar/days/{day}",
    operation_id="get_calendar_day",
    summary="Whether a day is a working day for the courts",
    tags=["calendar"],
)
async def get_calendar_day(day: CalendarDay, ref: Ref, _actor: CurrentActor) -> WorkingDayOut:
    calendar = ref.calendar
    return WorkingDayOut(date=day, working_day=calendar.is_working_day(day), provisional=calendar.is_provisional(day))


@router.get(
    "/calendar/due",
    operation_id="get_due_date",
    summary="The last day of a period: N working days (or calendar days) after the trigger day",
    tags=["calendar"],
)
async def get_due_date(
    ref: Ref,
    _actor: CurrentActor,
    trigger: Annotated[
        date,
        Query(
            description="The day of the triggering event (not counted); the period's end must lie in the calendar too.",
            json_schema_extra={"pattern": CALENDAR_DAY_PATTERN},
        ),
    ],
    days: Annotated[int, Query(ge=1, le=365)],
    unit: Literal["working", "calendar"] = "working",
) -> DueOut:
    calendar = ref.calendar
    deadline = (
        calendar.add_working_days(trigger, days) if unit == "working" else calendar.calendar_period_end(trigger, days)
    )
    return DueOut(
        trigger=trigger,
        days=days,
        unit=unit,
        due_date=deadline.date,
        due_at=end_of_day(deadline.date),
        provisional=deadline.provisional,
    )


@router.get(
    "/calendar/years",
    operation_id="list_calendar_years",
    summary="Years the calendar covers and whether each has a confirmed official schedule",
    tags=["calendar"],
    response_model=PageOut[YearStatusOut],
)
async def list_calendar_years(
    ref: Ref, _actor: CurrentActor, cursor: Cursor = None, limit: Limit = 100
) -> dict[str, Any]:
    calendar = ref.calendar
    years = list(calendar.supported_years)
    return _paged(years, cursor, limit, lambda y: YearStatusOut(year=y, status=calendar.year_status(y)))


def policy_out(policy: PolicyVersion, in_force: str) -> PolicyVersionOut:
    return PolicyVersionOut(
        version=policy.version,
        effective_from=policy.effective_from,
        note=policy.note,
        in_force=policy.version == in_force,
        matter_types=len(policy.matter_types),
    )


@router.get(
    "/policy-versions",
    operation_id="list_policy_versions",
    summary="Policy versions (matter catalogue + deadlines), oldest first",
    tags=["reference"],
    response_model=PageOut[PolicyVersionOut],
)
async def list_policy_versions(
    ref: Ref, _actor: CurrentActor, now: Now, cursor: Cursor = None, limit: Limit = 100
) -> dict[str, Any]:
    current = ref.policies.in_force(now).version
    return _paged(ref.policies.versions, cursor, limit, lambda p: policy_out(p, current))


@router.get(
    "/policy-versions/{version}",
    operation_id="get_policy_version",
    summary="One policy version as its full document",
    response_model=PolicyVersion,
    response_model_by_alias=True,
)
async def get_policy_version(
    version: Annotated[str, Path(pattern=r"^[0-9A-Za-z][0-9A-Za-z._-]{0,39}$")], ref: Ref, _actor: CurrentActor
) -> PolicyVersion:
    return ref.policies.get(version)
