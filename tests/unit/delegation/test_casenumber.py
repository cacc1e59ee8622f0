"""Case numbers (案号): parsing, canonical form, precise bilingual errors, ownership."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from delegation.catalogue.casenumber import (
    ENFORCEMENT_CASE_TYPES,
    MAX_YEAR,
    MIN_YEAR,
    CaseNumber,
    check_requester_owns,
    parse_case_number,
)
from delegation.core.errors import ValidationFailed

CJK = re.compile(r"[\u4e00-\u9fff]")


class FakeCourts:
    def __init__(self, *codes: str) -> None:
        self.codes = set(codes)

    def find(self, code: str) -> object | None:
        return code if code in self.codes else None


def errors_of(text: object, **kw: object) -> list[tuple[str, str, str]]:
    with pytest.raises(ValidationFailed) as info:
        parse_case_number(text, **kw)  # type: ignore[arg-type]
    errs = info.value.errors
    for e in errs:  # every message exists in both languages
        assert CJK.search(e.message_zh), e
        assert e.message_en and not CJK.fullmatch(e.message_en[:1]), e
    return [(e.field, e.message_zh, e.message_en) for e in errs]


def test_parses_the_example() -> None:
    n = parse_case_number("（2025）鲁0202执5991号")
    assert n == CaseNumber(2025, "鲁0202", "执", 5991)
    assert n.canonical == "（2025）鲁0202执5991号" == str(n)


@pytest.mark.parametrize(
    "text",
    [
        "(2025)鲁0202执5991号",
        " （ 2025 ） 鲁 0202 执 5991 号 ",
        "(2025）鲁0202执5991号",
        "（２０２５）鲁０２０２执５９９１号",  # full-width digits
        "\u200b(2025)鲁0202执5991号\u3000",
        "（2025）鲁0202执05991号",  # a leading zero is the same serial
    ],
)
def test_input_variants_store_one_canonical_form(text: str) -> None:
    assert parse_case_number(text).canonical == "（2025）鲁0202执5991号"


@pytest.mark.parametrize(
    ("text", "court", "case_type"),
    [
        ("（2024）鲁执12号", "鲁", "执"),  # High Court
        ("（2024）鲁02执恢12号", "鲁02", "执恢"),  # intermediate
        ("（2024）鲁72执保3号", "鲁72", "执保"),  # maritime: two digits then the case type
        ("（2024）鲁0681执异7号", "鲁0681", "执异"),
        ("（2024）鲁06执监1号", "鲁06", "执监"),
    ],
)
def test_court_code_splits_at_the_first_non_digit(text: str, court: str, case_type: str) -> None:
    n = parse_case_number(text)
    assert (n.court_code, n.case_type) == (court, case_type)


@pytest.mark.parametrize(
    ("text", "zh_part", "en_part"),
    [
        ("", "请填写案号", "required"),
        ("   ", "请填写案号", "required"),
        (None, "请填写案号", "required"),
        (2025, "文本", "string"),
        ("〔2025〕鲁0202执5991号", "圆括号", "round brackets"),
        ("[2025]鲁0202执5991号", "圆括号", "round brackets"),
        ("2025鲁0202执5991号", "圆括号", "enclosed"),
        ("鲁0202执5991号", "开头", "starts with the year"),
        ("（2025鲁0202执5991号", "右括号", "closing bracket"),
        ("（25）鲁0202执5991号", "4位数字", "4 digits"),
        ("（二〇二五）鲁0202执5991号", "4位数字", "4 digits"),
        ("（2025）京0202执5991号", "鲁", "must start with '鲁'"),
        ("（2025）鲁020执5991号", "0、2或4位", "0, 2 or 4 digits"),
        ("（2025）鲁020202执5991号", "0、2或4位", "0, 2 or 4 digits"),
        ("（2025）鲁02025991号", "0、2或4位", "0, 2 or 4 digits"),
        ("（2025）鲁0202号", "类型代字", "case-type code"),
        ("（2025）鲁0202执号", "序号", "serial number"),
        ("（2025）鲁0202执5991", "结尾", "end with '号'"),
        ("（2025）鲁0202执5991号之一", "之后", "Nothing may follow"),
        ("（2025）鲁0202执5991-1号", "紧跟", "followed by '号'"),
        ("（2025）鲁0202民初5991号", "执行案件类型", "not an enforcement case type"),
        ("（2025）鲁0202执0号", "正整数", "positive integer"),
        ("（1989）鲁0202执1号", "早于1990", "before 1990"),
        (f"（{MAX_YEAR + 1}）鲁0202执1号", "未来", "future"),
    ],
)
def test_each_failure_has_a_precise_message(text: object, zh_part: str, en_part: str) -> None:
    [(field, zh, en)] = errors_of(text)
    assert field == "case_number"
    assert zh_part in zh, zh
    assert en_part in en, en


def test_a_case_number_from_the_future_is_refused_with_max_year() -> None:
    assert parse_case_number("（2026）鲁0202执1号", max_year=2026).year == 2026
    [(_, zh, en)] = errors_of("（2027）鲁0202执1号", max_year=2026)
    assert "2027" in zh and "future" in en


def test_unknown_court_only_when_a_registry_is_given() -> None:
    courts = FakeCourts("鲁0202", "鲁02")
    assert parse_case_number("（2025）鲁0202执1号", courts=courts).court_code == "鲁0202"
    assert parse_case_number("（2025）鲁0299执1号").court_code == "鲁0299"
    [(field, zh, en)] = errors_of("（2025）鲁0299执1号", courts=courts, field="requester_case")
    assert field == "requester_case" and "鲁0299" in zh and "not a known court" in en


def test_semantic_problems_are_reported_together() -> None:
    errs = errors_of("（1980）鲁0299民初0号", courts=FakeCourts())
    assert len(errs) == 4  # year, court, case type, serial


def test_works_with_the_real_court_registry() -> None:
    registry = pytest.importorskip("courts.registry").CourtRegistry.shipped()
    assert parse_case_number("（2025）鲁0202执5991号", courts=registry).court_code == "鲁0202"
    errors_of("（2025）鲁9999执1号", courts=registry)


def test_requester_owns_its_case_number() -> None:
    check_requester_owns(parse_case_number("（2025）鲁0202执5991号"), "鲁0202")
    check_requester_owns("(2025)鲁0202执5991号", " 鲁0202 ")
    with pytest.raises(ValidationFailed) as info:
        check_requester_owns("（2025）鲁0202执5991号", "鲁0602")
    [e] = info.value.errors
    assert e.field == "case_number" and "鲁0602" in e.message_zh and "鲁0602" in e.message_en


court_codes = st.one_of(
    st.just("鲁"),
    st.integers(1, 99).map(lambda n: f"鲁{n:02d}"),
    st.integers(101, 9999).map(lambda n: f"鲁{n:04d}"),
)
case_numbers = st.builds(
    CaseNumber,
    year=st.integers(MIN_YEAR, MAX_YEAR),
    court_code=court_codes,
    case_type=st.sampled_from(ENFORCEMENT_CASE_TYPES),
    serial=st.integers(1, 10**7),
)


@given(case_numbers)
def test_canonical_form_round_trips(n: CaseNumber) -> None:
    assert parse_case_number(n.canonical) == n
    assert parse_case_number(parse_case_number(n.canonical).canonical).canonical == n.canonical


@given(case_numbers, st.lists(st.sampled_from([" ", "\u3000", "\t"]), max_size=3), st.booleans())
def test_any_rendering_parses_to_itself(n: CaseNumber, blanks: list[str], ascii_brackets: bool) -> None:
    pad = "".join(blanks)
    left, right = ("(", ")") if ascii_brackets else ("（", "）")
    text = f"{pad}{left}{n.year}{right}{pad}{n.court_code}{pad}{n.case_type}{n.serial}{pad}号{pad}"
    assert parse_case_number(text) == n


def test_another_courts_case_number_is_named_by_the_courts_names() -> None:
    registry = pytest.importorskip("courts.registry").CourtRegistry.shipped()
    with pytest.raises(ValidationFailed) as info:
        check_requester_owns("（2026）鲁0602执1号", "鲁0202", courts=registry)
    [e] = info.value.errors
    assert e.message_zh == (
        "案号（2026）鲁0602执1号是烟台市芝罘区人民法院（鲁0602）的案件，不是本院（青岛市市南区人民法院（鲁0202））的案件"
    )
    assert "(鲁0602)" in e.message_en and "Zhifu" in e.message_en
