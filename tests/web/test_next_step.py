"""The next-step line of a matter's page (issue 11, item 7): who holds the ball, what they must do next and
by when; the 催办/督办 already issued and a pending extension beside it."""

from __future__ import annotations

import re

from tests.api.actors import Api
from tests.api.support import act, file_matter, ok
from tests.web.support import login


def _line(page: str) -> str:
    found = re.search(r'<p class="next-step" data-next-step>([^<]*)</p>', page)
    assert found, "no next-step line"
    return found.group(1)


async def test_the_line_says_who_must_do_what_by_when(api: Api) -> None:
    async with api.client() as browser, api.client("shinan-officer") as officer, api.client("zhifu-clerk") as clerk:
        matter = await file_matter(officer)
        ident = matter["id"]
        await login(browser, "yantai-center")
        line = _line((await browser.get(f"/delegations/{ident}")).text)
        assert line.startswith("待烟台市芝罘区人民法院签收 · 剩余2个工作日 · 2026年3月4日（周三）")
        token = re.search(r'name="csrf_token" value="([^"]+)"', (await browser.get(f"/delegations/{ident}")).text)
        assert token
        issued = await browser.post(
            f"/delegations/{ident}/notices", data={"csrf_token": token.group(1), "kind": "urge"}
        )
        assert issued.status_code == 303
        line = _line((await browser.get(f"/delegations/{ident}")).text)
        assert re.search(r"催办[^·]*1次", line)
        signed = ok(await act(clerk, ident, "sign-for", matter["version"]))
        ok(await act(clerk, ident, "request-extension", signed["version"], {"days": 2, "comment": "系统维护"}))
        line = _line((await browser.get(f"/delegations/{ident}")).text)
        assert line.startswith("待烟台市芝罘区人民法院办理") and "延期2个工作日的申请待审批" in line
