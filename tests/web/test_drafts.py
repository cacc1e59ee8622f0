"""Drafts in the pages (issue 11, item 2): a refused filing keeps the scans it was sent (staged in the
document store, carried by signed notes) and saves them with the draft; the author edits the draft with
the same catalogue-driven form, replaces a document, sees what they typed unmasked; nobody else can."""

from __future__ import annotations

import io
import re
from typing import Any

from api.web import kept
from delegation.filing.documents import Staged
from jiaodong.settings import Settings
from tests.api.actors import Api
from tests.api.support import PDF, PNG, ok
from tests.support import PARTIES
from tests.web.support import csrf_of, login

DEBTOR_ID = str(PARTIES[1]["id_number"])


def _form(token: str, **overrides: str) -> dict[str, str]:
    applicant, debtor = PARTIES
    data = {
        "csrf_token": token,
        "matter_type": "vehicle_inquiry",
        "idempotency_key": "drafts-1",
        "case_number": "(2026)鲁0202执300号",
        "assisting_court": "鲁0602",
        "summary": "查询车辆",
        "fields.note": "请查询被执行人名下车辆",
        "parties[0].role": "applicant",
        "parties[0].party_type": "legal_person",
        "parties[0].name": str(applicant["name"]),
        "parties[0].uscc": str(applicant["uscc"]),
        "parties[1].role": "debtor",
        "parties[1].party_type": "natural_person",
        "parties[1].name": str(debtor["name"]),
        "parties[1].id_number": DEBTOR_ID,
        "do": "save",
    }
    data.update(overrides)
    return data


def _files(*kinds: str, content: bytes = PDF) -> list[tuple[str, tuple[str, io.BytesIO, str]]]:
    return [(f"document.{k}", (f"{k}.pdf", io.BytesIO(content), "application/pdf")) for k in kinds]


def _kept_notes(page: str) -> dict[str, str]:
    return dict(re.findall(r'name="kept\.(\w+)" value="([^"]+)"', page))


async def _documents(api: Api, ident: int) -> list[dict[str, Any]]:
    async with api.client("shinan-officer") as officer:
        return list(ok(await officer.get(f"/api/v1/delegations/{ident}/documents"))["items"])


async def test_a_refused_filing_keeps_its_scans_and_saves_them_with_the_draft(api: Api) -> None:
    async with api.client() as browser:
        token = await login(browser, "shinan-officer")
        kinds = ("letter_of_delegation", "assistance_notice", "officer_credentials")
        refused = await browser.post(
            "/delegations/new", data=_form(token, case_number="(2026)鲁0202执"), files=_files(*kinds)
        )
        assert refused.status_code == 422
        notes = _kept_notes(refused.text)
        assert set(notes) == set(kinds)
        assert "已保留上次选择的文件：letter_of_delegation.pdf" in refused.text
        assert "浏览器不会保留" not in refused.text  # the old "choose them again" warning is gone
        # Adding a row keeps them too, and a newly chosen file replaces the kept one of its kind.
        form = _form(token, case_number="(2026)鲁0202执300号") | {f"kept.{k}": v for k, v in notes.items()}
        replaced = [("document.officer_credentials", ("证件.png", io.BytesIO(PNG), "image/png"))]
        added = await browser.post("/delegations/new", data=form | {"do": "add:parties.debtor"}, files=replaced)
        assert added.status_code == 200 and "已保留上次选择的文件：证件.png" in added.text
        notes = _kept_notes(added.text)
        saved = await browser.post("/delegations/new", data=form | {f"kept.{k}": v for k, v in notes.items()})
        assert saved.status_code == 303, saved.text[:800]
        ident = int(saved.headers["location"].split("/")[2].split("?")[0])
        documents = await _documents(api, ident)
        assert sorted((d["kind"], d["filename"]) for d in documents) == [
            ("assistance_notice", "assistance_notice.pdf"),
            ("letter_of_delegation", "letter_of_delegation.pdf"),
            ("officer_credentials", "证件.png"),
        ]
        page = await browser.get(saved.headers["location"])
        assert "提交前还缺少" not in page.text  # nothing missing: the kept scans are attached


def test_a_kept_note_is_bound_to_its_user_and_cannot_be_altered() -> None:
    settings = Settings(secret_key="test-secret-key")
    staged = Staged("receipt", "回执.pdf", "application/pdf", 10, "a" * 64, "documents/aa/" + "a" * 64 + ".pdf")
    note = kept.sign(settings, "shinan-officer", staged)
    assert kept.unsign(settings, "shinan-officer", note) == staged
    assert kept.unsign(settings, "zhifu-officer", note) is None  # another user cannot attach it
    assert kept.unsign(settings, "shinan-officer", note[:-2] + "xx") is None
    assert kept.unsign(Settings(secret_key="another-key"), "shinan-officer", note) is None


async def test_the_author_edits_the_draft_replaces_a_document_and_sees_what_they_typed(api: Api) -> None:
    async with api.client() as browser:
        token = await login(browser, "shinan-officer")
        kinds = ("letter_of_delegation", "assistance_notice", "officer_credentials")
        saved = await browser.post("/delegations/new", data=_form(token), files=_files(*kinds))
        assert saved.status_code == 303
        ident = int(saved.headers["location"].split("/")[2].split("?")[0])
        draft = (await browser.get(f"/delegations/{ident}")).text
        assert DEBTOR_ID in draft and f'href="/delegations/{ident}/edit"' in draft  # own draft: as typed
        assert "data-reveal=" not in draft  # nothing to reveal in one's own draft
        edit = await browser.get(f"/delegations/{ident}/edit")
        assert edit.status_code == 200 and edit.headers["cache-control"] == "no-store"
        assert f'value="{DEBTOR_ID}"' in edit.text and 'value="（2026）鲁0202执300号"' in edit.text
        assert "已上传：letter_of_delegation.pdf" in edit.text and 'name="version" value="1"' in edit.text
        form = _form(csrf_of(edit.text), **{"fields.note": "请查询车辆并查封", "version": "1"})
        form.pop("idempotency_key")
        new_letter = [
            ("document.letter_of_delegation", ("委托函（改）.pdf", io.BytesIO(PDF + b" "), "application/pdf"))
        ]
        done = await browser.post(f"/delegations/{ident}/edit", data=form, files=new_letter)
        assert done.status_code == 303 and done.headers["location"] == f"/delegations/{ident}?ok=draft_edited"
        page = (await browser.get(done.headers["location"])).text
        assert "修改已保存" in page and "请查询车辆并查封" in page and "草稿中的文书已替换" in page
        letters = [d for d in await _documents(api, ident) if d["kind"] == "letter_of_delegation"]
        assert [d["filename"] for d in letters] == ["委托函（改）.pdf"]
        stale = await browser.post(f"/delegations/{ident}/edit", data=form | {"fields.note": "再改"})
        assert stale.status_code == 409 and "您的修改未保存" in stale.text
        assert 'name="version" value="2"' in stale.text and "请查询车辆并查封" in stale.text
        invalid = await browser.post(
            f"/delegations/{ident}/edit", data=form | {"version": "2", "assisting_court": ""}, files=new_letter
        )
        assert invalid.status_code == 422 and "请选择受托法院" in invalid.text
        assert "已保留上次选择的文件：委托函（改）.pdf" in invalid.text and "已上传：委托函（改）.pdf" in invalid.text


async def test_only_the_drafts_court_edits_it_and_only_while_it_is_a_draft(api: Api) -> None:
    async with api.client() as browser, api.client() as clerk, api.client("shinan-officer") as officer:
        token = await login(browser, "shinan-officer")
        kinds = ("letter_of_delegation", "assistance_notice", "officer_credentials")
        saved = await browser.post("/delegations/new", data=_form(token), files=_files(*kinds))
        ident = int(saved.headers["location"].split("/")[2].split("?")[0])
        await login(clerk, "zhifu-clerk")
        assert (await clerk.get(f"/delegations/{ident}/edit")).status_code == 404  # a draft is not theirs to see
        ok(await officer.post(f"/api/v1/delegations/{ident}/submit", json={}, headers={"If-Match": '"1"'}))
        assert (await browser.get(f"/delegations/{ident}/edit")).status_code == 403
        page = (await browser.get(f"/delegations/{ident}")).text
        assert DEBTOR_ID not in page and "/edit" not in page  # submitted: masked for everyone, the author too
