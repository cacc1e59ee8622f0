"""Checking, normalizing and masking the values of a matter or a party against its field specs.

Split out of policy.py (which holds the data model); the public entry points are re-exported there.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from delegation.catalogue.casenumber import CourtLookup
from delegation.catalogue.fields import FIELD_KINDS, LIST_KIND, FieldProblem, mask_value
from delegation.catalogue.specs import FieldSpec, PartyPolicy
from delegation.core.errors import FieldError, ValidationFailed

__all__ = [
    "CourtLookup",
    "keep_stored_where_masked",
    "mask_record",
    "pii_paths",
    "validate_parties_with",
    "validate_record",
]

DEFAULT_MAX_ITEMS = 100
# Every mask hides at least two characters with asterisks (张**, 370202********1234, 鲁B·****5); no real name,
# number or address holds two in a row, so a value with them is a masked value sent back.
MASK_MARK = "**"


def _blank(value: object) -> bool:
    return (
        value is None
        or (isinstance(value, str) and not value.strip())
        or (isinstance(value, (list, tuple)) and not value)
    )


def _labels(specs: Sequence[FieldSpec], names: Sequence[str]) -> tuple[str, str]:
    by_name = {s.name: s for s in specs}
    return "、".join(by_name[n].label_zh for n in names), ", ".join(by_name[n].label_en for n in names)


def validate_record(
    specs: Sequence[FieldSpec],
    require_one_of: Sequence[Sequence[str]],
    values: object,
    prefix: str,
    errors: list[FieldError],
    courts: CourtLookup | None,
    *,
    reserved: frozenset[str] = frozenset(),
) -> dict[str, object]:
    """Normalize one record (a matter's values, a party, a list item); problems are appended to `errors`."""
    where = prefix.rstrip(".") or "fields"
    if not isinstance(values, Mapping):
        errors.append(FieldError(where, "应为由字段名和值组成的对象", "Must be an object of field names and values"))
        return {}
    known = {s.name: s for s in specs}
    for key in values:
        if key not in known and key not in reserved:
            errors.append(FieldError(f"{prefix}{key}", f"未知字段“{key}”", f"Unknown field '{key}'"))
    out: dict[str, object] = {}
    for spec in specs:
        path = f"{prefix}{spec.name}"
        raw = values.get(spec.name)
        if _blank(raw):
            if spec.required:
                errors.append(FieldError(path, f"请填写{spec.label_zh}", f"{spec.label_en} is required"))
            continue
        if spec.kind == LIST_KIND:
            out[spec.name] = _validate_list(spec, raw, path, errors, courts)
            continue
        if spec.is_pii and isinstance(raw, str) and MASK_MARK in raw:
            errors.append(
                FieldError(
                    path,
                    f"{spec.label_zh}：这是脱敏后的显示值（含**），请填写完整的{spec.label_zh}",
                    f"{spec.label_en}: this is the masked display value (with **); send the full value",
                )
            )
            continue
        try:
            value = FIELD_KINDS[spec.kind].normalize(raw, spec.constraints)
        except FieldProblem as p:
            errors.append(FieldError(path, f"{spec.label_zh}：{p.message_zh}", f"{spec.label_en}: {p.message_en}"))
            continue
        if spec.kind == "court_code" and courts is not None and courts.find(str(value)) is None:
            errors.append(
                FieldError(
                    path, f"{spec.label_zh}：“{value}”不是已登记的法院", f"{spec.label_en}: unknown court '{value}'"
                )
            )
            continue
        out[spec.name] = value
    for group in require_one_of:
        if not any(n in out or not _blank(values.get(n)) for n in group):
            zh, en = _labels(specs, group)
            errors.append(FieldError(f"{prefix}{group[0]}", f"请至少填写以下一项：{zh}", f"Give at least one of: {en}"))
    return out


def _validate_list(
    spec: FieldSpec, raw: object, path: str, errors: list[FieldError], courts: CourtLookup | None
) -> list[dict[str, object]]:
    if not isinstance(raw, (list, tuple)):
        errors.append(FieldError(path, f"{spec.label_zh}：应为列表", f"{spec.label_en}: must be a list"))
        return []
    low = spec.min_items if spec.min_items is not None else (1 if spec.required else 0)
    high = spec.max_items or DEFAULT_MAX_ITEMS
    if len(raw) < low:
        errors.append(FieldError(path, f"{spec.label_zh}：至少{low}项", f"{spec.label_en}: at least {low} item(s)"))
    if len(raw) > high:
        errors.append(FieldError(path, f"{spec.label_zh}：最多{high}项", f"{spec.label_en}: at most {high} items"))
        return []
    items = spec.item_fields or ()
    return [
        validate_record(items, spec.item_require_one_of, item, f"{path}[{i}].", errors, courts)
        for i, item in enumerate(raw)
    ]


def validate_parties_with(policy: PartyPolicy, parties: object, courts: CourtLookup | None) -> list[dict[str, object]]:
    errors: list[FieldError] = []
    if not isinstance(parties, (list, tuple)):
        raise ValidationFailed([FieldError("parties", "当事人应为列表", "Parties must be a list")])
    roles = {r.code: r.code for r in policy.roles} | {r.name_zh: r.code for r in policy.roles}
    counts = dict.fromkeys((r.code for r in policy.roles), 0)
    out: list[dict[str, object]] = []
    for i, party in enumerate(parties):
        prefix = f"parties[{i}]."
        first_error = len(errors)
        values = validate_record(
            policy.fields, policy.require_one_of, party, prefix, errors, courts, reserved=frozenset({"role"})
        )
        raw_role = party.get("role") if isinstance(party, Mapping) else None
        role = roles.get(raw_role.strip()) if isinstance(raw_role, str) else None
        if role is None:
            names_zh = "、".join(r.name_zh for r in policy.roles)
            codes = ", ".join(r.code for r in policy.roles)
            errors.append(
                FieldError(
                    f"{prefix}role",
                    f"请选择当事人身份（{names_zh}）",
                    f"Give the party's role ({codes})",
                )
            )
        else:
            counts[role] += 1
        errors[first_error:] = [_of_party(e, i, policy, role, party) for e in errors[first_error:]]
        out.append({"role": role, **values})
    for r in policy.roles:
        if counts[r.code] < r.min_count:
            errors.append(
                FieldError(
                    "parties",
                    f"至少需要{r.min_count}名{r.name_zh}",
                    f"At least {r.min_count} {r.name_en} required",
                )
            )
    if errors:
        raise ValidationFailed(errors)
    return out


def _of_party(error: FieldError, index: int, policy: PartyPolicy, role: str | None, party: object) -> FieldError:
    """The error of one party's field, saying which party: 第2名当事人（被执行人 张三）：身份证号码…"""
    spec = next((r for r in policy.roles if r.code == role), None)
    name = party.get("name") if isinstance(party, Mapping) else None
    name = name.strip()[:40] if isinstance(name, str) else ""
    zh_what = " ".join(x for x in (spec.name_zh if spec else "", name) if x)
    en_what = " ".join(x for x in (spec.name_en if spec else "", name) if x)
    zh = f"第{index + 1}名当事人" + (f"（{zh_what}）" if zh_what else "")
    en = f"Party {index + 1}" + (f" ({en_what})" if en_what else "")
    return FieldError(error.field, f"{zh}：{error.message_zh}", f"{en}: {error.message_en}")


def mask_record(specs: Sequence[FieldSpec], values: Mapping[str, object]) -> dict[str, object]:
    known = {s.name: s for s in specs}
    out: dict[str, object] = {}
    for key, value in values.items():
        spec = known.get(key)
        if spec is None or value is None:
            out[key] = value
        elif spec.kind == LIST_KIND:
            items = spec.item_fields or ()
            # Malformed data is hidden whole rather than risk showing something personal.
            if isinstance(value, (list, tuple)):
                out[key] = [mask_record(items, v) if isinstance(v, Mapping) else "****" for v in value]
            else:
                out[key] = "****" if pii_paths(items) else value
        elif spec.is_pii:
            out[key] = mask_value(spec.kind, value)
        else:
            out[key] = value
    return out


def keep_stored_where_masked(
    specs: Sequence[FieldSpec], values: Mapping[str, object], stored: Mapping[str, object]
) -> dict[str, object]:
    """`values` with each personal-data value that is exactly the mask of the stored one (what a read showed)
    put back to the stored value: a client that edits a draft by sending back what it read (masked, as every
    read is) keeps the real values it did not change. List items are matched by position."""
    known = {s.name: s for s in specs}
    out = dict(values)
    for key, value in values.items():
        spec, before = known.get(key), stored.get(key)
        if spec is None or before is None:
            continue
        if spec.kind == LIST_KIND:
            if isinstance(value, list) and isinstance(before, list):
                items = spec.item_fields or ()
                out[key] = [
                    keep_stored_where_masked(items, new, old)
                    if isinstance(new, Mapping) and isinstance(old, Mapping)
                    else new
                    for new, old in zip(value, before, strict=False)
                ] + value[len(before) :]
        elif spec.is_pii and isinstance(value, str) and MASK_MARK in value and value == mask_value(spec.kind, before):
            out[key] = before
    return out


def pii_paths(specs: Sequence[FieldSpec]) -> frozenset[str]:
    paths: set[str] = set()
    for spec in specs:
        if spec.kind == LIST_KIND:
            paths |= {f"{spec.name}[].{p}" for p in pii_paths(spec.item_fields or ())}
        elif spec.is_pii:
            paths.add(spec.name)
    return frozenset(paths)
