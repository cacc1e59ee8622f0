"""Delegations: list, create, read, edit a draft, timeline, messages, reveal, documents."""

from __future__ import annotations

from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, File, Form, Header, Path, Query, Request, Response, UploadFile, status
from fastapi.responses import StreamingResponse

from api.conflicts import state_changed
from api.deps import Ctx, CurrentActor, ExpectedVersion, Now, Ref, RuntimeDep, Session, client_address, etag
from api.schemas import (
    CourtCode,
    DelegationDetailOut,
    DelegationOut,
    DocumentKindCode,
    DocumentOut,
    DraftIn,
    EventKind,
    EventOut,
    Line,
    MessageIn,
    PageOut,
    RevealIn,
    RevealOut,
    SaneInstant,
    delegation_out,
    detail_out,
    document_out,
    event_out,
    page_of,
)
from delegation.core.errors import Conflict
from delegation.core.states import Status
from delegation.filing import documents as document_service
from delegation.filing import messages as message_service
from delegation.filing import reveal as pii_service
from delegation.handling import service
from delegation.reading import delegations as query_service

router = APIRouter(prefix="/api/v1", tags=["delegations"])

DelegationId = Annotated[int, Path(ge=1, le=2**31 - 1, description="The delegation's id.")]
DocumentId = Annotated[int, Path(ge=1, le=2**31 - 1)]
Cursor = Annotated[
    str | None,
    Query(
        pattern=query_service.CURSOR_PATTERN,
        description="next_cursor of the previous page (opaque; the pattern only says which strings can be one).",
    ),
]
Limit = Annotated[int, Query(ge=1, le=100)]
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        pattern=r"^[A-Za-z0-9._:\-]{1,128}$",
        description="Makes the create safe to retry: the same key returns the first result.",
    ),
]


@router.get(
    "/delegations",
    operation_id="list_delegations",
    summary="Delegations the caller may see, newest first, cursor-paginated",
    response_model=PageOut[DelegationOut],
)
async def list_delegations(
    request: Request,
    session: Session,
    ref: Ref,
    actor: CurrentActor,
    now: Now,
    box: Annotated[
        Literal["inbox", "outbox", "all"],
        Query(description="inbox: my court assists; outbox: my court requested; all: all I may see."),
    ] = "all",
    status_: Annotated[list[Status], Query(alias="status", max_length=10)] = [],  # noqa: B006 (FastAPI copies it)
    matter_type: Annotated[str | None, Query(pattern=r"^[a-z][a-z0-9_]{0,63}$")] = None,
    counterpart: Annotated[CourtCode | None, Query(description="The other court's code.")] = None,
    city: Annotated[
        Line | None, Query(max_length=10, description="e.g. 烟台: a court of that city takes part.")
    ] = None,
    due_before: Annotated[
        SaneInstant | None, Query(description="The running clock is due at or before (years 1970-2199).")
    ] = None,
    due_after: Annotated[
        SaneInstant | None, Query(description="The running clock is due after (years 1970-2199).")
    ] = None,
    overdue: Annotated[bool | None, Query(description="The running clock's due time has passed.")] = None,
    provisional: Annotated[bool | None, Query(description="An open clock's due date is provisional.")] = None,
    q: Annotated[
        Line | None,
        Query(
            max_length=100,
            description="The platform number (JD2026-0000032, or part of it), the 案号 (any width, or part of it), "
            "a party's name, or the handler (name or username); a resident ID number, USCC, plate or VIN finds "
            "exactly the matters carrying it (a search by ID number or USCC is logged like a reveal).",
        ),
    ] = None,
    handling: Annotated[
        Literal["network", "network_pending", "handed_back", "manual"] | None,
        Query(
            description="网络查控: network (completed by registry connectors), network_pending (under way), "
            "handed_back (given back to the clerks), manual (never went by network)."
        ),
    ] = None,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> dict[str, Any]:
    query = query_service.DelegationQuery(
        box=box,
        statuses=tuple(s.value for s in status_),
        matter_type=matter_type,
        counterpart=counterpart,
        city=city,
        due_before=due_before,
        due_after=due_after,
        overdue=overdue,
        provisional=provisional,
        text=q,
        handling=handling,
        cursor=cursor,
        limit=limit,
    )
    page = await query_service.list_delegations(session, ref, actor, now, query)
    if q:
        conditions = query_service._conditions(ref, actor, query, now)
        await pii_service.log_identifier_search(session, actor, now, q, conditions, client_address(request))
    return page_of(page, delegation_out)


@router.post(
    "/delegations",
    operation_id="create_delegation",
    summary="File a draft delegation (requesting officer)",
    status_code=status.HTTP_201_CREATED,
    response_model=DelegationOut,
    responses={200: {"model": DelegationOut, "description": "A retry: the first result of this Idempotency-Key."}},
)
async def create_delegation(
    body: DraftIn,
    response: Response,
    ctx: Ctx,
    idempotency_key: IdempotencyKey = None,
) -> DelegationOut:
    row, replayed = await service.create_draft(ctx, body.to_domain(), idempotency_key)
    if replayed:
        response.status_code = status.HTTP_200_OK
        response.headers["Idempotent-Replayed"] = "true"
    response.headers["Location"] = f"/api/v1/delegations/{row.id}"
    response.headers["ETag"] = etag(row.version)
    return delegation_out(await query_service.listed(ctx.session, ctx.ref, ctx.actor, ctx.now, row))


@router.get(
    "/delegations/{delegation_id}",
    operation_id="get_delegation",
    summary="One delegation with its timeline, clocks, documents and the actions the caller may take now",
    response_model=DelegationDetailOut,
)
async def get_delegation(
    delegation_id: DelegationId, response: Response, session: Session, ref: Ref, actor: CurrentActor, now: Now
) -> DelegationDetailOut:
    view = await query_service.detail(session, ref, actor, now, delegation_id)
    response.headers["ETag"] = etag(view.listed.row.version)
    return detail_out(view)


@router.put(
    "/delegations/{delegation_id}",
    operation_id="update_draft",
    summary="Replace a draft's content (requesting court, draft only)",
    response_model=DelegationOut,
)
async def update_draft(
    delegation_id: DelegationId,
    body: DraftIn,
    version: ExpectedVersion,
    response: Response,
    ctx: Ctx,
) -> DelegationOut:
    try:
        row = await service.update_draft(ctx, delegation_id, version, body.to_domain())
    except Conflict as exc:
        raise await state_changed(ctx, delegation_id, exc) from exc
    response.headers["ETag"] = etag(row.version)
    return delegation_out(await query_service.listed(ctx.session, ctx.ref, ctx.actor, ctx.now, row))


@router.get(
    "/delegations/{delegation_id}/timeline",
    operation_id="get_timeline",
    summary="A delegation's history, oldest first: transitions, messages, uploads, notices",
    response_model=PageOut[EventOut],
)
async def get_timeline(
    delegation_id: DelegationId,
    session: Session,
    ref: Ref,
    actor: CurrentActor,
    kind: Annotated[EventKind | None, Query(description="Only the events of this kind, e.g. message.")] = None,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> dict[str, Any]:
    page = await query_service.timeline_page(
        session, ref, actor, delegation_id, kind=kind.value if kind else None, cursor=cursor, limit=limit
    )
    return page_of(page, event_out)


@router.post(
    "/delegations/{delegation_id}/messages",
    operation_id="post_message",
    summary="Write to the other court of the delegation (plain text; appears in the timeline)",
    status_code=status.HTTP_201_CREATED,
    response_model=EventOut,
)
async def post_message(
    delegation_id: DelegationId, body: MessageIn, session: Session, ref: Ref, actor: CurrentActor, now: Now
) -> EventOut:
    return event_out(await message_service.post_message(session, ref, actor, now, delegation_id, body.text))


@router.post(
    "/delegations/{delegation_id}/reveal",
    operation_id="reveal_field",
    summary="One masked personal-data value in full, with a stated reason (written to the access log)",
    response_model=RevealOut,
)
async def reveal_field(
    delegation_id: DelegationId,
    body: RevealIn,
    request: Request,
    response: Response,
    session: Session,
    ref: Ref,
    actor: CurrentActor,
    now: Now,
) -> RevealOut:
    value = await pii_service.reveal(
        session, ref, actor, now, delegation_id, body.field, body.reason, client_address(request)
    )
    response.headers["Cache-Control"] = "no-store"
    return RevealOut(field=body.field, value=value)


@router.get(
    "/delegations/{delegation_id}/documents",
    operation_id="list_documents",
    summary="A delegation's documents, oldest first",
    tags=["documents"],
    response_model=PageOut[DocumentOut],
)
async def list_documents(
    delegation_id: DelegationId,
    session: Session,
    ref: Ref,
    actor: CurrentActor,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> dict[str, Any]:
    page = await query_service.documents_page(session, ref, actor, delegation_id, cursor=cursor, limit=limit)
    return page_of(page, document_out)


@router.post(
    "/delegations/{delegation_id}/documents",
    operation_id="upload_document",
    summary="Upload a scan (PDF, JPEG or PNG, checked by content) to a delegation",
    tags=["documents"],
    status_code=status.HTTP_201_CREATED,
    response_model=DocumentOut,
)
async def upload_document(
    delegation_id: DelegationId,
    kind: Annotated[DocumentKindCode, Form(description="e.g. letter_of_delegation")],
    file: Annotated[UploadFile, File(description="The scan.")],
    ctx: Ctx,
    runtime: RuntimeDep,
) -> DocumentOut:
    limit = runtime.settings.max_upload_bytes
    content = await file.read(limit + 1)
    item = document_service.Upload(kind=kind, filename=file.filename, content=content)
    row = await document_service.upload(
        ctx.session, ctx.ref, ctx.actor, ctx.now, delegation_id, item, runtime.store, limit, runtime.matter_limits
    )
    return document_out(row)


@router.get(
    "/delegations/{delegation_id}/documents/{document_id}/content",
    operation_id="download_document",
    summary="Download a document (written to the access log)",
    tags=["documents"],
    response_class=StreamingResponse,
    responses={200: {"content": {"application/pdf": {}, "image/jpeg": {}, "image/png": {}}}},
)
async def download_document(
    delegation_id: DelegationId,
    document_id: DocumentId,
    request: Request,
    session: Session,
    ref: Ref,
    runtime: RuntimeDep,
    actor: CurrentActor,
    now: Now,
) -> StreamingResponse:
    document, chunks = await document_service.open_document(
        session, ref, actor, now, delegation_id, document_id, runtime.store, client_address(request)
    )
    # Streamed from the store (a folder or S3) and verified as it is read; Starlette iterates a plain
    # iterator in its thread pool, so a slow object store never blocks the event loop.
    return StreamingResponse(
        chunks,
        media_type=document.content_type,
        headers={
            "ETag": f'"{document.sha256}"',
            "Cache-Control": "private, no-store",
            "Content-Length": str(document.size),
            "Content-Disposition": attachment(document.filename),
        },
    )


def attachment(filename: str) -> str:
    """Content-Disposition for a download (RFC 6266; UTF-8 names as filename*)."""
    quoted = quote(filename, safe="")
    if quoted == filename:
        return f'attachment; filename="{filename}"'
    return f"attachment; filename*=utf-8''{quoted}"
