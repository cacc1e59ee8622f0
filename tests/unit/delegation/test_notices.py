"""Notices as pure data: numbering, addressing, texts."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from courts.calendar import WorkingCalendar
from courts.registry import CourtRegistry
from delegation.catalogue.policy import PolicyBook, load_shipped_policies
from delegation.core.clocks import SHANGHAI, Due, Rung
from delegation.core.reference import Reference
from delegation.core.states import Stage
from delegation.notices import model as notices
from delegation.notices.model import NoticeKind, Subject


@pytest.fixture(scope="module")
def ref() -> Reference:
    return Reference(CourtRegistry.shipped(), WorkingCalendar.shipped(), PolicyBook(load_shipped_policies()))


def at(day: str, hm: str = "10:00") -> datetime:
    return datetime.fromisoformat(f"{day}T{hm}").replace(tzinfo=SHANGHAI)


def subject(holder: str = "鲁0602", stage: Stage = Stage.EXECUTION, assisting: str = "鲁0602") -> Subject:
    return Subject(
        delegation_id=1,
        number="JD2026-0000001",
        case_number="（2026）鲁0202执100号",
        matter_type="vehicle_inquiry",
        policy_version="2025-01-01",
        status="in_progress",
        requesting_court="鲁0202",
        assisting_court=assisting,
        clock_id=7,
        stage=stage,
        holder=holder,
        due=Due(date(2026, 3, 4), at("2026-03-05", "00:00"), False),
    )


def test_urge_numbers_name_the_city_and_supervision_numbers_the_issuing_court() -> None:
    assert notices.format_number("烟台", NoticeKind.URGE, 2027, 1) == "烟台催〔2027〕1号"
    assert notices.format_supervision_number("烟中法", 2026, 3) == "烟中法执督〔2026〕3号"
    assert notices.is_numbered(NoticeKind.SUPERVISE) and not notices.is_numbered(NoticeKind.REMINDER)


def test_each_rung_makes_its_own_kind_of_notice() -> None:
    assert [notices.KIND_OF_RUNG[r] for r in Rung] == list(NoticeKind)


def test_a_basic_courts_supervision_comes_from_its_intermediate_court_copied_to_the_requester(
    ref: Reference,
) -> None:
    # 执行工作若干问题的规定 第74条: the superior court supervises; 民诉法 第二百四十条: the requester holds the remedy.
    d = notices.draft(
        ref, NoticeKind.SUPERVISE, subject(), at("2026-03-09", "08:30"), rung=Rung.SUPERVISE, issued_by="system"
    )
    assert (d.issuing_court, d.cc_court, d.year, d.requires_ack) == ("鲁06", "鲁0202", 2026, True)
    assert d.numbering_group == "鲁06"
    assert d.working_days_overdue == 2  # 03-05 and 03-06 have ended; Monday 03-09 is still running
    assert d.reply_by == date(2026, 3, 16)  # five working days after 03-09 (policy)
    d.seq = 3
    assert d.number_text == "烟中法执督〔2026〕3号"
    assert d.title(ref).startswith("督办通知 烟中法执督〔2026〕3号：JD2026-0000001")
    body = d.body(ref)
    assert "烟台市芝罘区人民法院：" in body and "2026年3月4日24时" in body and "已超期 2 个工作日" in body
    assert "请于二〇二六年三月十六日前办结并书面回复" in body
    assert "抄送：青岛市市南区人民法院" in body
    assert body.rstrip().endswith(
        "山东省烟台市中级人民法院\n（承办部门：山东省烟台市中级人民法院执行指挥中心）\n二〇二六年三月九日"
    )


@pytest.mark.parametrize("holder", ["鲁72", "鲁06"])
def test_the_maritime_or_an_intermediate_courts_supervision_comes_from_the_high_court(
    ref: Reference, holder: str
) -> None:
    d = notices.draft(
        ref, NoticeKind.SUPERVISE, subject(holder, assisting=holder), at("2026-03-09"), rung=None, issued_by="regional"
    )
    assert (d.issuing_court, d.cc_court, d.issuer_name) == ("鲁", "鲁0202", "山东省高级人民法院")
    d.seq = 1
    assert d.number_text == "鲁高法执督〔2026〕1号"
    assert "抄送：青岛市市南区人民法院" in d.body(ref) and "山东省高级人民法院\n" in d.body(ref)


def test_who_may_issue_a_supervision(ref: Reference) -> None:
    from delegation.core.access import Actor, UserRole

    yantai = Actor("yantai-center", "鲁06", frozenset({UserRole.COMMAND_CENTER}))
    qingdao = Actor("qingdao-center", "鲁02", frozenset({UserRole.COMMAND_CENTER}))
    regional = Actor("regional", None, frozenset({UserRole.REGIONAL_COORDINATOR}))
    high = Actor("high-center", "鲁", frozenset({UserRole.COMMAND_CENTER}))
    assert notices.supervising_court(ref, "鲁0602") == "鲁06"
    assert notices.supervising_court(ref, "鲁72") == notices.supervising_court(ref, "鲁06") == "鲁"
    assert notices.may_supervise(ref, yantai, "鲁06") and not notices.may_supervise(ref, qingdao, "鲁06")
    assert not notices.may_supervise(ref, qingdao, "鲁")  # 青岛中院 does not supervise the 海事法院
    assert notices.may_supervise(ref, regional, "鲁") and not notices.may_supervise(ref, regional, "鲁06")
    assert notices.may_supervise(ref, high, "鲁")  # a user of the high court, where one is set up


def test_a_requesting_courts_clock_is_supervised_in_its_own_city(ref: Reference) -> None:
    d = notices.draft(
        ref, NoticeKind.URGE, subject("鲁0202", Stage.CONFIRMATION), at("2026-03-09"), rung=None, issued_by="x"
    )
    assert (d.city, d.cc_court) == ("青岛", "鲁02")
    assert notices.holder_role(Stage.CONFIRMATION).value == "requesting_officer"


def test_due_times_read_as_the_last_day_at_24_oclock() -> None:
    assert notices.due_text(at("2026-03-05", "00:00")) == "2026年3月4日24时"
    assert notices.due_text(None) == ""
    assert notices.elapsed_text(2 * 3600 + 5 * 60) == "2小时5分钟"
    assert notices.elapsed_text(26 * 3600) == "1天2小时0分钟"


def test_notices_rendered_through_a_shared_pattern_read_exactly_as_rendered_one_by_one(ref: Reference) -> None:
    # The sweep renders notices alike but for their numbers once (texts.pattern): every kind, with and without a
    # number, a comment, a provisional or past due time, must come out as the direct rendering does.
    from dataclasses import replace

    patterns: dict[object, object] = {}
    checked = 0
    for kind in NoticeKind:
        for number, case_number in (
            ("JD2026-0000001", "（2026）鲁0202执100号"),
            ("JD2026-0000002", "（2026）鲁0202执7号"),
        ):
            for due in (
                Due(date(2026, 3, 4), at("2026-03-05", "00:00"), False),
                Due(date(2026, 3, 12), at("2026-03-13", "00:00"), True),
                None,
            ):
                for comment in ("", "请于本周内回复。"):
                    base = replace(subject(), number=number, case_number=case_number, due=due)
                    d = notices.draft(
                        ref, kind, base, at("2026-03-09", "08:30"), rung=None, issued_by="system", comment=comment
                    )
                    for seq in (None, 12):
                        d.seq = seq
                        direct = d.body(ref)
                        assert d.body(ref, patterns) == direct  # type: ignore[arg-type]
                        checked += 1
    assert checked == len(NoticeKind) * 2 * 3 * 2 * 2
    assert len(patterns) < checked  # notices alike shared a rendering
