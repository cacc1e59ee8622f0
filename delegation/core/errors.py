"""Domain errors: one class per kind of failure, each with a stable machine code.

The HTTP edge maps these once to RFC 9457 problem details; the domain never knows about HTTP.
Every error carries a Chinese title (for clerks) and an English detail (for integrators).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FieldError:
    """One invalid input field: where it is, and what is wrong, in both languages."""

    field: str
    message_zh: str
    message_en: str


class DomainError(Exception):
    """Base of every error the domain raises on purpose."""

    code: str = "domain_error"
    title_zh: str = "操作无法完成"

    def __init__(self, detail_en: str, *, title_zh: str | None = None, **context: object) -> None:
        super().__init__(detail_en)
        self.detail_en = detail_en
        if title_zh is not None:
            self.title_zh = title_zh
        self.context = context


class ValidationFailed(DomainError):
    """Input that breaks a rule; lists every offending field at once."""

    code = "validation_failed"
    title_zh = "输入有误，请检查标出的字段"

    def __init__(self, errors: list[FieldError], detail_en: str | None = None) -> None:
        self.errors = errors
        summary = "; ".join(f"{e.field}: {e.message_en}" for e in errors)
        super().__init__(detail_en or f"Invalid input: {summary}")


class NotFound(DomainError):
    """The thing does not exist, or the caller may not know that it exists."""

    code = "not_found"
    title_zh = "未找到该记录"


class TransitionNotAllowed(DomainError):
    """The action is not possible in the current state for this actor; names what is possible."""

    code = "transition_not_allowed"
    title_zh = "当前状态下不能执行该操作"

    def __init__(self, detail_en: str, *, allowed: list[str], title_zh: str | None = None) -> None:
        self.allowed = allowed
        super().__init__(detail_en, title_zh=title_zh)


class PermissionDenied(DomainError):
    """The actor is known but has no right to do this."""

    code = "permission_denied"
    title_zh = "您无权执行该操作"


class Conflict(DomainError):
    """Someone else changed the record first (stale version), or a unique fact already exists."""

    code = "conflict"
    title_zh = "记录已被他人修改，请刷新后重试"
