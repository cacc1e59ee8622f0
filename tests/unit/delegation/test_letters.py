"""Documents by mechanism (规定 第二条, 第十二条) and wording true to the recorded results."""

from __future__ import annotations

import pytest

from delegation.filing import letters
from delegation.filing.letters import Overall


def test_the_mechanism_names_the_letter_and_its_answer() -> None:
    assert (letters.letter_title("matter_delegation"), letters.answer_title("matter_delegation")) == ("委托函", "回执")
    assert (letters.letter_title("onsite_assistance"), letters.answer_title("onsite_assistance")) == (
        "协助执行函",
        "协助情况回复",
    )


@pytest.mark.parametrize(
    ("outcomes", "expected"),
    [
        (["done", "done"], Overall.DONE),
        (["done", "done", "not_found"], Overall.PARTIAL),  # three flats asked, two sealed, one not found
        (["partial"], Overall.PARTIAL),
        (["not_found", "failed"], Overall.NONE),
        ([], Overall.NO_RESULTS),
    ],
)
def test_the_answer_as_a_whole_follows_the_per_asset_outcomes(outcomes: list[str], expected: Overall) -> None:
    assert letters.overall(outcomes) == expected


def test_a_receipt_says_done_only_when_everything_was_done() -> None:
    common = {"requesting": "青岛市市南区人民法院", "matter": "不动产查封", "case_number": "（2026）鲁0202执1号"}
    done = letters.answer_lead("matter_delegation", ["done"], **common)
    partial = letters.answer_lead("matter_delegation", ["done", "not_found"], **common)
    failed = letters.answer_lead("matter_delegation", ["failed"], **common)
    assert "已办理完毕" in done
    assert "已办理完毕" not in partial and "部分事项未能办结" in partial
    assert "已办理完毕" not in failed and "未能办理完成" in failed
    onsite = letters.answer_lead("onsite_assistance", ["done"], **{**common, "matter": "强制腾迁"})
    assert onsite.startswith("青岛市市南区人民法院执行人员在我院辖区实施强制腾迁") and "第十二条予以协助" in onsite


def test_an_onsite_letter_announces_the_officers_and_asks_for_assistance() -> None:
    text = letters.onsite_opening(
        applicants="青岛海联贸易有限公司",
        debtors="张三",
        case_number="（2026）鲁0202执200号",
        date_text="二〇二六年三月十三日",
        officers=6,
        matter="强制腾迁",
    )
    assert "定于二〇二六年三月十三日派执行人员6人前往贵院辖区实施强制腾迁" in text
    assert "第十二条" in text and "人身安全" in text
    assert "第二百四十条" in letters.STATUTORY_DUTIES and "十五日内" in letters.STATUTORY_DUTIES
    assert letters.contact_line("王法官") == "承办人：王法官"
    assert (
        letters.contact_line("李四", "赵队长", "13900139000")
        == "承办人：李四　现场联系人：赵队长　联系电话：13900139000"
    )
