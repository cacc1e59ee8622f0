"""Which item of a matter's asset list a result is about (pure). A matter type whose `assets` names a list field
(the flats, cars, holdings, accounts or recipients the letter lists) gets one result per item, and results refer
to the items by position (docs/matters.md).

`asset` of a result names one item: its position counted from 1 ("2"); the name the pages give it, the list's
label and the position ("车辆 2", "Vehicles 2", or "受送达人 1（张伟）" as stored); or one of the item's values as
filed (a plate, VIN, address, certificate number, company name or credit code, account number, a recipient's
name) when no other item has it. The result is stored under the item's name: the Chinese label and position,
with the item's name-like text when it has one (the first required text field: a recipient's name, a company, a
bank), never a value masked as personal data: "车辆 2", "受送达人 1（张伟）", "账户 1（日照银行东港支行）".

A matter without an asset list (an inquiry, an investigation, most on-site matters) names what it found or did
in free text.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from delegation.catalogue.policy import MatterType
from delegation.catalogue.specs import FieldSpec

MAX_ASSET = 200  # characters of asset_result.asset
# Kinds whose values are quantities, days or codes chosen from a list: they name no item.
_NOT_NAMES = frozenset({"amount", "decimal", "integer", "date", "choice", "long_text"})
_SPACES = re.compile(r"[\s·•・]+")
_NAMED = re.compile(r"^(?P<label>.*?)(?P<n>\d{1,4})(?:\((?P<text>.*)\))?$")


@dataclass(frozen=True)
class AssetList:
    """A matter's asset list as filed: its labels, item fields and items (values as stored, not masked)."""

    label_zh: str
    label_en: str
    specs: tuple[FieldSpec, ...]
    items: tuple[Mapping[str, Any], ...]

    def name(self, position: int) -> str:
        """The item's stored name: "车辆 2", "受送达人 1（张伟）" (position counted from 1)."""
        base = f"{self.label_zh} {position}"
        text = self.text(position)
        return f"{base}（{text[: MAX_ASSET - len(base) - 2]}）" if text else base

    def text(self, position: int) -> str:
        """The item's name-like text: its first required text field (recipient, company, bank), or ""."""
        item = self.items[position - 1]
        for spec in self.specs:
            if spec.kind == "text" and spec.required and not spec.pii:
                value = item.get(spec.name)
                if isinstance(value, str) and value.strip():
                    return value.strip()
        return ""


def asset_list(matter: MatterType, fields: Mapping[str, Any]) -> AssetList | None:
    """The matter's asset list, or None when its type has none (its results name what they are about freely)."""
    if matter.assets is None:
        return None
    spec = matter.field_map[matter.assets]
    values = fields.get(matter.assets)
    items = tuple(i for i in values if isinstance(i, Mapping)) if isinstance(values, list) else ()
    return AssetList(spec.label_zh, spec.label_en, tuple(spec.item_fields or ()), items)


def _plain(text: str) -> str:
    """For comparing: half width, no spaces or middle dots, case folded (鲁B·12345 = 鲁b12345)."""
    return _SPACES.sub("", unicodedata.normalize("NFKC", text)).casefold()


@dataclass(frozen=True)
class Unknown:
    """Why `asset` names no item: none matches, or (ambiguous) several do."""

    ambiguous: bool = False


def resolve(assets: AssetList, given: str) -> int | Unknown:
    """The position (from 1) of the item `given` names, or Unknown."""
    count = len(assets.items)
    text = _plain(given)
    if not text:
        return Unknown()
    if text.isdigit() and 1 <= int(text) <= count:
        return int(text)
    named = _NAMED.match(text)
    if named is not None and named["label"] in (_plain(assets.label_zh), _plain(assets.label_en)):
        position = int(named["n"])
        if 1 <= position <= count and (named["text"] is None or _plain(named["text"]) == _plain(assets.text(position))):
            return position
        return Unknown()
    matches = [
        position
        for position, item in enumerate(assets.items, start=1)
        if any(
            spec.kind not in _NOT_NAMES
            and isinstance(item.get(spec.name), str)
            and _plain(str(item.get(spec.name))) == text
            for spec in assets.specs
        )
    ]
    if len(matches) == 1:
        return matches[0]
    return Unknown(ambiguous=len(matches) > 1)


@dataclass(frozen=True)
class Problem:
    """A result's `asset` that names no item, or an item already named by an earlier result."""

    index: int  # the result's index in the request, from 0
    message_zh: str
    message_en: str


def check(assets: AssetList, given: Sequence[str]) -> tuple[list[str], list[Problem]]:
    """The stored name of the item each result names, and the problems (all of them, in order)."""
    count, zh, en = len(assets.items), assets.label_zh, assets.label_en
    names: list[str] = []
    problems: list[Problem] = []
    seen: dict[int, int] = {}
    for index, value in enumerate(given):
        shown = value.strip()[:40]
        found = resolve(assets, value)
        if isinstance(found, Unknown):
            if found.ambiguous:
                problems.append(
                    Problem(
                        index,
                        f"第{index + 1}项结果：“{shown}”与多项{zh}相符，请填写其序号（1至{count}）",
                        f"Result {index + 1}: '{shown}' matches several of the matter's {en}: give its position "
                        f"(1 to {count}).",
                    )
                )
            else:
                problems.append(
                    Problem(
                        index,
                        f"第{index + 1}项结果：“{shown}”不是本委托所列的{zh}，请填写其序号（1至{count}），"
                        f"如“1”或“{zh} 1”",
                        f"Result {index + 1}: '{shown}' is none of the matter's {count} {en}: give its position "
                        f"(1 to {count}), e.g. '1' or '{en} 1', or one of its values as filed.",
                    )
                )
            names.append("")
            continue
        if found in seen:
            problems.append(
                Problem(
                    index,
                    f"第{index + 1}项结果：{zh} {found}已在第{seen[found] + 1}项结果中填写，每项{zh}只填写一个结果",
                    f"Result {index + 1}: {en} {found} already has a result (result {seen[found] + 1}): one "
                    "result per item.",
                )
            )
        seen.setdefault(found, index)
        names.append(assets.name(found))
    return names, problems
