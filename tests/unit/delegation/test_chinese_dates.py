"""Court documents are dated in Chinese numerals (执行文书样式)."""

from __future__ import annotations

from datetime import date

import pytest

from delegation.core.chinese import chinese_date, chinese_number


@pytest.mark.parametrize(
    ("day", "text"),
    [
        (date(2026, 3, 2), "二〇二六年三月二日"),
        (date(2026, 3, 12), "二〇二六年三月十二日"),
        (date(2026, 10, 10), "二〇二六年十月十日"),
        (date(2026, 11, 20), "二〇二六年十一月二十日"),
        (date(2026, 12, 31), "二〇二六年十二月三十一日"),
        (date(2030, 1, 1), "二〇三〇年一月一日"),
    ],
)
def test_dates_print_in_chinese_numerals_with_ling_for_zero(day: date, text: str) -> None:
    assert chinese_date(day) == text


def test_numbers_outside_a_date_are_refused() -> None:
    assert chinese_number(21) == "二十一"
    with pytest.raises(ValueError, match="not a day or month number"):
        chinese_number(0)
