"""Administrators: the personal-data access log and the searches by ID number or USCC (read-only, newest first)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from api.deps import CurrentActor, Ref, Session
from api.schemas import AccessLogOut, IdentifierSearchOut, PageOut, access_log_out
from delegation.filing import reveal as pii_service
from delegation.reading import delegations as query_service

router = APIRouter(prefix="/api/v1", tags=["admin"])


@router.get(
    "/access-logs",
    operation_id="list_access_logs",
    summary="Who revealed which personal-data value or downloaded which document, when and why (administrators "
    "of the courts concerned)",
    response_model=PageOut[AccessLogOut],
)
async def list_access_logs(
    session: Session,
    ref: Ref,
    actor: CurrentActor,
    delegation_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    username: Annotated[str | None, Query(pattern=r"^[A-Za-z0-9._-]{1,64}$")] = None,
    kind: Literal["reveal", "download", "print"] | None = None,
    cursor: Annotated[str | None, Query(pattern=query_service.CURSOR_PATTERN)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
) -> dict[str, Any]:
    rows, last = await pii_service.access_log_page(
        session,
        ref,
        actor,
        delegation_id=delegation_id,
        username=username,
        kind=kind,
        before=query_service.decode_cursor(cursor),
        limit=limit,
    )
    return {"items": [access_log_out(r) for r in rows], "next_cursor": query_service.encode_cursor(last)}


@router.get(
    "/identifier-searches",
    operation_id="list_identifier_searches",
    summary="Who searched by which ID number or USCC (masked, with its digest), when, and which matters matched "
    "(administrators of the searchers' courts)",
    response_model=PageOut[IdentifierSearchOut],
)
async def list_identifier_searches(
    session: Session,
    ref: Ref,
    actor: CurrentActor,
    username: Annotated[str | None, Query(pattern=r"^[A-Za-z0-9._-]{1,64}$")] = None,
    value: Annotated[
        str | None, Query(max_length=40, description="An ID number or USCC: who searched for exactly this value.")
    ] = None,
    cursor: Annotated[str | None, Query(pattern=query_service.CURSOR_PATTERN)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
) -> dict[str, Any]:
    rows, last = await pii_service.identifier_search_page(
        session,
        ref,
        actor,
        username=username,
        value=value,
        before=query_service.decode_cursor(cursor),
        limit=limit,
    )
    items = [IdentifierSearchOut.model_validate(r) for r in rows]
    return {"items": items, "next_cursor": query_service.encode_cursor(last)}
