"""Notification texts, rendered from the Jinja2 templates in templates/notifications/.

Plain text (notices are official documents, e-mail bodies and inbox entries); rendering is pure once the
templates are loaded, and the loaded templates are cached for the life of the process.
"""

from __future__ import annotations

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
