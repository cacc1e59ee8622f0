"""The .xlsx and CSV writers of list exports, read back as Excel users would."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook

from delegation.statistics.export import CHUNK_ROWS, Column, csv_chunks, write_xlsx

COLUMNS = (
    Column("平台编号", 17),
    Column("期限届满", 12, "date"),
    Column("提交时间", 17, "datetime"),
    Column("剩余工作日", 8, "int"),
    Column("签收及时率", 10, "percent"),
    Column("备注", 20),
)


async def _rows(count: int) -> AsyncIterator[Sequence[object]]:
    for i in range(count):
        yield (
            f"JD2026-{i:07d}",
            date(2026, 3, 20),
            datetime(2026, 3, 1, 1, 30, 15, 999, tzinfo=UTC),  # 09:30 in Shanghai
            Decimal(-2) if i % 2 else 3,
            0.25,
            None,
        )


async def test_an_xlsx_export_keeps_every_row_in_order_across_batches_with_dates_as_dates(tmp_path: Path) -> None:
    path = tmp_path / "list.xlsx"
    count = CHUNK_ROWS * 2 + 7

    written = await write_xlsx(path, "委托事项", COLUMNS, _rows(count), notes=("第一行说明", "第二行说明"))

    assert written == count
    book = load_workbook(path)
    sheet = book["委托事项"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("平台编号", "期限届满", "提交时间", "剩余工作日", "签收及时率", "备注")
    assert [r[0] for r in rows[1:]] == [f"JD2026-{i:07d}" for i in range(count)]
    assert rows[1][1:5] == (datetime(2026, 3, 20), datetime(2026, 3, 1, 9, 30, 15), 3, 0.25)
    assert rows[2][3] == -2 and rows[1][5] is None
    assert sheet["B2"].number_format == "yyyy-mm-dd" and sheet["E2"].number_format == "0.0%"
    assert sheet.freeze_panes == "A2" and sheet["A1"].font.b
    assert int(sheet.column_dimensions["A"].width) == 17
    assert [c.value for c in book["说明"]["A"]][1:] == ["第一行说明", "第二行说明"]


async def test_an_empty_list_exports_as_a_sheet_with_its_header_row(tmp_path: Path) -> None:
    path = tmp_path / "empty.xlsx"
    assert await write_xlsx(path, "委托事项", COLUMNS, _rows(0)) == 0
    sheet = load_workbook(path)["委托事项"]
    assert [c.value for c in sheet[1]] == [c.header for c in COLUMNS] and sheet.max_row == 1


async def test_columns_with_the_same_header_are_refused_before_anything_is_written(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unique"):
        await write_xlsx(tmp_path / "x.xlsx", "x", (Column("案号"), Column("案号")), _rows(1))
    assert not (tmp_path / "x.xlsx").exists()


async def test_a_csv_export_starts_with_the_bom_and_writes_local_times() -> None:
    chunks = [chunk async for chunk in csv_chunks(COLUMNS, _rows(CHUNK_ROWS + 1))]

    assert chunks[0].startswith(b"\xef\xbb\xbf") and len(chunks) == 3  # header, a full chunk, the rest
    lines = list(csv.reader(io.StringIO(b"".join(chunks).decode("utf-8-sig"))))
    assert lines[0][0] == "平台编号" and len(lines) == CHUNK_ROWS + 2
    assert lines[1] == ["JD2026-0000000", "2026-03-20", "2026-03-01 09:30", "3", "0.25", ""]
