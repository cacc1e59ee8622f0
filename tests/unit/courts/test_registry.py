"""Court registry: the shipped list, lookups, suggestions and administrators' overrides."""

from __future__ import annotations

from datetime import date

import pytest

from courts.registry import CITIES, CourtLevel, CourtOverride, CourtOverrideError, CourtRegistry, UnknownCourt

DAY = date(2026, 3, 1)


@pytest.fixture(scope="module")
def reg() -> CourtRegistry:
    return CourtRegistry.shipped()


def test_the_shipped_list(reg: CourtRegistry) -> None:
    assert len(reg) == 57
    assert reg.cities() == list(CITIES) == ["青岛", "烟台", "潍坊", "威海", "日照"]
    assert {c.level for c in reg} == set(CourtLevel)
    assert [c.code for c in reg.by_level("intermediate")] == ["鲁02", "鲁06", "鲁07", "鲁10", "鲁11"]
    assert [c.code for c in reg.by_level(CourtLevel.MARITIME)] == ["鲁72"]
    assert [c.code for c in reg.by_level(CourtLevel.HIGH)] == ["鲁"]
    assert len(reg.by_city("烟台")) == 14
    assert [c.code for c in reg.children("鲁10")] == ["鲁1002", "鲁1003", "鲁1082", "鲁1083", "鲁1091", "鲁1092"]
    assert reg.get("鲁0202").code_verified and not reg.get("鲁0203").code_verified
    assert CourtRegistry.shipped() is reg  # built once


def test_every_basic_court_has_an_intermediate_parent_in_its_city(reg: CourtRegistry) -> None:
    for court in reg.by_level("basic"):
        assert court.parent_code is not None
        parent = reg.get(court.parent_code)
        assert parent.level is CourtLevel.INTERMEDIATE
        assert parent.city == court.city
        assert reg.intermediate_for(court.code) == parent


def test_intermediate_for(reg: CourtRegistry) -> None:
    assert reg.intermediate_for("鲁06") == reg.get("鲁06")
    assert reg.intermediate_for("鲁0602") == reg.get("鲁06")
    assert reg.intermediate_for("鲁72") == reg.get("鲁02")  # the maritime court sits in Qingdao


def test_unknown_codes(reg: CourtRegistry) -> None:
    assert reg.find("鲁9999") is None
    assert "鲁9999" not in reg and "鲁0602" in reg
    with pytest.raises(UnknownCourt) as info:
        reg.get("鲁9999")
    assert isinstance(info.value, KeyError)
    assert str(info.value) == "未知的法院代码：鲁9999 / unknown court code: 鲁9999"
    with pytest.raises(KeyError):
        reg.intermediate_for("鲁9999")


def test_place_names(reg: CourtRegistry) -> None:
    assert reg.get("鲁0602").place_name == "芝罘区"
    assert reg.get("鲁0202").place_name == "市南区"
    assert reg.get("鲁0281").place_name == "胶州市"
    assert reg.get("鲁1122").place_name == "莒县"
    assert reg.get("鲁06").place_name == "烟台市"
    assert reg.get("鲁72").place_name is None


@pytest.mark.parametrize(
    ("division", "expected"),
    [
        ("370602", "鲁0602"),
        ("3706", "鲁06"),
        ("370634", "鲁06"),  # a county code without a court of its own
        ("370600", "鲁06"),
        ("370602001", "鲁0602"),  # town-level code
        (" 371122 ", "鲁1122"),
        ("370202", "鲁0202"),
        ("3799", None),
        ("379901", None),
        ("110105", None),
        ("37", None),
        ("鲁06", None),
        ("", None),
    ],
)
def test_suggest_for_division(reg: CourtRegistry, division: str, expected: str | None) -> None:
    court = reg.suggest_for_division(division)
    assert (court.code if court else None) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("芝罘区", "鲁0602"),
        ("芝罘", "鲁0602"),
        ("烟台市芝罘区南大街100号", "鲁0602"),
        ("山东省青岛市市北区辽宁路1号", "鲁0203"),
        ("青岛市北区", "鲁0203"),
        ("青岛市胶州市三里河街道", "鲁0281"),
        ("莒县城阳街道", "鲁1122"),
        ("山东省烟台市", "鲁06"),
        ("烟台市青岛路8号", "鲁06"),  # the first city named wins
        ("威海", "鲁10"),
        ("北京市朝阳区", None),
        ("  ", None),
    ],
)
def test_suggest_for_district_name(reg: CourtRegistry, text: str, expected: str | None) -> None:
    court = reg.suggest_for_district_name(text)
    assert (court.code if court else None) == expected


def test_code_correction_keeps_the_old_code_as_an_alias(reg: CourtRegistry) -> None:
    fixed = reg.with_overrides(
        [CourtOverride(code="鲁0282", renamed_from="鲁0215", code_verified=True, effective_from=DAY)]
    )
    court = fixed.get("鲁0215")
    assert court.code == "鲁0282" and court.code_verified and court.name == "青岛市即墨区人民法院"
    assert fixed.get("鲁0282") is court
    assert fixed.aliases == {"鲁0215": "鲁0282"}
    assert len(fixed) == 57
    assert fixed.suggest_for_district_name("青岛市即墨市龙山街道") is court  # the place aliases follow the new code
    assert court in fixed.children("鲁02")
    assert fixed.suggest_for_division("370215") is court
    # The original registry is unchanged.
    assert reg.get("鲁0215").code == "鲁0215" and reg.find("鲁0282") is None


def test_correcting_an_intermediate_code_moves_its_children(reg: CourtRegistry) -> None:
    fixed = reg.with_overrides([CourtOverride(code="鲁12", renamed_from="鲁11", effective_from=DAY)])
    assert {c.parent_code for c in fixed.children("鲁11")} == {"鲁12"}
    assert fixed.intermediate_for("鲁1102") == fixed.get("鲁12")


def test_chained_and_reverted_corrections(reg: CourtRegistry) -> None:
    chained = reg.with_overrides(
        [
            CourtOverride(code="鲁0288", renamed_from="鲁0215", effective_from=date(2026, 1, 1)),
            CourtOverride(code="鲁0282", renamed_from="鲁0288", effective_from=date(2026, 2, 1)),
        ]
    )
    assert chained.get("鲁0215").code == chained.get("鲁0288").code == "鲁0282"
    reverted = chained.with_overrides([CourtOverride(code="鲁0215", renamed_from="鲁0282", effective_from=DAY)])
    assert reverted.get("鲁0282").code == "鲁0215"
    assert reverted.aliases == {"鲁0288": "鲁0215", "鲁0282": "鲁0215"}


def test_retiring_a_court_keeps_it_resolvable(reg: CourtRegistry) -> None:
    retired = reg.with_overrides([CourtOverride(code="鲁0614", active=False, effective_from=date(2026, 7, 1))])
    court = retired.get("鲁0614")
    assert not court.active and court.valid_to == date(2026, 6, 30)
    assert court.is_active_on(date(2026, 6, 30)) and not court.is_active_on(date(2026, 7, 1))
    assert court not in retired.by_city("烟台")
    assert court in retired.by_city("烟台", include_retired=True)
    assert court not in retired.children("鲁06")
    assert retired.suggest_for_division("370614") == retired.get("鲁06")
    assert retired.suggest_for_district_name("烟台市蓬莱区") == retired.get("鲁06")
    assert len(retired) == 57 and len(retired.courts()) == 56
    assert retired.suggest_for_district_name("烟台市长岛县") == retired.get("鲁06")  # an alias of a retired court
    reinstated = retired.with_overrides([CourtOverride(code="鲁0614", active=True, effective_from=date(2027, 1, 1))])
    assert reinstated.get("鲁0614").active and reinstated.get("鲁0614").valid_to is None


def test_adding_a_development_zone_court(reg: CourtRegistry) -> None:
    added = reg.with_overrides(
        [
            CourtOverride(
                code="鲁0291",
                name="青岛西海岸新区人民法院",
                name_en="Qingdao West Coast New Area People's Court",
                city="青岛市",
                level="basic",
                effective_from=DAY,
            )
        ]
    )
    court = added.get("鲁0291")
    assert court.parent_code == "鲁02" and court.city == "青岛" and court.valid_from == DAY
    assert not court.code_verified and court.division_code is None
    assert len(added) == 58 and court in added.children("鲁02")
    assert added.suggest_for_district_name("青岛西海岸新区长江中路") is court
    assert added.suggest_for_division("370211") == added.get("鲁0211")


def test_renaming_a_court(reg: CourtRegistry) -> None:
    renamed = reg.with_overrides([CourtOverride(code="鲁0203", name="青岛市市北区人民法院（新）", effective_from=DAY)])
    assert renamed.get("鲁0203").name.endswith("（新）")


def test_overrides_effective_later_are_left_out_with_as_of(reg: CourtRegistry) -> None:
    records = [CourtOverride(code="鲁0614", active=False, effective_from=date(2026, 7, 1))]
    assert reg.with_overrides(records, as_of=date(2026, 6, 30)).get("鲁0614").active
    assert not reg.with_overrides(records, as_of=date(2026, 7, 1)).get("鲁0614").active


@pytest.mark.parametrize(
    "record",
    [
        CourtOverride(code="鲁0282", renamed_from="鲁9999", effective_from=DAY),  # unknown old code
        CourtOverride(code="鲁0203", renamed_from="鲁0202", effective_from=DAY),  # new code in use
        CourtOverride(code="鲁0291", name="某法院", effective_from=DAY),  # new court without city/level
        CourtOverride(code="鲁0203", level="supreme", effective_from=DAY),
        CourtOverride(code="鲁0203", parent_code="鲁06", effective_from=DAY),  # parent in another city
        CourtOverride(code="鲁0203", parent_code="鲁9999", effective_from=DAY),
        CourtOverride(code="鲁0203", parent_code="鲁", effective_from=DAY),  # a basic court under the high court
        CourtOverride(code="鲁06", parent_code="鲁71", effective_from=DAY),  # not the level above
        CourtOverride(code="鲁", parent_code="鲁02", effective_from=DAY),
        CourtOverride(code="鲁0203", division_code="37A2", effective_from=DAY),
        CourtOverride(code="X0291", name="某法院", city="青岛", level="basic", effective_from=DAY),
    ],
)
def test_inconsistent_overrides_are_refused(reg: CourtRegistry, record: CourtOverride) -> None:
    with pytest.raises(CourtOverrideError) as info:
        reg.with_overrides([record])
    assert isinstance(info.value, ValueError)
    assert info.value.message_zh and info.value.message_en


def test_every_court_but_the_high_court_has_a_superior_of_the_level_above(reg: CourtRegistry) -> None:
    # 执行工作若干问题的规定 第74条: the superior court supervises; 民诉法 第二百四十条: it orders execution.
    high = reg.get("鲁")
    assert high.name == "山东省高级人民法院" and reg.superior("鲁") is None
    for court in reg:
        if court.level is CourtLevel.BASIC:
            assert reg.superior(court.code) == reg.get(court.parent_code or "")
            assert reg.superior(court.code).level is CourtLevel.INTERMEDIATE  # type: ignore[union-attr]
        elif court.level in (CourtLevel.INTERMEDIATE, CourtLevel.MARITIME, CourtLevel.RAILWAY_INTERMEDIATE):
            assert reg.superior(court.code) is high
    assert reg.superior("鲁0602") == reg.get("鲁06")
    assert reg.superior("鲁72") is high  # the maritime court is not under 青岛中院
    assert reg.superior("鲁02") is high
    assert reg.superior("鲁7102") == reg.get("鲁71")  # 青岛铁路运输法院 -> 济南铁路运输中级法院
    assert reg.superior("鲁0691") == reg.get("鲁06")
    with pytest.raises(UnknownCourt):
        reg.superior("鲁9999")


def test_the_added_courts_are_unverified_and_correctable(reg: CourtRegistry) -> None:
    added = {
        "鲁0691": "烟台经济技术开发区人民法院",
        "鲁0692": "烟台高新技术产业开发区人民法院",
        "鲁0791": "潍坊高新技术产业开发区人民法院",
        "鲁0792": "潍坊滨海经济技术开发区人民法院",
        "鲁1091": "威海火炬高技术产业开发区人民法院",
        "鲁1092": "威海经济技术开发区人民法院",
        "鲁1191": "日照经济技术开发区人民法院",
        "鲁7102": "青岛铁路运输法院",
    }
    for code, name in added.items():
        assert reg.get(code).name == name and not reg.get(code).code_verified
    fixed = reg.with_overrides([CourtOverride(code="鲁0693", renamed_from="鲁0691", effective_from=DAY)])
    assert fixed.get("鲁0691").code == "鲁0693"
    assert fixed.suggest_for_district_name("烟台开发区长江路") == fixed.get("鲁0693")


def test_the_courts_above_the_cities_take_no_matters(reg: CourtRegistry) -> None:
    assert not reg.get("鲁").takes_matters and not reg.get("鲁71").takes_matters
    assert reg.get("鲁7102").takes_matters and reg.get("鲁72").takes_matters
    assert "济南" not in reg.cities()


def test_a_new_intermediate_court_gets_the_high_court_as_superior(reg: CourtRegistry) -> None:
    added = reg.with_overrides(
        [CourtOverride(code="鲁12", name="某市中级人民法院", city="某市", level="intermediate", effective_from=DAY)]
    )
    assert added.superior("鲁12") == added.get("鲁")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # 规定 第三条: the same-level court of the place, by its new-area, development-zone or old name.
        ("山东省青岛西海岸新区长江中路216号", "鲁0211"),
        ("青岛市西海岸新区珠江路", "鲁0211"),
        ("青岛市胶南市珠山路", "鲁0211"),
        ("青岛市即墨市鹤山路", "鲁0215"),
        ("即墨市鹤山路", "鲁0215"),
        ("胶州市扬州路", "鲁0281"),
        ("青岛市四方区", "鲁0203"),
        ("烟台市蓬莱市钟楼北路", "鲁0614"),
        ("长岛县南长山镇", "鲁0614"),
        ("威海市文登市", "鲁1003"),
        ("烟台市经济技术开发区长江路", "鲁0691"),
        ("烟台开发区长江路", "鲁0691"),
        ("烟台市高新技术产业开发区航天路", "鲁0692"),
        ("烟台高新区", "鲁0692"),
        ("潍坊市高新区东风东街", "鲁0791"),
        ("潍坊滨海经济技术开发区", "鲁0792"),
        ("潍坊市滨海经济技术开发区", "鲁0792"),
        ("威海火炬高技术产业开发区", "鲁1091"),
        ("威海市高新区", "鲁1091"),
        ("威海市经济技术开发区", "鲁1092"),
        ("日照经济技术开发区", "鲁1191"),
        ("日照市开发区", "鲁1191"),
        ("经济技术开发区", None),  # which city's? nothing is guessed
        ("青岛市高新区", "鲁02"),  # no court of its own: the city's intermediate court
        # 规定 第三条: a ship goes to the maritime court.
        ("船舶“鲁烟渔12345”，停泊于烟台港", "鲁72"),
        ("威海市荣成市石岛渔港 渔船", "鲁72"),
    ],
)
def test_suggest_by_new_area_development_zone_old_names_and_ships(
    reg: CourtRegistry, text: str, expected: str | None
) -> None:
    court = reg.suggest_for_district_name(text)
    assert (court.code if court else None) == expected
