"""Requests the API tests share: file a matter, upload documents, act on it."""

from __future__ import annotations

import io
from typing import Any

import httpx

from tests.support import ALL_DOCUMENTS, PARTIES

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 17
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 32


def draft_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "case_number": "（2026）鲁0202执100号",
        "assisting_court": "鲁0602",
        "matter_type": "vehicle_inquiry",
        "summary": "查询被执行人名下登记车辆",
        "fields": {"note": "请查询并反馈车辆登记信息"},
        "parties": PARTIES,
    }
    body.update(overrides)
    return body


def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, (response.status_code, response.text)
    return response.json() if response.content else None


async def upload(
    client: httpx.AsyncClient, ident: int, kind: str, content: bytes = PDF, name: str = "scan.pdf"
) -> dict[str, Any]:
    files = {"file": (name, io.BytesIO(content), "application/octet-stream")}
    return ok(await client.post(f"/api/v1/delegations/{ident}/documents", data={"kind": kind}, files=files), 201)


async def act(
    client: httpx.AsyncClient, ident: int, path: str, version: int, body: dict[str, Any] | None = None
) -> httpx.Response:
    return await client.post(
        f"/api/v1/delegations/{ident}/{path}", json={} if body is None else body, headers={"If-Match": f'"{version}"'}
    )


async def file_matter(client: httpx.AsyncClient, **overrides: Any) -> dict[str, Any]:
    """Create, attach the required documents and submit; returns the submitted delegation."""
    created = ok(await client.post("/api/v1/delegations", json=draft_body(**overrides)), 201)
    for kind in ALL_DOCUMENTS:
        await upload(client, created["id"], kind)
    return ok(await act(client, created["id"], "submit", created["version"]))
