"""Case numbers (案号) of enforcement cases, per 法〔2015〕137号 as amended in 2018.

Format: "（" + year + "）" + court code + case-type code + serial + "号", e.g. （2025）鲁0202执5991号.
Input is forgiving (ASCII or full-width brackets and digits, stray whitespace); the stored form is one
canonical string: full-width brackets, ASCII digits, no spaces.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Protocol

from delegation.core.errors import FieldError, ValidationFailed

PROVINCE = "鲁"
MIN_YEAR = 1990
MAX_YEAR = 2100

# Case-type codes of enforcement cases (执行案件类型代字); anything else (民初, 刑终...) is not ours.
ENFORCEMENT_CASE_TYPES: tuple[str, ...] = ("执", "执恢", "执保", "执异", "执复", "执监", "执协", "执他")
CASE_TYPE_NAMES_ZH: dict[str, str] = {
    "执": "首次执行",
    "执恢": "恢复执行",
    "执保": "财产保全执行",
    "执异": "执行异议",
    "执复": "执行复议",
    "执监": "执行监督",
    "执协": "执行协调",
    "执他": "其他执行",
}

# 鲁 = High Court, 鲁NN = intermediate or special court (鲁72 maritime), 鲁NNNN = basic court.
COURT_CODE_DIGITS = (0, 2, 4)
_COURT_CODE_RE = re.compile(rf"^{PROVINCE}(?:\d{{2}}|\d{{4}})?$")
# Zero-width characters sneak in from copy-paste out of Word and web pages; NFKC keeps them.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"))
_WRONG_BRACKETS = "〔〕[]【】［］{}｛｝"


class CourtLookup(Protocol):
    """What we need of courts.registry.CourtRegistry: a lookup by code."""

    def find(self, code: str) -> object | None: ...


@dataclass(frozen=True)
class CaseNumber:
    year: int
    court_code: str
    case_type: str
    serial: int

    @property
    def canonical(self) -> str:
        return f"（{self.year}）{self.court_code}{self.case_type}{self.serial}号"

    def __str__(self) -> str:
        return self.canonical


def squeeze(text: str) -> str:
    """Fold full-width digits/brackets to ASCII (NFKC) and drop all whitespace and invisible characters."""
    folded = unicodedata.normalize("NFKC", text).translate(_INVISIBLE)
    return "".join(ch for ch in folded if not ch.isspace())


def normalize_court_code(text: str) -> str | None:
    """The canonical court code (e.g. 鲁0202), or None when the text is not shaped like one."""
    code = squeeze(text)
    return code if _COURT_CODE_RE.match(code) else None


def _fail(field: str, zh: str, en: str) -> ValidationFailed:
    return ValidationFailed([FieldError(field, zh, en)])


def parse_case_number(
    text: object,
    *,
    courts: CourtLookup | None = None,
    field: str = "case_number",
    max_year: int | None = None,
) -> CaseNumber:
    """Parse and check a case number; raises ValidationFailed naming exactly what is wrong.

    `max_year` is the latest acceptable year (the service passes the current year, so a case number
    from the future is refused); without it the ceiling is MAX_YEAR.
    """
    if text is None or (isinstance(text, str) and not squeeze(text)):
        raise _fail(field, "请填写案号", "The case number is required")
    if not isinstance(text, str):
        raise _fail(field, "案号应为文本", "The case number must be a string")
    s = squeeze(text)
    example_zh = "格式如：（2025）鲁0202执5991号"
    example_en = "expected e.g. （2025）鲁0202执5991号"

    # 1. The year in round brackets.
    if s[0] in _WRONG_BRACKETS:
        raise _fail(
            field,
            f"案号中的年份应使用圆括号（），不能使用“{s[0]}”；{example_zh}",
            f"The year must be in round brackets （）, not '{s[0]}'; {example_en}",
        )
    if s[0] != "(":
        if s[0].isdigit():
            raise _fail(
                field,
                f"案号中的年份应写在圆括号（）内；{example_zh}",
                f"The year must be enclosed in round brackets （）; {example_en}",
            )
        raise _fail(
            field,
            f"案号应以带括号的年份开头；{example_zh}",
            f"A case number starts with the year in brackets; {example_en}",
        )
    close = s.find(")")
    if close < 0:
        raise _fail(
            field,
            f"案号缺少年份后的右括号“）”；{example_zh}",
            f"The closing bracket '）' after the year is missing; {example_en}",
        )
    year_text, rest = s[1:close], s[close + 1 :]
    if not (len(year_text) == 4 and year_text.isascii() and year_text.isdigit()):
        raise _fail(
            field,
            f"案号年份应为4位数字，而不是“{year_text}”",
            f"The year must be 4 digits, got '{year_text}'",
        )
    year = int(year_text)

    # 2. The court code: 鲁 and its digits; the case type starts at the first non-digit after 鲁.
    if not rest.startswith(PROVINCE):
        raise _fail(
            field,
            f"案号中的法院代字应以“{PROVINCE}”开头（如鲁0202）",
            f"The court code must start with '{PROVINCE}' (e.g. 鲁0202)",
        )
    i = len(PROVINCE)
    while i < len(rest) and rest[i].isascii() and rest[i].isdigit():
        i += 1
    court_code = rest[:i]
    digits = i - len(PROVINCE)
    if digits not in COURT_CODE_DIGITS:
        raise _fail(
            field,
            f"法院代字“{court_code}”无效：“{PROVINCE}”后应为0、2或4位数字（高院鲁、中院鲁NN、基层法院鲁NNNN）",
            f"Court code '{court_code}' is invalid: '{PROVINCE}' must be followed by 0, 2 or 4 digits",
        )

    # 3. The case type runs up to the serial's first digit.
    j = i
    while j < len(rest) and not rest[j].isdigit() and rest[j] != "号":
        j += 1
    case_type = rest[i:j]
    if not case_type:
        raise _fail(
            field,
            f"案号缺少案件类型代字（如执、执恢、执保）；{example_zh}",
            f"The case-type code (e.g. 执, 执恢, 执保) is missing; {example_en}",
        )

    # 4. The serial and the closing 号.
    k = j
    while k < len(rest) and rest[k].isdigit():
        k += 1
    serial_text, tail = rest[j:k], rest[k:]
    if not serial_text:
        raise _fail(
            field,
            f"案号缺少案件序号（“号”之前的数字）；{example_zh}",
            f"The serial number before '号' is missing; {example_en}",
        )
    if not serial_text.isascii():
        raise _fail(field, "案件序号应为阿拉伯数字", "The serial number must use the digits 0-9")
    if tail != "号":
        if not tail:
            raise _fail(field, "案号应以“号”结尾", "A case number must end with '号'")
        if tail.startswith("号"):
            raise _fail(
                field,
                f"“号”之后不应再有内容：“{tail[1:]}”",
                f"Nothing may follow '号', found '{tail[1:]}'",
            )
        raise _fail(
            field,
            f"案件序号后应紧跟“号”，而不是“{tail}”",
            f"The serial number must be followed by '号', found '{tail}'",
        )

    # 5. Semantic checks, reported together so the clerk fixes everything at once.
    errors: list[FieldError] = []
    ceiling = MAX_YEAR if max_year is None else min(max_year, MAX_YEAR)
    if year < MIN_YEAR:
        errors.append(
            FieldError(
                field,
                f"案号年份{year}早于{MIN_YEAR}年",
                f"The year {year} is before {MIN_YEAR}",
            )
        )
    elif year > ceiling:
        errors.append(
            FieldError(
                field,
                f"案号年份{year}晚于{ceiling}年，不能使用未来年份的案号",
                f"The year {year} is after {ceiling}; a case number cannot be from the future",
            )
        )
    if courts is not None and courts.find(court_code) is None:
        errors.append(
            FieldError(
                field,
                f"法院代字“{court_code}”不是已登记的法院",
                f"Court code '{court_code}' is not a known court",
            )
        )
    if case_type not in ENFORCEMENT_CASE_TYPES:
        errors.append(
            FieldError(
                field,
                f"“{case_type}”不是执行案件类型代字，应为{'、'.join(ENFORCEMENT_CASE_TYPES)}之一",
                f"'{case_type}' is not an enforcement case type; expected one of {', '.join(ENFORCEMENT_CASE_TYPES)}",
            )
        )
    serial = int(serial_text)
    if serial <= 0:
        errors.append(FieldError(field, "案件序号应为正整数", "The serial number must be a positive integer"))
    if errors:
        raise ValidationFailed(errors)
    return CaseNumber(year, court_code, case_type, serial)


def check_requester_owns(
    case_number: CaseNumber | str,
    requesting_court_code: str,
    *,
    field: str = "case_number",
    courts: CourtLookup | None = None,
) -> None:
    """A requester delegates work of its own cases only: the case number's court must be the requester.
    The refusal names the courts (by `courts`, else by code) so a clerk sees whose case it is."""
    number = case_number if isinstance(case_number, CaseNumber) else parse_case_number(case_number, field=field)
    own = normalize_court_code(requesting_court_code) or requesting_court_code
    if number.court_code != own:
        theirs, theirs_en = _court_name(courts, number.court_code)
        ours, ours_en = _court_name(courts, own)
        raise _fail(
            field,
            f"案号{number.canonical}是{theirs}的案件，不是本院（{ours}）的案件",
            f"Case {number.canonical} belongs to {theirs_en}, not to the requesting court {ours_en}",
        )


def _court_name(courts: CourtLookup | None, code: str) -> tuple[str, str]:
    """A court's name with its code, in Chinese and English (山东省烟台市芝罘区人民法院（鲁0602）), or the
    code alone if it is unknown."""
    court = courts.find(code) if courts is not None else None
    name, name_en = getattr(court, "name", None), getattr(court, "name_en", None)
    if not name:
        return f"“{code}”", f"'{code}'"
    return f"{name}（{code}）", f"{name_en or name} ({code})"
