"""My court's work: what waits on us (to sign for, to correct, to do, to confirm), what we sent, what we
assist, and every matter a command center may see; filters like the API's, sorting and pages."""

from __future__ import annotations

from datetime import datetime, time
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from api.web import labels
from api.web.context import Page
from delegation.core.access import UserRole
from delegation.core.clocks import SHANGHAI
from delegation.core.states import Status
from delegation.reading import dashboard as dashboard_service
from delegation.reading import worklists as worklist_service
from delegation.reading.delegations import DelegationQuery
from delegation.reading.worklists import WorkQuery

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


@router.get("/work")
async def work(
    ctx: Page,
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
    sort: Annotated[str, Query(max_length=10)] = "newest",
    page: Annotated[int, Query(ge=1, le=100000)] = 1,
) -> Response:
    actor = ctx.actor
    works_cases = bool(actor.roles & {UserRole.REQUESTING_OFFICER, UserRole.ASSISTING_CLERK})
    chosen = view if view in worklist_service.VIEWS else ("waiting" if works_cases else "all")
    statuses = (status,) if status in {s.value for s in Status} else ()
    filters = DelegationQuery(
        statuses=statuses,
        matter_type=matter_type or None,
        counterpart=counterpart or None,
        city=city or None,
        due_before=_day_end(due_before),
        overdue=_flag(overdue),
        provisional=_flag(provisional),
        text=q.strip() if q and q.strip() else None,
    )
    query = WorkQuery(
        view=chosen,
        stage=stage if chosen == "waiting" and stage in worklist_service.WAITING_STAGES else None,
        holders=_holders(ctx, holder, holder_city),
        lateness=lateness if lateness in worklist_service.LATENESS else None,
        soon_until=dashboard_service.soon_until(ctx.ref, ctx.now),
        filters=filters,
        sort=sort if sort in worklist_service.SORTS else "newest",
        page=page,
    )
    result = await worklist_service.work_list(ctx.session, ctx.ref, actor, ctx.now, query)
    counts = await worklist_service.waiting_counts(ctx.session, actor) if works_cases else {}
    policy = ctx.ref.policies.in_force(ctx.now)
    params = {
        "view": chosen,
        "stage": query.stage or "",
        "status": status or "",
        "matter_type": matter_type or "",
        "counterpart": counterpart or "",
        "city": city or "",
        "holder": holder or "",
        "holder_city": holder_city or "",
        "lateness": query.lateness or "",
        "overdue": overdue or "",
        "provisional": provisional or "",
        "due_before": due_before or "",
        "q": q or "",
        "sort": query.sort,
    }
    views = [v for v in worklist_service.VIEWS if works_cases or v == "all"]
    return await ctx.render(
        "pages/work.html",
        result=result,
        query=query,
        params=params,
        counts=counts,
        views=views,
        view_labels=labels.VIEW,
        stage_labels=labels.WAITING_STAGE,
        sort_labels=labels.SORT,
        statuses=[s.value for s in Status],
        matters=policy.matter_types,
        cities=ctx.ref.registry.cities(),
        courts=ctx.ref.registry.courts(),
    )
