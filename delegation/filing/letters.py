"""The printed letter and answer of a matter, as the mechanism and the recorded results make them: pure.

- 事项委托 (规定 第二条): the assisting court does the matter; the letter is a 委托函 and the answer a 回执.
- 异地执行协助 (规定 第十二条): the requesting court's officers act and the local court assists; the letter is
  a 协助执行函 and the answer a 协助情况回复.
- The answer's wording follows the per-asset outcomes: 办理完毕 only when every result is done, 部分办结 when
  some are, 未能办理 (with the reasons in the table) when none is.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

__all__ = [
    "ONSITE_CLOSING",
    "STATUTORY_DUTIES",
    "Overall",
    "answer_lead",
    "answer_title",
    "contact_line",
    "letter_title",
    "onsite_opening",
    "overall",
    "progress_lead",
    "progress_title",
]

ONSITE = "onsite_assistance"


class Overall(StrEnum):
    DONE = "done"  # every asset or matter done
    PARTIAL = "partial"  # some done, some not (or partly)
    NONE = "none"  # results recorded, none achieved (not found, failed)
    NO_RESULTS = "no_results"  # nothing recorded yet


def letter_title(mechanism: str) -> str:
    return "协助执行函" if mechanism == ONSITE else "委托函"


def answer_title(mechanism: str) -> str:
    return "协助情况回复" if mechanism == ONSITE else "回执"


def overall(outcomes: Iterable[str]) -> Overall:
    """done / partial / not_found / failed per asset -> the answer as a whole."""
    seen = list(outcomes)
    if not seen:
        return Overall.NO_RESULTS
    if all(o == "done" for o in seen):
        return Overall.DONE
    if any(o in ("done", "partial") for o in seen):
        return Overall.PARTIAL
    return Overall.NONE


def answer_lead(mechanism: str, outcomes: Iterable[str], *, requesting: str, matter: str, case_number: str) -> str:
    """The answer's first paragraph, true to the results below it."""
    state = overall(outcomes)
    if mechanism == ONSITE:
        opening = f"{requesting}执行人员在我院辖区实施{matter}（案号{case_number}），我院依照规定第十二条予以协助"
        tail = {
            Overall.DONE: "，现场执行已完成。协助情况如下：",
            Overall.PARTIAL: "，现场执行部分完成。协助情况如下：",
            Overall.NONE: "，现场执行未能完成。情况如下：",
            Overall.NO_RESULTS: "。协助情况如下：",
        }[state]
        return opening + tail
    opening = f"贵院委托我院办理的{matter}（案号{case_number}）"
    tail = {
        Overall.DONE: "，我院已办理完毕。结果如下：",
        Overall.PARTIAL: "，我院已办理，其中部分事项未能办结。结果如下：",
        Overall.NONE: "，我院已依法办理，但未能办理完成。原因如下：",
        Overall.NO_RESULTS: "，我院办理情况如下：",
    }[state]
    return opening + tail


# 民诉法 第二百四十条, printed on a 委托函: the duties receiving it starts.
STATUTORY_DUTIES = (
    "根据《中华人民共和国民事诉讼法》第二百四十条，贵院收到本函后，应当在十五日内开始办理，不得拒绝；"
    "办理完毕后及时函复我院；三十日内未办理完毕的，应当将办理情况函告我院。"
)
ONSITE_CLOSING = "请贵院在平台上签收本函，按约定日期做好协助工作，并于协助后作出协助情况回复。特此函告。"


def onsite_opening(
    *, applicants: str, debtors: str, case_number: str, date_text: str, officers: object, matter: str
) -> str:
    """A 协助执行函's first paragraph (规定 第十二条: our officers act, your court assists)."""
    when = f"定于{date_text}" if date_text else ""
    count = f"{officers}人" if officers else ""
    return (
        f"我院在执行申请执行人{applicants}与被执行人{debtors}{case_number}一案中，{when}派执行人员{count}"
        f"前往贵院辖区实施{matter}。根据《最高人民法院关于委托执行若干问题的规定》第十二条，请贵院积极配合，"
        "保证执行人员的人身安全和执行装备、执行标的物不受侵害。有关情况如下："
    )


def progress_title() -> str:
    return "执行情况函"


def progress_lead(*, matter: str, case_number: str, received: str, seq: int) -> str:
    """执行情况函复's first paragraph (民诉法 第二百四十条: not done within thirty days of receipt, the assisting
    court reports the state of execution; `seq` > 1 for the later reports, every thirty days while open)."""
    again = f"（第{seq}次）" if seq > 1 else ""
    return (
        f"贵院委托我院办理的{matter}（案号{case_number}），我院于{received}收到委托函件，"
        f"目前尚未办理完毕。根据《中华人民共和国民事诉讼法》第二百四十条的规定，现将执行情况函告{again}如下："
    )


def contact_line(officer: str, contact: str = "", phone: str = "", officer_phone: str = "", court: str = "") -> str:
    """承办人 and their 联系电话 (and the on-site contact and phone, where recorded) at the foot of a letter;
    `court` names the court when both courts' officers are listed."""
    who = f"{court}承办人" if court else "承办人"
    parts = [f"{who}：{officer or '—'}" + (f"（联系电话：{officer_phone}）" if officer_phone else "")]
    if contact:
        parts.append(f"现场联系人：{contact}")
    if phone:
        parts.append(f"联系电话：{phone}")
    return "　".join(parts)
