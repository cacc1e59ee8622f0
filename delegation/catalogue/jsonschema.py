"""The matter catalogue as JSON Schema (draft 2020-12): one schema per matter type for its `fields`, one for a
party, generated from the policy version's field specifications so that court systems can check a filing
before they send it with any JSON Schema validator.

The schema states what the specifications state (types, required fields, choices, lengths, ranges, list
sizes, at-least-one-of groups, no unknown fields). The server checks more than a schema can say (an ID
number's check digit, a plate's format, a plausible address) and normalises what it accepts (a choice's
Chinese label, a date written 2026年3月2日): a value valid here can still be refused with a 422 that names it,
a value refused here is never accepted.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from delegation.catalogue.fields import FIELD_KINDS, LIST_KIND
from delegation.catalogue.specs import FieldSpec, OneOf, PartyPolicy

DIALECT = "https://json-schema.org/draft/2020-12/schema"
# Longest text each kind takes when its specification sets none (delegation.catalogue.fields).
DEFAULT_MAX_LENGTH = {"text": 200, "long_text": 4000, "address": 200}
NUMERIC_TEXT = r"^\s*[+-]?\d+(\.\d+)?\s*$"


def field_schema(spec: FieldSpec) -> dict[str, Any]:
    """The JSON Schema of one field's value."""
    about: dict[str, Any] = {"title": spec.label_zh, "description": _description(spec)}
    kind = spec.kind
    if kind == LIST_KIND:
        about |= {"type": "array", "items": object_schema(spec.item_fields or (), spec.item_require_one_of)}
        if spec.min_items is not None:
            about["minItems"] = spec.min_items
        if spec.max_items is not None:
            about["maxItems"] = spec.max_items
        return about
    if kind == "choice":
        values = [c.value for c in spec.choices or ()] + [c.label_zh for c in spec.choices or ()]
        return about | {"type": "string", "enum": list(dict.fromkeys(values))}
    if kind == "integer":
        about["type"] = "integer"
        _range(about, spec)
        return about
    if kind in ("decimal", "amount"):
        about["anyOf"] = [{"type": "number"}, {"type": "string", "pattern": NUMERIC_TEXT}]
        _range(about, spec)
        if kind == "amount":
            about.setdefault("exclusiveMinimum", 0)
        return about
    if kind == "date":
        return about | {"type": "string", "format": "date"}
    about |= {"type": "string", "minLength": 1}
    limit = spec.max_length or DEFAULT_MAX_LENGTH.get(kind)
    if limit is not None:
        about["maxLength"] = limit
    return about


def object_schema(fields: Sequence[FieldSpec], require_one_of: OneOf = ()) -> dict[str, Any]:
    """An object of these fields: the required ones present, at least one of each group, nothing else."""
    schema: dict[str, Any] = {
        "type": "object",
        "properties": {f.name: field_schema(f) for f in fields},
        "additionalProperties": False,
    }
    required = [f.name for f in fields if f.required]
    if required:
        schema["required"] = required
    if require_one_of:
        schema["allOf"] = [{"anyOf": [{"required": [name]} for name in group]} for group in require_one_of]
    return schema


def document(schema_id: str, title: str, body: dict[str, Any]) -> dict[str, Any]:
    return {"$schema": DIALECT, "$id": schema_id, "title": title, **body}


def _range(about: dict[str, Any], spec: FieldSpec) -> None:
    if spec.min_value is not None:
        about["minimum"] = _number(spec.min_value)
    if spec.max_value is not None:
        about["maximum"] = _number(spec.max_value)


def _number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral() else float(value)


def _description(spec: FieldSpec) -> str:
    kind = FIELD_KINDS[spec.kind].label_en if spec.kind in FIELD_KINDS else "List"
    parts = [spec.label_en, f"({kind}{', personal data' if spec.is_pii else ''})"]
    if spec.help_en:
        parts.append(spec.help_en)
    return " ".join(parts)


def party_schema(parties: PartyPolicy) -> dict[str, Any]:
    """One party: its role (code or Chinese name) and the party fields."""
    schema = object_schema(parties.fields, parties.require_one_of)
    roles = [r.code for r in parties.roles] + [r.name_zh for r in parties.roles]
    role = {"title": "当事人角色", "description": "The party's role", "type": "string", "enum": roles}
    schema["properties"] = {"role": role, **schema["properties"]}
    schema["required"] = ["role", *schema.get("required", [])]
    return schema


def parties_schema(parties: PartyPolicy) -> dict[str, Any]:
    """The list of a matter's parties, with at least the number each role needs."""
    schema: dict[str, Any] = {"type": "array", "items": party_schema(parties)}
    needed = [
        {
            "contains": {"properties": {"role": {"enum": [r.code, r.name_zh]}}, "required": ["role"]},
            "minContains": r.min_count,
        }
        for r in parties.roles
        if r.min_count > 0
    ]
    if needed:
        schema["allOf"] = needed
    return schema
