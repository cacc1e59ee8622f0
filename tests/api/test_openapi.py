"""The OpenAPI document says what the server does: required headers, binary bodies, bodies required or absent,
response headers, enums pinned to the vocabularies they describe, and a 405 whose Allow names every method."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from api.app import create_app
from api.schemas import SANE_INSTANT_PATTERN, DocumentKindCode, FieldKindCode, Outcome, ReturnReason, _sane_instant
from delegation.catalogue.fields import DOCUMENT_KINDS, KIND_CODES
from delegation.handling.rules import RESULT_OUTCOMES, RETURN_REASONS
from delegation.reading import delegations as query_service
from jiaodong.settings import Settings
from tests.api.actors import Api


@pytest.fixture(scope="module")
def spec(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder: Path = tmp_path_factory.mktemp("spec")
    app = create_app(Settings(database_url=f"sqlite+aiosqlite:///{folder}/x.db", data_dir=folder, secret_key="x"))
    document: dict[str, Any] = app.openapi()
    return document


def _operations(spec: dict[str, Any]) -> dict[str, tuple[str, str, dict[str, Any]]]:
    return {
        op["operationId"]: (path, method, op) for path, item in spec["paths"].items() for method, op in item.items()
    }


def test_the_enums_of_the_schema_are_the_vocabularies_the_server_checks_against() -> None:
    assert [k.value for k in DocumentKindCode] == list(DOCUMENT_KINDS)
    assert {k.value for k in FieldKindCode} == set(KIND_CODES)
    assert {r.value for r in ReturnReason} == set(RETURN_REASONS)
    assert {o.value for o in Outcome} == set(RESULT_OUTCOMES)


def test_every_change_to_a_delegation_requires_a_strong_if_match_and_answers_with_its_etag(
    spec: dict[str, Any],
) -> None:
    changes = 0
    for _operation, (path, method, op) in _operations(spec).items():
        if_match = [p for p in op.get("parameters", []) if p["name"] == "If-Match"]
        if not if_match:
            continue
        changes += 1
        assert if_match[0]["required"] is True and if_match[0]["in"] == "header"
        assert if_match[0]["schema"]["pattern"] == '^"[0-9]{1,9}"$'
        assert op["responses"]["200"]["headers"]["ETag"]["required"] is True
        assert {"409", "428", "400"} <= set(op["responses"])
        assert op["requestBody"]["required"] is True, f"{method} {path}: a body is required, never optional"
        body = op["requestBody"]["content"]["application/json"]["schema"]
        assert "$ref" in body and "anyOf" not in body
    assert changes == 19  # PUT of a draft and the eighteen actions


def test_cookie_sessions_need_the_csrf_header_on_changes_and_bearer_tokens_do_not(spec: dict[str, Any]) -> None:
    create = spec["paths"]["/api/v1/delegations"]["post"]
    assert create["security"] == [{"HTTPBearer": []}, {"APIKeyCookie": [], "CSRFToken": []}]
    assert spec["paths"]["/api/v1/delegations"]["get"]["security"] == [{"HTTPBearer": []}, {"APIKeyCookie": []}]
    assert spec["components"]["securitySchemes"]["CSRFToken"] == {
        "type": "apiKey",
        "in": "header",
        "name": "X-CSRF-Token",
        "description": spec["components"]["securitySchemes"]["CSRFToken"]["description"],
    }


def test_uploads_and_downloads_are_binary_in_their_media_types(spec: dict[str, Any]) -> None:
    upload = spec["components"]["schemas"]["Body_upload_document"]["properties"]
    assert upload["file"]["format"] == "binary"
    assert upload["kind"]["$ref"] == "#/components/schemas/DocumentKindCode"
    download = spec["paths"]["/api/v1/delegations/{delegation_id}/documents/{document_id}/content"]["get"]
    content = download["responses"]["200"]["content"]
    assert set(content) == {"application/pdf", "image/jpeg", "image/png"}
    assert all(media["schema"] == {"type": "string", "format": "binary"} for media in content.values())


def test_instants_are_date_times_and_closed_vocabularies_are_enums(spec: dict[str, Any]) -> None:
    schemas = spec["components"]["schemas"]
    delegation = schemas["DelegationOut"]["properties"]
    assert delegation["created_at"]["type"] == "string" and delegation["created_at"]["format"] == "date-time"
    assert delegation["status"] == {"$ref": "#/components/schemas/Status"}
    assert delegation["allowed_actions"]["items"] == {"$ref": "#/components/schemas/Action"}
    assert schemas["EventOut"]["properties"]["at"]["format"] == "date-time"
    assert schemas["ReturnIn"]["properties"]["reason_code"] == {"$ref": "#/components/schemas/ReturnReason"}
    assert schemas["AssetResultOut"]["properties"]["outcome"] == {"$ref": "#/components/schemas/Outcome"}
    assert schemas["MeOut"]["properties"]["roles"]["items"] == {"$ref": "#/components/schemas/UserRole"}
    get_policy = spec["paths"]["/api/v1/policy-versions/{version}"]["get"]["responses"]["200"]
    assert get_policy["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/PolicyVersion"}


def test_create_declares_its_idempotent_replay_and_problems_are_problem_json_only(spec: dict[str, Any]) -> None:
    create = spec["paths"]["/api/v1/delegations"]["post"]
    assert create["responses"]["200"]["headers"]["Idempotent-Replayed"]["schema"] == {
        "type": "string",
        "enum": ["true"],
    }
    assert create["responses"]["201"]["headers"]["Location"]["required"] is True
    key = next(p for p in create["parameters"] if p["name"] == "Idempotency-Key")
    assert key["required"] is False and "anyOf" not in key["schema"]
    for _path, _method, op in _operations(spec).values():
        for status, response in op["responses"].items():
            if status[0] in "45" and op["operationId"] != "readyz":  # readiness reports its checks
                assert set(response["content"]) == {"application/problem+json"}, (op["operationId"], status)
        assert "Allow" in op["responses"]["405"]["headers"]
        assert all("X-Request-ID" in response["headers"] for response in op["responses"].values())
    assert "Retry-After" in create["responses"]["429"]["headers"]
    assert "Retry-After" in create["responses"]["503"]["headers"]


def test_the_story_is_linked_from_create_to_confirm_for_stateful_clients(spec: dict[str, Any]) -> None:
    created = spec["paths"]["/api/v1/delegations"]["post"]["responses"]["201"]["links"]["Submit"]
    assert created == {
        "operationId": "submit",
        "parameters": {"path.delegation_id": "$response.body#/id", "header.If-Match": "$response.header.ETag"},
        "description": "Submit the draft.",
    }
    submitted = spec["paths"]["/api/v1/delegations/{delegation_id}/submit"]["post"]["responses"]["200"]["links"]
    assert submitted["SignFor"]["operationId"] == "sign_for"


async def test_a_405_names_every_method_of_the_path_in_allow(api: Api) -> None:
    async with api.client("shinan-officer") as officer:
        documents = await officer.delete("/api/v1/delegations/1/documents")
        assert documents.status_code == 405 and documents.headers["Allow"] == "GET, POST"
        assert documents.headers["content-type"] == "application/problem+json"
        delegations = await officer.patch("/api/v1/delegations", json={})
        assert delegations.status_code == 405 and delegations.headers["Allow"] == "GET, POST"
        action = await officer.get("/api/v1/delegations/1/submit")
        assert action.status_code == 405 and action.headers["Allow"] == "POST"


@settings(max_examples=300, deadline=None)
@given(st.from_regex(query_service.CURSOR_PATTERN, fullmatch=True).filter(lambda c: "\n" not in c))
def test_every_string_the_cursor_pattern_admits_is_a_cursor_the_server_reads(cursor: str) -> None:
    assert query_service.decode_cursor(cursor) is not None


@given(st.integers(min_value=0, max_value=1_999_999_999))
def test_every_cursor_the_server_hands_out_matches_the_pattern(position: int) -> None:
    assert re.match(query_service.CURSOR_PATTERN, query_service.encode_cursor(position) or "")


@given(st.from_regex(SANE_INSTANT_PATTERN + r"\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}", fullmatch=True))
def test_the_timestamp_filter_range_in_the_schema_is_the_one_the_server_checks(text: str) -> None:
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        return  # not a calendar date (e.g. February 30): format date-time refuses it too
    assert _sane_instant(value) == value
