"""The catalogue as JSON Schema for court systems: every demo filing is valid by its matter type's schema (the
server accepts all of them), and what the schema refuses the server refuses too."""

from __future__ import annotations

from datetime import date
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker

from jiaodong.demo.seeder import _party, scenarios
from tests.api.actors import Api
from tests.api.support import draft_body, ok


def _validator(schema: dict[str, Any]) -> Draft202012Validator:
    Draft202012Validator.check_schema(schema)  # a valid 2020-12 schema
    return Draft202012Validator(schema, format_checker=FormatChecker())


async def test_every_demo_filing_is_valid_by_its_matter_types_schema(api: Api) -> None:
    async with api.client("shinan-officer") as officer:
        validators: dict[str, Draft202012Validator] = {}
        for scenario in scenarios(date(2026, 3, 2), date(2027, 1, 6)):
            if scenario.matter not in validators:
                answer = await officer.get(f"/api/v1/matter-types/{scenario.matter}/fields.schema.json")
                assert answer.headers["content-type"].startswith("application/schema+json")
                validators[scenario.matter] = _validator(ok(answer))
            errors = [e.message for e in validators[scenario.matter].iter_errors(scenario.fields)]
            assert errors == [], (scenario.key, errors)
        parties = _validator(ok(await officer.get("/api/v1/party-fields/schema.json")))
    assert len(validators) >= 8
    assert list(parties.iter_errors(_party(7, "鲁0602"))) == []


async def test_what_the_schema_refuses_the_server_refuses(api: Api) -> None:
    async with api.client("shinan-officer") as officer:
        schema = _validator(ok(await officer.get("/api/v1/matter-types/deposit_freeze/fields.schema.json")))
        parties = _validator(ok(await officer.get("/api/v1/party-fields/schema.json")))
        wrong = [
            ({"accounts": [], "period_months": 12, "colour": "red"}, "unknown field"),
            ({"period_months": 12}, "no accounts"),
            ({"accounts": [{"bank_name": "日照银行", "account_no": "6231000022223333444", "amount": "-5"}]}, "amount"),
        ]
        for fields, why in wrong:
            assert list(schema.iter_errors(fields)), why
            body = draft_body(matter_type="deposit_freeze", fields=fields)
            refused = await officer.post("/api/v1/delegations", json=body)
            assert refused.status_code == 422, (why, refused.text[:300])
        only_debtor = [p for p in _party(3, "鲁0602") if p["role"] == "debtor"]
        assert list(parties.iter_errors(only_debtor))  # the applicant is missing
        assert (await officer.get("/api/v1/matter-types/no_such_type/fields.schema.json")).status_code == 404
