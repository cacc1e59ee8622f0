"""Dates as court documents sign them: 二〇二六年三月二日 (年份逐位读，〇 for zero; month and day as numbers).

执行文书样式 (法发〔2009〕11号) and the 民事诉讼文书样式 date documents in Chinese numerals.
"""

from __future__ import annotations

from datetime import date

__all__ = ["chinese_date", "chinese_number"]

_DIGITS = "〇一二三四五六七八九"


def chinese_number(n: int) -> str:
    """1..99 as written in a date: 一, 十, 十二, 二十, 二十一, 三十一."""
    if not 0 < n < 100:
        raise ValueError(f"{n} is not a day or month number")
    tens, ones = divmod(n, 10)
    if tens == 0:
        return _DIGITS[ones]
    return f"{'' if tens == 1 else _DIGITS[tens]}十{_DIGITS[ones] if ones else ''}"


def chinese_date(day: date) -> str:
    """2026-03-02 -> 二〇二六年三月二日; 2026-10-31 -> 二〇二六年十月三十一日."""
    year = "".join(_DIGITS[int(c)] for c in f"{day.year:04d}")
    return f"{year}年{chinese_number(day.month)}月{chinese_number(day.day)}日"
