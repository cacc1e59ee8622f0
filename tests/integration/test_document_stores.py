"""Documents round-trip through both stores: the local folder and an S3-compatible server (moto's server mode
on loopback, speaking the S3 API as MinIO does); reads are verified, the store is checked against the
database, and one court's matters export with their documents. SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import socket
import zipfile
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import boto3
import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI
from openpyxl import load_workbook
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.types import Message

from api.app import create_app
from api.deps import get_now
from delegation.filing.export import export_court
from delegation.filing.integrity import verify_store
from delegation.store.blobs import BlobStore
from delegation.store.tables import AccessLogRow
from jiaodong.settings import Settings
from tests.api.actors import Clock, add_users
from tests.api.support import draft_body, ok
from tests.web.support import login

BUCKET = "jiaodong-documents"
SCAN = b"%PDF-1.4\n" + bytes(range(256)) * 600 + b"\n%%EOF\n"  # ~150 kB: several chunks


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@pytest.fixture
def s3_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in (
        ("AWS_ACCESS_KEY_ID", "test"),
        ("AWS_SECRET_ACCESS_KEY", "test"),
        ("AWS_DEFAULT_REGION", "us-east-1"),
    ):
        monkeypatch.setenv(name, value)


@dataclass
class Served:
    client: httpx.AsyncClient
    store: BlobStore
    sessions: async_sessionmaker[AsyncSession]
    app: FastAPI
    token: str


async def raw_get(app: FastAPI, path: str, token: str) -> tuple[bytes, bool]:
    """GET through the ASGI interface itself: the body sent, and whether the answer was completed (httpx's
    in-process transport cannot represent a transfer broken off, which a server shows as a closed connection)."""
    messages: list[Message] = []
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"testserver"), (b"authorization", f"Bearer {token}".encode())],
        "client": ("127.0.0.1", 40000),
        "server": ("testserver", 80),
    }

    requested = False

    async def receive() -> Message:
        nonlocal requested
        if not requested:
            requested = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await asyncio.Event().wait()  # the client stays connected; the app ends the exchange
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        messages.append(message)

    await app(scope, receive, send)
    bodies = [m for m in messages if m["type"] == "http.response.body"]
    return b"".join(m.get("body", b"") for m in bodies), any(not m.get("more_body", False) for m in bodies)


@pytest_asyncio.fixture(params=["local", "s3"])
async def served(
    request: pytest.FixtureRequest,
    engine: AsyncEngine,
    sessions: async_sessionmaker[AsyncSession],
    database_url: str,
    tmp_path: Path,
) -> AsyncIterator[Served]:
    extra: dict[str, object] = {}
    if request.param == "s3":
        endpoint = request.getfixturevalue("s3_endpoint")
        request.getfixturevalue("s3_credentials")
        bucket = f"{BUCKET}-{tmp_path.name.lower().replace('_', '-')[-20:]}"
        boto3.client("s3", endpoint_url=endpoint).create_bucket(Bucket=bucket)
        extra = {"storage": "s3", "s3_bucket": bucket, "s3_endpoint_url": endpoint}
    settings = Settings(database_url=database_url, data_dir=tmp_path, secret_key="test-secret-key", **extra)
    app = create_app(settings, engine=engine)
    clock = Clock()
    app.dependency_overrides[get_now] = lambda: clock.now
    await app.state.runtime.start()
    tokens = await add_users(sessions, clock.now)
    transport = httpx.ASGITransport(app=app)
    headers = {"Authorization": f"Bearer {tokens['shinan-officer']}"}
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver", headers=headers) as client:
        yield Served(client, app.state.runtime.store, sessions, app, tokens["shinan-officer"])
    await app.state.runtime.stop()


async def _upload(client: httpx.AsyncClient, content: bytes = SCAN) -> tuple[int, dict[str, object]]:
    created = ok(await client.post("/api/v1/delegations", json=draft_body()), 201)
    files = {"file": ("委托函.pdf", io.BytesIO(content), "application/pdf")}
    doc = ok(
        await client.post(
            f"/api/v1/delegations/{created['id']}/documents", data={"kind": "letter_of_delegation"}, files=files
        ),
        201,
    )
    return int(created["id"]), doc


async def test_a_document_round_trips_through_the_store_byte_for_byte(served: Served) -> None:
    ident, doc = await _upload(served.client)
    assert doc["sha256"] == hashlib.sha256(SCAN).hexdigest()
    download = await served.client.get(f"/api/v1/delegations/{ident}/documents/{doc['id']}/content")
    assert download.status_code == 200 and download.content == SCAN
    assert hashlib.sha256(download.content).hexdigest() == doc["sha256"]
    assert download.headers["content-type"] == "application/pdf"
    assert download.headers["content-length"] == str(len(SCAN))
    assert download.headers["content-disposition"] == "attachment; filename*=utf-8''%E5%A7%94%E6%89%98%E5%87%BD.pdf"
    assert [key for key in served.store.keys("documents/")] == [f"documents/{doc['sha256'][:2]}/{doc['sha256']}.pdf"]


async def test_an_altered_file_is_never_served_whole_and_verify_reports_it(served: Served) -> None:
    ident, doc = await _upload(served.client)
    key = f"documents/{str(doc['sha256'])[:2]}/{doc['sha256']}.pdf"
    tampered = SCAN[:-10] + b"XXXXXXXXXX"
    if served.store.name == "local":
        path = Path(served.store.root) / key  # type: ignore[attr-defined]
        path.write_bytes(tampered)
    else:
        store = served.store
        store.client.put_object(Bucket=store.bucket, Key=key, Body=tampered)  # type: ignore[attr-defined]
    served.store.put("documents/zz/orphan.pdf", b"%PDF-orphan")
    received, completed = await raw_get(
        served.app, f"/api/v1/delegations/{ident}/documents/{doc['id']}/content", served.token
    )
    assert not completed and len(received) < len(tampered)  # broken off before the last chunk
    async with served.sessions() as session:
        report = await verify_store(session, served.store)
    assert report.altered == [(doc["id"], key)] and not report.missing and not report.ok
    assert report.unreferenced == ["documents/zz/orphan.pdf"]


async def test_one_courts_matters_export_with_their_documents_and_are_logged(served: Served, tmp_path: Path) -> None:
    ident, doc = await _upload(served.client)
    out = tmp_path / "export" / "鲁0202.zip"
    async with served.sessions() as session:
        summary = await export_court(session, served.store, "鲁0202", out, "cli", datetime(2026, 3, 2, tzinfo=UTC))
        logged = (await session.exec(select(AccessLogRow).where(AccessLogRow.kind == "export"))).all()
    assert summary.matters == 1 and summary.documents == 1
    with zipfile.ZipFile(out) as archive:
        [line] = archive.read("matters.jsonl").decode("utf-8").splitlines()
        matter = json.loads(line)
        assert matter["id"] == ident and matter["requesting_court"] == "鲁0202"
        assert [d["id"] for d in matter["documents"]] == [doc["id"]]
        assert matter["parties"][1]["id_number"]  # in full: the archive is the court's own record
        assert archive.read(matter["documents"][0]["storage_key"]) == SCAN
    assert [(row.delegation_id, row.target) for row in logged] == [(ident, "export:鲁0202")]


async def test_a_monthly_report_made_again_is_kept_in_the_store_and_downloaded_whole(served: Served) -> None:
    await _upload(served.client)
    transport = httpx.ASGITransport(app=served.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as center:
        csrf = await login(center, "yantai-center")
        made = await center.post("/stats/reports/2026-02", data={"csrf_token": csrf})
        assert made.status_code == 303, made.text[:300]
        download = await center.get("/stats/reports/2026-02.xlsx")
        assert download.status_code == 200 and "attachment" in download.headers["content-disposition"]
        assert load_workbook(io.BytesIO(download.content)).sheetnames[0] == "按法院"
        assert (await center.get("/stats/reports/2025-12.xlsx")).status_code == 404  # never made
    [key] = [k for k in served.store.keys("reports/") if "2026-02" in k]
    assert b"".join(served.store.chunks(key)) == download.content
