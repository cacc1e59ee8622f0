"""Monthly report metrics as pure functions."""

from __future__ import annotations

import io
from datetime import date

from openpyxl import load_workbook

from delegation.reports import model as reports
from delegation.reports.model import Answer, Completion, Delay, Supervision


def test_rates_and_means_per_court_and_pair() -> None:
    report = reports.build(
        "2026-03",
        [
            Answer(2, "鲁0602", "鲁0202", False, "return_for_correction", "missing_documents"),
            Answer(2, "鲁0602", "鲁0202", True, "sign_for"),  # the same matter, corrected and signed
            Answer(3, "鲁0602", "鲁0703", True, "decline"),
            Answer(4, "鲁0705", "鲁0202", True, "sign_for"),
        ],
        [Completion("鲁0602", "鲁0202", True, 6), Completion("鲁0602", "鲁0202", False, 17)],
        [
            Delay("鲁0602", "鲁0202", "鲁0602", 3, delegation_id=2),
            Delay("鲁0602", "鲁0202", "鲁0602", 2, delegation_id=2),  # a second late period of the same matter
            Delay("鲁0602", "鲁0202", "鲁0602", 4, delegation_id=5, new_breach=False),  # began last month
            Delay("鲁0202", "鲁0202", "鲁0602", 1, delegation_id=2),
        ],
        [Supervision("鲁0602", "鲁0202", "鲁0602", 7200), Supervision("鲁0602", "鲁0202", "鲁0602", None)],
    )
    courts = {line.key: line for line in report.courts}
    zhifu = courts[("鲁0602",)]
    assert zhifu.sign_on_time_rate == 2 / 3
    assert zhifu.return_rate == 1 / 2  # matters 2 and 3 answered, matter 2 returned
    assert zhifu.on_time_completion_rate == 0.5 and zhifu.mean_working_days == 11.5
    assert (zhifu.overdue, zhifu.overdue_days, zhifu.supervisions, zhifu.mean_ack_hours) == (1, 9, 2, 2.0)
    assert courts[("鲁0705",)].return_rate == 0 and courts[("鲁0705",)].on_time_completion_rate is None
    pairs = {line.key: line for line in report.pairs}
    assert pairs[("鲁0202", "鲁0602")].answers == 2 and pairs[("鲁0703", "鲁0602")].answers == 1
    assert pairs[("鲁0202", "鲁0602")].overdue == 1  # one matter, late at both courts: one overdue matter
    assert report.return_reasons == {("鲁0602", "missing_documents"): 1}
    assert report.summary()["answers"] == 4


def test_months_are_bounded_in_shanghai_time() -> None:
    start, end = reports.month_bounds(2026, 12)
    assert (start.isoformat(), end.isoformat()) == ("2026-12-01T00:00:00+08:00", "2027-01-01T00:00:00+08:00")
    assert reports.previous_month(date(2026, 1, 5)) == (2025, 12)
    assert reports.previous_month(date(2026, 3, 2)) == (2026, 2)


def test_the_workbook_has_a_sheet_per_view_and_percent_rates() -> None:
    report = reports.build("2026-03", [Answer(1, "鲁0602", "鲁0202", True, "sign_for")], [], [], [])
    book = load_workbook(io.BytesIO(reports.to_xlsx(report, {"鲁0602": "芝罘"}, {})))
    assert book.sheetnames == ["按法院", "按法院对", "退回原因", "说明"]
    rate = book["按法院"]["F2"]
    assert rate.value == 1.0 and rate.number_format == "0.00%"
    notes = {row[0].value: row[1].value for row in book["说明"].iter_rows(min_row=2)}
    assert "至少一次" in notes["退回率"] and "首次超期" in notes["超期件数"]
    header = {cell.value: cell for cell in book["按法院"][1]}
    assert header["退回率"].comment is not None and "至少一次" in header["退回率"].comment.text
