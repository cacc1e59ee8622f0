"""What a review of the English pages in Chromium found (2026-12-08), each finding pinned on the English page
beside the Chinese one, in the order of the review's list."""

from __future__ import annotations

import re

from tests.api.actors import Api
from tests.api.support import file_matter
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
