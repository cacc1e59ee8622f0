"""The OpenAPI document, corrected where FastAPI's generated one does not say what the server does.

FastAPI derives the document from the route signatures; a few facts live outside them and are added here,
once, when the document is first asked for:

- If-Match is read by a dependency that answers 428 when it is missing and 400 when it is not one strong
  ETag; the document declares it required, with its pattern.
- Changes made with the session cookie need X-CSRF-Token: the security requirement of every unsafe
  operation is "bearer token, or session cookie and CSRF token".
- Optional query and header parameters are left out to mean "none"; FastAPI's `anyOf [..., null]` for them
  is reduced to the type itself (a header or query string cannot carry a JSON null).
- Uploads are binary (`format: binary`); downloads are binary in the stored file's media type.
- The response headers the server sets: ETag, Location, Idempotent-Replayed, Retry-After, WWW-Authenticate,
  Allow, X-Request-ID; 405 with Allow on every operation's path.
- Problems are sent as application/problem+json only.
- Times of day in the policy are local ("08:30:00"), not JSON Schema's offset-bearing `format: time`.
- Links for the stateful walk of the main story: create -> upload / submit -> sign-for -> assign -> ....
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI

from api.auth import CSRF_HEADER, SAFE_METHODS
from api.deps import IF_MATCH_PATTERN
from api.problems import PROBLEM_MEDIA_TYPE

DOWNLOAD_MEDIA_TYPES = ("application/pdf", "image/jpeg", "image/png")
VERSION_TAG_PATTERN = IF_MATCH_PATTERN

# Operations answering with one delegation and its version in ETag.
VERSIONED = frozenset(
    {
        "create_delegation",
        "get_delegation",
        "update_draft",
        "submit",
        "sign_for",
        "return_for_correction",
        "resubmit",
        "decline",
        "redirect",
        "assign_handler",
        "schedule",
        "record_result",
        "complete",
        "request_extension",
        "approve_extension",
        "refuse_extension",
        "confirm",
        "request_rework",
        "withdraw",
        "report_progress",
        "request_superior_order",
    }
)

_ETAG_HEADER = {
    "description": 'The delegation\'s version as a strong entity-tag, e.g. "3": send it back in If-Match.',
    "required": True,
    "schema": {"type": "string", "pattern": VERSION_TAG_PATTERN},
}


def _header(description: str, schema: dict[str, Any], *, required: bool = True) -> dict[str, Any]:
    return {"description": description, "required": required, "schema": schema}


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, operation)
        for path, item in document.get("paths", {}).items()
        for method, operation in item.items()
        if method in ("get", "put", "post", "delete", "patch")
    ]


def _drop_null(schema: dict[str, Any]) -> dict[str, Any]:
    branches = schema.get("anyOf")
    if not isinstance(branches, list):
        return schema
    kept = [b for b in branches if b != {"type": "null"}]
    if len(kept) != 1 or len(kept) == len(branches):
        return schema
    rest = {k: v for k, v in schema.items() if k != "anyOf"}
    return {**kept[0], **rest}


def _fix_parameters(operation: dict[str, Any]) -> None:
    for parameter in operation.get("parameters", []):
        if parameter["in"] in ("query", "header") and not parameter.get("required"):
            parameter["schema"] = _drop_null(parameter["schema"])
        if parameter["in"] == "header" and parameter["name"] == "If-Match":
            parameter["required"] = True
            parameter["schema"] = {"type": "string", "pattern": IF_MATCH_PATTERN, "title": "If-Match"}
            parameter["description"] = (
                'The delegation\'s ETag as last seen, e.g. "3" (strong comparison: a weak W/"3" or a bare 3 is '
                "refused with 400). Missing: 428. Stale: 409 with the current state."
            )
            parameter["example"] = '"3"'


def _fix_security(method: str, operation: dict[str, Any]) -> None:
    if method.upper() in SAFE_METHODS:
        return
    for requirement in operation.get("security", []):
        if "APIKeyCookie" in requirement:
            requirement["CSRFToken"] = []


def _fix_problems(operation: dict[str, Any]) -> None:
    responses = operation["responses"]
    for status, response in responses.items():
        content = response.get("content", {})
        if status[0] in "45" and PROBLEM_MEDIA_TYPE in content:
            content.pop("application/json", None)
    retry_after = _header("Seconds to wait before trying again.", {"type": "integer", "minimum": 0})
    for status in ("429", "503"):
        if status in responses:
            responses[status]["headers"] = {"Retry-After": retry_after}
    if "401" in responses:
        responses["401"]["headers"] = {
            "WWW-Authenticate": _header("The scheme to authenticate with.", {"type": "string"}, required=False)
        }
    if "409" in responses:
        responses["409"]["headers"] = {"ETag": {**_ETAG_HEADER, "required": False}}
    if operation.get("operationId") == "readyz":
        responses["503"] = {
            "description": "Not ready: the body says which check failed.",
            "content": {"application/json": {"schema": {"type": "object"}}},
        }
    responses["405"] = {
        "description": "The path does not support this method; Allow lists those it does.",
        "headers": {"Allow": _header("The methods of this path, e.g. GET, POST.", {"type": "string"})},
        "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/ProblemOut"}}},
    }


def _add_request_id(operation: dict[str, Any]) -> None:
    for response in operation["responses"].values():
        response.setdefault("headers", {})["X-Request-ID"] = _header(
            "This request's id in the server's log (the caller's own X-Request-ID when well-formed).",
            {"type": "string"},
        )


def _fix_versioned(operation: dict[str, Any]) -> None:
    if operation.get("operationId") not in VERSIONED:
        return
    for status, response in operation["responses"].items():
        if status in ("200", "201"):
            response.setdefault("headers", {})["ETag"] = dict(_ETAG_HEADER)
    if operation["operationId"] == "create_delegation":
        created = operation["responses"]["201"]
        created["headers"]["Location"] = _header("The new delegation's URL.", {"type": "string"})
        replayed = operation["responses"]["200"]
        replayed["headers"]["Idempotent-Replayed"] = _header(
            "A repeat of an Idempotency-Key: the first result, not a new delegation.",
            {"type": "string", "enum": ["true"]},
        )
        replayed["headers"]["Location"] = _header("The delegation's URL.", {"type": "string"})


def _fix_documents(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    upload = schemas.get("Body_upload_document")
    if upload is not None:
        upload["properties"]["file"] = {
            "type": "string",
            "format": "binary",
            "title": "File",
            "description": "The scan: PDF, JPEG or PNG, recognised by its content (the part's type is not trusted).",
        }
    download = document["paths"]["/api/v1/delegations/{delegation_id}/documents/{document_id}/content"]["get"]
    download["responses"]["200"] = {
        "description": "The file as uploaded, in its media type (see the document's content_type).",
        "headers": {
            "ETag": _header('The file\'s SHA-256 in hex, quoted: "<sha256>".', {"type": "string"}),
            "Content-Disposition": _header("attachment; filename=...", {"type": "string"}),
        },
        "content": {media: {"schema": {"type": "string", "format": "binary"}} for media in DOWNLOAD_MEDIA_TYPES},
    }


def _add_links(document: dict[str, Any]) -> None:
    """Links from one step of the story to the next (OpenAPI 3.1 §4.8.20), for clients and stateful tests."""
    paths = document["paths"]

    def op(path: str, method: str = "post") -> dict[str, Any]:
        operation: dict[str, Any] = paths[path][method]
        return operation

    same = "$request.path.delegation_id"
    version = "$response.header.ETag"

    def link(target: str, ident: str, description: str, *, versioned: bool = True) -> dict[str, Any]:
        parameters: dict[str, str] = {"path.delegation_id": ident}
        if versioned:
            parameters["header.If-Match"] = version
        return {"operationId": target, "parameters": parameters, "description": description}

    created = op("/api/v1/delegations")["responses"]["201"]
    created["links"] = {
        "GetDelegation": link("get_delegation", "$response.body#/id", "The new draft.", versioned=False),
        "UploadDocument": link("upload_document", "$response.body#/id", "Attach a scan.", versioned=False),
        "Submit": link("submit", "$response.body#/id", "Submit the draft."),
    }
    chain = (
        ("submit", "SignFor", "sign_for", "The assisting court signs for it."),
        ("sign-for", "AssignHandler", "assign_handler", "Assign the handler."),
        ("assign-handler", "RecordResult", "record_result", "Record the results."),
        ("record-result", "Complete", "complete", "Complete with the 回执."),
        ("complete", "Confirm", "confirm", "The requester confirms."),
    )
    for path, name, target, description in chain:
        response = op(f"/api/v1/delegations/{{delegation_id}}/{path}")["responses"]["200"]
        response["links"] = {
            name: link(target, same, description),
            "GetDelegation": link("get_delegation", same, "The delegation now.", versioned=False),
        }


# JSON Schema's "time" is RFC 3339's full-time, with an offset; the policy's local times of day have none.
LOCAL_TIME = {"type": "string", "pattern": "^(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\\.[0-9]{1,6})?$"}


def _fix_local_times(node: Any) -> None:
    if isinstance(node, dict):
        if node.get("format") == "time":
            del node["format"]
            node.update(LOCAL_TIME)
        for value in node.values():
            _fix_local_times(value)
    elif isinstance(node, list):
        for value in node:
            _fix_local_times(value)


def _add_security_schemes(document: dict[str, Any]) -> None:
    schemes = document["components"].setdefault("securitySchemes", {})
    schemes["CSRFToken"] = {
        "type": "apiKey",
        "in": "header",
        "name": CSRF_HEADER,
        "description": "With the session cookie, changes need the csrf_token of POST /auth/login or GET /me.",
    }


def correct(document: dict[str, Any]) -> dict[str, Any]:
    """Apply the corrections above to FastAPI's document (in place) and return it."""
    _add_security_schemes(document)
    _fix_local_times(document["components"])
    _fix_documents(document)
    for _path, method, operation in _operations(document):
        _fix_parameters(operation)
        _fix_security(method, operation)
        _fix_problems(operation)
        _fix_versioned(operation)
        _add_request_id(operation)
    _add_links(document)
    return document


def install(app: FastAPI) -> None:
    """Serve the corrected document at /openapi.json (and to /docs)."""
    generate: Callable[[], dict[str, Any]] = app.openapi
    corrected: dict[str, Any] = {}

    def openapi() -> dict[str, Any]:
        if not corrected:
            corrected.update(correct(generate()))
        return corrected

    app.openapi = openapi  # type: ignore[method-assign]
