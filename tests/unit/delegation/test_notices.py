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


def subject(holder: str = "鲁0602", stage: Stage = Stage.EXECUTION) -> Subject:
    return Subject(
        delegation_id=1,
        number="JD2026-0000001",
        case_number="（2026）鲁0202执100号",
        matter_type="vehicle_inquiry",
        policy_version="2025-01-01",
        status="in_progress",
        requesting_court="鲁0202",
        assisting_court="鲁0602",
        clock_id=7,
        stage=stage,
        holder=holder,
        due=Due(date(2026, 3, 4), at("2026-03-05", "00:00"), False),
    )


def test_urge_and_supervision_numbers_name_the_city_the_kind_and_the_year() -> None:
    assert notices.format_number("青岛", NoticeKind.SUPERVISE, 2026, 12) == "青岛督〔2026〕12号"
    assert notices.format_number("烟台", NoticeKind.URGE, 2027, 1) == "烟台催〔2027〕1号"
    assert notices.is_numbered(NoticeKind.SUPERVISE) and not notices.is_numbered(NoticeKind.REMINDER)


def test_each_rung_makes_its_own_kind_of_notice() -> None:
    assert [notices.KIND_OF_RUNG[r] for r in Rung] == list(NoticeKind)


def test_a_notice_goes_to_the_holder_copied_to_its_city_command_center(ref: Reference) -> None:
    d = notices.draft(
        ref, NoticeKind.SUPERVISE, subject(), at("2026-03-09", "08:30"), rung=Rung.SUPERVISE, issued_by="system"
    )
    assert (d.city, d.cc_court, d.year, d.requires_ack) == ("烟台", "鲁06", 2026, True)
    assert d.working_days_overdue == 2  # 03-05 and 03-06 have ended; Monday 03-09 is still running
    d.seq = 3
    assert d.number_text == "烟台督〔2026〕3号"
    assert d.title(ref).startswith("督办通知 烟台督〔2026〕3号：JD2026-0000001")
    body = d.body(ref)
    assert "烟台市芝罘区人民法院：" in body and "2026年3月4日24时" in body and "已超期 2 个工作日" in body
    assert "抄送：山东省烟台市中级人民法院" in body


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
