"""The printed documents of a 事项委托, in headless Chromium: the 委托函 addressed to the assisting court
prints the details it needs in full (and the print is logged), dated in Chinese numerals; the 回执 says
what the per-asset results say (two flats sealed, one not found: 部分办结, not 办理完毕)."""

from __future__ import annotations

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
