"""Search keys: a matter is found by an identifier it carries (resident ID number, USCC, plate, VIN) only by
an exact match on the normalised value. The delegation keeps a digest of each such value (never the value
itself) in `delegation.search_keys`, one token per value: "<kind>:<digest>", space-separated with a space at
both ends, so that a lookup is `search_keys LIKE '% <token> %'`.

The search box recognises a typed identifier with the same normalizers as the filing form; a search by ID
number or USCC is logged like a reveal (who, when, the value's masked form and digest, which matters matched).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from delegation.catalogue.fields import LIST_KIND, mask_value
from delegation.catalogue.identifiers import (
    FieldProblem,
    normalize_id_number,
    normalize_plate,
    normalize_uscc,
    normalize_vin,
)
from delegation.catalogue.specs import FieldSpec

# Tried in this order on what was typed; each kind's normalizer is the filing form's own.
NORMALIZERS: dict[str, Callable[[object], str]] = {
    "id_number": normalize_id_number,
    "uscc": normalize_uscc,
    "vin": normalize_vin,
    "plate": normalize_plate,
}
LOGGED_KINDS = frozenset({"id_number", "uscc"})  # personal or registry identifiers: searching them is logged
MAX_LENGTH = 2000  # the column's width; a matter with more values than fit keeps the first ones


def search_key(kind: str, canonical: str) -> str:
    digest = hashlib.sha256(f"jiaodong-search:{kind}:{canonical}".encode()).hexdigest()[:32]
    return f"{kind}:{digest}"


@dataclass(frozen=True)
class Identifier:
    """A value typed in the search box that normalises as an identifier of `kind`."""

    kind: str
    canonical: str

    @property
    def key(self) -> str:
        return search_key(self.kind, self.canonical)

    @property
    def masked(self) -> str:
        return mask_value(self.kind, self.canonical)

    @property
    def logged(self) -> bool:
        return self.kind in LOGGED_KINDS


def recognise(text: str) -> list[Identifier]:
    """Every identifier kind `text` is a valid value of (usually none or one)."""
    found: list[Identifier] = []
    for kind, normalize in NORMALIZERS.items():
        try:
            found.append(Identifier(kind, normalize(text)))
        except FieldProblem:
            continue
    return found


def _keys(specs: Sequence[FieldSpec], values: Mapping[str, Any]) -> Iterable[str]:
    for spec in specs:
        value = values.get(spec.name)
        if spec.kind == LIST_KIND and isinstance(value, list):
            for item in value:
                if isinstance(item, Mapping):
                    yield from _keys(spec.item_fields or (), item)
        elif spec.kind in NORMALIZERS and isinstance(value, str) and value:
            yield search_key(spec.kind, value)  # stored values are already normalised


def search_keys(
    matter_fields: Sequence[FieldSpec],
    party_fields: Sequence[FieldSpec],
    fields: Mapping[str, Any],
    parties: Iterable[Mapping[str, Any]],
) -> str:
    """The column's value for a matter's (validated) fields and parties."""
    keys = list(_keys(matter_fields, fields))
    for party in parties:
        keys += _keys(party_fields, party)
    out = " "
    for key in dict.fromkeys(keys):
        if len(out) + len(key) + 1 > MAX_LENGTH:
            break
        out += key + " "
    return out if keys else ""
