"""Field kinds: checksum validators with known examples, normalization, and masks that hide the middle."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from delegation.catalogue.fields import DOCUMENT_KINDS, FIELD_KINDS, Constraints, FieldProblem, mask_value
from delegation.catalogue.identifiers import (
    USCC_ALPHABET,
    id_check_char,
    mask_generic,
    uscc_check_char,
    vin_check_char,
)

CJK = re.compile(r"[\u4e00-\u9fff]")
NONE = Constraints()


def ok(kind: str, value: object, c: Constraints = NONE) -> object:
    return FIELD_KINDS[kind].normalize(value, c)


def bad(kind: str, value: object, c: Constraints = NONE) -> FieldProblem:
    with pytest.raises(FieldProblem) as info:
        FIELD_KINDS[kind].normalize(value, c)
    p = info.value
    assert CJK.search(p.message_zh) and re.search(r"[A-Za-z]{3}", p.message_en), (p.message_zh, p.message_en)
    return p


# ---- checksums -------------------------------------------------------------------------------------------


def test_check_characters_of_the_standard_examples() -> None:
    assert vin_check_char("1M8GDM9AXKP042788") == "X"  # ISO 3779 textbook example
    assert uscc_check_char("91350100M000100Y4") == "3"  # GB 32100-2015 commonly cited example
    assert id_check_char("11010519491231002") == "X"  # GB 11643 standard example


def test_resident_id_number() -> None:
    assert ok("id_number", "11010519491231002x") == "11010519491231002X"
    assert ok("id_number", " 1101 0519 4912 3100 2X ") == "11010519491231002X"
    assert "校验位" in bad("id_number", "110105194912310021").message_zh
    assert "18" in bad("id_number", "1101051949123100").message_zh
    assert "15位" in bad("id_number", "110105491231002").message_zh
    assert "出生日期" in bad("id_number", "110105194902300021").message_zh  # 30 February
    assert "地区码" in bad("id_number", "99010519491231002X").message_zh
    assert "数字" in bad("id_number", "11010519491231002Y").message_zh
    bad("id_number", 110105194912310021)


def test_uscc() -> None:
    assert ok("uscc", "91350100m000100y43") == "91350100M000100Y43"
    assert "校验位" in bad("uscc", "91350100M000100Y44").message_zh
    assert "I、O、Z、S、V" in bad("uscc", "91350100M000100O43").message_zh
    assert "行政区划" in bad("uscc", "913501A0M000100Y43").message_zh
    assert "18" in bad("uscc", "91350100M000100Y4").message_zh


def test_vin() -> None:
    assert ok("vin", "1m8gdm9axkp042788") == "1M8GDM9AXKP042788"
    assert "校验位" in bad("vin", "1M8GDM9A1KP042788").message_zh
    assert "I、O、Q" in bad("vin", "1M8GDM9AXKP04278O").message_zh
    assert "17" in bad("vin", "1M8GDM9AXKP04278").message_zh


@given(st.text(alphabet="0123456789ABCDEFGHJKLMNPRSTUVWXYZ", min_size=17, max_size=17))
def test_a_vin_with_its_computed_check_digit_is_accepted(chars: str) -> None:
    vin = chars[:8] + vin_check_char(chars[:8] + "0" + chars[9:]) + chars[9:]
    assert ok("vin", vin) == vin


@given(st.text(alphabet=USCC_ALPHABET, min_size=10, max_size=10), st.integers(0, 999999))
def test_a_uscc_with_its_computed_check_character_is_accepted(tail: str, region: int) -> None:
    body = f"91{region:06d}{tail[:9]}"
    assert ok("uscc", body + uscc_check_char(body)) == body + uscc_check_char(body)


# ---- plates ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("鲁B12345", "鲁B12345"),
        ("鲁b·12345", "鲁B12345"),
        ("鲁 B-A1234", "鲁BA1234"),
        ("鲁BD12345", "鲁BD12345"),  # new-energy small car, 8 characters
        ("鲁BFA1234", "鲁BFA1234"),
        ("鲁B12345D", "鲁B12345D"),  # new-energy large vehicle
        ("鲁B1234挂", "鲁B1234挂"),
        ("鲁Ｂ１２３４５", "鲁B12345"),  # full-width
    ],
)
def test_plates(raw: str, canonical: str) -> None:
    assert ok("plate", raw) == canonical


def test_bad_plates() -> None:
    assert "省份" in bad("plate", "AB12345").message_zh
    assert "I和O" in bad("plate", "鲁BO1234").message_zh
    assert "7位" in bad("plate", "鲁B1234").message_zh
    bad("plate", "鲁112345")  # the issuing office is a letter
    bad("plate", "鲁BZ12345")  # Z is not a new-energy marker


# ---- plain kinds -----------------------------------------------------------------------------------------


def test_text_is_one_stripped_line() -> None:
    assert ok("text", "  张  三 ") == "张 三"
    assert ok("text", "a\nb") == "a b"  # a pasted line break is folded, not refused
    assert "控制字符" in bad("long_text", "a\x00b").message_zh
    assert "控制字符" in bad("text", "a\x07b").message_zh
    assert "不能超过5" in bad("text", "123456", Constraints(max_length=5)).message_zh
    bad("text", ["x"])
    assert ok("long_text", " a\r\nb \n") == "a\nb"


def test_numbers() -> None:
    limits = Constraints(min_value=Decimal(1), max_value=Decimal(36))
    assert ok("integer", "12", limits) == 12
    assert ok("integer", 36, limits) == 36
    assert "不能大于36" in bad("integer", 37, limits).message_zh
    bad("integer", True)
    bad("integer", "1.5")
    assert ok("amount", "1,234.5元") == "1234.50"
    assert ok("amount", 100) == "100.00"
    assert ok("amount", 0.1) == "0.10"
    assert "两位小数" in bad("amount", "1.234").message_zh
    assert "大于0" in bad("amount", "0").message_zh
    bad("amount", "NaN")
    bad("amount", "abc")
    assert ok("decimal", "35.50", Constraints(min_value=Decimal(0), max_value=Decimal(100))) == "35.5"
    assert ok("decimal", "100") == "100"
    bad("decimal", "100.5", Constraints(max_value=Decimal(100)))


def test_dates() -> None:
    assert ok("date", "2025-1-2") == "2025-01-02"
    assert ok("date", "2025年1月2日") == "2025-01-02"
    assert ok("date", "2025/01/02") == "2025-01-02"
    assert ok("date", date(2025, 1, 2)) == "2025-01-02"
    assert "不含时间" in bad("date", datetime(2025, 1, 2, 9, 0)).message_zh
    assert "有效" in bad("date", "2025-02-30").message_zh
    bad("date", "tomorrow")


def test_choice_accepts_code_or_chinese_label() -> None:
    c = Constraints(choices={"legal_person": "legal_person", "法人": "legal_person"})
    assert ok("choice", "法人", c) == "legal_person"
    assert ok("choice", "legal_person", c) == "legal_person"
    bad("choice", "公司", c)


def test_phones() -> None:
    assert ok("phone", "+86 138-0013-8000") == "13800138000"
    assert ok("phone", "0532-88886666") == "0532-88886666"
    assert ok("phone", "(010)62345678转123") == "010-62345678-123"
    assert ok("phone", "053288886666") == "0532-88886666"
    assert "区号" in bad("phone", "88886666").message_zh
    assert "11位" in bad("phone", "1380013800").message_zh
    bad("phone", "0532-1234")
    bad("phone", "phone me")


def test_addresses_need_substance() -> None:
    assert ok("address", " 山东省青岛市市南区 香港中路100号 ") == "山东省青岛市市南区 香港中路100号"
    assert "简略" in bad("address", "青岛").message_zh
    assert "简略" in bad("address", "somewhere nice").message_zh


def test_bank_accounts() -> None:
    assert ok("bank_account", "6222 0212 3456 7890 123") == "6222021234567890123"
    assert "8至32" in bad("bank_account", "1234567").message_zh
    assert "数字" in bad("bank_account", "6222A21234567890").message_zh


def test_real_estate_certificates() -> None:
    assert ok("real_estate_cert", "鲁(2024)青岛市不动产权第0012345号") == "鲁（2024）青岛市不动产权第0012345号"
    assert ok("real_estate_cert", "鲁（2023）胶州市不动产证明第0001234号") == "鲁（2023）胶州市不动产证明第0001234号"
    assert ok("real_estate_cert", "青房地权市字第201212345号") == "青房地权市字第201212345号"
    assert "格式" in bad("real_estate_cert", "鲁（2024）青岛市不动产权0012345号").message_zh
    assert "2014" in bad("real_estate_cert", "鲁（2010）青岛市不动产权第0012345号").message_zh
    bad("real_estate_cert", "12345")
    bad("real_estate_cert", "房产证")


def test_court_codes_and_case_numbers() -> None:
    assert ok("court_code", " 鲁 0202") == "鲁0202"
    bad("court_code", "鲁020")
    assert ok("case_number", "(2025)鲁0202执5991号") == "（2025）鲁0202执5991号"
    assert "执行案件类型" in bad("case_number", "（2025）鲁0202民初1号").message_zh


def test_document_vocabulary_is_bilingual() -> None:
    assert {"letter_of_delegation", "enforcement_ruling", "assistance_notice", "officer_credentials", "other"} <= set(
        DOCUMENT_KINDS
    )
    for d in DOCUMENT_KINDS.values():
        assert CJK.search(d.label_zh) and d.label_en.isascii()


def test_personal_data_kinds() -> None:
    pii = {k for k, fk in FIELD_KINDS.items() if fk.pii}
    assert {"id_number", "phone", "address", "bank_account", "plate", "vin"} <= pii
    assert not {"uscc", "court_code", "case_number", "amount", "date"} & pii


# ---- masks -----------------------------------------------------------------------------------------------


def test_masks_of_the_examples() -> None:
    assert mask_value("id_number", "370202198001011234") == "370202********1234"
    assert mask_value("plate", "鲁B12345") == "鲁B·****5"
    assert mask_value("plate", "鲁BD12345") == "鲁B·*****5"
    assert mask_value("address", "山东省青岛市市南区香港中路100号") == "山东省青岛市市南区****"
    assert mask_value("address", "青岛市胶州市扬州路1号") == "青岛市胶州市****"
    assert mask_value("phone", "13800138000") == "138****8000"
    assert mask_value("phone", "0532-88886666") == "0532-****66"
    assert mask_value("bank_account", "6222021234567890123") == "6222****0123"
    assert mask_value("vin", "1M8GDM9AXKP042788") == "1M8**********2788"
    assert mask_value("real_estate_cert", "鲁（2024）青岛市不动产权第0012345号") == "鲁（2024）青岛市不动产权第****号"
    assert mask_value("text", "张三") == "张**"
    assert mask_value("unknown_kind", "short") == "****"


def _valid_id(body: str) -> str:
    return body + id_check_char(body)


id_numbers = st.builds(
    lambda region, born, seq: _valid_id(f"37{region:04d}{born:%Y%m%d}{seq:03d}"),
    st.integers(0, 9999),
    st.dates(date(1900, 1, 1), date(2025, 12, 31)),
    st.integers(0, 999),
)
digits = st.text(alphabet="0123456789", min_size=1)
values_by_kind = st.one_of(
    st.tuples(st.just("id_number"), id_numbers),
    st.tuples(st.just("phone"), st.integers(13_000_000_000, 19_999_999_999).map(str)),
    st.tuples(st.just("phone"), st.integers(2_000_000, 99_999_999).map(lambda n: f"0532-{n}")),
    st.tuples(st.just("bank_account"), st.text(alphabet="0123456789", min_size=8, max_size=32)),
    st.tuples(st.just("plate"), st.text(alphabet="ABCDEFGH0123456789", min_size=5, max_size=6).map("鲁B".__add__)),
    st.tuples(st.just("vin"), st.text(alphabet="0123456789ABCDEFGHJKLMNPRSTUVWXYZ", min_size=17, max_size=17)),
    st.tuples(
        st.just("address"),
        st.tuples(
            st.sampled_from(["山东省青岛市市南区", "青岛市黄岛区", "山东省烟台市", "威海市环翠区", ""]),
            st.text(alphabet="中山路香港大街号楼单元室0123456789", min_size=10, max_size=40),
        ).map("".join),
    ),
    st.tuples(st.just("real_estate_cert"), st.integers(0, 9_999_999).map("鲁（2024）青岛市不动产权第{:07d}号".format)),
    st.tuples(st.sampled_from(["text", "long_text", "uscc", "amount"]), st.text(min_size=1, max_size=40)),
)


@given(values_by_kind)
def test_masking_never_reveals_the_middle(kind_and_value: tuple[str, str]) -> None:
    kind, value = kind_and_value
    masked = mask_value(kind, value)
    assert "*" in masked
    n = len(value)
    middle = value[n // 4 : n - n // 4]
    if len(middle) >= 2:
        assert middle not in masked, (kind, value, masked)


@given(st.text(max_size=60))
def test_the_generic_mask_shows_at_most_a_quarter(value: str) -> None:
    masked = mask_generic(value)
    assert len(masked.replace("*", "")) <= len(value) // 4
