"""Field kinds of the matter catalogue: how a value is checked, normalized and masked.

The set of kinds is fixed in code (each needs a validator); which fields a matter has is data (policy JSON).
A validator takes the raw value and the field's constraints and returns the normalized, JSON-ready value
(str, int), or raises FieldProblem with a Chinese and an English message; the caller knows the field path.
Checksummed identifiers live in delegation.catalogue.identifiers.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from types import MappingProxyType

from delegation.catalogue.casenumber import normalize_court_code, parse_case_number, squeeze
from delegation.catalogue.identifiers import (
    FieldProblem,
    mask_generic,
    mask_id_number,
    mask_plate,
    mask_vin,
    normalize_id_number,
    normalize_plate,
    normalize_uscc,
    normalize_vin,
)
from delegation.core.errors import ValidationFailed

__all__ = [
    "DOCUMENT_KINDS",
    "FIELD_KINDS",
    "LIST_KIND",
    "Constraints",
    "DocumentKind",
    "FieldKind",
    "FieldProblem",
    "document_labels",
]


@dataclass(frozen=True)
class Constraints:
    """Per-field limits from the policy; `choices` maps every accepted input (code or Chinese label) to its code."""

    max_length: int | None = None
    min_value: Decimal | None = None
    max_value: Decimal | None = None
    choices: Mapping[str, str] = field(default_factory=dict)


NO_CONSTRAINTS = Constraints()

Normalizer = Callable[[object, Constraints], object]


@dataclass(frozen=True)
class FieldKind:
    code: str
    label_zh: str
    label_en: str
    pii: bool  # personal data: masked by default, revealing it is logged (domain README §9)
    normalize: Normalizer
    mask: Callable[[str], str]


@dataclass(frozen=True)
class DocumentKind:
    code: str
    label_zh: str
    label_en: str


# The fixed vocabulary of documents a matter can require. documents_to_serve exists because a service
# matter is pointless without the documents it is to serve.
DOCUMENT_KINDS: Mapping[str, DocumentKind] = MappingProxyType(
    {
        d.code: d
        for d in (
            DocumentKind("letter_of_delegation", "委托函", "Letter of delegation"),
            DocumentKind("enforcement_ruling", "执行裁定书", "Enforcement ruling"),
            DocumentKind("assistance_notice", "协助执行通知书", "Notice of assistance in enforcement"),
            DocumentKind("officer_credentials", "工作证/执行公务证", "Officers' credentials"),
            DocumentKind("announcement", "公告", "Public announcement"),  # 强制腾迁: 民诉法 第二百五十七条
            DocumentKind("documents_to_serve", "待送达法律文书", "Legal documents to be served"),
            DocumentKind("receipt", "回执", "Receipt / result report"),
            DocumentKind("correction", "补正材料", "Supplementary material"),
            DocumentKind("other", "其他材料", "Other documents"),
        )
    }
)


def document_labels(codes: Iterable[str]) -> tuple[str, str]:
    """The names of document kinds as people read them (Chinese joined with 、, English with commas);
    an unknown code is shown as it is."""
    kinds = [(code, DOCUMENT_KINDS.get(code)) for code in codes]
    zh = "、".join(k.label_zh if k else code for code, k in kinds)
    en = ", ".join(k.label_en if k else code for code, k in kinds)
    return zh, en


# A list of records (e.g. several flats); its items have their own fields. Structural, so no normalizer.
LIST_KIND = "list"


# ---- helpers ---------------------------------------------------------------------------------------------


def _text_of(value: object, zh_what: str = "文本", en_what: str = "text") -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise FieldProblem(f"应为{zh_what}", f"Must be {en_what}")
    return str(value)


def _no_controls(text: str, allow_newlines: bool) -> None:
    allowed = {"\n", "\t"} if allow_newlines else set()
    for ch in text:
        if unicodedata.category(ch) == "Cc" and ch not in allowed:
            if ch == "\n":
                raise FieldProblem("此项只能填写一行", "Must be a single line")
            raise FieldProblem("含有不可见的控制字符", "Contains invisible control characters")


def _check_length(text: str, c: Constraints, default: int) -> None:
    limit = c.max_length or default
    if len(text) > limit:
        raise FieldProblem(
            f"不能超过{limit}个字（现为{len(text)}个）", f"At most {limit} characters ({len(text)} given)"
        )


def _check_range(number: Decimal, c: Constraints, shown: str) -> None:
    if c.min_value is not None and number < c.min_value:
        raise FieldProblem(f"不能小于{c.min_value}（现为{shown}）", f"Must be at least {c.min_value} (got {shown})")
    if c.max_value is not None and number > c.max_value:
        raise FieldProblem(f"不能大于{c.max_value}（现为{shown}）", f"Must be at most {c.max_value} (got {shown})")


# ---- plain kinds -----------------------------------------------------------------------------------------


def _text(value: object, c: Constraints) -> str:
    s = " ".join(_text_of(value).split())  # one line, runs of blanks folded
    _no_controls(s, allow_newlines=False)
    _check_length(s, c, 200)
    return s


def _long_text(value: object, c: Constraints) -> str:
    s = _text_of(value).replace("\r\n", "\n").replace("\r", "\n").strip()
    _no_controls(s, allow_newlines=True)
    _check_length(s, c, 4000)
    return s


def _choice(value: object, c: Constraints) -> str:
    s = _text_of(value).strip()
    if s not in c.choices:
        options = "、".join(sorted(set(c.choices.values())))
        raise FieldProblem(f"“{s}”不是可选值，应为：{options}", f"'{s}' is not one of: {options}")
    return c.choices[s]


def _integer(value: object, c: Constraints) -> int:
    if isinstance(value, bool):
        raise FieldProblem("应为整数", "Must be a whole number")
    if isinstance(value, int):
        n = value
    elif isinstance(value, str) and re.fullmatch(r"[+-]?\d+", squeeze(value)):
        n = int(squeeze(value))
    else:
        raise FieldProblem("应为整数", "Must be a whole number")
    _check_range(Decimal(n), c, str(n))
    return n


def _to_decimal(value: object) -> Decimal:
    if isinstance(value, bool):
        raise FieldProblem("应为数字", "Must be a number")
    try:
        if isinstance(value, (int, Decimal)):
            d = Decimal(value)
        elif isinstance(value, float):
            d = Decimal(repr(value))  # repr gives the shortest exact-looking form, not binary noise
        elif isinstance(value, str):
            d = Decimal(squeeze(value).replace(",", "").removesuffix("元"))
        else:
            raise FieldProblem("应为数字", "Must be a number")
    except InvalidOperation:
        raise FieldProblem("应为数字", "Must be a number") from None
    if not d.is_finite():
        raise FieldProblem("应为有限的数字", "Must be a finite number")
    return d


def _plain(d: Decimal) -> str:
    text = format(d.normalize(), "f")
    return "0" if text in ("-0", "0") else text


def _decimal(value: object, c: Constraints) -> str:
    d = _to_decimal(value)
    if d.as_tuple().exponent < -6:  # type: ignore[operator]
        raise FieldProblem("最多保留6位小数", "At most 6 decimal places")
    _check_range(d, c, _plain(d))
    return _plain(d)


def _amount(value: object, c: Constraints) -> str:
    """Money in yuan, two decimals, stored as a string so no float ever touches it."""
    d = _to_decimal(value)
    if d.as_tuple().exponent < -2:  # type: ignore[operator]
        raise FieldProblem("金额最多保留两位小数（到分）", "An amount has at most 2 decimal places (fen)")
    if d <= 0:
        raise FieldProblem("金额应大于0", "An amount must be greater than 0")
    if d >= Decimal("1e15"):
        raise FieldProblem("金额过大，请核对", "The amount is implausibly large")
    shown = f"{d:.2f}"
    _check_range(d, c, shown)
    return shown


_DATE_RE = re.compile(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?")


def _date(value: object, _c: Constraints) -> str:
    if isinstance(value, date):
        if hasattr(value, "hour"):  # a datetime: which day it is depends on a time zone we do not know
            raise FieldProblem("应为日期，不含时间", "Must be a date without a time")
        return value.isoformat()
    s = squeeze(_text_of(value, "日期", "a date"))
    m = _DATE_RE.fullmatch(s)
    if not m:
        raise FieldProblem("日期格式应为2025-01-31或2025年1月31日", "A date must look like 2025-01-31")
    try:
        d = date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        raise FieldProblem(f"“{s}”不是有效的日期", f"'{s}' is not a valid calendar date") from None
    if not 1900 <= d.year <= 2100:
        raise FieldProblem("日期的年份不合理", "The year of the date is implausible")
    return d.isoformat()


# ---- contact and location kinds --------------------------------------------------------------------------

_MOBILE_RE = re.compile(r"1[3-9]\d{9}")


def _phone(value: object, _c: Constraints) -> str:
    """Mobile (11 digits, +86 allowed) or landline with area code (and optional extension)."""
    s = squeeze(_text_of(value, "电话号码", "a phone number")).lower()
    s, ext = [*re.split(r"转|ext|#", s, maxsplit=1), ""][:2]
    ext = ext.strip("-.:")
    digits = re.sub(r"[-()\s]", "", s)
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("0086"):
        digits = digits[4:]
    if not digits.isdigit() or (ext and not ext.isdigit()):
        raise FieldProblem(
            "电话号码只能包含数字、“-”和分机号", "A phone number may contain digits, '-' and an extension only"
        )
    if _MOBILE_RE.fullmatch(digits):
        if ext:
            raise FieldProblem("手机号码不应带分机号", "A mobile number has no extension")
        return digits
    if digits.startswith("400") and len(digits) == 10:
        return digits
    if digits.startswith("0"):
        area_len = 3 if digits[1] in "12" else 4  # 010 and 02x are the only 3-digit area codes
        area, local = digits[:area_len], digits[area_len:]
        if 7 <= len(local) <= 8 and local[0] not in "01":
            return f"{area}-{local}" + (f"-{ext}" if ext else "")
        raise FieldProblem(
            "固定电话号码位数不正确（区号后应为7或8位）", "A landline needs 7 or 8 digits after the area code"
        )
    if digits.startswith("1"):
        raise FieldProblem("手机号码应为11位，以13–19开头", "A mobile number has 11 digits starting with 13-19")
    raise FieldProblem("固定电话请加区号，如0532-88886666", "Add the area code to a landline, e.g. 0532-88886666")


def _mask_phone(value: str) -> str:
    if _MOBILE_RE.fullmatch(value):
        return f"{value[:3]}****{value[-4:]}"
    if "-" in value:
        area, local = value.split("-")[:2]
        return f"{area}-****{local[-2:]}" if len(local) >= 7 else mask_generic(value)
    return mask_generic(value)


_ADDRESS_HINTS = set("省市区县旗镇乡街道路巷弄村组号楼室园苑")
# Administrative prefix: province, prefecture, county level; what follows identifies the home.
_ADMIN_PREFIX_RE = re.compile(
    r"^(?:.{2,7}?(?:省|自治区)|北京市|天津市|上海市|重庆市)?"
    r"(?:.{1,9}?(?:自治州|地区|盟|市))?"
    r"(?:.{1,9}?(?:区|县|旗|市))?"
)


def _address(value: object, c: Constraints) -> str:
    s = " ".join(_text_of(value, "地址", "an address").split())
    _no_controls(s, allow_newlines=False)
    _check_length(s, c, 200)
    if len(s) < 6 or not (_ADDRESS_HINTS & set(s)):
        raise FieldProblem(
            "地址过于简略，请写明区县、街道（乡镇）和门牌号",
            "The address is too vague; give district, street and house number",
        )
    return s


def _mask_address(value: str) -> str:
    m = _ADMIN_PREFIX_RE.match(value)
    keep = m.end() if m else 0
    # Never reveal more than the administrative part nor leave fewer than 4 characters hidden.
    keep = min(keep, max(len(value) - 4, 0), 12)
    return f"{value[:keep]}****"


def _bank_account(value: object, _c: Constraints) -> str:
    s = re.sub(r"[\s\-]", "", squeeze(_text_of(value, "账号", "an account number")))
    if not s.isdigit():
        raise FieldProblem("银行账号只能包含数字", "A bank account number contains digits only")
    if not 8 <= len(s) <= 32:
        raise FieldProblem(
            f"银行账号应为8至32位数字（现为{len(s)}位）", f"A bank account has 8-32 digits ({len(s)} given)"
        )
    return s


def _mask_bank_account(value: str) -> str:
    if len(value) >= 16:
        return f"{value[:4]}****{value[-4:]}"
    if len(value) >= 12:
        return f"****{value[-4:]}"
    return f"****{value[-2:]}" if len(value) >= 8 else "****"


# 鲁（2024）青岛市不动产权第0012345号; 不动产证明 for certificates of other rights (e.g. mortgages).
_NEW_CERT_RE = re.compile(
    r"(?P<prov>[\u4e00-\u9fff])\((?P<year>\d{4})\)(?P<place>[\u4e00-\u9fff]{2,20}?)"
    r"(?P<kind>不动产权|不动产证明)第(?P<no>\d{5,10})号"
)
_OLD_CERT_HINTS = ("房", "权", "证", "国用", "集用", "字")


def _real_estate_cert(value: object, _c: Constraints) -> str:
    s = squeeze(_text_of(value, "证书号", "a certificate number"))
    if "不动产" in s:
        m = _NEW_CERT_RE.fullmatch(s)
        if not m:
            raise FieldProblem(
                "不动产权证书号格式应为：鲁（2024）青岛市不动产权第0012345号",
                "A real estate certificate number looks like 鲁（2024）青岛市不动产权第0012345号",
            )
        if not 2014 <= int(m["year"]) <= 2100:
            raise FieldProblem(
                "不动产权证书自2014年起颁发，年份有误",
                "Unified real estate certificates exist since 2014; the year is wrong",
            )
        return f"{m['prov']}（{m['year']}）{m['place']}{m['kind']}第{m['no']}号"
    # Older house/land certificates (房权证…字第…号, …国用（2010）第…号) vary too much for a strict pattern.
    s = s.replace("(", "（").replace(")", "）")
    if not (
        6 <= len(s) <= 60 and s.endswith("号") and re.search(r"\d{3,}", s) and any(h in s for h in _OLD_CERT_HINTS)
    ):
        raise FieldProblem(
            "证书号不像不动产权证或房产证/土地证号（应以“号”结尾，含编号）",
            "Not a real estate, house or land certificate number (must end with 号 and contain its number)",
        )
    return s


def _mask_real_estate_cert(value: str) -> str:
    cut = value.rfind("第")
    return f"{value[: cut + 1]}****号" if cut > 0 else mask_generic(value)


def _court_code(value: object, _c: Constraints) -> str:
    code = normalize_court_code(_text_of(value, "法院代字", "a court code"))
    if code is None:
        raise FieldProblem("法院代字应为鲁、鲁NN或鲁NNNN", "A court code is 鲁, 鲁NN or 鲁NNNN")
    return code


def _case_number(value: object, _c: Constraints) -> str:
    try:
        return parse_case_number(value).canonical
    except ValidationFailed as e:
        first = e.errors[0]
        raise FieldProblem(first.message_zh, first.message_en) from None


def _wrap(fn: Callable[[object], str]) -> Normalizer:
    return lambda value, _c: fn(value)


def _mask_text(value: str) -> str:
    # Like a masked personal name: 张**.
    return f"{value[:1]}**" if value else "**"


def _mask_all(_value: str) -> str:
    return "****"


FIELD_KINDS: Mapping[str, FieldKind] = MappingProxyType(
    {
        k.code: k
        for k in (
            FieldKind("text", "文本", "Text", False, _text, _mask_text),
            FieldKind("long_text", "多行文本", "Long text", False, _long_text, _mask_all),
            FieldKind("choice", "选项", "Choice", False, _choice, _mask_all),
            FieldKind("integer", "整数", "Integer", False, _integer, _mask_all),
            FieldKind("decimal", "数值", "Decimal number", False, _decimal, _mask_all),
            FieldKind("amount", "金额（元）", "Amount (yuan)", False, _amount, _mask_all),
            FieldKind("date", "日期", "Date", False, _date, _mask_all),
            FieldKind("plate", "机动车号牌", "Vehicle plate", True, _wrap(normalize_plate), mask_plate),
            FieldKind("vin", "车辆识别代号", "VIN", True, _wrap(normalize_vin), mask_vin),
            FieldKind(
                "uscc", "统一社会信用代码", "Unified social credit code", False, _wrap(normalize_uscc), mask_generic
            ),
            FieldKind(
                "id_number", "居民身份证号码", "Resident ID number", True, _wrap(normalize_id_number), mask_id_number
            ),
            FieldKind("phone", "电话号码", "Phone number", True, _phone, _mask_phone),
            FieldKind("address", "地址", "Address", True, _address, _mask_address),
            FieldKind("bank_account", "银行账号", "Bank account number", True, _bank_account, _mask_bank_account),
            FieldKind(
                "real_estate_cert",
                "不动产权证书号",
                "Real estate certificate no.",
                True,
                _real_estate_cert,
                _mask_real_estate_cert,
            ),
            FieldKind("court_code", "法院代字", "Court code", False, _court_code, mask_generic),
            FieldKind("case_number", "案号", "Case number", False, _case_number, mask_generic),
        )
    }
)

KIND_CODES: frozenset[str] = frozenset(FIELD_KINDS) | {LIST_KIND}


def mask_value(kind: str, value: object) -> str:
    """The masked form of a stored value of this kind; never fails, never reveals the middle."""
    text = value if isinstance(value, str) else str(value)
    fk = FIELD_KINDS.get(kind)
    return fk.mask(text) if fk else mask_generic(text)
