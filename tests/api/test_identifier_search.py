"""Search by identifier (issue 11, item 4): a resident ID number or USCC, a plate or a VIN finds exactly the
matters carrying that value (normalised as the filing form does: any width, any case, with or without the
plate's dot); a search by ID number or USCC is logged like a reveal, with the matters it matched."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import httpx
from sqlmodel import col, select

from delegation.catalogue.identifiers import vin_check_char
from delegation.catalogue.searchkeys import recognise, search_key, search_keys
from delegation.catalogue.specs import FieldSpec
from delegation.store.tables import DelegationRow, IdentifierSearchLogRow
from tests.api.actors import Api
from tests.api.support import file_matter, ok
from tests.support import PARTIES

ID_NUMBER = "11010519491231002X"
USCC = "91350100M000100Y43"
PLATE = "鲁B12345"
_BASE = "LSVAM4187C2184847"
WITHOUT_ID = {**{k: v for k, v in PARTIES[1].items() if k != "id_number"}, "other_id": "护照E12345678"}
VIN = _BASE[:8] + vin_check_char(_BASE) + _BASE[9:]


def test_the_search_box_recognises_each_identifier_as_the_filing_form_normalises_it() -> None:
    assert [(i.kind, i.canonical) for i in recognise("11010519491231002x")] == [("id_number", ID_NUMBER)]
    assert [(i.kind, i.canonical) for i in recognise(USCC.lower())] == [("uscc", USCC)]
    assert [(i.kind, i.canonical) for i in recognise("鲁b·12345")] == [("plate", PLATE)]
    assert [(i.kind, i.canonical) for i in recognise(VIN.lower())] == [("vin", VIN)]
    assert recognise("张三") == [] and recognise("JD2026-0000001") == [] and recognise("1101051949123100") == []
    only = recognise(ID_NUMBER)[0]
    assert only.masked == "110105********002X" and only.logged and only.key == search_key("id_number", ID_NUMBER)
    assert not recognise(PLATE)[0].logged  # plates and VINs are not personal: not logged


def test_the_column_holds_one_digest_per_value_never_the_value() -> None:
    vehicles = FieldSpec(
        name="vehicles",
        label_zh="车辆",
        label_en="Vehicles",
        kind="list",
        item_fields=(
            FieldSpec(name="plate", label_zh="号牌", label_en="Plate", kind="plate"),
            FieldSpec(name="vin", label_zh="识别代号", label_en="VIN", kind="vin"),
        ),
    )
    party = (
        FieldSpec(name="name", label_zh="名称", label_en="Name", kind="text"),
        FieldSpec(name="id_number", label_zh="身份证号码", label_en="ID", kind="id_number"),
        FieldSpec(name="uscc", label_zh="信用代码", label_en="USCC", kind="uscc"),
    )
    keys = search_keys((vehicles,), party, {"vehicles": [{"plate": PLATE, "vin": VIN}]}, PARTIES)
    assert keys.startswith(" ") and keys.endswith(" ")
    assert set(keys.split()) == {
        search_key("plate", PLATE),
        search_key("vin", VIN),
        search_key("uscc", USCC),
        search_key("id_number", ID_NUMBER),
    }
    assert ID_NUMBER not in keys and PLATE not in keys
    assert search_keys((vehicles,), party, {}, [{"name": "张三"}]) == ""


def test_the_migration_fills_existing_rows_with_the_same_digests() -> None:
    path = Path(__file__).parents[2] / "migrations" / "versions" / "0013_search_keys_saved_filters.py"
    spec = importlib.util.spec_from_file_location("migration_0013", path)
    assert spec and spec.loader
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    fields = {"vehicles": [{"plate": PLATE, "vin": VIN}], "transferee_uscc": USCC}
    expected = {search_key("plate", PLATE), search_key("vin", VIN), search_key("uscc", USCC)}
    assert set(migration._keys(fields, PARTIES).split()) == expected | {search_key("id_number", ID_NUMBER)}
    assert migration._keys('{"note": "x"}', "[]") == ""  # JSON as text (SQLite) is decoded


async def test_the_search_box_finds_an_identifier_exactly_and_logs_ids_and_usccs(api: Api) -> None:
    async with api.client("shinan-officer") as officer, api.client("yantai-center") as center:
        person = await file_matter(officer)
        company = await file_matter(
            officer,
            case_number="（2026）鲁0202执101号",
            parties=[PARTIES[0], WITHOUT_ID],
        )
        car = await file_matter(
            officer,
            case_number="（2026）鲁0202执102号",
            matter_type="vehicle_seal",
            fields={"vehicles": [{"plate": PLATE, "vin": VIN}], "period_months": 24},
            parties=[PARTIES[0], WITHOUT_ID],
        )

        async def found(client: httpx.AsyncClient, q: str) -> list[int]:
            return [d["id"] for d in ok(await client.get("/api/v1/delegations", params={"q": q}))["items"]]

        assert await found(officer, "11010519491231002x") == [person["id"]]
        assert await found(officer, "１１０１０５１９４９１２３１００２Ｘ") == [person["id"]]  # full width
        assert await found(officer, USCC) == [car["id"], company["id"], person["id"]]
        assert await found(officer, "鲁b·12345") == [car["id"]]
        assert await found(officer, VIN.lower()) == [car["id"]]
        assert await found(officer, "110101199003074477") == []  # a valid number nobody carries
        assert await found(center, ID_NUMBER) == [person["id"]]

    async with api.sessions() as session:
        logs = list(await session.exec(select(IdentifierSearchLogRow).order_by(col(IdentifierSearchLogRow.id))))
        stored = await session.get(DelegationRow, person["id"])
        assert stored is not None and ID_NUMBER not in stored.search_keys
    assert [(log.actor, log.kind, log.masked, log.matched_count) for log in logs] == [
        ("shinan-officer", "id_number", "110105********002X", 1),
        ("shinan-officer", "id_number", "110105********002X", 1),
        ("shinan-officer", "uscc", logs[2].masked, 3),
        ("shinan-officer", "id_number", "110101********4477", 0),
        ("yantai-center", "id_number", "110105********002X", 1),
    ]
    assert USCC not in logs[2].masked and logs[2].digest == search_key("uscc", USCC)
    assert logs[0].matched == [person["id"]] and logs[2].matched == [car["id"], company["id"], person["id"]]
    assert logs[0].digest == search_key("id_number", ID_NUMBER) and logs[3].matched == []


async def test_administrators_list_the_searches_of_their_courts_users(api: Api) -> None:
    async with api.client("shinan-officer") as officer, api.client("zhifu-clerk") as clerk:
        matter = await file_matter(officer)
        ok(await officer.get("/api/v1/delegations", params={"q": ID_NUMBER}))
        ok(await clerk.get("/api/v1/delegations", params={"q": USCC}))
    async with api.client("qingdao-admin") as admin, api.client("kuiwen-admin") as other:
        listed = ok(await admin.get("/api/v1/identifier-searches"))["items"]
        assert [(i["actor"], i["kind"], i["masked"], i["matched"]) for i in listed] == [
            ("shinan-officer", "id_number", "110105********002X", [matter["id"]])
        ]  # Qingdao's administrator: searches by Qingdao's users only
        found = ok(await admin.get("/api/v1/identifier-searches", params={"value": "11010519491231002x"}))
        assert [i["actor"] for i in found["items"]] == ["shinan-officer"]
        bad = await admin.get("/api/v1/identifier-searches", params={"value": "张三"})
        assert bad.status_code == 422 and "身份证号码" in bad.text
        assert ok(await other.get("/api/v1/identifier-searches"))["items"] == []
    async with api.client("shinan-officer") as officer:
        assert (await officer.get("/api/v1/identifier-searches")).status_code == 403
