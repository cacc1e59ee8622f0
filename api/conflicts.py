"""A refused change answered with the delegation's current state: the API reads that state itself after
the domain refused (the domain's errors carry no read model)."""

from __future__ import annotations

from delegation.core.errors import DomainError
from delegation.reading.delegations import Listed, current_state
from delegation.store.context import Context


class StateChanged(DomainError):
    """The domain's 409 (stale version, or an action the state no longer allows) and the state now."""

    def __init__(self, error: DomainError, current: Listed | None) -> None:
        super().__init__(error.detail_en, title_zh=error.title_zh, **error.context)
        self.code = error.code
        self.allowed: list[str] | None = getattr(error, "allowed", None)
        self.current = current


async def state_changed(ctx: Context, delegation_id: int, error: DomainError) -> StateChanged:
    return StateChanged(error, await current_state(ctx, delegation_id))
