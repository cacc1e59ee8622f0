"""Batch actions for court systems (issue 11, item 6): 签收 several matters (optionally naming one handler),
催办 several, export several as .xlsx. Each matter is one normal action in its own transaction; the answer
lists each matter's result: done, or refused with the reason (a refusal never stops the others)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Response
from pydantic import Field

from api.deps import Ctx
from api.schemas import Comment, FieldErrorOut, HandlerName, In, Out
from api.web import exports
from api.web.templating import DOCUMENT_LOCALE, Helpers
from delegation.core.clocks import local_day
from delegation.handling import batch as batch_service
from delegation.handling.batch import MAX_BATCH, Outcome
from delegation.reading import exports as export_service

router = APIRouter(prefix="/api/v1/batch", tags=["batch"])

Ident = Annotated[int, Field(ge=1, le=2**31 - 1)]


class VersionedIn(In):
    id: Ident
    version: Annotated[int, Field(ge=1, le=2**31 - 1)] = Field(description="The version you saw (ETag).")


class BatchSignForIn(In):
    items: list[VersionedIn] = Field(
        min_length=1,
        max_length=MAX_BATCH,
        json_schema_extra={"uniqueItems": True},
        description="Each matter once (a repeated id is refused with 422, whatever its version).",
    )
    handler: HandlerName | None = Field(None, description="Assign this handler to each (both or neither, per matter).")
    comment: Comment = ""


class BatchIdsIn(In):
    ids: list[Ident] = Field(
        min_length=1,
        max_length=MAX_BATCH,
        json_schema_extra={"uniqueItems": True},
        description="Each matter once (a repeated id is refused with 422).",
    )
    comment: Comment = ""


class OutcomeOut(Out):
    id: int
    number: str | None = Field(description="The platform number; null for a matter you may not see.")
    outcome: Literal["done", "refused"]
    version: int | None = Field(None, description="The new version (签收).")
    status: str | None = None
    notice_number: str | None = Field(None, description="The 催办's number.")
    code: str | None = Field(None, description="Why it was refused: the problem code of the single action.")
    title: str | None = Field(None, description="The reason, in Chinese.")
    detail: str | None = Field(None, description="The reason, in English.")
    errors: list[FieldErrorOut] | None = None


class BatchOut(Out):
    done: int
    refused: int
    results: list[OutcomeOut]


def _out(outcomes: list[Outcome]) -> dict[str, Any]:
    results = [
        {
            "id": o.delegation_id,
            "number": o.number or None,
            "outcome": "done" if o.done else "refused",
            "version": o.version,
            "status": o.status,
            "notice_number": o.notice_number,
            "code": o.code or None,
            "title": o.reason_zh or None,
            "detail": o.reason_en or None,
            "errors": [{"field": e.field, "message_zh": e.message_zh, "message_en": e.message_en} for e in o.errors]
            or None,
        }
        for o in outcomes
    ]
    done = sum(1 for o in outcomes if o.done)
    return {"done": done, "refused": len(outcomes) - done, "results": results}


@router.post(
    "/sign-for",
    operation_id="batch_sign_for",
    summary="签收 several delegations (assisting clerk), each on its own: a result per matter",
    response_model=BatchOut,
)
async def batch_sign_for(body: BatchSignForIn, ctx: Ctx) -> dict[str, Any]:
    batch_service.refuse_repeats([i.id for i in body.items], lambda i: f"items[{i}].id")
    items = [(i.id, i.version) for i in body.items]
    return _out(await batch_service.sign_for_many(ctx, items, body.handler or "", body.comment))


@router.post(
    "/urge",
    operation_id="batch_urge",
    summary="催办 several delegations (command center), each on its own: a result per matter",
    response_model=BatchOut,
)
async def batch_urge(body: BatchIdsIn, ctx: Ctx) -> dict[str, Any]:
    batch_service.refuse_repeats(body.ids, lambda i: f"ids[{i}]")
    return _out(await batch_service.urge_many(ctx, body.ids, body.comment))


@router.post(
    "/export.xlsx",
    operation_id="batch_export",
    summary="Several delegations as an .xlsx list (those you may see; personal data masked)",
    response_class=Response,
    responses={
        200: {
            "content": {exports.XLSX: {"schema": {"type": "string", "format": "binary"}}},
            "description": "The workbook.",
        }
    },
)
async def batch_export(body: BatchIdsIn, ctx: Ctx) -> Response:
    batch_service.refuse_repeats(body.ids, lambda i: f"ids[{i}]")
    items = await batch_service.selected(ctx, body.ids)
    zh = Helpers(DOCUMENT_LOCALE, ctx.ref, ctx.now)
    modes = await export_service.handling_modes(ctx.session, [i.row.id or 0 for i in items])

    async def rows() -> AsyncIterator[list[object]]:
        for item in items:
            yield exports.work_row(zh, item, modes.get(item.row.id or 0))

    name = f"委托事项清单（所选{len(items)}件）-{local_day(ctx.now):%Y%m%d}"
    return await exports.respond("xlsx", name, "委托事项", exports.WORK_COLUMNS, rows(), exports.WORK_NOTES)
