"""The document preview page (issue 11, item 5): a PDF is drawn in the page by the vendored PDF.js from the
logged download address, an image is shown inline; the CSP stays strict; nobody else's document."""

from __future__ import annotations

import hashlib
from pathlib import Path

from api.web.security import CSP
from tests.api.actors import Api
from tests.api.support import PNG, file_matter, upload
from tests.web.support import login

VENDOR = Path(__file__).resolve().parents[2] / "api" / "web" / "static" / "vendor" / "pdfjs"


async def test_a_pdf_is_drawn_by_pdfjs_and_an_image_shown_inline(api: Api) -> None:
    async with api.client() as browser, api.client("shinan-officer") as officer:
        matter = await file_matter(officer)
        ident = matter["id"]
        image = await upload(officer, ident, "other", PNG, "现场照片.png")
        documents = (await officer.get(f"/api/v1/delegations/{ident}/documents")).json()["items"]
        pdf = next(d for d in documents if d["kind"] == "letter_of_delegation")
        await login(browser, "zhifu-clerk")
        page = await browser.get(f"/delegations/{ident}/documents/{pdf['id']}/preview")
        assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
        content = f"/api/v1/delegations/{ident}/documents/{pdf['id']}/content"
        assert (
            f'data-pdf-src="{content}"' in page.text
            and '<script type="module" src="/static/js/preview.js">' in page.text
        )
        assert page.headers["content-security-policy"] == CSP and "unsafe" not in CSP
        shown = await browser.get(f"/delegations/{ident}/documents/{image['id']}/preview")
        assert f'<img src="/api/v1/delegations/{ident}/documents/{image["id"]}/content"' in shown.text
        assert "preview.js" not in shown.text
        detail = await browser.get(f"/delegations/{ident}")
        assert f'href="/delegations/{ident}/documents/{pdf["id"]}/preview"' in detail.text
        other = await file_matter(officer, case_number="（2026）鲁0202执101号")
        assert (await browser.get(f"/delegations/{other['id']}/documents/{pdf['id']}/preview")).status_code == 404
    async with api.client() as foreign:
        await login(foreign, "kuiwen-clerk")
        assert (await foreign.get(f"/delegations/{ident}/documents/{pdf['id']}/preview")).status_code == 404


def test_the_vendored_pdfjs_matches_its_checksums_and_keeps_its_licence() -> None:
    sums = dict(reversed(line.split()) for line in (VENDOR / "SHA256SUMS").read_text().splitlines())
    assert {"pdf.min.mjs", "pdf.worker.min.mjs", "cmaps/UniGB-UCS2-H.bcmap", "cmaps/Adobe-GB1-UCS2.bcmap"} <= set(sums)
    assert set(sums) == {"pdf.min.mjs", "pdf.worker.min.mjs"} | {
        f"cmaps/{p.name}" for p in (VENDOR / "cmaps").glob("*.bcmap")
    }
    for name, digest in sums.items():
        assert hashlib.sha256((VENDOR / name).read_bytes()).hexdigest() == digest
    assert "Apache License" in (VENDOR / "LICENSE").read_text()
    assert (VENDOR / "cmaps" / "LICENSE").exists()  # the character maps' own licence (Adobe)
    assert (VENDOR / "VERSION").read_text().strip() == "5.4.296"
