"""Batch actions: a clerk signs for several matters, a command center 催办 several. Each matter is one normal
action through the service layer (perform, issue_notice), in its own transaction: done, or refused with the
reason and nothing of it written; one refusal never stops the others.

A batch names each matter with the version the user saw in the list (a matter changed meanwhile is refused
as stale, as a single action would be), at most MAX_BATCH at a time, each once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from delegation.core.access import Operation
from delegation.core.errors import DomainError, FieldError, NotFound, PermissionDenied, ValidationFailed
from delegation.core.states import Action
from delegation.handling.commands import SignFor
from delegation.handling.service import perform
from delegation.notices import service as notice_service
from delegation.reading.delegations import Listed, listed, load_authorized
from delegation.store.context import Context

MAX_BATCH = 100


@dataclass(frozen=True)
class Outcome:
    """One matter of a batch: done (its new version, or the notice issued), or refused with the reason."""

    delegation_id: int
    number: str  # empty when the matter is not one the user may see
    done: bool
    code: str = ""  # the refusal's problem code (validation_failed, conflict, ...)
    reason_zh: str = ""
    reason_en: str = ""
    version: int | None = None
    status: str | None = None
    notice_number: str | None = None
    errors: list[FieldError] = field(default_factory=list)


def chosen(ids: Iterable[int]) -> list[int]:
    """The matters of a batch, each once, in the order given; refused when none or too many."""
    picked = list(dict.fromkeys(ids))
    if not picked:
        raise ValidationFailed([FieldError("ids", "请先勾选要处理的事项", "Choose at least one matter.")])
    if len(picked) > MAX_BATCH:
        raise ValidationFailed(
            [FieldError("ids", f"一次最多处理{MAX_BATCH}件事项", f"At most {MAX_BATCH} matters at a time.")]
        )
    return picked


def refuse_repeats(
    ids: Sequence[int], field: Callable[[int], str], noun_zh: str = "委托事项", noun_en: str = "Matter"
) -> None:
    """A batch names each thing once: a repeat is refused, naming where it repeats (`field(position)`) and
    what, rather than dropped, which would answer for fewer than were given. The pages' forms go through
    `chosen` (a ticked row is sent once); the API, whose answer lists each one in the order given, refuses."""
    first: dict[int, int] = {}
    errors: list[FieldError] = []
    for position, ident in enumerate(ids):
        if ident not in first:
            first[ident] = position
            continue
        where = field(first[ident])
        errors.append(
            FieldError(
                field(position),
                f"{noun_zh}（id {ident}）重复：已在{where}列出，每项只能列一次",
                f"{noun_en} {ident} is listed more than once (first at {where}); list each once.",
            )
        )
    if errors:
        raise ValidationFailed(errors)


def _refused(ident: int, number: str, exc: DomainError) -> Outcome:
    errors = list(exc.errors) if isinstance(exc, ValidationFailed) else []
    zh = exc.title_zh + ("：" + "；".join(e.message_zh for e in errors) if errors else "")
    en = "; ".join(e.message_en for e in errors) if errors else exc.detail_en
    return Outcome(ident, number, False, exc.code, zh, en, errors=errors)


async def _number(ctx: Context, ident: int) -> str:
    """The platform number of a matter the user may see (NotFound otherwise, as for a single action)."""
    row = await load_authorized(ctx.session, ctx.ref, ctx.actor, ident, Operation.VIEW)
    return row.number


async def sign_for_many(
    ctx: Context, items: Sequence[tuple[int, int]], handler: str = "", comment: str = ""
) -> list[Outcome]:
    """签收 each (id, version), naming the same handler for all if one is given (签收 and assignment together:
    both or neither, per matter)."""
    versions = dict(items)
    outcomes: list[Outcome] = []
    for ident in chosen(i for i, _ in items):
        number = ""
        try:
            number = await _number(ctx, ident)
            row = await perform(ctx, ident, Action.SIGN_FOR, versions[ident], SignFor(comment, handler))
            outcomes.append(Outcome(ident, row.number, True, version=row.version, status=row.status))
        except DomainError as exc:
            await ctx.session.rollback()
            outcomes.append(_refused(ident, number, exc))
    return outcomes


async def urge_many(ctx: Context, ids: Sequence[int], comment: str = "") -> list[Outcome]:
    """催办 each matter (its city's command center, or the regional coordinator), as by hand one by one."""
    outcomes: list[Outcome] = []
    for ident in chosen(ids):
        number = ""
        try:
            number = await _number(ctx, ident)
            notice = await notice_service.issue_notice(ctx.session, ctx.ref, ctx.actor, ctx.now, ident, "urge", comment)
            outcomes.append(Outcome(ident, number, True, notice_number=notice.number))
        except DomainError as exc:
            await ctx.session.rollback()
            outcomes.append(_refused(ident, number, exc))
    return outcomes


async def selected(ctx: Context, ids: Sequence[int]) -> list[Listed]:
    """The chosen matters the user may see, as list items, in the order given (to export or print them; the
    others are left out, as a list would)."""
    items: list[Listed] = []
    for ident in chosen(ids):
        try:
            row = await load_authorized(ctx.session, ctx.ref, ctx.actor, ident, Operation.VIEW)
        except (NotFound, PermissionDenied):
            continue
        items.append(await listed(ctx.session, ctx.ref, ctx.actor, ctx.now, row))
    return items
