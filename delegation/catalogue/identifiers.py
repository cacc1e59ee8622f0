"""Checksummed and patterned identifiers: resident ID, USCC, VIN, vehicle plate; and their masks.

Each normalizer returns the canonical form or raises FieldProblem (Chinese and English message).
"""

from __future__ import annotations

import re
from datetime import date

from delegation.catalogue.casenumber import squeeze


class FieldProblem(ValueError):
    """A value is wrong; the caller attaches the field path and collects it into a ValidationFailed."""

    def __init__(self, message_zh: str, message_en: str) -> None:
        super().__init__(message_en)
        self.message_zh = message_zh
        self.message_en = message_en


def _text(value: object, zh_what: str, en_what: str) -> str:
    if not isinstance(value, str):
        raise FieldProblem(f"{zh_what}应为文本", f"The {en_what} must be a string")
    return squeeze(value).upper()


def mask_generic(value: str) -> str:
    """Fallback mask for any value: at most a quarter of it shows, split between both ends."""
    n = len(value)
    if n < 8:
        return "****"
    show = n // 8  # per end
    return f"{value[:show]}****{value[-show:]}"


# ---- 居民身份证号码 (GB 11643-1999): 17 digits + ISO 7064 MOD 11-2 check character ---------------------------

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
# First two digits: province-level division (71 Taiwan, 81/82/83 HK/Macau/Taiwan residence permits).
_ID_PROVINCES = frozenset(
    {"11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37", "41", "42", "43"}
    | {"44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65", "71", "81", "82", "83", "91"}
)


def id_check_char(first17: str) -> str:
    return _ID_CHECK[sum(int(c) * w for c, w in zip(first17, _ID_WEIGHTS, strict=True)) % 11]


def normalize_id_number(value: object) -> str:
    s = _text(value, "身份证号码", "ID number")
    if len(s) == 15 and s.isdigit():
        raise FieldProblem(
            "15位第一代身份证号码已停止使用，请填写18位号码",
            "15-digit first-generation ID numbers are no longer valid; give the 18-digit number",
        )
    if len(s) != 18:
        raise FieldProblem(f"身份证号码应为18位（现为{len(s)}位）", f"An ID number has 18 characters ({len(s)} given)")
    if not (s[:17].isdigit() and (s[17].isdigit() or s[17] == "X")):
        raise FieldProblem(
            "身份证号码前17位应为数字，最后一位为数字或X",
            "An ID number is 17 digits followed by a digit or X",
        )
    if s[:2] not in _ID_PROVINCES:
        raise FieldProblem(f"身份证号码的地区码“{s[:2]}”无效", f"The region code '{s[:2]}' of the ID number is invalid")
    try:
        born = date(int(s[6:10]), int(s[10:12]), int(s[12:14]))
    except ValueError:
        raise FieldProblem("身份证号码中的出生日期无效", "The birth date inside the ID number is invalid") from None
    if born.year < 1900:
        raise FieldProblem("身份证号码中的出生年份无效", "The birth year inside the ID number is invalid")
    if id_check_char(s[:17]) != s[17]:
        raise FieldProblem(
            "身份证号码校验位不正确，请核对", "The ID number's check character is wrong; please re-check it"
        )
    return s


def mask_id_number(value: str) -> str:
    # Region code and the last four stay, the birth date never shows: 370202********1234.
    return f"{value[:6]}********{value[-4:]}" if len(value) == 18 else mask_generic(value)


# ---- 统一社会信用代码 (GB 32100-2015): 18 characters, check character mod 31 ---------------------------------

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # no I, O, Z, S, V
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_USCC_RE = re.compile(rf"[{USCC_ALPHABET}]{{2}}\d{{6}}[{USCC_ALPHABET}]{{10}}")


def uscc_check_char(first17: str) -> str:
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(first17, _USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def normalize_uscc(value: object) -> str:
    s = _text(value, "统一社会信用代码", "unified social credit code")
    if len(s) != 18:
        raise FieldProblem(
            f"统一社会信用代码应为18位（现为{len(s)}位）",
            f"A unified social credit code has 18 characters ({len(s)} given)",
        )
    bad = sorted({c for c in s if c not in USCC_ALPHABET})
    if bad:
        raise FieldProblem(
            f"统一社会信用代码不能包含字符：{''.join(bad)}（不使用I、O、Z、S、V）",
            f"Characters not allowed in a unified social credit code: {''.join(bad)} (I, O, Z, S, V are never used)",
        )
    if not _USCC_RE.fullmatch(s):
        raise FieldProblem(
            "统一社会信用代码第3至8位应为行政区划码（数字）",
            "Positions 3-8 of a unified social credit code are the (numeric) division code",
        )
    if uscc_check_char(s[:17]) != s[17]:
        raise FieldProblem(
            "统一社会信用代码校验位不正确，请核对",
            "The unified social credit code's check character is wrong; please re-check it",
        )
    return s


# ---- 车辆识别代号 VIN (GB 16735, ISO 3779): 17 characters, check digit at position 9 ---------------------

_VIN_VALUES = {
    **{str(d): d for d in range(10)},
    **dict(zip("ABCDEFGH", range(1, 9), strict=True)),
    **dict(zip("JKLMN", range(1, 6), strict=True)),
    "P": 7,
    "R": 9,
    **dict(zip("STUVWXYZ", range(2, 10), strict=True)),
}
_VIN_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)


def vin_check_char(vin: str) -> str:
    r = sum(_VIN_VALUES[c] * w for c, w in zip(vin, _VIN_WEIGHTS, strict=True)) % 11
    return "X" if r == 10 else str(r)


def normalize_vin(value: object) -> str:
    s = _text(value, "车辆识别代号", "VIN").replace("-", "")
    if len(s) != 17:
        raise FieldProblem(f"车辆识别代号应为17位（现为{len(s)}位）", f"A VIN has 17 characters ({len(s)} given)")
    bad = sorted({c for c in s if c not in _VIN_VALUES})
    if bad:
        raise FieldProblem(
            f"车辆识别代号不能包含字符：{''.join(bad)}（不使用I、O、Q）",
            f"Characters not allowed in a VIN: {''.join(bad)} (I, O and Q are never used)",
        )
    if vin_check_char(s) != s[8]:
        raise FieldProblem(
            "车辆识别代号第9位校验位不正确，请核对",
            "The VIN's check digit (9th character) is wrong; please re-check it",
        )
    return s


def mask_vin(value: str) -> str:
    # The manufacturer prefix (WMI) and the last four stay, as on printed vehicle records.
    return f"{value[:3]}**********{value[-4:]}" if len(value) == 17 else mask_generic(value)


# ---- 机动车号牌 (GA 36-2018) ------------------------------------------------------------------------------

PLATE_PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
_L = "A-HJ-NP-Z"  # letters used on plates: no I, no O
_PLATE_RES = (
    re.compile(rf"[{PLATE_PROVINCES}][{_L}][{_L}0-9]{{5}}"),  # ordinary: 鲁B12345, 鲁BA1234
    re.compile(rf"[{PLATE_PROVINCES}][{_L}][{_L}0-9]{{4}}[挂学警港澳领试超]"),  # trailer, coach, police...
    re.compile(rf"[{PLATE_PROVINCES}][{_L}][A-HJK][{_L}0-9]\d{{4}}"),  # new-energy small: 鲁BD12345
    re.compile(rf"[{PLATE_PROVINCES}][{_L}]\d{{5}}[A-HJK]"),  # new-energy large: 鲁B12345D
)
_PLATE_SEPARATORS = str.maketrans("", "", "·•・‧.-_")


def normalize_plate(value: object) -> str:
    s = _text(value, "号牌号码", "plate number").translate(_PLATE_SEPARATORS)
    if not s or s[0] not in PLATE_PROVINCES:
        raise FieldProblem(
            "号牌应以省份简称开头，如鲁B12345",
            "A plate starts with the province abbreviation, e.g. 鲁B12345",
        )
    if "I" in s or "O" in s:
        raise FieldProblem(
            "号牌不使用字母I和O，是否应为数字1和0？",
            "Plates never use the letters I and O; did you mean the digits 1 and 0?",
        )
    if len(s) not in (7, 8):
        raise FieldProblem(
            f"号牌应为7位（新能源8位），现为{len(s)}位",
            f"A plate has 7 characters (8 for new-energy vehicles), {len(s)} given",
        )
    if not any(r.fullmatch(s) for r in _PLATE_RES):
        raise FieldProblem("号牌号码格式不正确，如鲁B12345或鲁BD12345", "Not a valid plate, e.g. 鲁B12345 or 鲁BD12345")
    return s


def mask_plate(value: str) -> str:
    # Province and issuing office stay, the serial only shows its last character: 鲁B·****5.
    if len(value) in (7, 8) and value[0] in PLATE_PROVINCES:
        return f"{value[:2]}·{'*' * (len(value) - 3)}{value[-1]}"
    return mask_generic(value)
