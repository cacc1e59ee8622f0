"""`jiaodong calendar ...` through Typer's CliRunner."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from courts.calendar import WorkingCalendar
from courts.schedules import YearSchedule, load_shipped_schedules
from jiaodong.cli import calendar as calendar_cli
from jiaodong.cli.calendar import calendar_app

runner = CliRunner()

SCHEDULE_2027 = {
    "year": 2027,
    "source": "测试用通知",
    "published": "2026-11-01",
    "holidays": ["2027-01-01", "2027-01-02", "2027-01-03"],
    "workdays": ["2027-01-09"],
}


@pytest.fixture
def schedule_file(tmp_path: Path) -> Path:
    path = tmp_path / "2027.json"
    path.write_text(json.dumps(SCHEDULE_2027, ensure_ascii=False), encoding="utf-8")
    return path


def test_due() -> None:
    result = runner.invoke(calendar_app, ["due", "2026-02-13", "2"])
    assert (result.exit_code, result.stdout) == (0, "2026-02-24\n")


def test_due_provisional_and_negative() -> None:
    assert runner.invoke(calendar_app, ["due", "2026-12-28", "5"]).stdout == "2027-01-05 provisional\n"
    assert runner.invoke(calendar_app, ["due", "2026-02-24", "--", "-1"]).stdout == "2026-02-14\n"


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["due", "2026-02-05", "15", "--days"], "2026-02-24\n"),  # 第二百四十条 start-by, moved past 春节
        (["due", "2026-02-05", "30", "--days"], "2026-03-09\n"),  # report-by, moved past a weekend
        (["due", "2026-03-02", "10", "--days"], "2026-03-12\n"),  # service from receipt
        (["due", "2026-02-13", "1", "--days"], "2026-02-14\n"),  # a make-up Saturday is not a rest day
        (["due", "2026-12-20", "14", "--days"], "2027-01-04 provisional\n"),  # 2027 not yet confirmed
    ],
)
def test_due_in_plain_days_moves_past_rest_days_and_holidays(args: list[str], expected: str) -> None:
    result = runner.invoke(calendar_app, args)
    assert (result.exit_code, result.stdout) == (0, expected)


def test_is_working_day() -> None:
    assert runner.invoke(calendar_app, ["is-working-day", "2026-02-14"]).stdout == "yes\n"
    assert runner.invoke(calendar_app, ["is-working-day", "2026-02-16"]).stdout == "no\n"


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["due", "2026-02-30", "2"], "YYYY-MM-DD"),
        (["due", "20260213", "2"], "YYYY-MM-DD"),
        (["due", "2026-02-13", "two"], "valid int"),  # click 8.2+ says "int", before "integer"
        (["due", "2099-01-01", "1"], "supported range"),
        (["due", "2040-12-30", "5"], "supported range"),
        (["due", "2026-02-05", "0", "--days"], "N >= 1"),
        (["due", "2040-12-30", "5", "--days"], "supported range"),
        (["is-working-day", "tomorrow"], "YYYY-MM-DD"),
        (["is-working-day", "1999-01-01"], "supported range"),
    ],
)
def test_bad_input_is_a_usage_error_not_a_traceback(args: list[str], fragment: str) -> None:
    result = runner.invoke(calendar_app, args)
    assert result.exit_code == 2
    assert fragment in result.stderr
    assert result.stdout == ""
    assert "Traceback" not in result.stderr


def test_status() -> None:
    result = runner.invoke(calendar_app, ["status"])
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0].startswith("2025  confirmed") and "国办发明电〔2024〕12号" in lines[0]
    assert any(line.startswith("2026  confirmed") for line in lines)
    assert lines[-1].startswith("Other years in 2015-2040 are provisional")


def test_the_calendar_comes_from_the_provider_hook(monkeypatch: pytest.MonkeyPatch, schedule_file: Path) -> None:
    from courts.schedules import parse_schedule

    loaded = WorkingCalendar.shipped().with_schedule(parse_schedule(schedule_file.read_text(encoding="utf-8")))
    monkeypatch.setattr(calendar_cli, "calendar_provider", lambda: loaded)
    assert runner.invoke(calendar_app, ["due", "2026-12-28", "5"]).stdout == "2027-01-05\n"
    assert "2027  confirmed" in runner.invoke(calendar_app, ["status"]).stdout


def test_load_without_a_store_fails(monkeypatch: pytest.MonkeyPatch, schedule_file: Path) -> None:
    monkeypatch.setattr(calendar_cli, "schedule_store", None)
    result = runner.invoke(calendar_app, ["load", str(schedule_file)])
    assert result.exit_code == 1
    assert "no schedule store is configured" in result.stderr


def test_load_hands_the_schedule_to_the_store(monkeypatch: pytest.MonkeyPatch, schedule_file: Path) -> None:
    stored: list[YearSchedule] = []
    monkeypatch.setattr(calendar_cli, "schedule_store", stored.append)
    result = runner.invoke(calendar_app, ["load", str(schedule_file)])
    assert result.exit_code == 0, result.stderr
    assert [s.year for s in stored] == [2027]
    assert "2027-01-09 Sat: day off -> working day" in result.stdout
    assert "Stored the 2027 schedule" in result.stdout


def test_load_dry_run_stores_nothing(monkeypatch: pytest.MonkeyPatch, schedule_file: Path) -> None:
    stored: list[YearSchedule] = []
    monkeypatch.setattr(calendar_cli, "schedule_store", stored.append)
    result = runner.invoke(calendar_app, ["load", "--dry-run", str(schedule_file)])
    assert result.exit_code == 0 and stored == []
    assert "Dry run" in result.stdout


def test_loading_a_shipped_file_changes_nothing(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    path = tmp_path / "2026.json"
    path.write_text(load_shipped_schedules()[1].to_json(), encoding="utf-8")
    result = runner.invoke(calendar_app, ["load", "--dry-run", str(path)])
    assert "No working-day status changes" in result.stdout


def test_load_rejects_an_invalid_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    stored: list[YearSchedule] = []
    monkeypatch.setattr(calendar_cli, "schedule_store", stored.append)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({**SCHEDULE_2027, "workdays": ["2027-01-04"]}), encoding="utf-8")
    result = runner.invoke(calendar_app, ["load", str(path)])
    assert result.exit_code == 1 and stored == []
    assert "不是周六或周日" in result.stderr and "not a Saturday or Sunday" in result.stderr
    assert runner.invoke(calendar_app, ["load", str(tmp_path / "missing.json")]).exit_code == 2
