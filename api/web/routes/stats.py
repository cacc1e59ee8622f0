"""统计分析 (statistics by period, court, court pair, matter type and city, with drill-downs and exports) and
the 大屏 wall screen (full screen, refreshed every minute from /wall/data.json without reloading)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Annotated, Any
from urllib.parse import quote_plus, urlencode

import anyio
from fastapi import APIRouter, Path, Query
from fastapi.responses import JSONResponse, Response, StreamingResponse
from starlette.concurrency import iterate_in_threadpool

from api.web import exports, labels
from api.web.context import Page
from api.web.routes.delegation import problem_text
from api.web.templating import DOCUMENT_LOCALE, Helpers
from delegation.core.clocks import local_day
from delegation.core.errors import FieldError, NotFound, ValidationFailed
from delegation.reading import dashboard as dashboard_service
from delegation.reports import service as report_service
from delegation.statistics import model, monthly
from delegation.statistics import service as statistics_service
from delegation.statistics.export import Column
from delegation.statistics.model import KPIS, Figure, Measures, NetworkFigures, Period, PeriodError
from delegation.statistics.service import Line, Statistics

router = APIRouter(include_in_schema=False)

TABLES = ("court", "pair", "type", "city", "trend")


@dataclass(frozen=True)
class Cell:
    text: str
    basis: str
    href: str | None
    value: float | None
    missed: int = 0  # late answers or completions behind a rate
    missed_href: str | None = None


@dataclass(frozen=True)
class Row:
    label: str
    code: str
    cells: list[Cell]


def _period(ctx: Page, period: str | None, first: str | None, last: str | None) -> Period:
    """The period asked for; ValidationFailed names the input at fault (period, first or last) and why."""
    try:
        return model.chosen_period(period or "", first or "", last or "", local_day(ctx.now))
    except PeriodError as exc:
        raise ValidationFailed([FieldError(exc.field, exc.message_zh, exc.message_en)]) from None


def _drill_href(period: Period, drill: str | None, scope: dict[str, str]) -> str | None:
    if not drill:
        return None
    query = {"view": "all", "drill": drill, "period": period.key, **{k: v for k, v in scope.items() if v}}
    return "/work?" + urlencode(query)


def _cells(figures: Sequence[Figure], period: Period, scope: dict[str, str]) -> list[Cell]:
    # _drill_href's URL, its common tail encoded once per row (a five-city page links about a thousand cells)
    tail = urlencode({"period": period.key, **{k: v for k, v in scope.items() if v}})

    def link(drill: str | None) -> str | None:
        return f"/work?view=all&drill={quote_plus(drill)}&{tail}" if drill else None

    cells = []
    for f in figures:
        drill = f.kpi.drill if f.kpi.drill else f.kpi.drill_basis
        href = link(drill) if f.numerator or f.denominator else None
        missed_href = link(f.kpi.drill_miss) if f.missed else None
        cells.append(Cell(f.text, f.basis, href, f.value, f.missed, missed_href))
    return cells


PAIR_LIMIT = 25  # the busiest pairs on the page; the export holds them all


def _busiest(lines: list[Line], limit: int | None) -> list[Line]:
    if limit is None or len(lines) <= limit:
        return lines
    volume = sorted(
        lines, key=lambda line: -(line.measures.answers + line.measures.completions + line.measures.overdue)
    )
    kept = {id(line) for line in volume[:limit]}
    return [line for line in lines if id(line) in kept]


def _rows(ctx: Page, st: Statistics, table: str, limit: int | None = None) -> list[Row]:
    h = ctx.h
    lines: list[Line]
    rows: list[Row] = []
    if table == "court":
        lines = st.by_court
        for line in lines:
            (code,) = line.key
            rows.append(Row(h.court(code), code, _cells(line.figures, st.period, {"stat_court": code})))
        rows.sort(key=lambda r: r.code)
    elif table == "pair":
        for line in _busiest(st.by_pair, limit):
            requesting, assisting = line.key
            scope = {"stat_requesting": requesting, "stat_assisting": assisting, **_court_scope(st)}
            label = f"{h.court_short(requesting)} → {h.court_short(assisting)}"
            rows.append(Row(label, f"{requesting}>{assisting}", _cells(line.figures, st.period, scope)))
    elif table == "type":
        version = ctx.ref.policies.in_force(ctx.now).version
        for line in st.by_type:
            (code,) = line.key
            scope = {"matter_type": code, **_court_scope(st)}
            rows.append(Row(h.matter(version, code), code, _cells(line.figures, st.period, scope)))
    elif table == "city":
        for line in st.by_city:
            (city,) = line.key
            rows.append(Row(h.city(city), city, _cells(line.figures, st.period, {"stat_city": city})))
    else:
        for period, measures in st.trend:
            scope = _court_scope(st)
            rows.append(Row(period.key, period.key, _cells(model.figures(measures), period, scope)))
    return rows


def _court_scope(st: Statistics) -> dict[str, str]:
    """A figure's drill-down keeps the courts of the page (a chosen court), else the user's scope applies."""
    if st.courts is not None and len(st.courts) == 1:
        return {"stat_court": st.courts[0]}
    return {}


def _pct(value: float | None) -> float | None:
    return None if value is None else round(value * 100, 1)


def _charts(ctx: Page, st: Statistics, courts: list[Row]) -> dict[str, Any]:
    rates = [k for k in KPIS if k.key in ("sign_rate", "on_time_rate", "return_rate")]
    h = ctx.h
    by_court = {line.key[0]: line.measures for line in st.by_court}
    charts: dict[str, Any] = {
        "courts": {
            "kind": "bar",
            "percent": True,
            "categories": [h.court_short(r.code) for r in courts],
            "series": [
                {"name": h._(labels.KPI[k.key]), "data": [_pct(_figure(by_court[r.code], k.key).value) for r in courts]}
                for k in rates
            ],
        },
        "trend": {
            "kind": "line",
            "percent": True,
            "categories": [p.key for p, _ in st.trend],
            "series": [
                *(
                    {"name": h._(labels.KPI[k.key]), "data": [_pct(_figure(m, k.key).value) for _, m in st.trend]}
                    for k in rates
                ),
                {"name": h._(labels.KPI["overdue"]), "data": [m.overdue for _, m in st.trend], "axis": 1},
            ],
        },
        "flow": {
            "kind": "sankey",
            "links": [
                {"source": h.city(f.source) + " ▸", "target": "▸ " + h.city(f.target), "value": f.matters}
                for f in st.flows
            ],
        },
    }
    if st.by_city:
        charts["cities"] = {
            "kind": "bar",
            "percent": True,
            "categories": [h.city(line.key[0]) for line in st.by_city],
            "series": [
                {
                    "name": h._(labels.KPI[k.key]),
                    "data": [_pct(_figure(line.measures, k.key).value) for line in st.by_city],
                }
                for k in rates
            ],
        }
    return charts


def _figure(m: Measures, key: str) -> Figure:
    return next(f for f in model.figures(m) if f.kpi.key == key)


def _options(today: date) -> list[tuple[str, str]]:
    """Periods to pick: the last 12 months, the last 4 quarters, this year and the last."""
    months = [(p.key, p.key) for p in reversed(model.last_months(today))]
    quarters = []
    q = model.quarter(today.year, (today.month - 1) // 3 + 1)
    for _ in range(4):
        quarters.append((q.key, q.key))
        q = model.previous(q)
    years = [(str(today.year), str(today.year)), (str(today.year - 1), str(today.year - 1))]
    return months + quarters + years


async def _statistics(
    ctx: Page, period: str | None, first: str | None, last: str | None, court: str | None, city: str | None
) -> Statistics:
    chosen = _period(ctx, period, first, last)
    return await statistics_service.statistics(
        ctx.session, ctx.ref, ctx.actor, ctx.now, chosen, court=court or None, city=city or None
    )


Choice = Annotated[str | None, Query(max_length=30)]
Court = Annotated[str | None, Query(max_length=16)]
City = Annotated[str | None, Query(max_length=10)]
Day = Annotated[str | None, Query(max_length=10)]


@router.get("/stats")
async def stats_page(
    ctx: Page,
    period: Choice = None,
    first: Day = None,
    last: Day = None,
    court: Court = None,
    city: City = None,
    print_view: Annotated[str | None, Query(alias="print", max_length=1)] = None,
) -> Response:
    try:
        st = await _statistics(ctx, period, first, last, court, city)
    except ValidationFailed as exc:  # the form again, as typed, with what is wrong beside the field at fault
        return await _refused(ctx, exc, period, first, last, court, city)
    courts = _rows(ctx, st, "court")
    tables = {t: (courts if t == "court" else _rows(ctx, st, t, PAIR_LIMIT)) for t in TABLES}
    query = {"period": st.period.key, "court": court or "", "city": city or ""}
    if st.period.kind == "range":
        query = {"first": st.period.start.isoformat(), "last": st.period.last_day.isoformat(), **query}
        query.pop("period")
    here = urlencode({k: v for k, v in query.items() if v})
    totals = model.figures(st.total)
    total_scope = {**_court_scope(st), "stat_city": city or ""}
    before = model.figures(st.previous_total)
    reports = await monthly.monthly_reports(ctx.session) if not st.scope.own_court else []
    visible_courts = [c for c in ctx.ref.registry.courts() if st.scope.courts is None or c.code in st.scope.courts]
    network = NetworkTable(st.network, st.network_total)
    return await ctx.render(
        "pages/stats.html",
        st=st,
        scope=st.scope,
        typed=_typed(st.period),
        tables=tables,
        totals=list(zip(totals, before, _cells(totals, st.period, total_scope), strict=True)),
        kpis=KPIS,
        kpi_labels=labels.KPI,
        kpi_definitions=labels.KPI_DEFINITION,
        charts=_charts(ctx, st, courts),
        options=_options(local_day(ctx.now)),
        chosen_court=court or "",
        chosen_city=city or "",
        visible_courts=visible_courts,
        here=here,
        working_days=ctx.ref.calendar.working_days_between(
            st.period.start - timedelta(days=1), min(st.period.last_day, st.until)
        ),
        reports=reports,
        printing=print_view == "1",
        period_kinds=labels.PERIOD_KIND,
        pairs_total=len(st.by_pair),
        network=network,
    )


PERIOD_INPUTS = ("period", "first", "last")


def _typed(period: Period) -> dict[str, str]:
    """The form's period inputs for a period shown: a range in the two dates, else the period chosen."""
    if period.kind == "range":
        return {"period": period.key, "first": period.start.isoformat(), "last": period.last_day.isoformat()}
    return {"period": period.key, "first": "", "last": ""}


async def _refused(
    ctx: Page,
    exc: ValidationFailed,
    period: str | None,
    first: str | None,
    last: str | None,
    court: str | None,
    city: str | None,
) -> Response:
    """A period refused: 422, the form as it was typed with the error beside its input, and no figures (those of
    another period would read as the answer)."""
    scope = statistics_service.scope_of(ctx.ref, ctx.actor)
    statistics_service.courts_for(ctx.ref, scope, court or None, city or None)  # a foreign court stays 403
    errors: dict[str, list[FieldError]] = {}
    for e in exc.errors:
        errors.setdefault(e.field if e.field in PERIOD_INPUTS else "period", []).append(e)
    return await ctx.render(
        "pages/stats.html",
        422,
        st=None,
        scope=scope,
        typed={"period": period or "", "first": first or "", "last": last or ""},
        message=problem_text(ctx, exc),
        error_items=[(name, e) for name, errs in errors.items() for e in errs],
        errors=errors,
        options=_options(local_day(ctx.now)),
        chosen_court=court or "",
        chosen_city=city or "",
        visible_courts=[c for c in ctx.ref.registry.courts() if scope.courts is None or c.code in scope.courts],
        printing=False,
    )


@dataclass(frozen=True)
class NetworkTable:
    """网络查控 on the statistics page: per assisting court and registry, and the total of the rows shown (from
    the statistics sums: the courts of the page, the period's days)."""

    rows: list[NetworkFigures]
    total: NetworkFigures | None


TABLE_TITLE = {
    "court": "按法院",
    "pair": "按法院对",
    "type": "按事项类型",
    "city": "五市对比",
    "trend": "近12个月",
    "flow": "五市之间的委托流向",
    "network": "网络查控",
}
TABLE_KEY_HEADER = {"court": "法院", "pair": "委托法院 → 受托法院", "type": "事项类型", "city": "城市", "trend": "月份"}


@router.get("/stats/export.{fmt}")
async def export_stats(
    ctx: Page,
    fmt: Annotated[str, Path(pattern="^(xlsx|csv)$")],
    table: Annotated[str, Query(pattern="^(court|pair|type|city|trend|flow|network)$")] = "court",
    period: Choice = None,
    first: Day = None,
    last: Day = None,
    court: Court = None,
    city: City = None,
) -> Response:
    """A statistics table as .xlsx or CSV: each figure with its numerator and denominator (Chinese headers)."""
    st = await _statistics(ctx, period, first, last, court, city)
    zh_ctx = _ZhPage(ctx)
    if table in ("flow", "network"):
        return await _export_listing(fmt, st, table, zh_ctx.h)
    rows = _rows(zh_ctx, st, table)  # type: ignore[arg-type]
    lines = {"court": st.by_court, "pair": st.by_pair, "type": st.by_type, "city": st.by_city}.get(table)
    measures = [line.measures for line in lines] if lines is not None else [m for _, m in st.trend]
    if table == "court":
        order = {line.key[0]: line.measures for line in st.by_court}
        measures = [order[r.code] for r in rows]
    columns = [Column("统计期间", 16), Column(TABLE_KEY_HEADER[table], 30)]
    for k in KPIS:  # counts as whole numbers; the numerator in the unit its header names (hours, not seconds)
        columns.append(Column(k.label, 14, "percent" if k.percent else "int" if k.whole else "number"))
        if k.denominator:
            numerator = "int" if k.scale == 1.0 else "number"
            columns += [Column(f"{k.label}·分子", 10, numerator), Column(f"{k.label}·分母", 10, "int")]

    async def values() -> AsyncIterator[list[object]]:
        for row, m in zip(rows, measures, strict=True):
            out: list[object] = [st.period.label if table != "trend" else row.code, row.label]
            for f in model.figures(m):
                out.append(None if f.value is None else f.numerator if f.kpi.whole else round(f.value, 4))
                if f.kpi.denominator:
                    out += [f.scaled_numerator, f.denominator]
            yield out

    notes = [f"{k.label}：{k.definition}" for k in KPIS]
    ack = model.KPI_BY_KEY["ack_hours"].label
    notes.append(f"{ack}·分子：已签收督办的签收用时合计（小时），除以分母（已签收件数）即平均值。")
    notes.append(f"统计期间：{st.period.label}，计至{st.until.isoformat()}。")
    name = f"统计分析-{TABLE_TITLE[table]}-{st.period.key}"
    return await exports.respond(fmt, name, TABLE_TITLE[table], columns, values(), notes)


FLOW_COLUMNS = (
    Column("统计期间", 16),
    Column("委托方（城市）", 14),
    Column("受托方（城市）", 14),
    Column("已答复事项", 12, "int"),
)
NETWORK_COLUMNS = (
    Column("统计期间", 16),
    Column("受托法院", 30),
    Column("登记机关", 16),
    Column("查控办结数", 12, "int"),
    Column("网络办理", 12, "int"),
    Column("网络办理占比", 14, "percent"),
    Column("网络办理用时（小时）", 16, "number"),
    Column("人工办理用时（小时）", 16, "number"),
    Column("退回人工（按原因）", 30),
)


async def _export_listing(fmt: str, st: Statistics, table: str, h: Helpers) -> Response:
    """The two tables of the page that are listings rather than figures per line: the flow between the cities,
    and 网络查控 per assisting court and registry with its total (as the page shows them)."""
    period = st.period.label

    def causes(failures: dict[str, int]) -> str:
        return "、".join(f"{h.answer_code(cause)} {n}" for cause, n in failures.items())

    def network_line(f: NetworkFigures, court: str, registry: str) -> list[object]:
        return [
            period, court, registry, f.completed, f.by_network, f.network_share, f.network_hours, f.manual_hours,
            causes(f.failures),
        ]  # fmt: skip

    async def values() -> AsyncIterator[list[object]]:
        if table == "flow":
            for flow in st.flows:
                yield [period, h.city(flow.source), h.city(flow.target), flow.matters]
            return
        for f in st.network:
            yield network_line(f, h.court(f.court), h.registry(f.registry))
        if st.network_total is not None:
            yield network_line(st.network_total, "合计", "")

    columns = FLOW_COLUMNS if table == "flow" else NETWORK_COLUMNS
    notes = [f"统计期间：{period}，计至{st.until.isoformat()}。"]
    if table == "network":
        notes.insert(
            0,
            "本期间办结的查控事项，按受托法院和登记机关：网络办理件数与占比，自提交至办结的平均用时（网络、人工），退回人工的失败原因。",
        )
    name = f"统计分析-{TABLE_TITLE[table]}-{st.period.key}"
    return await exports.respond(fmt, name, TABLE_TITLE[table], columns, values(), notes)


class _ZhPage:
    """The page context with Chinese helpers, for files (Chinese whatever the UI language)."""

    def __init__(self, ctx: Page) -> None:
        self._ctx = ctx
        self.h = Helpers(DOCUMENT_LOCALE, ctx.ref, ctx.now)
        self.ref = ctx.ref
        self.now = ctx.now


NOTICE_COLUMNS = (
    Column("文号", 20),
    Column("类型", 8),
    Column("平台编号", 17),
    Column("案号", 24),
    Column("致", 24),
    Column("抄送", 24),
    Column("发出时间", 17, "datetime"),
    Column("期限届满", 12, "date"),
    Column("超期工作日", 10, "int"),
    Column("须书面签收", 10),
    Column("签收时间", 17, "datetime"),
    Column("签收人", 14),
    Column("签收用时（小时）", 12, "number"),
)


@router.get("/notices/export.{fmt}")
async def export_notices(
    ctx: Page,
    fmt: Annotated[str, Path(pattern="^(xlsx|csv)$")],
    kind: Annotated[str | None, Query(max_length=12)] = None,
    pending: Annotated[str | None, Query(max_length=3)] = None,
) -> Response:
    """The notices list (every page) as .xlsx or CSV, read page by page."""
    zh = Helpers(DOCUMENT_LOCALE, ctx.ref, ctx.now)

    async def rows() -> AsyncIterator[list[object]]:
        batches = dashboard_service.iter_notice_inbox(
            ctx.session, ctx.ref, ctx.actor, kind=kind or None, unacknowledged=pending == "1"
        )
        async for items in batches:
            for item in items:
                n, d = item.notice, item.delegation
                yield [
                    n.number or "",
                    zh.notice_kind(n.kind),
                    d.number,
                    d.case_number,
                    zh.court(n.to_court),
                    zh.court(n.cc_court),
                    n.issued_at,
                    zh.due_day(n.due_at),
                    n.working_days_overdue,
                    "是" if n.requires_ack else "否",
                    n.acknowledged_at,
                    n.acknowledged_by or "",
                    None if n.ack_seconds is None else round(n.ack_seconds / 3600, 1),
                ]

    name = f"通知清单-{local_day(ctx.now):%Y%m%d}"
    return await exports.respond(fmt, name, "通知", NOTICE_COLUMNS, rows(), ("催办、督办、提醒与上报通知清单。",))


# ---------------------------------------------------------------- monthly reports


@router.get("/stats/reports/{month}.xlsx")
async def report_file(ctx: Page, month: Annotated[str, Path(pattern=r"^\d{4}-\d{2}$")]) -> Response:
    statistics_service.scope_of(ctx.ref, ctx.actor)
    key = await monthly.monthly_report_path(ctx.session, month)
    store = ctx.runtime.store
    if (
        key is None
        or not key.startswith(report_service.REPORTS_PREFIX)
        or not await anyio.to_thread.run_sync(store.exists, key)
    ):
        raise NotFound(f"No monthly report of {month}.", title_zh=f"{month} 的月报尚未生成")
    return StreamingResponse(
        iterate_in_threadpool(store.chunks(key)),
        media_type=exports.XLSX,
        headers={"content-disposition": exports.attachment(f"胶东五市委托执行月报-{month}.xlsx")},
    )


@router.post("/stats/reports/{month}")
async def regenerate_report(ctx: Page, month: Annotated[str, Path(pattern=r"^\d{4}-\d{2}$")]) -> Response:
    """A command center (or the coordinator) makes a closed month's report again."""
    await ctx.form()
    store = ctx.runtime.store

    async def save(name: str, data: bytes) -> str:
        return await report_service.store_report(store, name, data)

    await monthly.regenerate_report(ctx.session, ctx.ref, ctx.actor, ctx.now, month, save)
    return ctx.redirect("/stats", period=month, ok="report_regenerated")


# ---------------------------------------------------------------- 大屏


@router.get("/wall")
async def wall(ctx: Page) -> Response:
    dashboard_service.require_dashboard(ctx.ref, ctx.actor)
    return await ctx.render("pages/wall.html", data=await _wall_data(ctx))


@router.get("/wall/data.json")
async def wall_data(ctx: Page) -> JSONResponse:
    dashboard_service.require_dashboard(ctx.ref, ctx.actor)
    return JSONResponse(await _wall_data(ctx), headers={"cache-control": "no-store"})


async def _wall_data(ctx: Page) -> dict[str, Any]:
    h = ctx.h
    board = await dashboard_service.dashboard(ctx.session, ctx.ref, ctx.actor, ctx.now)
    today = local_day(ctx.now)
    recent = model.day_range(today - timedelta(days=29), today)  # the last 30 days, whatever the day of the month
    st = await statistics_service.statistics(ctx.session, ctx.ref, ctx.actor, ctx.now, recent)
    oldest = sorted(board.overdue, key=lambda w: w.working_days_left)
    return {
        "at": h.datetime(ctx.now),
        "title": (
            h._("Five-city coordination")
            if board.regional
            else h._("%(city)s enforcement command center", city=h.city(board.cities[0].city))
        ),
        "open": board.totals.open,
        "overdue": board.totals.overdue,
        "due_soon": board.totals.due_soon,
        "unacknowledged": board.awaiting_acknowledgement,
        "supervisions_month": st.total.supervisions,
        "trend": {
            "kind": "line",
            "categories": [p.key for p, _ in st.trend],
            "series": [
                {"name": h._(labels.KPI["overdue"]), "data": [m.overdue for _, m in st.trend]},
                {"name": h._(labels.KPI["supervisions"]), "data": [m.supervisions for _, m in st.trend]},
            ],
        },
        "flow": {
            "kind": "sankey",
            "links": [
                {"source": h.city(f.source) + " ▸", "target": "▸ " + h.city(f.target), "value": f.matters}
                for f in st.flows
            ],
        },
        "cities": [{"city": h.city(c.city), "open": c.counts.open, "overdue": c.counts.overdue} for c in board.cities],
        "oldest": [
            {
                "number": w.delegation.number,
                "court": h.court(w.clock.court_code),
                "stage": h.stage(w.clock.stage),
                "days": -w.working_days_left,
            }
            for w in oldest
        ],
    }
