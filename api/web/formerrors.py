"""Where the errors of a refused form on a delegation's page are shown, and the ids that tie them together.

Each error goes next to the input it is about (which then carries `aria-invalid` and `aria-describedby`
naming the error's id); an error about no input of the form (a stale version, a missing document, an
asset row) goes to the top of its form. The error summary at the top of the page lists them all, each
linking to where it is shown, and takes the focus when the page loads.

A form is named by what it does: an action of the state machine (`assign_handler`), `upload`, `message`,
`notice`, or `reveal:<path>`. Its inputs are named by the path the service reports errors at.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from api.web.views import FormState
from delegation.core.errors import FieldError

# The inputs of each form (templates/partials/actions.html, templates/pages/delegation.html).
FORM_INPUTS: dict[str, tuple[str, ...]] = {
    "return_for_correction": ("reason_code", "comment"),
    "decline": ("comment",),
    "redirect": ("new_court", "comment"),
    "sign_for": ("handler",),
    "assign_handler": ("handler", "phone", "first_step", "comment"),
    "report_progress": ("comment",),
    "schedule": ("scheduled_date",),
    "complete": ("document.receipt", "comment"),
    "request_extension": ("days", "comment"),
    "approve_extension": ("days", "comment"),
    "refuse_extension": ("comment",),
    "request_rework": ("comment",),
    "withdraw": ("comment",),
    "upload": ("kind", "file"),
    "message": ("text",),
    "notice": ("comment", "confirm_repeat"),
    "reveal": ("reason",),
    "network": (),
}
# Errors reported at another name than the input they are about.
SHOWN_AT: dict[tuple[str, str], str] = {
    ("complete", "documents"): "document.receipt",
    ("complete", "file"): "document.receipt",
}
PREFIX = {"upload": "up", "message": "msg", "notice": "n", "resubmit": "f", "network": "net"}
# The correction form's inputs are the flagged ones (named as the filing form names them, with its ids).
CORRECTION_INPUTS = ("case_number", "summary", "fields.", "parties[", "document.", "comment")


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]+", "-", name).strip("-")


def _prefix(form: str) -> str:
    if form.startswith("reveal:"):
        return "rv-" + _slug(form.removeprefix("reveal:"))
    return PREFIX.get(form, "a-" + form)


def input_id(form: str, name: str) -> str:
    """The id of the input `name` of `form`: a-assign_handler-handler, up-file, rv-parties-1-id_number-reason."""
    return f"{_prefix(form)}-{_slug(name)}"


def form_id(form: str) -> str:
    """The id of the block at the top of `form` that shows its errors about no input."""
    return f"{_prefix(form)}-form"


def place(form: str, field: str) -> str:
    """The input of `form` an error at `field` is shown next to, or "" for the top of the form."""
    kind = "reveal" if form.startswith("reveal:") else form
    if kind == "resubmit":
        return field if field.startswith(CORRECTION_INPUTS) else ""
    name = SHOWN_AT.get((kind, field), field)
    return name if name in FORM_INPUTS.get(kind, ()) else ""


def _all(state: FormState) -> list[FieldError]:
    return [e for errors in state.errors.values() for e in errors]


def field_errors(state: FormState, form: str, name: str) -> list[FieldError]:
    """The errors shown next to the input `name` of `form` (none unless `form` is the one that was sent)."""
    if state.action != form:
        return []
    return [e for e in _all(state) if place(form, e.field) == name]


def form_errors(state: FormState, form: str) -> list[FieldError]:
    """The errors shown at the top of `form`."""
    return field_errors(state, form, "")


def summary(state: FormState, shown_forms: Iterable[str]) -> list[tuple[str, FieldError]]:
    """(the id of where it is shown, or "" when the form is not on the page, error) for the error summary."""
    form = state.action
    if not form or form not in set(shown_forms):
        return [("", e) for e in _all(state)]
    out: list[tuple[str, FieldError]] = []
    for e in _all(state):
        name = place(form, e.field)
        out.append((input_id(form, name) if name else form_id(form), e))
    return out
