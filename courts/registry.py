"""The court registry: the courts of the five Jiaodong cities, and administrators' corrections.

The shipped list (courts/data/courts.csv) derives most codes from administrative division codes
(``code_verified`` False). Every court but the 山东省高级人民法院 names its superior court in
``parent_code`` (执行工作若干问题的规定 第74条: the superior supervises): a basic court its city's
intermediate court; an intermediate court and the 青岛海事法院 the high court; the 青岛铁路运输法院 the
济南铁路运输中级法院, whose superior is the high court. courts/data/places.csv adds the place names a
court's own name does not carry (new areas, development zones, pre-reform names such as 即墨市).
Administrators correct codes and names, add courts and retire courts through ``CourtOverride``
records; history is never lost: a retired court still resolves by its code, and a corrected code
keeps resolving to the same court as an alias.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import date, timedelta
from enum import StrEnum
from functools import cache
from importlib import resources

__all__ = [
    "CITIES",
    "Court",
    "CourtLevel",
    "CourtOverride",
    "CourtOverrideError",
    "CourtRegistry",
    "PlaceAlias",
    "UnknownCourt",
]

# The five cities, in the order every list and report uses.
CITIES: tuple[str, ...] = ("青岛", "烟台", "潍坊", "威海", "日照")

_CSV_COLUMNS = ("code", "name", "name_en", "city", "level", "parent_code", "division_code", "code_verified")
# 鲁 (high court), 鲁NN (intermediate and maritime courts), 鲁NNNN (basic courts); 法〔2015〕137号.
_CODE = re.compile(r"鲁(\d{2}|\d{4})?")
_DIVISION = re.compile(r"\d{4}|\d{6}")


class CourtLevel(StrEnum):
    HIGH = "high"
    INTERMEDIATE = "intermediate"
    BASIC = "basic"
    MARITIME = "maritime"  # 海事法院: an intermediate-level special court (superior: the high court)
    RAILWAY_INTERMEDIATE = "railway_intermediate"  # 铁路运输中级法院 (superior: the high court)
    RAILWAY = "railway"  # 铁路运输法院: a basic-level special court (superior: its railway intermediate court)


# Each level's superior level (执行工作若干问题的规定 第74条; 人民法院组织法 第十五条 on special courts).
SUPERIOR_LEVEL: dict[CourtLevel, CourtLevel] = {
    CourtLevel.BASIC: CourtLevel.INTERMEDIATE,
    CourtLevel.INTERMEDIATE: CourtLevel.HIGH,
    CourtLevel.MARITIME: CourtLevel.HIGH,
    CourtLevel.RAILWAY: CourtLevel.RAILWAY_INTERMEDIATE,
    CourtLevel.RAILWAY_INTERMEDIATE: CourtLevel.HIGH,
}
# Courts that supervise but sit outside the five cities' delegation network: no city list, no place.
_ABOVE_THE_CITIES = frozenset({CourtLevel.HIGH, CourtLevel.RAILWAY_INTERMEDIATE})
# Words that make a text a ship or maritime matter: 规定 第三条, a ship goes to the maritime court.
_MARITIME_WORDS = ("船舶", "船名", "船籍港", "渔船", "货船", "货轮", "油轮", "海船", "海事", "集装箱船")


@dataclass(frozen=True)
class Court:
    code: str
    name: str
    name_en: str
    city: str
    level: CourtLevel
    parent_code: str | None
    division_code: str | None
    code_verified: bool
    active: bool = True
    valid_from: date | None = None
    valid_to: date | None = None  # last day the court was active, inclusive

    @property
    def takes_matters(self) -> bool:
        """Whether the court can be an assisting court of the network (not the high court or the railway
        intermediate court, which only supervise)."""
        return self.level not in _ABOVE_THE_CITIES

    @property
    def place_name(self) -> str | None:
        """The place the court is named after: 芝罘区, 胶州市, 莒县, 烟台市 (an intermediate court).

        None for courts not named after a place (the maritime court)."""
        for suffix in ("中级人民法院", "人民法院"):
            if self.name.endswith(suffix):
                place = self.name[: -len(suffix)].removeprefix("山东省")
                if place != f"{self.city}市":
                    place = place.removeprefix(f"{self.city}市")
                return place or None
        return None

    def is_active_on(self, day: date) -> bool:
        if self.valid_from is not None and day < self.valid_from:
            return False
        if self.valid_to is not None and day > self.valid_to:
            return False
        return self.active or self.valid_to is not None


@dataclass(frozen=True)
class CourtOverride:
    """An administrator's change to the registry, effective from a date.

    - ``code`` names an existing court (or one of its old codes): the given fields replace its values.
    - ``code`` with ``renamed_from``: a code correction; the old code stays resolvable as an alias.
    - an unknown ``code``: a new court; ``name``, ``city`` and ``level`` are then required.
    - ``active=False`` retires the court from ``effective_from``; ``active=True`` reinstates it.
    Fields left None are unchanged; ``division_code=""`` clears the division code.
    """

    code: str
    effective_from: date
    name: str | None = None
    name_en: str | None = None
    city: str | None = None
    level: CourtLevel | str | None = None
    parent_code: str | None = None
    division_code: str | None = None
    code_verified: bool | None = None
    active: bool | None = None
    renamed_from: str | None = None


class UnknownCourt(KeyError):
    """No court has (or had) this code."""

    def __init__(self, code: str) -> None:
        self.code = code
        self.message_zh = f"未知的法院代码：{code}"
        self.message_en = f"unknown court code: {code}"
        super().__init__(code)

    def __str__(self) -> str:
        return f"{self.message_zh} / {self.message_en}"


class CourtOverrideError(ValueError):
    """An override, or the registry it would produce, is inconsistent."""

    def __init__(self, message_zh: str, message_en: str) -> None:
        self.message_zh = message_zh
        self.message_en = message_en
        super().__init__(f"{message_zh} / {message_en}")


def _parse_csv(text: str) -> list[Court]:
    reader = csv.DictReader(io.StringIO(text))
    if tuple(reader.fieldnames or ()) != _CSV_COLUMNS:
        raise ValueError(f"courts.csv columns must be {', '.join(_CSV_COLUMNS)}, got {reader.fieldnames}")
    courts: list[Court] = []
    for row in reader:
        if row["code_verified"] not in ("yes", "no"):
            raise ValueError(f"courts.csv {row['code']}: code_verified must be yes or no")
        courts.append(
            Court(
                code=row["code"].strip(),
                name=row["name"].strip(),
                name_en=row["name_en"].strip(),
                city=row["city"].strip(),
                level=CourtLevel(row["level"].strip()),
                parent_code=row["parent_code"].strip() or None,
                division_code=row["division_code"].strip() or None,
                code_verified=row["code_verified"] == "yes",
            )
        )
    return courts


class CourtRegistry:
    """Immutable set of courts with lookup indexes built once."""

    __slots__ = (
        "_aliases",
        "_all_by_city",
        "_all_by_level",
        "_all_children",
        "_by_city",
        "_by_division",
        "_by_level",
        "_children",
        "_cities",
        "_city_intermediate",
        "_courts",
        "_place_aliases",
        "_places",
    )

    def __init__(
        self,
        courts: Iterable[Court],
        aliases: Mapping[str, str] | None = None,
        place_aliases: Iterable[PlaceAlias] = (),
    ) -> None:
        by_code: dict[str, Court] = {}
        for c in courts:
            if c.code in by_code:
                raise CourtOverrideError(f"法院代码 {c.code} 重复", f"duplicate court code {c.code}")
            by_code[c.code] = c
        self._courts = by_code
        self._aliases = dict(aliases or {})
        _validate(by_code, self._aliases)
        place_aliases = tuple(place_aliases)
        self._place_aliases = place_aliases

        def group(key: str, courts: Iterable[Court]) -> dict[str, tuple[Court, ...]]:
            out: dict[str, list[Court]] = {}
            for c in courts:
                value = getattr(c, key)
                if value is not None:
                    out.setdefault(str(value), []).append(c)
            return {k: tuple(v) for k, v in out.items()}

        everything = list(by_code.values())
        active = [c for c in everything if c.active]
        self._all_by_city = group("city", everything)
        self._by_city = group("city", active)
        self._all_by_level = group("level", everything)
        self._by_level = group("level", active)
        self._all_children = group("parent_code", everything)
        self._children = group("parent_code", active)
        self._by_division = group("division_code", active)
        self._city_intermediate = {c.city: c for c in reversed(active) if c.level is CourtLevel.INTERMEDIATE}
        networked = [c for c in everything if c.takes_matters]
        others = sorted({c.city for c in networked} - set(CITIES))
        self._cities = tuple(c for c in CITIES if c in {n.city for n in networked}) + tuple(others)
        # Longest place names first so that 市南区 wins over a shorter name inside it; for equal lengths a
        # court's own name comes before a listed alias.
        places: list[_Place] = []
        for c in active:
            place = c.place_name
            if place and c.level in (CourtLevel.BASIC,):
                places.append(_Place(place, c, needs_city=False))
        for alias in place_aliases:
            court = by_code.get(alias.court_code)
            if court is not None and court.active:
                places.append(_Place(alias.place, court, needs_city=alias.needs_city))
        self._places = sorted(places, key=lambda p: -len(p.name))

    # -- construction -------------------------------------------------------------------------

    @classmethod
    def shipped(cls) -> CourtRegistry:
        """The registry from the shipped courts.csv (built once, then shared: it is immutable)."""
        return _shipped_registry()

    @classmethod
    def from_csv(cls, text: str, places: str | None = None) -> CourtRegistry:
        return cls(_parse_csv(text), place_aliases=_parse_places(places) if places else ())

    def with_overrides(self, records: Iterable[CourtOverride], *, as_of: date | None = None) -> CourtRegistry:
        """A new registry with ``records`` applied in ``effective_from`` order (stable for ties).

        With ``as_of``, records effective after that day are left out."""
        courts = dict(self._courts)
        aliases = dict(self._aliases)
        for rec in sorted(records, key=lambda r: r.effective_from):
            if as_of is None or rec.effective_from <= as_of:
                courts = _apply(courts, aliases, rec)
        place_aliases = [replace(p, court_code=aliases.get(p.court_code, p.court_code)) for p in self._place_aliases]
        return CourtRegistry(courts.values(), aliases, place_aliases)

    # -- lookups ------------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._courts)

    def __iter__(self) -> Iterator[Court]:
        return iter(self._courts.values())

    def __contains__(self, code: object) -> bool:
        return isinstance(code, str) and self.find(code) is not None

    @property
    def aliases(self) -> Mapping[str, str]:
        """Old (corrected) code -> current code."""
        return dict(self._aliases)

    def find(self, code: str) -> Court | None:
        """The court with this code, current or former (retired courts included); None if unknown."""
        code = code.strip()
        court = self._courts.get(code)
        if court is None and code in self._aliases:
            court = self._courts.get(self._aliases[code])
        return court

    def get(self, code: str) -> Court:
        court = self.find(code)
        if court is None:
            raise UnknownCourt(code)
        return court

    def courts(self, *, include_retired: bool = False) -> tuple[Court, ...]:
        return tuple(c for c in self._courts.values() if include_retired or c.active)

    def by_city(self, city: str, *, include_retired: bool = False) -> tuple[Court, ...]:
        index = self._all_by_city if include_retired else self._by_city
        return index.get(city.strip().removesuffix("市"), ())

    def by_level(self, level: CourtLevel | str, *, include_retired: bool = False) -> tuple[Court, ...]:
        index = self._all_by_level if include_retired else self._by_level
        return index.get(str(CourtLevel(level)), ())

    def children(self, parent_code: str, *, include_retired: bool = False) -> tuple[Court, ...]:
        parent = self.find(parent_code)
        if parent is None:
            return ()
        index = self._all_children if include_retired else self._children
        return index.get(parent.code, ())

    def cities(self) -> list[str]:
        """青岛, 烟台, 潍坊, 威海, 日照 (then any other city an administrator added)."""
        return list(self._cities)

    def intermediate_of_city(self, city: str) -> Court | None:
        return self._city_intermediate.get(city.strip().removesuffix("市"))

    def intermediate_for(self, code: str) -> Court | None:
        """The intermediate court over this court: itself for an intermediate court, the parent for
        a basic court, the city's intermediate court otherwise (the maritime court); None if none."""
        court = self.get(code)
        if court.level is CourtLevel.INTERMEDIATE:
            return court
        if court.level is CourtLevel.BASIC and court.parent_code:
            return self.get(court.parent_code)
        return self.intermediate_of_city(court.city)

    def superior(self, code: str) -> Court | None:
        """The court's superior court (上级人民法院), which supervises it (执行工作若干问题的规定 第74条)
        and orders it to act (民诉法 第二百四十条); None for the high court."""
        court = self.get(code)
        return self.get(court.parent_code) if court.parent_code else None

    def maritime_court(self) -> Court | None:
        """The active maritime court (青岛海事法院): ships and maritime matters go to it (规定 第三条)."""
        return next(iter(self._by_level.get(str(CourtLevel.MARITIME), ())), None)

    # -- suggestions (active courts only) ------------------------------------------------------

    def suggest_for_division(self, division_code: str) -> Court | None:
        """County code (6 digits; 9/12-digit town/village codes are cut to 6) -> that place's basic
        court; a city code (4 digits), or a county without its own court -> the city's intermediate
        court; anything else -> None."""
        code = division_code.strip()
        if not (code.isascii() and code.isdigit()):
            return None
        if len(code) in (9, 12):
            code = code[:6]
        if len(code) == 6:
            for court in self._by_division.get(code, ()):
                if court.level is CourtLevel.BASIC:
                    return court
            code = code[:4]
        if len(code) != 4:
            return None
        for court in self._by_division.get(code, ()):
            if court.level is CourtLevel.INTERMEDIATE:
                return court
        return None

    def suggest_for_district_name(self, text: str) -> Court | None:
        """A place name ("芝罘区", "芝罘") or an address ("烟台市芝罘区...") -> the court of that place, of
        the same level as the place (规定 第三条: 执行标的物所在地或者执行行为实施地的同级人民法院).

        A ship or maritime matter ("船舶", "海事" ...) goes to the maritime court. Otherwise the first
        district, county, new area or development zone named wins (also by a pre-reform name: 即墨市,
        蓬莱市, 长岛县), preferring one in a city the text names; a generic name ("经济技术开发区")
        counts only with its city named; a text that names only a city gives that city's intermediate
        court."""
        text = text.strip()
        if not text:
            return None
        if any(word in text for word in _MARITIME_WORDS):
            maritime = self.maritime_court()
            if maritime is not None:
                return maritime
        city_pos = {city: text.find(city) for city in self._cities if city in text}
        hits: list[tuple[int, Court]] = []
        for place in self._places:
            if place.needs_city and place.court.city not in city_pos:
                continue
            pos = text.find(place.name)
            if pos < 0 and not place.needs_city and len(place.name) >= 3 and text == place.name[:-1]:
                pos = 0  # a bare name without its 区/县/市 suffix
            if pos >= 0:
                hits.append((pos, place.court))
        if hits:
            in_named_city = [h for h in hits if h[1].city in city_pos]
            return min(in_named_city or hits, key=lambda h: h[0])[1]
        for city in sorted(city_pos, key=lambda c: city_pos[c]):
            intermediate = self.intermediate_of_city(city)
            if intermediate is not None:
                return intermediate
        return None


@dataclass(frozen=True)
class PlaceAlias:
    """A place name that a court's own name does not carry: 青岛西海岸新区 (黄岛区), 即墨市 (即墨区 since
    2017), 烟台开发区. With ``needs_city`` it counts only in a text that names the court's city."""

    place: str
    court_code: str
    needs_city: bool = False


@dataclass(frozen=True)
class _Place:
    name: str
    court: Court
    needs_city: bool


def _parse_places(text: str) -> list[PlaceAlias]:
    reader = csv.DictReader(io.StringIO(text))
    if tuple(reader.fieldnames or ()) != ("place", "court", "needs_city", "note"):
        raise ValueError(f"places.csv columns must be place, court, needs_city, note, got {reader.fieldnames}")
    out: list[PlaceAlias] = []
    for row in reader:
        if row["needs_city"] not in ("yes", "no"):
            raise ValueError(f"places.csv {row['place']}: needs_city must be yes or no")
        out.append(PlaceAlias(row["place"].strip(), row["court"].strip(), row["needs_city"] == "yes"))
    return out


def _apply(courts: dict[str, Court], aliases: dict[str, str], rec: CourtOverride) -> dict[str, Court]:
    """Apply one override; returns the new code -> court dict and updates ``aliases`` in place."""
    code = rec.code.strip()
    if not code:
        raise CourtOverrideError("法院代码不能为空", "court code must not be empty")
    if rec.renamed_from is not None:
        old = rec.renamed_from.strip()
        old = aliases.get(old, old)
        if old not in courts:
            raise CourtOverrideError(
                f"更正代码：原代码 {rec.renamed_from} 不存在", f"code correction: unknown old code {rec.renamed_from}"
            )
        if code != old:
            if code in courts or aliases.get(code, old) != old:
                raise CourtOverrideError(
                    f"更正代码：新代码 {code} 已被其他法院使用", f"code correction: {code} is already in use"
                )
            aliases.pop(code, None)  # correcting back to a former code of the same court
            for k, v in aliases.items():
                if v == old:
                    aliases[k] = code
            aliases[old] = code
            courts = {
                (code if k == old else k): (
                    replace(c, code=code) if k == old else replace(c, parent_code=code) if c.parent_code == old else c
                )
                for k, c in courts.items()
            }
    elif code not in courts and code in aliases:
        code = aliases[code]

    current = courts.get(code)
    changes: dict[str, object] = {}
    for field in ("name", "name_en", "city", "parent_code", "code_verified"):
        value = getattr(rec, field)
        if value is not None:
            changes[field] = value.strip() if isinstance(value, str) else value
    if rec.level is not None:
        try:
            changes["level"] = CourtLevel(rec.level)
        except ValueError:
            raise CourtOverrideError(f"未知的法院级别：{rec.level}", f"unknown court level: {rec.level}") from None
    if rec.division_code is not None:
        changes["division_code"] = rec.division_code.strip() or None
    if rec.active is False:
        changes["active"] = False
        changes["valid_to"] = rec.effective_from - timedelta(days=1)
    elif rec.active is True:
        changes["active"] = True
        changes["valid_to"] = None

    if "city" in changes:
        changes["city"] = str(changes["city"]).removesuffix("市")
    if current is None:  # a new court
        missing = [f for f in ("name", "city", "level") if f not in changes]
        if missing:
            raise CourtOverrideError(
                f"新增法院 {code} 缺少：{', '.join(missing)}", f"new court {code} needs: {', '.join(missing)}"
            )
        if "parent_code" not in changes:
            changes["parent_code"] = _default_superior(courts, changes["level"], str(changes["city"]))
        # Placeholders for the required fields, all replaced from ``changes`` below.
        current = Court(
            code=code,
            name="",
            name_en="",
            city="",
            level=CourtLevel.BASIC,
            parent_code=None,
            division_code=None,
            code_verified=False,
            valid_from=rec.effective_from,
        )
    if "parent_code" in changes:
        parent_code = str(changes["parent_code"] or "") or None
        # An old (corrected) code names the court's current code.
        changes["parent_code"] = aliases.get(parent_code, parent_code) if parent_code else None
    updated = replace(current, **changes)  # type: ignore[arg-type]
    return {**courts, code: updated}


def _default_superior(courts: Mapping[str, Court], level: object, city: str) -> str | None:
    """A new court's superior when the administrator names none: a basic court's is the intermediate
    court of its city, an intermediate or maritime court's the high court."""
    want = SUPERIOR_LEVEL.get(CourtLevel(str(level)))
    for c in courts.values():
        if c.active and c.level is want and (want is not CourtLevel.INTERMEDIATE or c.city == city):
            return c.code
    return None


def _validate(courts: Mapping[str, Court], aliases: Mapping[str, str]) -> None:
    for court in courts.values():
        where_zh, where_en = f"法院 {court.code}", f"court {court.code}"
        if not _CODE.fullmatch(court.code):
            raise CourtOverrideError(
                f"{where_zh}：代码格式应为 鲁、鲁NN 或 鲁NNNN", f"{where_en}: code must be 鲁, 鲁NN or 鲁NNNN"
            )
        if not court.name:
            raise CourtOverrideError(f"{where_zh}：缺少名称", f"{where_en}: name is empty")
        if court.division_code is not None and not _DIVISION.fullmatch(court.division_code):
            raise CourtOverrideError(
                f"{where_zh}：行政区划代码应为4位或6位数字", f"{where_en}: division code must have 4 or 6 digits"
            )
        if court.parent_code is not None:
            parent = courts.get(court.parent_code)
            if parent is None:
                raise CourtOverrideError(
                    f"{where_zh}：上级法院 {court.parent_code} 不存在",
                    f"{where_en}: unknown parent {court.parent_code}",
                )
            if court.level is CourtLevel.BASIC and (
                parent.level is not CourtLevel.INTERMEDIATE or parent.city != court.city
            ):
                raise CourtOverrideError(
                    f"{where_zh}：基层法院的上级必须是本市中级法院",
                    f"{where_en}: a basic court's parent must be the intermediate court of its city",
                )
            if parent.level is not SUPERIOR_LEVEL.get(court.level):
                raise CourtOverrideError(
                    f"{where_zh}：上级法院 {parent.code} 的级别不对",
                    f"{where_en}: superior {parent.code} is not of the level above",
                )
        elif court.level is not CourtLevel.HIGH:
            raise CourtOverrideError(f"{where_zh}：缺少上级法院", f"{where_en}: the court needs a superior court")
    for old, new in aliases.items():
        if new not in courts or old in courts:
            raise CourtOverrideError(f"代码别名 {old} → {new} 无效", f"invalid code alias {old} -> {new}")


@cache
def _shipped_registry() -> CourtRegistry:
    data = resources.files("courts").joinpath("data")
    courts = data.joinpath("courts.csv").read_text(encoding="utf-8")
    return CourtRegistry.from_csv(courts, data.joinpath("places.csv").read_text(encoding="utf-8"))
