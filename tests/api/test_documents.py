"""Documents: type from content, size limit, sanitised names, content-addressed storage, logged downloads."""

from __future__ import annotations

import hashlib
import io
from collections.abc import AsyncIterator

import httpx
from sqlmodel import select

from delegation.filing.documents import sanitize_filename
from delegation.store.tables import AccessLogRow
from tests.api.actors import Api
from tests.api.support import JPEG, PDF, PNG, draft_body, file_matter, ok, upload


async def test_scans_are_accepted_by_content_and_stored_under_their_sha256(api: Api) -> None:
    async with api.client("shinan-officer") as officer:
        ident = ok(await officer.post("/api/v1/delegations", json=draft_body()), 201)["id"]
        pdf = await upload(officer, ident, "letter_of_delegation", PDF, name="../../etc/委托函 <1>.exe")
        png = await upload(officer, ident, "other", PNG, name="photo.pdf")
        jpeg = await upload(officer, ident, "other", JPEG, name="C:\\scans\\credentials.JPG")
        assert (pdf["content_type"], png["content_type"], jpeg["content_type"]) == (
            "application/pdf",
            "image/png",
            "image/jpeg",
        )
        assert pdf["filename"] == "委托函 _1_.pdf" and png["filename"] == "photo.png"
        assert jpeg["filename"] == "credentials.jpg"
        digest = hashlib.sha256(PDF).hexdigest()
        assert pdf["sha256"] == digest and pdf["size"] == len(PDF)
        assert (api.data_dir / "documents" / digest[:2] / f"{digest}.pdf").read_bytes() == PDF

        listed = ok(await officer.get(f"/api/v1/delegations/{ident}/documents", params={"limit": 2}))
        assert [d["id"] for d in listed["items"]] == [pdf["id"], png["id"]]
        rest = ok(await officer.get(f"/api/v1/delegations/{ident}/documents", params={"cursor": listed["next_cursor"]}))
        assert [d["id"] for d in rest["items"]] == [jpeg["id"]] and rest["next_cursor"] is None


async def test_other_content_is_refused_whatever_its_name_says(api: Api) -> None:
    async with api.client("shinan-officer") as officer:
        ident = ok(await officer.post("/api/v1/delegations", json=draft_body()), 201)["id"]
        url = f"/api/v1/delegations/{ident}/documents"
        fake = await officer.post(
            url,
            data={"kind": "other"},
            files={"file": ("scan.pdf", io.BytesIO(b"MZ\x90\x00 not a pdf"), "application/pdf")},
        )
        assert fake.status_code == 415 and fake.json()["code"] == "unsupported_media_type"
        empty = await officer.post(url, data={"kind": "other"}, files={"file": ("e.pdf", io.BytesIO(b""), "x/y")})
        assert empty.status_code == 422
        kind = await officer.post(url, data={"kind": "selfie"}, files={"file": ("a.pdf", io.BytesIO(PDF), "x/y")})
        assert kind.status_code == 422


async def test_uploads_over_the_size_limit_are_refused(api: Api) -> None:
    api.app.state.runtime.settings.max_upload_bytes = 1000
    async with api.client("shinan-officer") as officer:
        ident = ok(await officer.post("/api/v1/delegations", json=draft_body()), 201)["id"]
        big = PDF + b"0" * 2000
        refused = await officer.post(
            f"/api/v1/delegations/{ident}/documents",
            data={"kind": "other"},
            files={"file": ("big.pdf", io.BytesIO(big), "application/pdf")},
        )
        assert refused.status_code == 413 and refused.json()["code"] == "payload_too_large"
        assert not (api.data_dir / "documents").exists()


async def test_downloads_return_the_file_and_are_written_to_the_access_log(api: Api) -> None:
    async with api.client("shinan-officer") as officer, api.client("zhifu-clerk") as clerk:
        ident = (await file_matter(officer))["id"]
        document = ok(await clerk.get(f"/api/v1/delegations/{ident}/documents"))["items"][0]
        response = await clerk.get(f"/api/v1/delegations/{ident}/documents/{document['id']}/content")
        assert response.status_code == 200 and response.content == PDF
        assert response.headers["content-type"] == "application/pdf"
        assert response.headers["x-content-type-options"] == "nosniff"
        assert "attachment" in response.headers["content-disposition"]
        missing = await clerk.get(f"/api/v1/delegations/{ident}/documents/999999/content")
        assert missing.status_code == 404
    async with api.sessions() as session:
        [log] = list(await session.exec(select(AccessLogRow)))
    assert (log.actor, log.kind, log.target, log.delegation_id) == (
        "zhifu-clerk",
        "download",
        f"document:{document['id']}",
        ident,
    )


async def test_closed_matters_take_no_more_documents_and_command_centers_upload_none(api: Api) -> None:
    async with api.client("shinan-officer") as officer, api.client("yantai-center") as center:
        filed = await file_matter(officer)
        refused = await center.post(
            f"/api/v1/delegations/{filed['id']}/documents",
            data={"kind": "other"},
            files={"file": ("a.pdf", io.BytesIO(PDF), "application/pdf")},
        )
        assert refused.status_code == 403
        ok(
            await officer.post(
                f"/api/v1/delegations/{filed['id']}/withdraw",
                json={"comment": "当事人已履行"},
                headers={"If-Match": f'"{filed["version"]}"'},
            )
        )
        closed = await officer.post(
            f"/api/v1/delegations/{filed['id']}/documents",
            data={"kind": "other"},
            files={"file": ("a.pdf", io.BytesIO(PDF), "application/pdf")},
        )
        assert closed.status_code == 403


def test_file_names_lose_paths_controls_and_reserved_characters() -> None:
    assert sanitize_filename("../../a\u0000b/c:d*e?.PDF", "pdf") == "c_d_e_.pdf"
    assert sanitize_filename("  \u202e.txt  ", "png") == "txt.png"
    assert sanitize_filename(" ... ", "png") == "document.png"
    assert sanitize_filename(None, "jpg") == "document.jpg"
    assert len(sanitize_filename("长" * 400 + ".pdf", "pdf")) == 154


async def test_a_request_over_the_upload_limit_is_told_the_documented_limit(api: Api) -> None:
    async with api.client("shinan-officer") as officer:
        refused = await officer.post(
            "/api/v1/delegations/1/documents",
            content=b"0" * (21 * 1024 * 1024),
            headers={"content-type": "multipart/form-data; boundary=x"},
        )
    problem = refused.json()
    assert refused.status_code == 413 and problem["code"] == "payload_too_large"
    assert problem["title"] == "请求内容过大：上传的文件不得超过20MB"
    assert problem["detail"] == "The request body is larger than the upload limit of 20 MB (20971520 bytes)."
    assert problem["request_id"] == refused.headers["X-Request-ID"]


async def test_bodies_over_the_limit_are_refused_before_they_are_read(api: Api, database_url: str) -> None:
    from api.app import create_app
    from jiaodong.settings import Settings

    small = create_app(Settings(database_url=database_url, data_dir=api.data_dir, max_upload_bytes=1000))
    small.state.runtime.engine = api.app.state.runtime.engine
    await small.state.runtime.start()
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=small), base_url="http://testserver") as client:
            client.headers["Authorization"] = f"Bearer {api.tokens['shinan-officer']}"
            declared = await client.post(
                "/api/v1/delegations/1/documents",
                data={"kind": "other"},
                files={"file": ("big.pdf", io.BytesIO(PDF + b"0" * 100_000), "application/pdf")},
            )
            assert declared.status_code == 413 and declared.headers["content-type"] == "application/problem+json"
            # A problem like every other: its request id, and the upload limit the documentation states (not
            # the allowance for the form around the file).
            problem = declared.json()
            assert problem["code"] == "payload_too_large" and problem["request_id"] == declared.headers["X-Request-ID"]
            assert "1000 bytes" in problem["detail"] and "upload limit" in problem["detail"]
            assert "66536" not in problem["detail"] and problem["title"].startswith("请求内容过大：上传的文件不得超过")

            async def chunks() -> AsyncIterator[bytes]:
                for _ in range(10):
                    yield b" " * 10_000

            streamed = await client.post(
                "/api/v1/delegations", content=chunks(), headers={"content-type": "application/json"}
            )
            assert streamed.status_code == 413 and streamed.json()["code"] == "payload_too_large"
            assert streamed.json()["request_id"] == streamed.headers["X-Request-ID"]
            assert streamed.json()["title"] == problem["title"] and streamed.json()["detail"] == problem["detail"]
    finally:
        await small.state.runtime.stop()
