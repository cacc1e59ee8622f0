"""补正: what an assisting court may flag when it returns a matter for correction, and what the requesting
court's resubmission may change (only what was flagged), checked as filing checks it. Pure.

Paths name what is flagged, as the filing form and the API name inputs: `case_number`, `summary`,
`fields.<name>` (a whole matter field, a list field with all its rows), `parties[i].<name>` (one value
of one party) and `document.<kind>` (a document to add; nothing to change).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from delegation.catalogue.casenumber import CourtLookup, check_requester_owns, parse_case_number
from delegation.catalogue.fields import DOCUMENT_KINDS
from delegation.catalogue.policy import MatterType, PolicyVersion, validate_matter_fields, validate_parties
from delegation.core.errors import FieldError, ValidationFailed

_PARTY = re.compile(r"^parties\[(\d{1,2})\]\.([a-z_][a-z0-9_]{0,63})$")
MAX_FLAGGED = 50


def flaggable(policy: PolicyVersion, matter: MatterType, party_count: int) -> list[str]:
    """Every path a return may flag on a matter of this type with this many parties, in form order."""
    paths = ["case_number", "summary", *(f"fields.{spec.name}" for spec in matter.fields)]
    party_fields = [f.name for f in policy.party_fields.fields]
    paths += [f"parties[{i}].{name}" for i in range(party_count) for name in party_fields]
    return paths + [f"document.{kind}" for kind in DOCUMENT_KINDS]


def check_flagged(paths: Iterable[str], allowed: Iterable[str]) -> list[str]:
    """The flagged paths, in order and once each; ValidationFailed names any this matter does not have."""
    known = set(allowed)
    chosen = list(dict.fromkeys(paths))
    unknown = [p for p in chosen if p not in known]
    if unknown or len(chosen) > MAX_FLAGGED:
        raise ValidationFailed(
            [FieldError("flagged", "标注的补正事项无效：" + "、".join(unknown[:5]), f"Unknown paths: {unknown[:5]}")]
        )
    return chosen


def editable(flagged: Iterable[str]) -> list[str]:
    """The flagged paths that are values to change (not documents to add)."""
    return [p for p in flagged if not p.startswith("document.")]


@dataclass(frozen=True)
class Corrected:
    """The columns a resubmission changes (only those changed) and the paths changed."""

    columns: dict[str, Any]
    changed: list[str]


def _set_party(parties: list[dict[str, Any]], path: str, value: Any) -> None:
    found = _PARTY.match(path)
    assert found is not None
    index, name = int(found[1]), found[2]
    if index >= len(parties):
        raise ValidationFailed([FieldError(path, "没有该当事人", "No such party.")])
    if value is None or value == "":
        parties[index].pop(name, None)
    else:
        parties[index][name] = value


def apply(
    policy: PolicyVersion,
    matter: MatterType,
    current: Mapping[str, Any],
    flagged: Iterable[str],
    changes: Mapping[str, Any],
    *,
    requesting_court: str,
    courts: CourtLookup,
    today: date,
) -> Corrected:
    """The matter with `changes` applied, each checked: only flagged values may change, and what changes is
    validated as at filing (the whole matter field, the whole party). `current` holds the row's
    case_number, summary, fields and parties."""
    allowed = set(editable(flagged))
    errors = [
        FieldError(path, "该项未被受托法院标注为需补正，不能修改", "Only the fields flagged for correction may change.")
        for path in changes
        if path not in allowed
    ]
    if errors:
        raise ValidationFailed(errors)
    fields: dict[str, Any] = copy.deepcopy(dict(current["fields"]))
    parties: list[dict[str, Any]] = copy.deepcopy([dict(p) for p in current["parties"]])
    columns: dict[str, Any] = {}
    changed: list[str] = []
    for path, value in changes.items():
        if path == "case_number":
            text = value if isinstance(value, str) else ""
            try:
                number = parse_case_number(text, courts=courts, max_year=today.year)
                check_requester_owns(number, requesting_court, courts=courts)
            except ValidationFailed as exc:
                errors.extend(exc.errors)
                continue
            if number.canonical != current["case_number"]:
                columns["case_number"], changed = number.canonical, [*changed, path]
        elif path == "summary":
            text = value.strip() if isinstance(value, str) else ""
            if len(text) > 2000:
                errors.append(FieldError(path, "事项说明过长（最多2000字）", "Summary too long (max 2000)."))
            elif text != current["summary"]:
                columns["summary"], changed = text, [*changed, path]
        elif path.startswith("fields."):
            name = path.removeprefix("fields.")
            if value is None or value == "" or value == []:
                fields.pop(name, None)
            else:
                fields[name] = value
        else:
            _set_party(parties, path, value)
    field_paths = [p for p in changes if p.startswith("fields.")]
    party_paths = [p for p in changes if p.startswith("parties[")]
    if field_paths:
        try:
            normalized = validate_matter_fields(matter, fields, courts=courts)
            errors.extend(policy.past_scheduled_date(matter, normalized, today))
            if normalized != current["fields"]:
                columns["fields"], changed = normalized, [*changed, *field_paths]
        except ValidationFailed as exc:
            errors.extend(
                e if e.field == "fields" else FieldError(f"fields.{e.field}", e.message_zh, e.message_en)
                for e in exc.errors
            )
    if party_paths:
        try:
            normalized_parties = validate_parties(policy, parties, courts=courts)
            if normalized_parties != list(current["parties"]):
                columns["parties"], changed = normalized_parties, [*changed, *party_paths]
        except ValidationFailed as exc:
            errors.extend(exc.errors)
    if errors:
        raise ValidationFailed(errors)
    return Corrected(columns, changed)
