"""Messages between the two courts of a delegation: plain text, kept as events so they sit in the timeline."""

from __future__ import annotations

import unicodedata
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from delegation.core.access import Actor, Operation
from delegation.core.errors import FieldError, PermissionDenied, ValidationFailed
from delegation.core.reference import Reference
from delegation.core.states import Status
from delegation.outbox import service as outbox_service
from delegation.outbox.intents import message_intent
from delegation.reading.delegations import load_authorized, roles_label
from delegation.store.tables import EventRow

MAX_MESSAGE = 4000


def plain_text(text: str, *, field: str, max_length: int, multiline: bool = True) -> str:
    """Normalised plain text: newlines unified, no control, format or unpaired-surrogate characters."""
    cleaned = text.replace("\r\n", "\n").replace("\r", "\n").strip()
    for ch in cleaned:
        category = unicodedata.category(ch)
        if (category in ("Cc", "Cs") and not (multiline and ch in "\n\t")) or ch in "\u2028\u2029":
            raise ValidationFailed([FieldError(field, "含有不可见的控制字符", "Contains control characters.")])
    if not 0 < len(cleaned) <= max_length:
        raise ValidationFailed(
            [FieldError(field, f"内容不能为空，最多{max_length}字", f"Must be 1 to {max_length} characters.")]
        )
    return cleaned


async def post_message(
    session: AsyncSession, ref: Reference, actor: Actor, now: datetime, delegation_id: int, text: str
) -> EventRow:
    """A message from one court of the matter to the other; stored as given (escaping is the edge's job)."""
    row = await load_authorized(session, ref, actor, delegation_id, Operation.SEND_MESSAGE)
    body = plain_text(text, field="text", max_length=MAX_MESSAGE)
    if row.status == Status.DRAFT:
        raise PermissionDenied(
            "A draft has no counterpart yet; submit it before writing to the assisting court.",
            title_zh="草稿尚未提交，不能发送消息",
        )
    to_court = row.assisting_court if actor.court_code == row.requesting_court else row.requesting_court
    assert row.id is not None
    event = EventRow(
        delegation_id=row.id,
        kind="message",
        action="message",
        from_status=row.status,
        to_status=row.status,
        actor=actor.username,
        actor_court=actor.court_code,
        actor_role=roles_label(actor, row, ref)[:32],
        at=now,
        comment=body,
        data={"to_court": to_court},
    )
    session.add(event)
    intent = message_intent(
        ref,
        delegation_id=row.id,
        number=row.number,
        case_number=row.case_number,
        requesting_court=row.requesting_court,
        assisting_court=row.assisting_court,
        actor_court=actor.court_code,
        at=now,
        text=body,
    )
    outbox_service.enqueue(session, intent, now)  # the other court's inbox, with the message
    await session.commit()
    return event
