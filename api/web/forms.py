"""Forms: inputs generated from the matter catalogue's field schema, and posted forms turned back into the
service layer's inputs (DraftInput; plain action values for handling.commands.decode).

Inputs are named by the path the service reports errors at (`case_number`, `fields.period_months`,
`fields.properties[1].address`, `parties[0].id_number`), so an error lands next to its field without any
mapping. A new matter type, field or list in the policy data needs no template change.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from starlette.datastructures import FormData, UploadFile

from delegation.catalogue.fields import LIST_KIND
from delegation.catalogue.policy import FieldSpec, MatterType, PartyPolicy
from delegation.core.errors import FieldError
from delegation.handling.service import DraftInput

_SEGMENT = re.compile(r"([a-z_][a-z0-9_]{0,63})((?:\[\d{1,3}\])*)")
_INDEX = re.compile(r"\[(\d{1,3})\]")
MAX_ROWS = 100
PARTY_FIXED = frozenset({"role", "party_type"})  # always filled in by the form's selects


@dataclass(frozen=True)
class Widget:
    """How a field kind is typed in: an <input type>, a <textarea> or a <select>, and its hints."""

    element: str  # input | textarea | select
    type: str = "text"
    inputmode: str | None = None
    autocomplete: str = "off"
    wide: bool = False
    spellcheck: bool = True


WIDGETS: dict[str, Widget] = {
    "text": Widget("input"),
    "long_text": Widget("textarea", wide=True),
    "choice": Widget("select"),
    "integer": Widget("input", "number", "numeric"),
    "decimal": Widget("input", "text", "decimal"),
    "amount": Widget("input", "text", "decimal"),
    "date": Widget("input", "date"),
    "plate": Widget("input", spellcheck=False),
    "vin": Widget("input", spellcheck=False),
    "uscc": Widget("input", spellcheck=False),
    "id_number": Widget("input", spellcheck=False),
    "phone": Widget("input", "tel", "tel"),
    "address": Widget("input", wide=True),
    "bank_account": Widget("input", "text", "numeric", spellcheck=False),
    "real_estate_cert": Widget("input", wide=True, spellcheck=False),
    "court_code": Widget("input", spellcheck=False),
    "case_number": Widget("input", spellcheck=False),
}


def widget(spec: FieldSpec) -> Widget:
    return WIDGETS.get(spec.kind, Widget("input"))


def is_list(spec: FieldSpec) -> bool:
    return spec.kind == LIST_KIND


def input_id(name: str) -> str:
    """An HTML id for an input name: fields.properties[0].address -> f-fields-properties-0-address."""
    return "f-" + re.sub(r"[^A-Za-z0-9_]+", "-", name).strip("-")


# ---------------------------------------------------------------- posted forms -> nested values


def parse_path(key: str) -> list[str | int] | None:
    """fields.properties[1].address -> ['fields', 'properties', 1, 'address']; None if it is no such path."""
    parts: list[str | int] = []
    for segment in key.split("."):
        found = _SEGMENT.fullmatch(segment)
        if found is None:
            return None
        parts.append(found[1])
        for index in _INDEX.findall(found[2]):
            if int(index) >= MAX_ROWS:
                return None
            parts.append(int(index))
    return parts


def _listify(node: Any) -> Any:
    if isinstance(node, dict):
        if node and all(isinstance(k, int) for k in node):
            return [_listify(node[k]) for k in sorted(node)]
        return {k: _listify(v) for k, v in node.items()}
    return node


def nest(items: Iterable[tuple[str, object]]) -> dict[str, Any]:
    """Flat form keys (paths) and text values -> nested dicts and lists. Files and odd keys are skipped."""
    root: dict[Any, Any] = {}
    for key, value in items:
        if not isinstance(value, str):
            continue
        path = parse_path(key)
        if path is None:
            continue
        node = root
        for part in path[:-1]:
            child = node.get(part)
            if not isinstance(child, dict):
                child = {}
                node[part] = child
            node = child
        node[path[-1]] = value.strip() if "\n" not in value else value.replace("\r\n", "\n").strip()
    result = _listify(root)
    return result if isinstance(result, dict) else {}


def _blank(value: object) -> bool:
    if isinstance(value, dict):
        return all(_blank(v) for v in value.values())
    if isinstance(value, list):
        return all(_blank(v) for v in value)
    return value is None or (isinstance(value, str) and not value.strip())


def _without_blank_rows(values: Mapping[str, Any], specs: Iterable[FieldSpec]) -> dict[str, Any]:
    out = dict(values)
    for spec in specs:
        rows = out.get(spec.name)
        if is_list(spec) and isinstance(rows, list):
            out[spec.name] = [row for row in rows if not _blank(row)]
    return out


def _clean_party(party: object) -> dict[str, Any] | None:
    if not isinstance(party, dict):
        return None
    filled = {k: v for k, v in party.items() if k not in PARTY_FIXED}
    if _blank(filled):
        return None
    return {k: v for k, v in party.items() if not (isinstance(v, str) and not v.strip())}


@dataclass(frozen=True)
class DraftForm:
    """A posted new-delegation form: the service's input, and the values to show again on an error."""

    values: dict[str, Any]
    draft: DraftInput


def draft_from_form(form: FormData, matter: MatterType) -> DraftForm:
    values = nest(form.multi_items())
    fields = values.get("fields") if isinstance(values.get("fields"), dict) else {}
    assert isinstance(fields, dict)
    fields = _without_blank_rows(fields, matter.fields)
    fields = {k: v for k, v in fields.items() if not _blank(v)}
    raw_parties = values.get("parties") if isinstance(values.get("parties"), list) else []
    assert isinstance(raw_parties, list)
    parties = [p for p in (_clean_party(p) for p in raw_parties) if p is not None]
    draft = DraftInput(
        case_number=str(values.get("case_number") or ""),
        assisting_court=str(values.get("assisting_court") or ""),
        matter_type=matter.code,
        summary=str(values.get("summary") or ""),
        fields=fields,
        parties=parties,
    )
    shown = dict(values)
    shown["fields"] = values.get("fields") if isinstance(values.get("fields"), dict) else {}
    shown["parties"] = raw_parties
    return DraftForm(shown, draft)


def initial_parties(policy: PartyPolicy) -> list[dict[str, Any]]:
    """One empty row per party role the policy requires (applicant, debtor)."""
    first_type = next((f.choices[0].value for f in policy.fields if f.name == "party_type" and f.choices), "")
    rows = []
    for role in policy.roles:
        for _ in range(max(1, role.min_count)):
            rows.append({"role": role.code, "party_type": first_type})
    return rows


def list_rows(spec: FieldSpec, value: object) -> list[dict[str, Any]]:
    """The rows to show for a list field: what was entered, or as many empty rows as it needs (at least 1)."""
    rows = [r for r in value if isinstance(r, dict)] if isinstance(value, list) else []
    minimum = max(1, spec.min_items or 0)
    while len(rows) < minimum:
        rows.append({})
    return rows


def uploads(form: FormData, prefix: str = "document.") -> list[tuple[str, UploadFile]]:
    """(document kind, file) for every non-empty file input named document.<kind>."""
    out: list[tuple[str, UploadFile]] = []
    for key, value in form.multi_items():
        if key.startswith(prefix) and isinstance(value, UploadFile) and value.filename:
            out.append((key[len(prefix) :], value))
    return out


# ---------------------------------------------------------------- action forms -> plain values for commands.decode


def _int(value: object, field: str, errors: list[FieldError]) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        return int(str(value).strip())
    except ValueError:
        errors.append(FieldError(field, "应为整数", "Must be a whole number"))
        return None


def _date(value: object, field: str, errors: list[FieldError]) -> date | None:
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        errors.append(FieldError(field, "日期格式应为2026-03-20", "A date like 2026-03-20"))
        return None


def action_from_form(form: FormData) -> tuple[dict[str, Any], list[FieldError], dict[str, Any]]:
    """The action's plain values (for commands.decode), problems with the form itself (not numbers, not
    dates), and the values to show."""
    values = nest(form.multi_items())
    errors: list[FieldError] = []
    rows = values.get("results") if isinstance(values.get("results"), list) else []
    assert isinstance(rows, list)
    results = [
        {
            "asset": str(r.get("asset", "")),
            "outcome": str(r.get("outcome", "")),
            "note": str(r.get("note", "")),
            "served_on": _date(r.get("served_on"), "results", errors),
            "service_method": str(r.get("service_method", "")),
            "signed_by": str(r.get("signed_by", "")),
        }
        for r in rows
        if isinstance(r, dict) and not _blank({k: v for k, v in r.items() if k not in ("outcome", "service_method")})
    ]

    def text(name: str) -> str | None:
        value = values.get(name)
        return value if isinstance(value, str) and value else None

    data = {
        "comment": text("comment") or "",
        "reason_code": text("reason_code"),
        "handler": text("handler") or "",
        "first_step": text("first_step") or "",
        "phone": text("phone") or "",
        "scheduled_date": _date(values.get("scheduled_date"), "scheduled_date", errors),
        "results": results,
        "days": _int(values.get("days"), "days", errors),
        "extension_id": _int(values.get("extension_id"), "extension_id", errors),
        "new_court": text("new_court") or "",
        # a return's checkboxes: what the requesting court is to correct (several inputs of one name)
        "flagged": [v for v in form.getlist("flagged") if isinstance(v, str)][:50],
    }
    values["flagged"] = data["flagged"]
    return data, errors, values


def version_of(form: FormData) -> int | None:
    value = form.get("version")
    if isinstance(value, str) and value.isdigit() and len(value) < 10:
        return int(value)
    return None


def errors_by_field(errors: Iterable[FieldError]) -> dict[str, list[FieldError]]:
    out: dict[str, list[FieldError]] = {}
    for e in errors:
        out.setdefault(e.field, []).append(e)
    return out


def correction_changes(
    form: FormData, inputs: Iterable[tuple[str, FieldSpec | None, object]]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """A correction form's new values of the flagged inputs (path -> value, for the resubmission's
    `changes`), and the values to show again (nested, and each flagged path as sent). Personal data is not
    shown in the form, so a blank there means "unchanged"."""
    values = nest(form.multi_items())
    changes: dict[str, Any] = {}
    for path, spec, _current in inputs:
        if spec is not None and is_list(spec):
            posted_rows = (values.get("fields") or {}).get(spec.name)
            changes[path] = [r for r in (posted_rows if isinstance(posted_rows, list) else []) if not _blank(r)]
            continue
        raw = form.get(path)
        posted = raw.strip() if isinstance(raw, str) else ""
        values[path] = posted
        if spec is not None and spec.is_pii and not posted:
            continue
        changes[path] = posted
    return changes, values


# ---------------------------------------------------------------- where the filing form shows an error

FILING_INPUTS = ("case_number", "assisting_court", "place", "summary")
FILING_SECTIONS = ("fields", "parties", "documents")


def filing_anchors(matter: MatterType, parties: PartyPolicy, values: Mapping[str, Any]) -> set[str]:
    """Every place of the filing form an error can be shown at: its inputs, the rows of list fields and of
    parties (an error about a whole row, such as a party's role), the lists and the three sections."""
    anchors = {*FILING_INPUTS, *FILING_SECTIONS, "document.other"}
    anchors |= {f"document.{kind}" for kind in matter.required_documents}
    entered = values.get("fields") or {}
    for spec in matter.fields:
        name = f"fields.{spec.name}"
        anchors.add(name)
        if is_list(spec):
            for i, _row in enumerate(list_rows(spec, entered.get(spec.name))):
                anchors.add(f"{name}[{i}]")
                anchors |= {f"{name}[{i}].{sub.name}" for sub in spec.item_fields or ()}
    for i, _party in enumerate(values.get("parties") or []):
        anchors.add(f"parties[{i}]")
        anchors |= {f"parties[{i}].{f.name}" for f in parties.fields}
    return anchors


def anchor_of(path: str, anchors: set[str]) -> str:
    """The closest place that shows an error at `path`: the path itself, else the row, list or section it
    is in (parties[1].role -> parties[1]; fields.foo -> fields), else "" (only the summary lists it)."""
    while path and path not in anchors:
        if path.endswith("]"):
            path = path[: path.rindex("[")]
        elif "." in path:
            path = path.rsplit(".", 1)[0]
        else:
            path = ""
    return path


def place_errors(errors: Iterable[FieldError], anchors: set[str]) -> dict[str, list[FieldError]]:
    """The errors by the place that shows them (see anchor_of)."""
    out: dict[str, list[FieldError]] = {}
    for e in errors:
        out.setdefault(anchor_of(e.field, anchors), []).append(e)
    return out
