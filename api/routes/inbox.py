"""The caller's inbox (消息中心) for court systems and the pages' badge: items, the unread state (cheap to
poll: ETag and 304), marking read; and the court's handlers, to whom its matters are assigned (they are
told in their inbox)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Path, Query, Response, status
from pydantic import Field

from api.deps import CurrentActor, Now, Session
from api.schemas import In, Instant, Out, PageOut
from delegation.accounts.handlers import my_court_handlers
from delegation.reading import delegations as query_service
from delegation.reading import inbox as inbox_service

router = APIRouter(prefix="/api/v1", tags=["inbox"])

ItemId = Annotated[int, Path(ge=1, le=2**31 - 1, description="The inbox item's id.")]
TopicName = Literal["transition", "notice", "acknowledgement", "digest", "message", "assignment"]


class InboxItemOut(Out):
    id: int
    topic: TopicName = Field(
        description="transition: the other court acted (signed for, returned, completed, ...); message: it wrote; "
        "notice: a 催办/督办 or reminder to your court; acknowledgement: a 督办 was acknowledged; assignment: a "
        "matter assigned to you (or taken from you); digest: the daily summary."
    )
    title: str
    body: str
    created_at: Instant
    read_at: Instant | None
    unread: bool
    delegation_id: int | None
    delegation_number: str | None = Field(description="The platform number, e.g. JD2026-0000032.")
    notice_id: int | None
    link: str | None = Field(description="The delegation the item is about (a notice's text is in its timeline).")


class UnreadOut(Out):
    unread: int = Field(description="Items not yet marked read.")
    latest_id: int = Field(description="The newest item's id (0 when there is none): mark all read up to it.")


class InboxPageOut(PageOut[InboxItemOut]):
    unread: int
    latest_id: int


class MarkIdsIn(In):
    ids: list[Annotated[int, Field(ge=1, le=2**31 - 1)]] = Field(
        min_length=1, max_length=inbox_service.MAX_MARK, description="Items to mark read."
    )


class MarkUpToIn(In):
    up_to: Annotated[int, Field(ge=1, le=2**31 - 1)] = Field(
        description="Mark every item up to this id read (send latest_id of what you showed, so that an item that "
        "arrived meanwhile stays unread)."
    )


class MarkedOut(UnreadOut):
    marked: int = Field(description="How many items changed from unread to read.")


def _link(item: inbox_service.InboxItem) -> str | None:
    """The delegation the item is about (a notice's text is in its timeline)."""
    return f"/api/v1/delegations/{item.delegation_id}" if item.delegation_id is not None else None


def item_out(item: inbox_service.InboxItem) -> InboxItemOut:
    return InboxItemOut(
        id=item.id,
        topic=item.topic,
        title=item.title,
        body=item.body,
        created_at=item.created_at,
        read_at=item.read_at,
        unread=item.unread,
        delegation_id=item.delegation_id,
        delegation_number=item.delegation_number,
        notice_id=item.notice_id,
        link=_link(item),
    )


@router.get(
    "/inbox",
    operation_id="list_inbox",
    summary="The caller's inbox, newest first: what the other court did or wrote, notices to the court, matters "
    "assigned to the caller",
    response_model=InboxPageOut,
)
async def list_inbox(
    session: Session,
    actor: CurrentActor,
    unread: Annotated[bool, Query(description="Only items not yet read.")] = False,
    topic: Annotated[TopicName | None, Query()] = None,
    delegation_id: Annotated[int | None, Query(ge=1, le=2**31 - 1, description="Items about this delegation.")] = None,
    cursor: Annotated[
        str | None, Query(pattern=query_service.CURSOR_PATTERN, description="next_cursor of the previous page.")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=inbox_service.MAX_LIMIT)] = 30,
) -> dict[str, Any]:
    query = inbox_service.InboxQuery(
        unread=unread,
        topic=topic,
        delegation_id=delegation_id,
        before=query_service.decode_cursor(cursor),
        limit=limit,
    )
    page = await inbox_service.list_items(session, actor.username, query)
    return {
        "items": [item_out(i) for i in page.items],
        "next_cursor": query_service.encode_cursor(page.next_before),
        "unread": page.state.unread,
        "latest_id": page.state.latest,
    }


@router.get(
    "/inbox/unread",
    operation_id="inbox_unread",
    summary="How many items are unread (poll it with If-None-Match: 304 while nothing changed)",
    response_model=UnreadOut,
    responses={304: {"description": "Nothing changed since the ETag sent in If-None-Match."}},
)
async def inbox_unread(
    session: Session,
    actor: CurrentActor,
    response: Response,
    if_none_match: Annotated[
        str | None, Header(alias="If-None-Match", max_length=200, description="The ETag of the last answer.")
    ] = None,
) -> Any:
    state = await inbox_service.unread_state(session, actor.username)
    headers = {"ETag": state.tag, "Cache-Control": "private, no-cache"}
    if if_none_match is not None and state.tag in (t.strip() for t in if_none_match.split(",")):
        return Response(status_code=status.HTTP_304_NOT_MODIFIED, headers=headers)
    response.headers.update(headers)
    return UnreadOut(unread=state.unread, latest_id=state.latest)


@router.get(
    "/inbox/items/{item_id}",
    operation_id="get_inbox_item",
    summary="One item of the caller's inbox (not marked read by reading it)",
    response_model=InboxItemOut,
)
async def get_inbox_item(item_id: ItemId, session: Session, actor: CurrentActor) -> InboxItemOut:
    return item_out(await inbox_service.get_item(session, actor.username, item_id))


@router.post(
    "/inbox/read",
    operation_id="mark_inbox_read",
    summary="Mark items read: some by id, or all up to the newest one shown",
    response_model=MarkedOut,
)
async def mark_inbox_read(body: MarkIdsIn | MarkUpToIn, session: Session, actor: CurrentActor, now: Now) -> MarkedOut:
    if isinstance(body, MarkIdsIn):
        marked = await inbox_service.mark_read(session, actor.username, now, ids=body.ids)
    else:
        marked = await inbox_service.mark_read(session, actor.username, now, up_to=body.up_to)
    state = await inbox_service.unread_state(session, actor.username)
    return MarkedOut(marked=marked, unread=state.unread, latest_id=state.latest)


class HandlerOut(Out):
    username: str = Field(description="Send it as `handler` when signing for or assigning.")
    display_name: str


@router.get(
    "/handlers",
    operation_id="list_handlers",
    summary="The handlers (承办人) of the caller's court: whom a matter signed for here may be assigned to",
    response_model=list[HandlerOut],
    tags=["handlers"],
)
async def list_handlers(session: Session, actor: CurrentActor) -> list[HandlerOut]:
    return [
        HandlerOut(username=h.username, display_name=h.display_name) for h in await my_court_handlers(session, actor)
    ]
