"""The printed documents of a 事项委托, in headless Chromium: the 委托函 addressed to the assisting court
prints the details it needs in full (and the print is logged), dated in Chinese numerals; the 回执 says
what the per-asset results say (two flats sealed, one not found: 部分办结, not 办理完毕)."""

from __future__ import annotations

import struct
import zlib
from typing import Any

from sqlmodel import select

from delegation.core.access import Actor, UserRole
from delegation.core.states import Action
from delegation.filing import documents as document_service
from delegation.handling.commands import AssetResult
from delegation.refdata.service import load_reference
from delegation.store.blobs import LocalBlobStore
from delegation.store.db import make_engine, make_sessionmaker
from delegation.store.tables import AccessLogRow
from tests.e2e.conftest import LiveServer, run_async
from tests.e2e.support import Person
from tests.support import act, file_draft, vehicle_inquiry_draft

PDF = b"%PDF-1.4\n% scan\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
OFFICER = Actor("shinan-officer", "鲁0202", frozenset({UserRole.REQUESTING_OFFICER}), "shinan 承办人")
CLERK = Actor("zhifu-clerk", "鲁0602", frozenset({UserRole.ASSISTING_CLERK}), "zhifu 书记员")
FLATS = [
    {
        "cert_no": "鲁（2024）烟台市不动产权第0012345号",
        "address": "烟台市芝罘区南大街100号3单元501室",
        "owner_name": "张三",
    },
    {
        "cert_no": "鲁（2024）烟台市不动产权第0012346号",
        "address": "烟台市芝罘区南大街100号3单元502室",
        "owner_name": "张三",
    },
    {"cert_no": "鲁（2023）烟台市不动产权第0099881号", "address": "烟台市芝罘区海港路8号1201室", "owner_name": "张三"},
]


async def _sealed_with_results(server: LiveServer) -> int:
    """A 查封 of three flats filed by 市南区 to 芝罘区, signed for, two sealed and one not found, completed."""
    engine = make_engine(server.database_url)
    try:
        async with make_sessionmaker(engine)() as session:
            ref = await load_reference(session)
            now = server.clock.now
            draft = vehicle_inquiry_draft(
                case_number="（2026）鲁0202执400号",
                matter_type="real_estate_seal",
                summary="查封被执行人名下不动产三处",
                fields={"properties": FLATS, "period_months": 36, "note": "首封，期限三年"},
            )
            row = await file_draft(session, ref, OFFICER, now, draft)
            assert row.id is not None
            store = LocalBlobStore(server.data_dir)
            for kind in ("letter_of_delegation", "enforcement_ruling", "assistance_notice", "officer_credentials"):
                item = document_service.Upload(kind, f"{kind}.pdf", PDF)
                await document_service.upload(session, ref, OFFICER, now, row.id, item, store, 10_000_000)
            row = await act(session, ref, OFFICER, now, row.id, Action.SUBMIT, row.version)
            row = await act(session, ref, CLERK, now, row.id or 0, Action.SIGN_FOR, row.version)
            row = await act(session, ref, CLERK, now, row.id or 0, Action.ASSIGN_HANDLER, row.version, handler="王法官")
            results = (
                AssetResult(FLATS[0]["address"], "done", "已查封，首封，期限自2026年3月2日至2029年3月1日"),
                AssetResult(FLATS[1]["address"], "done", "已查封，轮候"),
                AssetResult(FLATS[2]["address"], "not_found", "登记机构无此不动产权证记录"),
            )
            row = await act(session, ref, CLERK, now, row.id or 0, Action.RECORD_RESULT, row.version, results=results)
            receipt = document_service.Upload("receipt", "回执.pdf", PDF)
            await document_service.upload(session, ref, CLERK, now, row.id or 0, receipt, store, 10_000_000)
            row = await act(session, ref, CLERK, now, row.id or 0, Action.COMPLETE, row.version, comment="两处已查封")
            return int(row.id or 0)
    finally:
        await engine.dispose()


async def _prints_logged(server: LiveServer) -> list[tuple[str, str]]:
    engine = make_engine(server.database_url)
    try:
        async with make_sessionmaker(engine)() as session:
            rows = await session.exec(select(AccessLogRow).where(AccessLogRow.kind == "print"))
            return [(r.actor, r.target) for r in rows]
    finally:
        await engine.dispose()


def test_the_printed_letter_and_receipt_of_a_matter_delegation(browser: Any, live_server: LiveServer) -> None:
    ident = run_async(lambda: _sealed_with_results(live_server))
    clerk = Person.open(browser, live_server, "zhifu-clerk")
    clerk.login()
    page = clerk.page

    clerk.goto(f"/print/delegations/{ident}/letter")
    letter = page.inner_text("article.letter")
    assert "委托函" in letter and "协助执行函" not in letter
    assert "鲁（2024）烟台市不动产权第0012345号" in letter  # in full: the assisting court acts on it
    assert "十五日内开始办理" in letter and "二〇二六年三月二日" in letter
    assert "承办人：shinan 承办人" in letter
    clerk.shot("25-print-letter-matter")
    logged = run_async(lambda: _prints_logged(live_server))  # each load of the print is one entry
    assert logged and set(logged) == {("zhifu-clerk", "print:letter")}

    clerk.goto(f"/print/delegations/{ident}/receipt")
    receipt = page.inner_text("article.receipt")
    assert "回执" in receipt and "部分事项未能办结" in receipt and "已办理完毕" not in receipt
    assert "登记机构无此不动产权证记录" in receipt and "承办人：王法官" in receipt
    clerk.shot("26-print-receipt-matter")
    clerk.assert_clean()
    clerk.close()


def _real_pdf(text: str) -> bytes:
    """A one-page PDF a viewer can draw (the scans above are only enough for the type check)."""
    stream = f"BT /F1 24 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<</Type/Catalog/Pages 2 0 R>>",
        b"<</Type/Pages/Kids[3 0 R]/Count 1>>",
        b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Contents 4 0 R/Resources<</Font<</F1 5 0 R>>>>>>",
        b"<</Length %d>>stream\n" % len(stream) + stream + b"\nendstream",
        b"<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>",
    ]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer<</Size %d/Root 1 0 R>>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def _real_png() -> bytes:
    """A 40x20 grey PNG."""
    width, height = 40, 20
    raw = b"".join(b"\x00" + b"\x80" * width for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


async def _with_scans(server: LiveServer) -> tuple[int, int, int]:
    """A submitted 车辆查询 whose 委托函 is a real PDF and whose other documents include a PNG scan."""
    engine = make_engine(server.database_url)
    try:
        async with make_sessionmaker(engine)() as session:
            ref = await load_reference(session)
            now = server.clock.now
            draft = vehicle_inquiry_draft(case_number="（2026）鲁0202执401号")
            row = await file_draft(session, ref, OFFICER, now, draft)
            assert row.id is not None
            store = LocalBlobStore(server.data_dir)
            scans = {
                "letter_of_delegation": ("委托函.pdf", _real_pdf("JIAODONG LETTER OF DELEGATION")),
                "assistance_notice": ("协助执行通知书.png", _real_png()),
                "officer_credentials": ("工作证.pdf", PDF),
            }
            ids = {}
            for kind, (name, content) in scans.items():
                item = document_service.Upload(kind, name, content)
                stored = await document_service.upload(session, ref, OFFICER, now, row.id, item, store, 10_000_000)
                ids[kind] = int(stored.id or 0)
            await act(session, ref, OFFICER, now, row.id, Action.SUBMIT, row.version)
            return int(row.id), ids["letter_of_delegation"], ids["assistance_notice"]
    finally:
        await engine.dispose()


async def _views_logged(server: LiveServer, ident: int) -> list[tuple[str, str]]:
    engine = make_engine(server.database_url)
    try:
        async with make_sessionmaker(engine)() as session:
            rows = await session.exec(select(AccessLogRow).where(AccessLogRow.delegation_id == ident))
            return [(r.actor, r.target) for r in rows if r.kind == "download"]
    finally:
        await engine.dispose()


def test_a_scan_is_previewed_in_the_page_and_each_view_is_logged(browser: Any, live_server: LiveServer) -> None:
    ident, letter_id, image_id = run_async(lambda: _with_scans(live_server))
    clerk = Person.open(browser, live_server, "zhifu-clerk")
    clerk.login()
    page = clerk.page
    clerk.goto(f"/delegations/{ident}")
    page.get_by_role("link", name="委托函.pdf", exact=True).click()
    page.wait_for_url(f"**/delegations/{ident}/documents/{letter_id}/preview")
    viewer = page.locator("[data-pdf-src]")
    viewer.and_(page.locator("[data-rendered='1']")).wait_for()
    assert page.locator("canvas.pdf-page").count() == 1
    assert "共1页" in page.inner_text("[data-pdf-status]")
    assert page.locator("canvas.pdf-page").evaluate("c => c.width") > 500  # drawn at the page's size
    clerk.shot("40-document-preview")
    clerk.goto(f"/delegations/{ident}/documents/{image_id}/preview")
    image = page.locator(".image-preview img")
    image.wait_for()
    assert image.evaluate("img => img.complete && img.naturalWidth") == 40
    clerk.check("document-preview-image")
    logged = run_async(lambda: _views_logged(live_server, ident))
    assert {("zhifu-clerk", f"document:{letter_id}"), ("zhifu-clerk", f"document:{image_id}")} <= set(logged)
    clerk.assert_clean()
    clerk.close()
