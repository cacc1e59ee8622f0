"""消息中心: the signed-in user's inbox as a page (filters, mark read, all read, a link to each matter) and
the JSON the top bar's badge polls (the same unread state as GET /api/v1/inbox/unread)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response

from api.web.context import Page
from delegation.core.access import Operation
from delegation.core.errors import NotFound, PermissionDenied
from delegation.reading import inbox as inbox_service
from delegation.reading.delegations import load_authorized

router = APIRouter(include_in_schema=False)

ItemId = Annotated[int, Path(ge=1, le=2**31 - 1)]
PER_PAGE = 30


NOTICES = {
    "read": lambda ctx: ctx._("Marked as read."),
    "gone": lambda ctx: ctx._(
        "That matter is no longer one your court may open (it was redirected to another court, for example)."
    ),
}


def _int(value: object) -> int | None:
    return int(value) if isinstance(value, str) and value.isdigit() and len(value) <= 10 else None


@router.get("/inbox")
async def inbox(
    ctx: Page,
    unread: Annotated[str | None, Query(max_length=3)] = None,
    topic: Annotated[str | None, Query(max_length=16)] = None,
    before: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    ok: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    chosen = topic if topic in inbox_service.TOPICS else None
    query = inbox_service.InboxQuery(unread=unread == "1", topic=chosen, before=before, limit=PER_PAGE)
    page = await inbox_service.list_items(ctx.session, ctx.actor.username, query)
    return await ctx.render(
        "pages/inbox.html",
        page=page,
        unread_only=query.unread,
        topic=chosen or "",
        topics=inbox_service.TOPICS,
        first_page=before is None,
        notice=NOTICES[ok](ctx) if ok in NOTICES else "",
    )


@router.post("/inbox/read")
async def mark_read(ctx: Page) -> Response:
    """Mark the ticked items read, or every item up to the newest one the page showed ("all read")."""
    form = await ctx.form()
    ids = [i for i in (_int(v) for v in form.getlist("ids")) if i is not None]
    up_to = _int(form.get("up_to"))
    if up_to is not None:  # "all read" wins over ticked boxes
        await inbox_service.mark_read(ctx.session, ctx.actor.username, ctx.now, up_to=up_to)
    elif ids:
        await inbox_service.mark_read(ctx.session, ctx.actor.username, ctx.now, ids=ids[: inbox_service.MAX_MARK])
    back = {k: v for k in ("unread", "topic") if isinstance(v := form.get(k), str) and v}
    return ctx.redirect("/inbox", **back, ok="read")


@router.get("/inbox/{item_id}/open")
async def open_item(ctx: Page, item_id: ItemId) -> Response:
    """The item's link: marks it read and goes to the notice or the matter it is about."""
    item = await inbox_service.open_item(ctx.session, ctx.actor.username, item_id, ctx.now)
    if item.notice_id is not None:
        return ctx.redirect(f"/notices/{item.notice_id}")
    if item.delegation_id is not None:
        try:
            await load_authorized(ctx.session, ctx.ref, ctx.actor, item.delegation_id, Operation.VIEW)
        except (NotFound, PermissionDenied):
            # Redirected to another court (or withdrawn as a draft): said here rather than with a 404 page.
            return ctx.redirect("/inbox", ok="gone")
        return ctx.redirect(f"/delegations/{item.delegation_id}")
    return ctx.redirect("/inbox")
