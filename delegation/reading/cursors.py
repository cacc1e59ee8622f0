"""Keyset cursors on (an instant, an id), for lists ordered by a time and broken by id (the notices, newest
first; the supervision drafts, oldest first): a tag letter, the instant in microseconds since 1970 (UTC) and
the id, e.g. ``n1773108000000000.17``.

Plain text, so that one pattern states exactly the strings `decode` reads (`pattern`): every string the
pattern admits is a cursor the server reads, and every cursor the server hands out matches it (instants from
1970 to 2286, ids up to 2**31 - 1, the largest a row id or a database integer takes).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MAX_ID = 2**31 - 1
_MICROS = "0|[1-9][0-9]{0,15}"  # up to 9999999999999999 µs: the year 2286


def _not_above(limit: int) -> str:
    """A regular expression of the decimal numbers 0..limit, without leading zeros."""
    digits = str(limit)
    parts = ["0"]
    if len(digits) > 1:  # the shorter numbers
        parts.append(f"[1-9][0-9]{{0,{len(digits) - 2}}}")
    for i, d in enumerate(digits):
        low = 1 if i == 0 else 0
        if int(d) > low:
            rest = len(digits) - i - 1
            tail = f"[0-9]{{{rest}}}" if rest else ""
            parts.append(f"{digits[:i]}[{low}-{int(d) - 1}]{tail}")
    parts.append(digits)
    return "|".join(parts)


_ID = _not_above(MAX_ID)


def pattern(tags: str) -> str:
    """The strings `decode(tags, ...)` reads: one of the tag letters, the microseconds, a dot, the id."""
    return f"^[{tags}](?:{_MICROS})\\.(?:{_ID})$"


def encode(tag: str, at: datetime, ident: int) -> str:
    micros = (at - EPOCH) // timedelta(microseconds=1)
    return f"{tag}{micros}.{ident}"


def decode(tags: str, cursor: str) -> tuple[str, datetime, int]:
    """The tag, instant and id of a cursor; ValueError when it is none (a tag not in `tags`, other text)."""
    tag, micros, dot, ident = cursor[:1], *cursor[1:].partition(".")
    if not tag or tag not in tags or not dot or not micros.isascii() or not ident.isascii():
        raise ValueError(cursor)
    if not micros.isdigit() or not ident.isdigit() or len(micros) > 16 or int(ident) > MAX_ID:
        raise ValueError(cursor)
    return tag, EPOCH + timedelta(microseconds=int(micros)), int(ident)
