"""Notification texts, rendered from the Jinja2 templates in templates/notifications/.

Plain text (notices are official documents, e-mail bodies and inbox entries); rendering is pure once the
templates are loaded, and the loaded templates are cached for the life of the process.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, Template

TEMPLATE_DIR = Path(__file__).resolve().parents[2] / "templates" / "notifications"


@cache
def _environment() -> Environment:
    # The project folder's templates (an editable install or a checkout), else the working directory's
    # (a worker whose deployment pull step moved into the checkout).
    folders = [TEMPLATE_DIR, Path.cwd() / "templates" / "notifications"]
    return Environment(
        loader=FileSystemLoader([str(f) for f in folders if f.is_dir()] or [str(TEMPLATE_DIR)]),
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
