"""The next-step line of a matter's page (issue 11, item 7): who holds the ball, what they must do next and
by when; the 催办/督办 already issued and a pending extension beside it."""

from __future__ import annotations

import re
from datetime import timedelta

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


def _row(page: str, number: str) -> str:
    rows = [r for r in page.split("<tr")[1:] if f">{number}</a>" in r]
    assert len(rows) == 1, f"no row for {number}"
    return rows[0]


async def test_each_list_row_says_the_next_step_and_what_was_already_done(api: Api) -> None:
    async with api.client() as browser, api.client("shinan-officer") as officer, api.client("zhifu-clerk") as clerk:
        matter = await file_matter(officer)
        ident, number = matter["id"], matter["number"]
        await login(browser, "yantai-center")
        listed = await browser.get("/work", params={"view": "all"})
        assert listed.status_code == 200
        row = _row(listed.text, number)
        assert re.search(r"data-next-step>待烟台市芝罘区人民法院签收 · 剩余2个工作日 · 2026年3月4日（周三）届满<", row)
        assert "data-followups" not in row
        page = (await browser.get(f"/delegations/{ident}")).text
        token = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert token
        issued = await browser.post(
            f"/delegations/{ident}/notices", data={"csrf_token": token.group(1), "kind": "urge"}
        )
        assert issued.status_code == 303

        api.clock.now += timedelta(days=7)  # past the 2 working days to sign for
        await login(browser, "yantai-center")  # the session has expired meanwhile
        row = _row((await browser.get("/work", params={"view": "all"})).text, number)
        assert "data-next-step>待烟台市芝罘区人民法院签收 · 超期" in row
        follow = re.search(r'<span class="followups small late" data-followups>([^<]*)</span>', row)
        assert follow and follow.group(1) == "已催办1次（最近2026年3月2日）"

        signed = ok(await act(clerk, ident, "sign-for", matter["version"]))
        ok(await act(clerk, ident, "request-extension", signed["version"], {"days": 2, "comment": "系统维护"}))
        row = _row((await browser.get("/work", params={"view": "all"})).text, number)
        assert "data-next-step>待烟台市芝罘区人民法院办理" in row
        assert "延期2个工作日的申请待审批" in row and "已催办1次" in row
