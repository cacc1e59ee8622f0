"""What a review of the English pages in Chromium found (2026-12-08), each finding pinned on the English page
beside the Chinese one, in the order of the review's list."""

from __future__ import annotations

import re

from tests.api.actors import Api
from tests.api.support import act, file_matter, ok
from tests.api.test_handlers import add_handlers
from tests.web.support import login

ACK_BUTTON = re.compile(r'<a class="btn tiny primary" href="/notices/\d+">')


def _ack_cell(page: str) -> str:
    """The acknowledgement cell of the notices list's first row."""
    return page.split("<tbody")[1].split("</tr>")[0].rsplit("<td", 1)[1]


async def test_only_the_court_a_supervision_notice_is_addressed_to_is_offered_to_acknowledge_it(api: Api) -> None:
    async with (
        api.client() as center,
        api.client() as clerk,
        api.client() as requester,
        api.client("shinan-officer") as officer,
    ):
        matter = await file_matter(officer)
        token = await login(center, "yantai-center")
        issued = await center.post(
            f"/delegations/{matter['id']}/notices", data={"csrf_token": token, "kind": "supervise"}
        )
        assert issued.status_code == 303
        await login(clerk, "zhifu-clerk")
        assert ACK_BUTTON.search(_ack_cell((await clerk.get("/notices")).text))  # 芝罘区 answers it
        await login(requester, "shinan-officer")
        for browser in (center, requester):  # the issuing command center; the court it is copied to
            cell = _ack_cell((await browser.get("/notices")).text)
            assert not ACK_BUTTON.search(cell) and "待签收" in cell
            await browser.get("/lang/en?next=/notices")
            cell = _ack_cell((await browser.get("/notices")).text)
            assert not ACK_BUTTON.search(cell) and "Not yet acknowledged" in cell


def _statutory_basis(page: str) -> str:
    return page.split('<h3 id="s-statutory">')[1].split('<p class="hint small">')[1].split("</p>")[0]


def _statutory_card(page: str) -> str:
    return page.split('<h2 id="s-statutory">')[1].split('<p class="card-sub small">')[1].split("</p>")[0]


async def test_english_pages_state_the_legal_basis_of_the_statutory_periods_in_english(api: Api) -> None:
    async with (
        api.client() as browser,
        api.client() as center,
        api.client("shinan-officer") as officer,
        api.client("zhifu-clerk") as clerk,
    ):
        matter = await file_matter(officer)
        ok(await act(clerk, matter["id"], "sign-for", matter["version"]))
        await login(browser, "shinan-officer")
        chinese = _statutory_basis((await browser.get(f"/delegations/{matter['id']}")).text)
        assert chinese.startswith("《中华人民共和国民事诉讼法》第二百四十条（收到委托函件后十五日内开始执行")
        await browser.get("/lang/en?next=/work")
        english = _statutory_basis((await browser.get(f"/delegations/{matter['id']}")).text)
        assert english.startswith("Civil Procedure Law (《中华人民共和国民事诉讼法》), Art. 240: start execution")
        assert "第二百四十条" not in english and "periods counted per Art. 85" in english
        await login(center, "yantai-center")
        card = _statutory_card((await center.get("/dashboard")).text)
        assert card.startswith("民诉法 第二百四十条：收到委托函件后十五日内开始执行")  # the Chinese page as it was
        await center.get("/lang/en?next=/dashboard")
        card = _statutory_card((await center.get("/dashboard")).text)
        assert card.startswith("Civil Procedure Law (《中华人民共和国民事诉讼法》), Art. 240: execution started")


async def test_assigning_the_same_handler_again_names_the_person_in_both_languages(api: Api) -> None:
    await add_handlers(api)  # 王法官 zhifu-wang and 李法官 zhifu-li
    async with api.client() as browser, api.client("shinan-officer") as officer, api.client("zhifu-clerk") as clerk:
        matter = await file_matter(officer)
        signed = ok(await act(clerk, matter["id"], "sign-for", matter["version"], {"handler": "zhifu-li"}))
        token = await login(browser, "zhifu-clerk")
        path = f"/delegations/{matter['id']}/act/assign_handler"
        form = {"csrf_token": token, "version": str(signed["version"]), "handler": "zhifu-li"}
        chinese = await browser.post(path, data=form)
        assert chinese.status_code == 422 and "本事项已由李法官承办" in chinese.text
        await browser.get("/lang/en?next=/work")
        english = await browser.post(path, data=form)
        assert english.status_code == 422 and "李法官 already handles this matter." in english.text
        assert "zhifu-li already" not in english.text
