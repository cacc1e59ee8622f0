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
from delegation.core.clocks import due_day_of
from delegation.reading.delegations import Listed
from delegation.reading.exports import ExportRow, of_listed
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
    Column("办理方式", 14),
)
WORK_NOTES = (
    "委托事项清单：与页面上同一筛选条件下的全部事项（不分页）。",
    "期限届满：当前计时阶段的最后一日；剩余工作日为负数表示已超期的工作日数。",
    "个人信息（证件号码等）一律脱敏导出；查看完整信息须在事项页面说明理由并留痕。",
    "办理方式：网络查控事项经登记机关网络办理（网络办理、网络办理中、已退回人工办理）或人工办理；其他事项为空。",
)


class WorkRows:
    """A list's matters as the file's rows (WORK_COLUMNS), in Chinese whatever the UI language. The names of
    courts, matter types, statuses, stages and handling are looked up once per code: an export formats up to
    hundreds of thousands of rows."""

    def __init__(self, zh: Helpers) -> None:
        self.zh = zh
        self._courts: dict[str, str] = {}
        self._matters: dict[tuple[str, str], str] = {}
        self._labels: dict[tuple[str, str], str] = {}

    def _court(self, code: str | None) -> str:
        if not code:
            return ""
        name = self._courts.get(code)
        if name is None:
            name = self._courts[code] = self.zh.court(code)
        return name

    def _label(self, kind: str, code: str | None) -> str:
        if code is None:
            return ""
        key = (kind, code)
        name = self._labels.get(key)
        if name is None:
            name = self._labels[key] = getattr(self.zh, kind)(code)
        return name

    def __call__(self, r: ExportRow) -> list[object]:
        matter = self._matters.get((r.policy_version, r.matter_type))
        if matter is None:
            matter = self._matters[(r.policy_version, r.matter_type)] = self.zh.matter(r.policy_version, r.matter_type)
        clock = r.clock
        return [
            r.number,
            r.case_number,
            matter,
            self._court(r.requesting_court),
            self._court(r.assisting_court),
            self._label("status", r.status),
            self._label("stage", clock.stage) if clock else "",
            self._court(clock.court_code) if clock else "",
            due_day_of(clock.due_at) if clock and clock.due_at else None,
            clock.working_days_left if clock else None,
            r.submitted_at,
            r.updated_at,
            r.debtor_names,
            "、".join(mask_value("id_number", i) for i in r.debtor_ids if i),
            self._label("network_mode", r.handling),
        ]


def work_row(zh: Helpers, item: Listed, handling: str | None = None) -> list[object]:
    """One matter read whole (a batch's ticked rows), as the file's row; `handling` as handling_modes says
    (none: by hand, for a matter type a registry can do)."""
    return WorkRows(zh)(of_listed(item, handling or "manual"))


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
