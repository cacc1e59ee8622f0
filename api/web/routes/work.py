"""My court's work: what waits on us (to sign for, to correct, to do, to confirm), what we sent, what we
assist, and every matter a command center may see; filters like the API's, sorting and pages."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, time
from typing import Annotated
from urllib.parse import parse_qsl, urlencode

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import Response

from api.deps import client_address
from api.web import exports, labels
from api.web.context import Page
from api.web.routes.board import print_page
from api.web.routes.delegation import problem_text
from api.web.templating import DOCUMENT_LOCALE, Helpers
from api.web.views import row_followups, row_next_step
from delegation.accounts import filters as filter_service
from delegation.accounts import handlers as handler_service
from delegation.core.access import UserRole
from delegation.core.clocks import SHANGHAI, local_day
from delegation.core.errors import FieldError, ValidationFailed
from delegation.core.states import Action, Status
from delegation.filing import reveal as reveal_service
from delegation.handling import batch as batch_service
from delegation.network.model import MATTER_ROUTES
from delegation.reading import dashboard as dashboard_service
from delegation.reading import exports as export_service
from delegation.reading import worklists as worklist_service
from delegation.reading.delegations import HANDLING_MODES, DelegationQuery
from delegation.reading.worklists import WorkQuery
from delegation.statistics import service as statistics_service
from delegation.statistics.model import PeriodError, parse_period
from delegation.store.statistics import DrillFilter

router = APIRouter(include_in_schema=False)

Text = Annotated[str | None, Query(max_length=100)]


def _flag(value: str | None) -> bool | None:
    return {"1": True, "yes": True, "0": False, "no": False}.get(value or "")


def _day_end(value: str | None) -> datetime | None:
    """The end of a date picked in the filter (due on or before that day)."""
    if not value:
        return None
    try:
        day = datetime.fromisoformat(value).date()
    except ValueError:
        return None
    if not 1970 <= day.year < 2200:  # far years overflow the timestamp binding: ignored like a typo
        return None
    return datetime.combine(day, time(23, 59, 59), tzinfo=SHANGHAI)


def _holders(ctx: Page, holder: str | None, city: str | None) -> tuple[str, ...]:
    """The courts a drill-down is about: one court, or the courts of a city."""
    if holder:
        return (holder,)
    if city:
        return tuple(c.code for c in ctx.ref.registry.by_city(city, include_retired=True)) or ("-",)
    return ()


@dataclass(frozen=True)
class WorkParams:
    """The query of a work list, as the page, its drill-downs and its exports take it."""

    view: str | None
    stage: str | None
    status: str | None
    matter_type: str | None
    counterpart: str | None
    city: str | None
    holder: str | None
    holder_city: str | None
    lateness: str | None
    overdue: str | None
    provisional: str | None
    due_before: str | None
    q: str | None
    sort: str
    cursor: str | None
    drill: str | None
    period: str | None
    stat_court: str | None
    stat_city: str | None
    stat_requesting: str | None
    stat_assisting: str | None
    ok: str | None = None
    handling: str | None = None


def default_sort(view: str) -> str:
    """What waits on us and what I handle open most urgent first (as their headings say); the others newest
    first."""
    return "due" if view in ("waiting", "mine") else "newest"


def work_params(
    view: Annotated[str | None, Query(max_length=10)] = None,
    stage: Annotated[str | None, Query(max_length=12)] = None,
    status: Annotated[str | None, Query(max_length=20)] = None,
    matter_type: Annotated[str | None, Query(max_length=64)] = None,
    counterpart: Annotated[str | None, Query(max_length=16)] = None,
    city: Annotated[str | None, Query(max_length=10)] = None,
    holder: Annotated[str | None, Query(max_length=16)] = None,
    holder_city: Annotated[str | None, Query(max_length=10)] = None,
    lateness: Annotated[str | None, Query(max_length=10)] = None,
    overdue: Annotated[str | None, Query(max_length=3)] = None,
    provisional: Annotated[str | None, Query(max_length=3)] = None,
    due_before: Annotated[str | None, Query(max_length=10)] = None,
    q: Text = None,
    sort: Annotated[str, Query(max_length=10)] = "",
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    drill: Annotated[str | None, Query(max_length=20)] = None,
    period: Annotated[str | None, Query(max_length=30)] = None,
    stat_court: Annotated[str | None, Query(max_length=16)] = None,
    stat_city: Annotated[str | None, Query(max_length=10)] = None,
    stat_requesting: Annotated[str | None, Query(max_length=16)] = None,
    stat_assisting: Annotated[str | None, Query(max_length=16)] = None,
    ok: Annotated[str | None, Query(max_length=10)] = None,
    handling: Annotated[str | None, Query(max_length=16)] = None,
) -> WorkParams:
    return WorkParams(
        view,
        stage,
        status,
        matter_type,
        counterpart,
        city,
        holder,
        holder_city,
        lateness,
        overdue,
        provisional,
        due_before,
        q,
        sort,
        cursor,
        drill,
        period,
        stat_court,
        stat_city,
        stat_requesting,
        stat_assisting,
        ok,
        handling,
    )


Params = Annotated[WorkParams, Depends(work_params)]


def handles(ctx: Page) -> bool:
    """A handler (承办人) has a list of the matters assigned to them: 我承办的."""
    return UserRole.HANDLER in ctx.actor.roles


def works_cases(ctx: Page) -> bool:
    return bool(ctx.actor.roles & {UserRole.REQUESTING_OFFICER, UserRole.ASSISTING_CLERK})


def _facts(ctx: Page, p: WorkParams) -> DrillFilter | None:
    """A statistics drill-down: the matters behind one figure (same facts, same period, same courts)."""
    if not p.drill:
        return None
    try:
        period = parse_period(p.period or "", local_day(ctx.now))
    except PeriodError:
        raise ValidationFailed([FieldError("period", "统计期间无效", "invalid period")]) from None
    return statistics_service.drill_filter(
        ctx.ref,
        ctx.actor,
        ctx.now,
        p.drill,
        period,
        court=p.stat_court,
        city=p.stat_city,
        requesting=p.stat_requesting,
        assisting=p.stat_assisting,
        matter_type=p.matter_type,
    )


def work_query(ctx: Page, p: WorkParams) -> tuple[WorkQuery, dict[str, str]]:
    chosen = p.view if p.view in worklist_service.VIEWS else ("waiting" if works_cases(ctx) else "all")
    facts = _facts(ctx, p)
    if facts is not None:
        chosen = "all"
    statuses = (p.status,) if p.status in {s.value for s in Status} else ()
    filters = DelegationQuery(
        statuses=statuses,
        matter_type=p.matter_type or None,
        counterpart=p.counterpart or None,
        city=p.city or None,
        due_before=_day_end(p.due_before),
        overdue=_flag(p.overdue),
        provisional=_flag(p.provisional),
        text=p.q.strip() if p.q and p.q.strip() else None,
        handling=p.handling if p.handling in HANDLING_MODES else None,
    )
    query = WorkQuery(
        view=chosen,
        stage=p.stage if chosen == "waiting" and p.stage in worklist_service.WAITING_STAGES else None,
        holders=_holders(ctx, p.holder, p.holder_city),
        lateness=p.lateness if p.lateness in worklist_service.LATENESS else None,
        soon_until=dashboard_service.soon_until(ctx.ref, ctx.now),
        filters=filters,
        facts=facts,
        sort=p.sort if p.sort in worklist_service.SORTS else default_sort(chosen),
        cursor=p.cursor or None,
    )
    params = {
        "view": chosen,
        "stage": query.stage or "",
        "status": p.status or "",
        "matter_type": p.matter_type or "",
        "counterpart": p.counterpart or "",
        "city": p.city or "",
        "holder": p.holder or "",
        "holder_city": p.holder_city or "",
        "lateness": query.lateness or "",
        "overdue": p.overdue or "",
        "provisional": p.provisional or "",
        "due_before": p.due_before or "",
        "q": p.q or "",
        "handling": p.handling if p.handling in HANDLING_MODES else "",
        "sort": query.sort,
        "drill": p.drill or "" if facts else "",
        "period": p.period or "" if facts else "",
        "stat_court": p.stat_court or "" if facts else "",
        "stat_city": p.stat_city or "" if facts else "",
        "stat_requesting": p.stat_requesting or "" if facts else "",
        "stat_assisting": p.stat_assisting or "" if facts else "",
    }
    return query, params


async def _log_search(ctx: Page, query: WorkQuery) -> None:
    """A search by ID number or USCC is logged like a reveal, with the matters it matched."""
    if query.filters.text:
        conditions = worklist_service.conditions_of(ctx.ref, ctx.actor, ctx.now, query)
        address = client_address(ctx.request)
        await reveal_service.log_identifier_search(
            ctx.session, ctx.actor, ctx.now, query.filters.text, conditions, address
        )


@router.get("/work")
async def work(ctx: Page, p: Params) -> Response:
    return await work_page(ctx, p)


async def work_page(
    ctx: Page,
    p: WorkParams,
    message: str = "",
    error_items: list[tuple[str, FieldError]] | None = None,
    status: int = 200,
) -> Response:
    actor = ctx.actor
    query, params = work_query(ctx, p)
    result = await worklist_service.work_list(ctx.session, ctx.ref, actor, ctx.now, query)
    await _log_search(ctx, query)
    follow = result.facts.followups
    lines = {i.row.id: (row_next_step(ctx.h, i), row_followups(ctx.h, follow.get(i.row.id or 0))) for i in result.items}
    counts: dict[str, int] = {}
    if works_cases(ctx):  # the tabs' figures: read already when they were the list's count
        counts = (
            result.waiting if result.waiting is not None else await worklist_service.waiting_counts(ctx.session, actor)
        )
    policy = ctx.ref.policies.in_force(ctx.now)
    views = [v for v in worklist_service.VIEWS if (works_cases(ctx) or v == "all") and (v != "mine" or handles(ctx))]
    export = urlencode({k: v for k, v in params.items() if v})
    # A column header sorts the same list from its first page (a cursor belongs to one order).
    chosen = {k: v for k, v in params.items() if v}
    sort_links = {s: "/work?" + urlencode({**chosen, "sort": s}) for s in worklist_service.SORTS}
    saved = await filter_service.list_filters(ctx.session, actor)
    can_sign = any(Action.SIGN_FOR in i.allowed for i in result.items)
    handlers = await handler_service.my_court_handlers(ctx.session, actor) if can_sign else []
    capable = {item.row.id for item in result.items if item.row.matter_type in MATTER_ROUTES}
    modes = {ident: mode for ident, mode in result.facts.modes.items() if ident in capable}
    return await ctx.render(
        "pages/work.html",
        status,
        message=message,
        error_items=error_items or [],
        saved=saved,
        can_sign=can_sign,
        can_urge=bool(actor.roles & {UserRole.COMMAND_CENTER, UserRole.REGIONAL_COORDINATOR}),
        handlers=handlers,
        saveable=filter_service.clean_query(
            urlencode({k: v for k, v in params.items() if v and (k != "sort" or v != default_sort(query.view))})
        ),
        notice={"saved": ctx._("Filter saved."), "deleted": ctx._("Filter deleted.")}.get(p.ok or "", ""),
        result=result,
        lines=lines,
        query=query,
        params=params,
        counts=counts,
        views=views,
        view_labels=labels.VIEW,
        stage_labels=labels.WAITING_STAGE,
        sort_labels=labels.SORT,
        sort_links=sort_links,
        statuses=[s.value for s in Status],
        matters=policy.matter_types,
        cities=ctx.ref.registry.cities(),
        courts=ctx.ref.registry.courts(),
        export=export,
        drill_labels=labels.DRILL,
        modes=modes,
        network_capable=set(MATTER_ROUTES),
        handling_modes=HANDLING_MODES,
    )


@router.get("/work/export.{fmt}")
async def export_work(ctx: Page, p: Params, fmt: Annotated[str, Path(pattern="^(xlsx|csv)$")]) -> Response:
    """The whole list (every page) as .xlsx or CSV, streamed."""
    query, _ = work_query(ctx, p)
    await _log_search(ctx, query)
    zh = Helpers(DOCUMENT_LOCALE, ctx.ref, ctx.now)

    async def rows() -> AsyncIterator[list[object]]:
        row_of = exports.WorkRows(zh)
        async for batch in export_service.iter_export(ctx.session, ctx.ref, ctx.actor, ctx.now, query):
            for item in batch:
                yield row_of(item)

    name = f"委托事项清单-{local_day(ctx.now):%Y%m%d}"
    return await exports.respond(fmt, name, "委托事项", exports.WORK_COLUMNS, rows(), exports.WORK_NOTES)


@router.post("/work/filters")
async def save_filter(ctx: Page) -> Response:
    """Save the list's current filters under a name (保存筛选条件)."""
    form = await ctx.form()
    name, query = form.get("name"), form.get("query")
    query = query if isinstance(query, str) else ""
    try:
        saved = await filter_service.save_filter(
            ctx.session, ctx.actor, ctx.now, name if isinstance(name, str) else "", query
        )
    except ValidationFailed as exc:  # the list again, with what is wrong beside the name
        shown = work_params(**dict(parse_qsl(filter_service.clean_query(query))))
        items = [("filter-name", e) for e in exc.errors]
        return await work_page(ctx, shown, problem_text(ctx, exc), items, 422)
    return ctx.redirect(f"/work?{saved.query}", ok="saved")


@router.post("/work/filters/{filter_id}/delete")
async def delete_filter(ctx: Page, filter_id: Annotated[int, Path(ge=1, le=2**31 - 1)]) -> Response:
    await ctx.form()  # the CSRF check
    await filter_service.delete_filter(ctx.session, ctx.actor, filter_id)
    return ctx.redirect("/work", ok="deleted")


# ---------------------------------------------------------------- batch actions (issue 11, item 6)

BATCH_ACTIONS = ("sign_for", "urge", "export", "print")


def _picked(values: list[str]) -> list[tuple[int, int]]:
    """The ticked rows: "id:version" each (the version the list showed)."""
    out: list[tuple[int, int]] = []
    for value in values:
        ident, _, version = value.partition(":")
        if ident.isdigit() and version.isdigit() and len(ident) <= 10 and len(version) <= 10:
            out.append((int(ident), int(version)))
    return out


@router.post("/work/batch")
async def batch(ctx: Page) -> Response:
    """The ticked rows of a list: 签收 them (with a handler), 催办 them, or export or print them."""
    form = await ctx.form()
    action = str(form.get("action") or "")
    picked = _picked([v for v in form.getlist("ids") if isinstance(v, str)])
    back = str(form.get("back") or "/work")
    back = back if back.startswith("/work") else "/work"
    try:
        if action not in BATCH_ACTIONS:
            raise ValidationFailed([FieldError("action", "请选择批量操作", "Choose a batch action.")])
        ids = batch_service.chosen(i for i, _ in picked)
    except ValidationFailed as exc:
        shown = work_params(**dict(parse_qsl(back.partition("?")[2])))
        return await work_page(ctx, shown, problem_text(ctx, exc), [("batch-actions", e) for e in exc.errors], 422)
    if action in ("export", "print"):
        items = await batch_service.selected(ctx.domain, ids)
        if action == "print":
            lines = {i.row.id: row_next_step(Helpers(DOCUMENT_LOCALE, ctx.ref, ctx.now), i) for i in items}
            return await print_page(ctx, "print/worklist.html", back, items=items, lines=lines)
        zh = Helpers(DOCUMENT_LOCALE, ctx.ref, ctx.now)
        modes = await export_service.handling_modes(ctx.session, [i.row.id or 0 for i in items])

        async def rows() -> AsyncIterator[list[object]]:
            for item in items:
                yield exports.work_row(zh, item, modes.get(item.row.id or 0))

        name = f"委托事项清单（所选{len(items)}件）-{local_day(ctx.now):%Y%m%d}"
        return await exports.respond("xlsx", name, "委托事项", exports.WORK_COLUMNS, rows(), exports.WORK_NOTES)
    if action == "sign_for":
        handler = str(form.get("handler") or "").strip()
        outcomes = await batch_service.sign_for_many(ctx.domain, picked, handler, str(form.get("comment") or ""))
    else:
        outcomes = await batch_service.urge_many(ctx.domain, ids, str(form.get("comment") or ""))
    return await ctx.render(
        "pages/batch_result.html",
        action=action,
        outcomes=outcomes,
        done=sum(1 for o in outcomes if o.done),
        back=back,
    )
