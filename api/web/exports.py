"""Downloads of lists: .xlsx and CSV responses (Chinese headers whatever the UI language: the files go to
Excel and to other offices), and the rows of a work list. Personal data stays masked in every file."""

from __future__ import annotations

import os
import tempfile
from collections.abc import AsyncIterable, Sequence
from pathlib import Path
from urllib.parse import quote

import anyio
from fastapi.responses import FileResponse, Response, StreamingResponse
from starlette.background import BackgroundTask

from api.web.templating import Helpers
from delegation.catalogue.fields import mask_value
from delegation.reading.delegations import Listed
from delegation.statistics.export import Column, csv_chunks, write_xlsx

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

WORK_COLUMNS: tuple[Column, ...] = (
    Column("平台编号", 17),
    Column("案号", 24),
    Column("事项", 22),
    Column("委托法院", 24),
    Column("受托法院", 24),
    Column("状态", 14),
    Column("当前阶段", 12),
    Column("持有法院", 24),
    Column("期限届满", 12, "date"),
    Column("剩余工作日（负数为超期）", 14, "int"),
    Column("提交时间", 17, "datetime"),
    Column("更新时间", 17, "datetime"),
    Column("被执行人", 24),
    Column("被执行人证件号码（已脱敏）", 26),
)
WORK_NOTES = (
    "委托事项清单：与页面上同一筛选条件下的全部事项（不分页）。",
    "期限届满：当前计时阶段的最后一日；剩余工作日为负数表示已超期的工作日数。",
    "个人信息（证件号码等）一律脱敏导出；查看完整信息须在事项页面说明理由并留痕。",
)


def work_row(zh: Helpers, item: Listed) -> list[object]:
    row, clock = item.row, item.clock
    debtors = [p for p in row.parties if p.get("role") == "debtor"]
    ids = [p.get("id_number") or p.get("uscc") for p in debtors]
    return [
        row.number,
        row.case_number,
        zh.matter(row.policy_version, row.matter_type),
        zh.court(row.requesting_court),
        zh.court(row.assisting_court),
        zh.status(row.status),
        zh.stage(clock.stage) if clock else "",
        zh.court(clock.court_code) if clock else "",
        zh.due_day(clock.due_at) if clock and clock.due_at else None,
        clock.working_days_left if clock else None,
        row.submitted_at,
        row.updated_at,
        "、".join(str(p.get("name") or "") for p in debtors),
        "、".join(mask_value("id_number", i) for i in ids if i),
    ]


def attachment(name: str) -> str:
    ascii_name = name.encode("ascii", "ignore").decode() or "export"
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"


async def respond(
    fmt: str,
    name: str,
    title: str,
    columns: Sequence[Column],
    rows: AsyncIterable[Sequence[object]],
    notes: Sequence[str] = (),
) -> Response:
    """A CSV streamed as it is read, or an .xlsx written row by row to a temporary file and sent from it."""
    if fmt == "csv":
        return StreamingResponse(
            csv_chunks(columns, rows),
            media_type="text/csv; charset=utf-8",
            headers={"content-disposition": attachment(f"{name}.csv"), "cache-control": "no-store"},
        )
    handle, temp = tempfile.mkstemp(suffix=".xlsx", prefix="jiaodong-export-")
    os.close(handle)
    path = Path(temp)
    try:
        await write_xlsx(path, title, columns, rows, notes)
    except BaseException:
        await anyio.Path(path).unlink(missing_ok=True)
        raise
    return FileResponse(
        path,
        media_type=XLSX,
        headers={"content-disposition": attachment(f"{name}.xlsx"), "cache-control": "no-store"},
        background=BackgroundTask(path.unlink, missing_ok=True),
    )
