"""Lists as files people open in Excel: .xlsx (openpyxl in write-only mode: Chinese headers, the header row
frozen, column widths, dates as dates) and CSV (UTF-8 with BOM, so Excel detects the encoding).

Rows come in as an async iterator and go out as they come: the CSV as a stream of chunks, the workbook
through openpyxl's write-only sheet into a temporary file, so neither ever holds all rows in memory."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterable, AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from delegation.core.clocks import SHANGHAI

BOM = "\ufeff".encode()
CHUNK_ROWS = 500


@dataclass(frozen=True)
class Column:
    header: str  # Chinese, as the sheet shows it
    width: int = 14
    kind: str = "text"  # text | date | datetime | int | number | percent


def _cell(value: object) -> object:
    if isinstance(value, datetime):
        return value.astimezone(SHANGHAI).replace(tzinfo=None, microsecond=0)  # Excel has no time zones
    return value


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return f"{value:.4f}".rstrip("0").rstrip(".")
    return str(value)


async def csv_chunks(columns: Sequence[Column], rows: AsyncIterable[Sequence[object]]) -> AsyncIterator[bytes]:
    """The CSV, a few hundred rows per chunk, starting with the BOM and the header row."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([c.header for c in columns])
    yield BOM + buffer.getvalue().encode()
    buffer.seek(0)
    buffer.truncate()
    n = 0
    async for row in rows:
        writer.writerow([_text(v) for v in row])
        n += 1
        if n % CHUNK_ROWS == 0:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue().encode()


NUMBER_FORMAT = {
    "date": "yyyy-mm-dd",
    "datetime": "yyyy-mm-dd hh:mm",
    "percent": "0.0%",
    "number": "0.0",
    "int": "0",
}


async def write_xlsx(
    path: Path, title: str, columns: Sequence[Column], rows: AsyncIterable[Sequence[object]], notes: Sequence[str] = ()
) -> int:
    """Write the rows to an .xlsx at `path` (write-only: rows go to disk as they come); returns the row count."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title[:31])
    sheet.freeze_panes = "A2"
    for i, column in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = column.width
    bold = Font(bold=True)
    header = []
    for column in columns:
        cell = WriteOnlyCell(sheet, value=column.header)
        cell.font = bold
        cell.alignment = Alignment(vertical="center")
        header.append(cell)
    sheet.append(header)
    formats = [NUMBER_FORMAT.get(c.kind) for c in columns]
    count = 0
    async for row in rows:
        cells: list[object] = []
        for value, number_format in zip(row, formats, strict=False):
            if number_format and value is not None:
                cell = WriteOnlyCell(sheet, value=_cell(value))
                cell.number_format = number_format
                cells.append(cell)
            else:
                cells.append(_cell(value))
        sheet.append(cells)
        count += 1
    if notes:
        about = book.create_sheet("说明")
        about.column_dimensions["A"].width = 100
        for line in notes:
            about.append([line])
    book.save(str(path))
    return count
