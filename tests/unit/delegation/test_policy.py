"""The matter catalogue and SLA policy: shipped data, budgets, versions by date, strict parsing, value checks."""

from __future__ import annotations

import copy
import json
import re
from datetime import UTC, datetime
from importlib import resources
from typing import Any

import pytest

from delegation.catalogue.fields import DOCUMENT_KINDS, FIELD_KINDS, LIST_KIND, document_labels
from delegation.catalogue.policy import (
    STAGES,
    FieldSpec,
    MatterType,
    PolicyBook,
    PolicyVersion,
    load_shipped_policies,
    mask_fields,
    missing_documents,
    parse_policy,
    pii_field_names,
    unmask_unchanged,
    validate_matter_fields,
    validate_parties,
)
from delegation.core.errors import NotFound, ValidationFailed

CJK = re.compile(r"[\u4e00-\u9fff]")
SHIPPED_CODES = {
    "real_estate_inquiry",
    "real_estate_seal",
    "real_estate_seal_renewal",
    "real_estate_seal_release",
    "real_estate_transfer",
    "vehicle_inquiry",
    "vehicle_seal",
    "vehicle_seal_release",
    "equity_freeze",
    "equity_freeze_renewal",
    "equity_freeze_release",
    "deposit_freeze",
    "deposit_freeze_renewal",
    "deposit_freeze_release",
    "deposit_deduction",
    "property_investigation",
    "document_service",
    "forced_eviction",
    "onsite_inspection",
    "vehicle_seizure",
    "property_delivery",
}
ONSITE = {"forced_eviction", "onsite_inspection", "vehicle_seizure", "property_delivery"}


@pytest.fixture(scope="module")
def policy() -> PolicyVersion:
    return load_shipped_policies()[0]


@pytest.fixture(scope="module")
def raw() -> dict[str, Any]:
    text = resources.files("delegation.catalogue").joinpath("data/policy/2025-01-01.json").read_text(encoding="utf-8")
    doc: dict[str, Any] = json.loads(text)
    return doc


def variant(raw: dict[str, Any], **changes: Any) -> dict[str, Any]:
    doc = copy.deepcopy(raw)
    doc.update(changes)
    return doc


def parse(doc: dict[str, Any]) -> PolicyVersion:
    return parse_policy(json.dumps(doc, ensure_ascii=False))


def policy_errors(doc: dict[str, Any] | str) -> list[tuple[str, str, str]]:
    text = doc if isinstance(doc, str) else json.dumps(doc, ensure_ascii=False)
    with pytest.raises(ValidationFailed) as info:
        parse_policy(text)
    return [(e.field, e.message_zh, e.message_en) for e in info.value.errors]


def assert_bilingual(error: ValidationFailed) -> None:
    assert error.errors
    for e in error.errors:
        assert CJK.search(e.message_zh), e
        assert re.search(r"[A-Za-z]{3}", e.message_en), e


# ---- the shipped catalogue -------------------------------------------------------------------------------


def test_shipped_catalogue(policy: PolicyVersion) -> None:
    assert policy.version == "2025-01-01"
    assert str(policy.effective_from) == "2025-01-01"
    assert set(policy.matter_codes) == SHIPPED_CODES
    assert {g.code for g in policy.groups} == {"inquiry_control", "investigation", "service", "onsite"}


@pytest.mark.parametrize("code", sorted(SHIPPED_CODES))
def test_every_shipped_matter_type_is_valid(policy: PolicyVersion, code: str) -> None:
    m = policy.matter(code)
    assert CJK.search(m.name_zh) and m.name_en.isascii()
    assert m.mechanism == ("onsite_assistance" if code in ONSITE else "matter_delegation")
    assert m.required_documents and "letter_of_delegation" in m.required_documents
    assert set(m.required_documents) <= set(DOCUMENT_KINDS)
    for spec in m.fields:
        assert spec.kind in FIELD_KINDS or spec.kind == LIST_KIND
        assert CJK.search(spec.label_zh) and spec.label_en.isascii()
    if m.assets:
        assert m.field_map[m.assets].kind == LIST_KIND
    for stage in policy.stages_for(code):
        policy.budget(code, stage)


def test_budgets_as_specified(policy: PolicyVersion) -> None:
    def b(code: str, stage: str) -> tuple[int, str, str]:
        x = policy.budget(code, stage)
        return x.days, x.unit, x.starts_from

    for code in SHIPPED_CODES:
        assert b(code, "sign_for") == (2, "working", "stage_start")
        assert b(code, "correction") == (30, "calendar", "stage_start")  # 规定 第八条 by analogy
        assert b(code, "confirmation") == (5, "working", "stage_start")
    for code in ("real_estate_seal", "vehicle_inquiry", "equity_freeze", "deposit_deduction"):
        assert b(code, "execution") == (7, "working", "stage_start")
    assert b("property_investigation", "execution") == (10, "working", "stage_start")
    assert b("document_service", "execution") == (10, "calendar", "receipt")  # 民诉法解释 第一百三十四条
    for code in ONSITE:
        assert b(code, "plan") == (3, "working", "stage_start")
        assert b(code, "execution") == (2, "working", "scheduled_date")
    assert policy.on_expiry("correction") == "withdraw"
    assert policy.on_expiry("execution") == "escalate"


def test_plan_is_an_onsite_stage_only(policy: PolicyVersion) -> None:
    assert policy.stages_for("forced_eviction") == STAGES
    assert "plan" not in policy.stages_for("real_estate_seal")
    with pytest.raises(ValidationFailed) as info:
        policy.budget("real_estate_seal", "plan")
    assert info.value.errors[0].field == "stage"
    with pytest.raises(ValidationFailed):
        policy.budget("real_estate_seal", "lunch")


def test_unknown_matter_code(policy: PolicyVersion) -> None:
    with pytest.raises(ValidationFailed) as info:
        policy.matter("yacht_seizure")
    [e] = info.value.errors
    assert e.field == "matter_type" and "yacht_seizure" in e.message_zh
    assert_bilingual(info.value)


def test_rungs_and_extensions_are_data(policy: PolicyVersion) -> None:
    r = policy.rungs
    assert (r.due_soon_days_before, r.supervise_days_after, r.escalate_days_after) == (1, 2, 5)
    assert r.supervise_requires_acknowledgement
    assert (r.reminder_window_start.isoformat(), r.reminder_window_end.isoformat()) == ("08:30:00", "17:30:00")
    x = policy.extensions
    assert (x.max_working_days_per_request, x.max_requests, x.stages) == (10, 2, ("correction", "execution"))


# ---- versions by effective date --------------------------------------------------------------------------


def test_versions_chosen_by_effective_date_in_shanghai(policy: PolicyVersion, raw: dict[str, Any]) -> None:
    later = parse(variant(raw, version="2026-01-01", effective_from="2026-01-01"))
    book = PolicyBook([later, policy])
    assert book.versions == (policy, later)
    # 2025-12-31 16:30 UTC is already 2026-01-01 00:30 in Shanghai.
    assert book.in_force(datetime(2025, 12, 31, 16, 30, tzinfo=UTC)) is later
    assert book.in_force(datetime(2025, 12, 31, 15, 59, tzinfo=UTC)) is policy
    assert book.in_force(datetime(2030, 1, 1, tzinfo=UTC)) is later
    assert book.get("2025-01-01") is policy
    with pytest.raises(NotFound):
        book.get("1999-01-01")
    with pytest.raises(NotFound):
        book.in_force(datetime(2024, 12, 31, 15, 0, tzinfo=UTC))
    with pytest.raises(ValueError, match="timezone"):
        book.in_force(datetime(2025, 6, 1))


def test_a_book_refuses_ambiguous_versions(policy: PolicyVersion, raw: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="same day"):
        PolicyBook([policy, parse(variant(raw, version="2025-01-01b"))])  # same effective day
    with pytest.raises(ValueError, match="duplicate policy versions"):
        PolicyBook([policy, parse(variant(raw, effective_from="2026-01-01"))])  # same version id
    with pytest.raises(ValueError, match="at least one version"):
        PolicyBook([])


def test_shipped_policies_are_loaded_once_and_ordered() -> None:
    first, second = load_shipped_policies(), load_shipped_policies()
    assert first == second and first[0] is second[0]
    assert [v.effective_from for v in first] == sorted(v.effective_from for v in first)


# ---- strict parsing --------------------------------------------------------------------------------------


def matter_variant(raw: dict[str, Any], code: str, **changes: Any) -> dict[str, Any]:
    doc = copy.deepcopy(raw)
    for m in doc["matter_types"]:
        if m["code"] == code:
            m.update(changes)
    return doc


def test_a_new_matter_type_needs_no_code(raw: dict[str, Any]) -> None:
    doc = copy.deepcopy(raw)
    doc["matter_types"].append(
        {
            "code": "ship_seizure",
            "name_zh": "船舶扣押",
            "name_en": "Ship seizure",
            "group": "inquiry_control",
            "mechanism": "matter_delegation",
            "fields": [
                {"name": "ship_name", "label_zh": "船名", "label_en": "Ship name", "kind": "text", "required": True},
                {"name": "amount", "label_zh": "金额", "label_en": "Amount", "kind": "amount"},
            ],
            "required_documents": ["letter_of_delegation", "enforcement_ruling"],
            "sla": {"execution": {"days": 15, "unit": "working"}},
        }
    )
    p = parse(doc)
    assert p.budget("ship_seizure", "execution").days == 15
    assert validate_matter_fields(p.matter("ship_seizure"), {"ship_name": " 鲁青岛货1234 ", "amount": "5"}) == {
        "ship_name": "鲁青岛货1234",
        "amount": "5.00",
    }


@pytest.mark.parametrize(
    ("mutate", "where", "en_part"),
    [
        (lambda d: d.update(colour="red"), "policy.colour", "Extra inputs"),
        (lambda d: d["matter_types"][0].update(colour="red"), "policy.matter_types[0](real_estate_inquiry).colour", ""),
        (lambda d: d["matter_types"][1]["fields"][1].update(kind="vibe"), ".fields[1].kind", "Unknown field kind"),
        (lambda d: d["matter_types"][1].update(required_documents=["bribe"]), "required_documents", "document kinds"),
        (lambda d: d["matter_types"][1].update(sla={"lunch": {"days": 1, "unit": "working"}}), ".sla.lunch", ""),
        (
            lambda d: d["matter_types"][1].update(sla={"plan": {"days": 1, "unit": "working"}}),
            "matter_types[1]",
            "plan",
        ),
        (lambda d: d["matter_types"][1].update(sla={"execution": {"days": 1, "unit": "weeks"}}), ".unit", ""),
        (lambda d: d["matter_types"][1].update(sla={"execution": {"days": "2", "unit": "working"}}), ".days", ""),
        (lambda d: d["matter_types"][1].update(sla={"execution": {"days": 0, "unit": "working"}}), ".days", ""),
        (
            lambda d: d["matter_types"].append(copy.deepcopy(d["matter_types"][0])),
            "matter_types[21](real_estate_inquiry).code",
            "Duplicate matter code",
        ),
        (lambda d: d["matter_types"][1].update(group="fishing"), "matter_types[1]", "group"),
        (lambda d: d["matter_types"][1].update(assets="period_months"), "matter_types[1]", "list field"),
        (lambda d: d["matter_types"][1].update(require_one_of=[["nope"]]), "matter_types[1]", "unknown fields"),
        (lambda d: d["matter_types"][1].update(code="Real Estate"), ".code", ""),
        (lambda d: d["matter_types"][1]["fields"][1].update(choices=[]), "fields[1]", "choices"),
        (lambda d: d["matter_types"][1]["fields"][2].update(max_length=5, kind="integer"), "fields[2]", "max_length"),
        (lambda d: d["matter_types"][17]["fields"].pop(1), "matter_types[17](forced_eviction)", "scheduled_date"),
        (lambda d: d["stages"].pop("plan"), "policy.stages.plan", "required"),
        (lambda d: d["rungs"].update(escalate_days_after=1), "policy.rungs", "escalate"),
        (lambda d: d["party_fields"]["fields"][0].update(name="role"), "party_fields", "reserved"),
        (lambda d: d.update(effective_from="1 Jan 2025"), "policy.effective_from", ""),
    ],
)
def test_parse_is_strict(raw: dict[str, Any], mutate: Any, where: str, en_part: str) -> None:
    doc = copy.deepcopy(raw)
    mutate(doc)
    errs = policy_errors(doc)
    assert any(where in f and en_part in en for f, _, en in errs), errs
    for _, zh, en in errs:
        assert CJK.search(zh) and en


def test_statutory_duties_cite_the_law_in_english_beside_the_chinese(
    policy: PolicyVersion, raw: dict[str, Any]
) -> None:
    duties = policy.statutory("vehicle_inquiry")
    assert duties is not None
    assert duties.source.startswith("《中华人民共和国民事诉讼法》第二百四十条（收到委托函件后十五日内开始执行")
    assert duties.source_en.startswith("Civil Procedure Law (《中华人民共和国民事诉讼法》), Art. 240: start execution")
    group = next(i for i, g in enumerate(raw["groups"]) if g["code"] == "inquiry_control")
    doc = copy.deepcopy(raw)
    del doc["groups"][group]["statutory"]["source_en"]  # optional: versions stored without it still load
    without = parse(doc).statutory("vehicle_inquiry")
    assert without is not None and without.source_en == "" and without.source == duties.source
    doc["groups"][group]["statutory"]["source_en"] = "x" * 301
    assert any("source_en" in field for field, _, _ in policy_errors(doc))


def test_invalid_json_and_duplicate_keys() -> None:
    [(field, zh, _)] = policy_errors("{not json")
    assert field == "policy" and "JSON" in zh
    [(_, _, en)] = policy_errors('{"version": "a", "version": "b"}')
    assert "duplicate keys: version" in en


# ---- values of a matter ----------------------------------------------------------------------------------

VIN = "1M8GDM9AXKP042788"
USCC = "91350100M000100Y43"
ID = "11010519491231002X"


def test_values_are_normalized(policy: PolicyVersion) -> None:
    v = validate_matter_fields(
        policy.matter("vehicle_seal"),
        {
            "vehicles": [{"plate": "鲁b·12345", "vin": VIN.lower(), "brand_model": "  大众  帕萨特 "}],
            "period_months": 24,
        },
    )
    assert v == {
        "vehicles": [{"plate": "鲁B12345", "vin": VIN, "brand_model": "大众 帕萨特"}],
        "period_months": 24,
    }
    e = validate_matter_fields(
        policy.matter("equity_freeze"),
        {
            "holdings": [{"company_name": "某公司", "company_uscc": USCC.lower(), "share_ratio": "30"}],
            "period_months": 6,
        },
    )
    assert e["holdings"] == [{"company_name": "某公司", "company_uscc": USCC, "share_ratio": "30"}]


def test_all_field_errors_come_at_once(policy: PolicyVersion) -> None:
    with pytest.raises(ValidationFailed) as info:
        validate_matter_fields(
            policy.matter("deposit_deduction"),
            {
                "accounts": [{"bank_name": "工行", "account_no": "12AB", "amount": "-1"}, {"bank_name": ""}],
                "court_account_no": "6222021234567890123",
                "colour": "red",
            },
        )
    fields = {e.field for e in info.value.errors}
    assert fields == {
        "colour",
        "accounts[0].account_no",
        "accounts[0].amount",
        "accounts[1].bank_name",
        "accounts[1].account_no",
        "accounts[1].amount",
        "court_account_name",
        "court_bank_name",
    }
    assert_bilingual(info.value)


def test_lists_and_one_of_rules(policy: PolicyVersion) -> None:
    with pytest.raises(ValidationFailed) as info:
        validate_matter_fields(policy.matter("vehicle_seal"), {"vehicles": [{"brand_model": "x"}], "period_months": 1})
    [e] = info.value.errors
    assert e.field == "vehicles[0].plate" and "号牌号码" in e.message_zh and "VIN" in e.message_en
    with pytest.raises(ValidationFailed) as info:
        validate_matter_fields(policy.matter("real_estate_seal"), {"properties": [], "period_months": 1})
    assert [e.field for e in info.value.errors] == ["properties"]
    with pytest.raises(ValidationFailed) as info:
        validate_matter_fields(policy.matter("real_estate_seal"), {"properties": "flat 1", "period_months": 1})
    assert [e.field for e in info.value.errors] == ["properties"]


def test_court_codes_checked_against_a_registry() -> None:
    class Courts:
        def find(self, code: str) -> object | None:
            return object() if code == "鲁0202" else None

    matter = MatterType(
        code="x",
        name_zh="测试",
        name_en="Test",
        group="g",
        mechanism="matter_delegation",
        fields=(FieldSpec(name="court", label_zh="法院", label_en="Court", kind="court_code", required=True),),
        required_documents=("letter_of_delegation",),
    )
    assert validate_matter_fields(matter, {"court": "鲁 0202"}, courts=Courts()) == {"court": "鲁0202"}
    with pytest.raises(ValidationFailed) as info:
        validate_matter_fields(matter, {"court": "鲁0299"}, courts=Courts())
    assert "鲁0299" in info.value.errors[0].message_zh


# ---- parties ---------------------------------------------------------------------------------------------

APPLICANT = {"role": "申请执行人", "party_type": "法人", "name": "某银行股份有限公司青岛分行", "uscc": USCC.lower()}
DEBTOR = {
    "role": "debtor",
    "party_type": "natural_person",
    "name": "张三",
    "id_number": ID,
    "phone": "+86 138 0013 8000",
    "address": "山东省青岛市崂山区海尔路1号",
}


def test_parties_are_normalized(policy: PolicyVersion) -> None:
    applicant, debtor = validate_parties(policy, [APPLICANT, DEBTOR])
    assert applicant == {"role": "applicant", "party_type": "legal_person", "name": APPLICANT["name"], "uscc": USCC}
    assert debtor["role"] == "debtor" and debtor["phone"] == "13800138000"


def test_parties_need_both_roles_and_an_identity(policy: PolicyVersion) -> None:
    with pytest.raises(ValidationFailed) as info:
        validate_parties(policy, [{**DEBTOR, "id_number": None, "role": "witness"}])
    fields = [e.field for e in info.value.errors]
    assert "parties[0].role" in fields and "parties[0].id_number" in fields
    assert sum(f == "parties" for f in fields) == 2  # no applicant, no debtor
    assert_bilingual(info.value)
    with pytest.raises(ValidationFailed):
        validate_parties(policy, "张三")  # type: ignore[arg-type]


def test_missing_documents(policy: PolicyVersion) -> None:
    m = policy.matter("real_estate_seal")
    assert missing_documents(m, []) == list(m.required_documents)
    assert missing_documents(m, ["enforcement_ruling", "other"]) == [
        "letter_of_delegation",
        "assistance_notice",
        "officer_credentials",
    ]
    assert missing_documents(m, m.required_documents) == []


def test_a_partys_errors_say_which_party_by_number_role_and_name(policy: PolicyVersion) -> None:
    with pytest.raises(ValidationFailed) as info:
        validate_parties(policy, [APPLICANT, {**DEBTOR, "name": "张三", "id_number": "110105194912310021"}])
    [e] = info.value.errors
    assert e.field == "parties[1].id_number"
    assert e.message_zh.startswith("第2名当事人（被执行人 张三）：") and e.message_en.startswith("Party 2 (")
    with pytest.raises(ValidationFailed) as info:
        validate_parties(policy, [APPLICANT, DEBTOR, {"role": "witness", "party_type": "natural_person"}])
    assert all(e.message_zh.startswith("第3名当事人：") for e in info.value.errors if e.field.startswith("parties[2]"))


def test_missing_documents_are_named_as_people_read_them() -> None:
    assert document_labels(["enforcement_ruling", "officer_credentials"]) == (
        "执行裁定书、工作证/执行公务证",
        "Enforcement ruling, Officers' credentials",
    )
    assert document_labels(["no_such_kind"]) == ("no_such_kind", "no_such_kind")


def test_a_date_the_period_counts_from_cannot_be_in_the_past(policy: PolicyVersion) -> None:
    today = datetime(2026, 3, 2).date()
    eviction = policy.matter("forced_eviction")
    [e] = policy.past_scheduled_date(eviction, {"scheduled_date": "2026-03-01"}, today)
    assert e.field == "fields.scheduled_date" and e.message_zh == "拟执行日期不能早于今天"
    assert policy.past_scheduled_date(eviction, {"scheduled_date": "2026-03-02"}, today) == []
    # A matter whose periods count from their stage's start has no such date to check.
    assert policy.past_scheduled_date(policy.matter("vehicle_inquiry"), {"scheduled_date": "2000-01-01"}, today) == []


# ---- personal data ---------------------------------------------------------------------------------------


def test_pii_field_names(policy: PolicyVersion) -> None:
    assert pii_field_names(policy.party_fields) == {"id_number", "other_id", "address", "phone"}
    assert pii_field_names(policy.matter("deposit_deduction")) == {"accounts[].account_no"}  # the court's is not
    assert pii_field_names(policy.matter("vehicle_seizure")) == {
        "vehicles[].plate",
        "vehicles[].vin",
        "vehicles[].location",
        "contact_phone",
    }
    assert pii_field_names(policy.matter("real_estate_seal").fields) == {
        "properties[].cert_no",
        "properties[].address",
    }


def test_masked_copies_reveal_nothing_personal(policy: PolicyVersion) -> None:
    debtor = validate_parties(policy, [APPLICANT, DEBTOR])[1]
    masked = mask_fields(policy.party_fields, debtor)
    assert masked == {
        "role": "debtor",
        "party_type": "natural_person",
        "name": "张三",
        "id_number": "110105********002X",
        "phone": "138****8000",
        "address": "山东省青岛市崂山区****",
    }
    m = policy.matter("vehicle_seal")
    values = validate_matter_fields(m, {"vehicles": [{"plate": "鲁B12345", "vin": VIN}], "period_months": 3})
    masked_values = mask_fields(m, values)
    assert masked_values["vehicles"] == [{"plate": "鲁B·****5", "vin": "1M8**********2788"}]
    assert values["vehicles"] == [{"plate": "鲁B12345", "vin": VIN}]  # the original is untouched


def test_malformed_stored_values_are_hidden_whole(policy: PolicyVersion) -> None:
    m = policy.matter("real_estate_seal")
    assert mask_fields(m, {"properties": ["山东省青岛市市南区香港中路100号"]}) == {"properties": ["****"]}
    assert mask_fields(m, {"properties": "山东省青岛市市南区香港中路100号"}) == {"properties": "****"}
    assert mask_fields(m, {"period_months": 12, "note": None}) == {"period_months": 12, "note": None}


def test_the_proposed_action_date_of_a_filing_is_not_called_agreed_in_either_language(policy: PolicyVersion) -> None:
    """拟执行日期 is what the requesting court proposes; the agreed date is set later by the assisting court's
    schedule action (its own label, "Agreed on-site date"): a matter page shows both, so they must differ."""
    labels = {(f.label_zh, f.label_en) for m in policy.matter_types for f in m.fields if f.name == "scheduled_date"}
    assert labels == {("拟执行日期", "Proposed action date")}


def test_a_masked_value_sent_back_means_the_stored_one_and_any_other_mask_is_refused(policy: PolicyVersion) -> None:
    """Reads show masks; an edit that sends a read's mask back keeps the stored value, matched by position."""
    debtor = validate_parties(policy, [APPLICANT, DEBTOR])[1]
    read = mask_fields(policy.party_fields, debtor)
    assert unmask_unchanged(policy.party_fields, read | {"name": "张三丰"}, debtor) == debtor | {"name": "张三丰"}
    m = policy.matter("vehicle_seal")
    stored = validate_matter_fields(m, {"vehicles": [{"plate": "鲁B12345", "vin": VIN}], "period_months": 3})
    sent = mask_fields(m, stored) | {"period_months": 6}
    sent["vehicles"] = [*sent["vehicles"], {"plate": "鲁B54321"}]  # a vehicle added after the read one
    assert unmask_unchanged(m, sent, stored) == stored | {
        "period_months": 6,
        "vehicles": [*stored["vehicles"], {"plate": "鲁B54321"}],
    }
    # A mask that is not the stored value's (another party's, a stale read's) is not taken for real data.
    other = read | {"address": "山东省青岛市市南区****"}
    assert unmask_unchanged(policy.party_fields, other, debtor)["address"] == "山东省青岛市市南区****"
    with pytest.raises(ValidationFailed) as info:
        validate_parties(policy, [APPLICANT, other | {"id_number": debtor["id_number"], "phone": debtor["phone"]}])
    [error] = info.value.errors
    assert error.field == "parties[1].address" and "脱敏" in error.message_zh and "masked" in error.message_en
