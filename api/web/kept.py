"""Scans a filing form keeps while it goes back and forth (errors, adding a row, suggesting the court): each
checked file is put in the document store at once (documents.stage) and the form carries a signed note of
it, so the officer never chooses the same file twice. The note is signed with the secret key and bound to
the user, so nobody can attach a file they did not send; it expires after a day."""

from __future__ import annotations

import dataclasses
from typing import Any

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.datastructures import FormData

from delegation.filing.documents import Staged
from jiaodong.settings import Settings

SALT = "jiaodong-kept-document"
MAX_AGE_SECONDS = 24 * 3600
PREFIX = "kept."  # kept.<kind>: the signed note of the scan kept for that kind


def _serializer(settings: Settings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings.secret_key, salt=SALT)


def sign(settings: Settings, username: str, staged: Staged) -> str:
    return str(_serializer(settings).dumps({"user": username, **dataclasses.asdict(staged)}))


def unsign(settings: Settings, username: str, note: str) -> Staged | None:
    """The staged scan a note describes, if it is genuine, fresh and this user's; else None."""
    try:
        data: Any = _serializer(settings).loads(note, max_age=MAX_AGE_SECONDS)
    except BadSignature:
        return None
    if not isinstance(data, dict) or data.pop("user", None) != username:
        return None
    try:
        return Staged(**data)
    except TypeError:
        return None


def from_form(settings: Settings, username: str, form: FormData) -> dict[str, Staged]:
    """The kept scans a posted form carries, by document kind (the note's own kind must match its input)."""
    out: dict[str, Staged] = {}
    for key, value in form.multi_items():
        if key.startswith(PREFIX) and isinstance(value, str) and len(value) < 4000:
            staged = unsign(settings, username, value)
            if staged is not None and staged.kind == key[len(PREFIX) :]:
                out[staged.kind] = staged
    return out
