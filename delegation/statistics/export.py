"""Lists as files people open in Excel: .xlsx (Chinese headers, the header row frozen, column widths, dates
as dates) and CSV (UTF-8 with BOM, so Excel detects the encoding).

Rows come in as an async iterator and go out as they come: the CSV as a stream of chunks, the workbook
through XlsxWriter's constant-memory sheet into a temporary file, so neither ever holds all rows in memory."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterable, AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
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
    """Write the rows to an .xlsx at `path`; returns the row count.

    XlsxWriter in constant-memory mode: each row goes to the sheet's XML on disk as it comes, so memory stays
    flat, and it writes 100,000 rows about 2.5 times faster than openpyxl's write-only mode (bench/stats.py),
    which the 10-second target for a 100,000-row export needs. Files are read back with openpyxl in the tests."""
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_numbers": False})
    try:
        sheet = book.add_worksheet(title[:31])
        sheet.freeze_panes(1, 0)
        for i, column in enumerate(columns):
            sheet.set_column(i, i, column.width)
        bold = book.add_format({"bold": True, "valign": "vcenter"})
        sheet.write_row(0, 0, [c.header for c in columns], bold)
        formats = [
            book.add_format({"num_format": NUMBER_FORMAT[c.kind]}) if c.kind in NUMBER_FORMAT else None for c in columns
        ]
        count = 0
        async for row in rows:
            count += 1
            for i, value in enumerate(row):
                if value is None:
                    continue
                if isinstance(value, str):
                    sheet.write_string(count, i, value)
                elif isinstance(value, datetime | date):
                    sheet.write_datetime(count, i, _cell(value), formats[i])
                elif isinstance(value, bool):
                    sheet.write_boolean(count, i, value)
                elif isinstance(value, int | float | Decimal):
                    sheet.write_number(count, i, float(value), formats[i])
                else:
                    sheet.write_string(count, i, _text(value))
        if notes:
            about = book.add_worksheet("说明")
            about.set_column(0, 0, 100)
            for line_number, line in enumerate(notes):
                about.write_string(line_number, 0, line)
    finally:
        book.close()
    return count
