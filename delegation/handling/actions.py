"""The use cases behind the HTTP actions: each asks `access.authorize` first, then calls the service.

A stale version or an action the state no longer allows comes back as the domain error with the current
state attached (context["current"]), so a client can show what changed without another request.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from delegation.core.access import Actor, Operation, authorize, enforce
from delegation.core.errors import Conflict, FieldError, TransitionNotAllowed, ValidationFailed
from delegation.core.reference import Reference
from delegation.core.states import Action
from delegation.handling import service
from delegation.handling.service import ActionInput, DraftInput
from delegation.reading.delegations import Listed, listed, load_authorized
from delegation.store.tables import DelegationRow, EventRow


def fingerprint(data: DraftInput) -> str:
    body = json.dumps(dataclasses.asdict(data), sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


async def create(
    session: AsyncSession,
    ref: Reference,
    actor: Actor,
    now: datetime,
    data: DraftInput,
    idempotency_key: str | None = None,
) -> tuple[DelegationRow, bool]:
    """A new draft, or the first result of a retried request with the same key. Returns (row, replayed)."""
    enforce(authorize(actor, Operation.CREATE_DRAFT), "Delegations", Operation.CREATE_DRAFT)
    digest = fingerprint(data)
    row, replayed = await service.create_draft_or_replay(
        session, ref, actor, now, data, idempotency_key, fingerprint=digest
    )
    if replayed:
        stmt = select(EventRow.data).where(EventRow.delegation_id == row.id, EventRow.action == "create")
        first = (await session.exec(stmt.order_by(col(EventRow.id)).limit(1))).first() or {}
        if first.get("fingerprint") not in (None, digest):
            raise ValidationFailed(
                [
                    FieldError(
                        "Idempotency-Key",
                        "该幂等键已用于内容不同的请求",
                        "This Idempotency-Key was already used for a different request.",
                    )
                ]
            )
    return row, replayed


async def _current(session: AsyncSession, ref: Reference, actor: Actor, now: datetime, ident: int) -> Listed | None:
    await session.rollback()
    row = await session.get(DelegationRow, ident, populate_existing=True)
    return None if row is None else await listed(session, ref, actor, now, row)


async def edit(
    session: AsyncSession,
    ref: Reference,
    actor: Actor,
    now: datetime,
    delegation_id: int,
    expected_version: int,
    data: DraftInput,
) -> DelegationRow:
    # Held in a variable: the session's identity map is weak, and the service looks the row up again.
    _row = await load_authorized(session, ref, actor, delegation_id, Operation.EDIT_DRAFT)
    try:
        return await service.update_draft(session, ref, actor, now, delegation_id, expected_version, data)
    except Conflict as exc:
        exc.context["current"] = await _current(session, ref, actor, now, delegation_id)
        raise


async def act(
    session: AsyncSession,
    ref: Reference,
    actor: Actor,
    now: datetime,
    delegation_id: int,
    action: Action,
    expected_version: int,
    data: ActionInput | None = None,
) -> DelegationRow:
    """One action of the state machine, if the actor's part allows it; 409 with the current state if the
    version is stale or the state does not allow it (any more)."""
    _row = await load_authorized(session, ref, actor, delegation_id, Operation.TRANSITION, action)  # kept: see edit()
    try:
        return await service.perform(session, ref, actor, now, delegation_id, action, expected_version, data)
    except (Conflict, TransitionNotAllowed) as exc:
        exc.context["current"] = await _current(session, ref, actor, now, delegation_id)
        raise
