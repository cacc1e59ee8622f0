"""The field and party specifications of the matter catalogue (pydantic models of the policy JSON),
shared by the policy (which holds them) and the value rules (which check records against them)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from functools import cached_property
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from delegation.catalogue.fields import FIELD_KINDS, KIND_CODES, LIST_KIND, Constraints

_SNAKE = r"^[a-z][a-z0-9_]{0,63}$"
Code = Annotated[str, Field(pattern=_SNAKE)]
Label = Annotated[str, Field(min_length=1, max_length=200)]
OneOf = tuple[tuple[str, ...], ...]


def policy_rule(zh: str, en: str) -> PydanticCustomError:
    """A policy rule broken; carries both languages through pydantic to parse_policy's error mapping."""
    return PydanticCustomError("policy_rule", "{en}", {"zh": zh, "en": en})


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


# ---- fields ----------------------------------------------------------------------------------------------


class Choice(Model):
    value: Code
    label_zh: Label
    label_en: Label


class FieldSpec(Model):
    name: Code
    label_zh: Label
    label_en: Label
    kind: str
    required: bool = False
    help_zh: str | None = None
    help_en: str | None = None
    choices: tuple[Choice, ...] | None = None
    max_length: int | None = Field(None, ge=1, le=100_000)
    min_value: Decimal | None = None
    max_value: Decimal | None = None
    pii: bool | None = None  # overrides the kind's default (e.g. the court's own account is not personal)
    item_fields: tuple[FieldSpec, ...] | None = None
    item_require_one_of: OneOf = ()
    min_items: int | None = Field(None, ge=0)
    max_items: int | None = Field(None, ge=1, le=1000)

    @field_validator("kind")
    @classmethod
    def _known_kind(cls, kind: str) -> str:
        if kind not in KIND_CODES:
            known = ", ".join(sorted(KIND_CODES))
            raise policy_rule(
                f"未知的字段类型“{kind}”，可用：{known}", f"Unknown field kind '{kind}'; known kinds: {known}"
            )
        return kind

    @model_validator(mode="after")
    def _consistent(self) -> FieldSpec:
        k = self.kind
        if (k == "choice" and not self.choices) or (k != "choice" and self.choices is not None):
            raise policy_rule(
                "choice类型的字段必须且只有它可以列出choices", "choices are required for, and only for, kind 'choice'"
            )
        if self.choices and len({c.value for c in self.choices}) != len(self.choices):
            raise policy_rule(f"字段{self.name}的选项值重复", f"Duplicate choice values in field '{self.name}'")
        numeric = k in ("integer", "decimal", "amount")
        if not numeric and (self.min_value is not None or self.max_value is not None):
            raise policy_rule(
                "只有数值类字段可以设置min_value/max_value", "min_value/max_value apply to numeric kinds only"
            )
        if self.min_value is not None and self.max_value is not None and self.min_value > self.max_value:
            raise policy_rule("min_value不能大于max_value", "min_value exceeds max_value")
        if self.max_length is not None and k not in ("text", "long_text", "address"):
            raise policy_rule(
                "只有文本类字段可以设置max_length", "max_length applies to text, long_text and address only"
            )
        is_list = k == LIST_KIND
        list_only = (self.item_fields, self.min_items, self.max_items)
        if is_list and not self.item_fields:
            raise policy_rule(f"列表字段{self.name}必须定义item_fields", f"List field '{self.name}' needs item_fields")
        if not is_list and (any(x is not None for x in list_only) or self.item_require_one_of):
            raise policy_rule("item_fields等设置只适用于list类型", "item_* and min/max_items apply to kind 'list' only")
        if self.item_fields:
            if any(f.kind == LIST_KIND for f in self.item_fields):
                raise policy_rule("列表不能嵌套列表", "A list's items cannot contain another list")
            check_names(self.item_fields, self.item_require_one_of)
        if self.min_items is not None and self.max_items is not None and self.min_items > self.max_items:
            raise policy_rule("min_items不能大于max_items", "min_items exceeds max_items")
        return self

    @cached_property
    def constraints(self) -> Constraints:
        choices: dict[str, str] = {}
        for c in self.choices or ():
            choices[c.value] = c.value
            choices[c.label_zh] = c.value  # clerks may submit the Chinese label
        return Constraints(self.max_length, self.min_value, self.max_value, choices)

    @property
    def is_pii(self) -> bool:
        if self.pii is not None:
            return self.pii
        return self.kind != LIST_KIND and FIELD_KINDS[self.kind].pii


def check_names(fields: Sequence[FieldSpec], one_of: OneOf) -> None:
    names = [f.name for f in fields]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise policy_rule(f"字段名重复：{', '.join(dupes)}", f"Duplicate field names: {', '.join(dupes)}")
    for group in one_of:
        unknown = [n for n in group if n not in names]
        if unknown or len(group) < 1:
            raise policy_rule(
                f"require_one_of引用了不存在的字段：{', '.join(unknown)}",
                f"require_one_of names unknown fields: {', '.join(unknown)}",
            )


class PartyRole(Model):
    code: Code
    name_zh: Label
    name_en: Label
    min_count: int = Field(0, ge=0, le=10)


class PartyPolicy(Model):
    """申请执行人 and 被执行人: the fields every matter carries for its parties."""

    roles: tuple[PartyRole, ...] = Field(min_length=1)
    fields: tuple[FieldSpec, ...]
    require_one_of: OneOf = ()

    @model_validator(mode="after")
    def _consistent(self) -> PartyPolicy:
        check_names(self.fields, self.require_one_of)
        if any(f.name == "role" for f in self.fields):
            raise policy_rule("“role”是保留字段名", "'role' is reserved for the party's role")
        if len({r.code for r in self.roles}) != len(self.roles):
            raise policy_rule("当事人角色重复", "Duplicate party roles")
        return self
