"""Problem details for every kind of bad input, and the reference data a client builds its forms from."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import select

from delegation.store.tables import DelegationRow
from tests.api.actors import Api
from tests.api.support import draft_body, ok


async def test_bad_input_gets_problem_details_with_code_chinese_title_english_detail_and_fields(api: Api) -> None:
    async with api.client("shinan-officer") as officer:
        response = await officer.post(
            "/api/v1/delegations",
            json=draft_body(
                case_number="(2026)鲁0602执1号",  # another court's case
                assisting_court="鲁9999",
                fields={"note": "x", "plate": "鲁B12345"},
            ),
        )
        problem = response.json()
        assert response.status_code == 422 and response.headers["content-type"] == "application/problem+json"
        assert problem["type"] == "urn:jiaodong:problem:validation_failed" and problem["code"] == "validation_failed"
        assert problem["title"] == "输入有误，请检查标出的字段" and problem["detail"].startswith("Invalid input")
        fields = {e["field"] for e in problem["errors"]}
        assert {"case_number", "assisting_court", "fields.plate"} <= fields
        assert all(e["message_zh"] and e["message_en"] for e in problem["errors"])
        assert "Traceback" not in response.text

        unknown = await officer.post("/api/v1/delegations", json={**draft_body(), "priority": "high"})
        assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "priority"
        assert unknown.json()["errors"][0]["message_zh"] == "不认识的字段（可能拼写错误）"
        malformed = await officer.post(
            "/api/v1/delegations", content=b"{not json", headers={"content-type": "application/json"}
        )
        assert malformed.status_code == 422
        matter = await officer.post("/api/v1/delegations", json=draft_body(matter_type="rocket_launch"))
        assert matter.status_code == 422 and matter.json()["errors"][0]["field"] == "matter_type"
        future = await officer.post("/api/v1/delegations", json=draft_body(case_number="（2031）鲁0202执1号"))
        assert future.status_code == 422
        far = await officer.get("/api/v1/calendar/days/1999-01-01")
        assert far.status_code == 422 and far.json()["code"] == "validation_failed"
        missing = await officer.get("/api/v1/nowhere")
        assert missing.status_code == 404 and missing.json()["code"] == "not_found"
        method = await officer.delete("/api/v1/delegations")
        assert method.status_code == 405 and method.json()["code"] == "method_not_allowed"
        async with api.client() as nobody:
            anonymous = await nobody.get("/api/v1/delegations")
        assert anonymous.status_code == 401 and anonymous.json()["code"] == "not_authenticated"
    async with api.sessions() as session:
        assert (await session.exec(select(func.count()).select_from(DelegationRow))).one() == 0


async def test_only_requesting_officers_file_and_action_bodies_are_checked(api: Api) -> None:
    async with api.client("zhifu-clerk") as clerk:
        refused = await clerk.post("/api/v1/delegations", json=draft_body())
        assert refused.status_code == 403 and refused.json()["code"] == "permission_denied"


async def test_reference_data_gives_courts_suggestions_matter_schemas_calendar_and_policies(api: Api) -> None:
    async with api.client("zhifu-clerk") as client:
        courts = ok(await client.get("/api/v1/courts", params={"city": "烟台"}))
        assert {"鲁06", "鲁0602", "鲁0611"} <= {c["code"] for c in courts["items"]}
        everything: list[str] = []
        cursor = None
        while True:
            page = ok(
                await client.get("/api/v1/courts", params={"limit": 20, **({"cursor": cursor} if cursor else {})})
            )
            everything += [c["code"] for c in page["items"]]
            cursor = page["next_cursor"]
            if not cursor:
                break
        assert len(everything) == len(set(everything)) == 57
        assert ok(await client.get("/api/v1/courts/鲁0602"))["name"].endswith("人民法院")
        assert (await client.get("/api/v1/courts/鲁9999")).status_code == 404
        by_code = ok(await client.get("/api/v1/courts/suggest", params={"division_code": "370602"}))
        assert by_code["court"]["code"] == "鲁0602"
        by_place = ok(await client.get("/api/v1/courts/suggest", params={"place": "烟台市福山区某某路1号"}))
        assert by_place["court"]["code"] == "鲁0611"
        new_area = ok(await client.get("/api/v1/courts/suggest", params={"place": "青岛西海岸新区长江中路"}))
        assert new_area["court"]["code"] == "鲁0211"
        ship = ok(await client.get("/api/v1/courts/suggest", params={"place": "船舶“鲁烟渔12345”"}))
        assert ship["court"]["code"] == "鲁72" and ship["court"]["superior"] == "鲁"
        high = ok(await client.get("/api/v1/courts", params={"level": "high"}))
        assert [(c["code"], c["superior"]) for c in high["items"]] == [("鲁", None)]
        nowhere = ok(await client.get("/api/v1/courts/suggest", params={"place": "火星"}))
        assert nowhere["court"] is None
        assert (await client.get("/api/v1/courts/suggest")).status_code == 422

        matters = ok(await client.get("/api/v1/matter-types"))
        assert len(matters["items"]) == 21
        seal = ok(await client.get("/api/v1/matter-types/vehicle_seal"))
        vehicles = next(f for f in seal["fields"] if f["name"] == "vehicles")
        assert vehicles["kind"] == "list" and {f["name"] for f in vehicles["item_fields"]} == {
            "plate",
            "vin",
            "brand_model",
        }
        assert next(f for f in vehicles["item_fields"] if f["name"] == "plate")["personal_data"] is True
        assert seal["required_documents"][0]["code"] == "letter_of_delegation"
        assert {s["stage"] for s in seal["stages"]} == {
            "sign_for",
            "correction",
            "execution",
            "confirmation",
            "redirect",
        }
        parties = ok(await client.get("/api/v1/party-fields"))
        assert [r["value"] for r in parties["roles"]] == ["applicant", "debtor"]
        assert len(ok(await client.get("/api/v1/document-kinds"))["items"]) == 9  # with the 公告 of a 强制腾迁

        assert ok(await client.get("/api/v1/calendar/days/2026-02-14")) == {
            "date": "2026-02-14",
            "working_day": True,  # a make-up workday
            "provisional": False,
        }
        due = ok(await client.get("/api/v1/calendar/due", params={"trigger": "2026-02-13", "days": 2}))
        assert due["due_date"] == "2026-02-24" and due["due_at"] == "2026-02-25T00:00:00+08:00"
        late = ok(await client.get("/api/v1/calendar/due", params={"trigger": "2026-12-30", "days": 5}))
        assert late["provisional"] is True
        years = ok(await client.get("/api/v1/calendar/years"))
        assert {"year": 2026, "status": "confirmed"} in years["items"]
        policies = ok(await client.get("/api/v1/policy-versions"))
        assert policies["items"][0]["version"] == "2025-01-01" and policies["items"][0]["in_force"] is True
        document = ok(await client.get("/api/v1/policy-versions/2025-01-01"))
        assert document["stages"]["sign_for"]["days"] == 2
        assert (await client.get("/api/v1/policy-versions/1999")).status_code == 404


async def test_reference_data_an_administrator_stores_reaches_a_running_app_within_a_minute(api: Api) -> None:
    from datetime import date

    from courts.registry import CourtOverride
    from delegation.refdata.service import store_court_override

    async with api.sessions() as session:
        court = CourtOverride(
            code="鲁0699",
            effective_from=date(2026, 1, 1),
            name="烟台经济技术开发区人民法院",
            name_en="Yantai Development Zone People's Court",
            city="烟台",
            level="basic",
            parent_code="鲁06",
        )
        await store_court_override(session, court, "admin", api.clock.now)
    runtime = api.app.state.runtime
    async with api.client("zhifu-clerk") as client:
        assert (await client.get("/api/v1/courts/鲁0699")).status_code == 404  # loaded at start
        runtime._loaded_at -= 3600  # a minute and more has passed
        await client.get("/api/v1/courts/鲁0699")  # starts the reload in the background
        if runtime._refreshing is not None:
            await runtime._refreshing
        assert ok(await client.get("/api/v1/courts/鲁0699"))["name"] == "烟台经济技术开发区人民法院"
