"""Notification texts, rendered from the Jinja2 templates in templates/notifications/.

Plain text (notices are official documents, e-mail bodies and inbox entries); rendering is pure once the
templates are loaded, and the loaded templates are cached for the life of the process.

Many texts of one kind differ only in a few values the template inserts as they are (a matter's number, a
notice's number): `pattern` renders such a text once with those values left as holes and `fill` puts each
text's own values in, the same text as `render` for a fraction of the cost (the sweep issues thousands).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, Template

import templates

TEMPLATE_DIR = templates.PATH / "notifications"  # package data: the same in a checkout and in a wheel


@cache
def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(str(TEMPLATE_DIR)),
        autoescape=False,  # noqa: S701  (plain text, never HTML)
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )


@cache
def _template(name: str) -> Template:
    return _environment().get_template(f"{name}.txt.j2")


def render(name: str, **context: Any) -> str:
    """The text of templates/notifications/<name>.txt.j2 with `context`; a missing variable is an error."""
    return _template(name).render(**context).strip() + "\n"


Pattern = tuple[str | int, ...]  # literal pieces, and the number of the hole between them
_HOLE = "\x00{}\x00"  # never part of a text: NUL
_HOLES = re.compile("\x00(\\d+)\x00")


def pattern(name: str, context: Mapping[str, Any], holes: Sequence[str]) -> Pattern:
    """The text of `name` with the context variables named in `holes` left open, in that order. Only for
    variables the template inserts as they are ({{ name }}: no filter, no test of the value), each non-empty:
    an empty value changes what `render` strips, so it belongs in the context, not in a hole."""
    marked = {**context, **{name: _HOLE.format(i) for i, name in enumerate(holes)}}
    pieces = _HOLES.split(_template(name).render(**marked))
    return tuple(int(piece) if i % 2 else piece for i, piece in enumerate(pieces))


def fill(text: Pattern, values: Sequence[str]) -> str:
    """The text with its holes filled with `values` (in the order of `pattern`'s holes): what `render` gives."""
    return "".join(piece if isinstance(piece, str) else values[piece] for piece in text).strip() + "\n"
