"""消息中心 in the pages: the badge in the top bar of every page, the list with its filters, opening an item
(marked read, then the matter), marking all read with the session's CSRF token."""

from __future__ import annotations

import re

from tests.api.actors import Api
from tests.api.support import file_matter, ok
from tests.api.test_inbox import deliver
from tests.web.support import login


def _badge(html: str) -> str:
    found = re.search(r"data-inbox-count(?: hidden)?>(\d+)<", html)
    assert found, "no inbox badge in the top bar"
    return found.group(1)


async def test_the_badge_the_list_opening_an_item_and_all_read(api: Api) -> None:
    async with api.client("shinan-officer") as officer_api, api.client("zhifu-clerk") as clerk:
        filed = await file_matter(officer_api)
        ident = filed["id"]
        ok(await clerk.post(f"/api/v1/delegations/{ident}/messages", json={"text": "请补充车辆号牌"}), 201)
        ok(await clerk.post(f"/api/v1/delegations/{ident}/messages", json={"text": "另：请提供车架号"}), 201)
        await deliver(api)

    async with api.client(follow_redirects=False) as browser:
        token = await login(browser, "shinan-officer")
        work = await browser.get("/work")
        assert _badge(work.text) == "2" and 'data-inbox-poll="/api/v1/inbox/unread"' in work.text
        assert "2条未读" in work.text

        page = await browser.get("/inbox")
        assert page.status_code == 200 and "消息中心" in page.text
        assert page.text.count('data-testid="inbox-item"') == 2 and "请提供车架号" in page.text
        ids = re.findall(r'href="/inbox/(\d+)/open"', page.text)
        assert len(ids) == 2

        opened = await browser.get(f"/inbox/{ids[-1]}/open")
        assert opened.status_code == 303 and opened.headers["location"] == f"/delegations/{ident}"
        assert _badge((await browser.get("/inbox")).text) == "1"
        unread = await browser.get("/inbox", params={"unread": "1"})
        assert unread.text.count('data-testid="inbox-item"') == 1 and "车架号" in unread.text
        messages = await browser.get("/inbox", params={"topic": "message"})
        assert messages.text.count('data-testid="inbox-item"') == 2
        assert (await browser.get("/inbox", params={"topic": "transition"})).text.count('data-testid="inbox-item"') == 0

        refused = await browser.post("/inbox/read", data={"up_to": ids[0]})
        assert refused.status_code == 403  # no CSRF token: nothing marked
        done = await browser.post("/inbox/read", data={"csrf_token": token, "up_to": ids[0]})
        assert done.status_code == 303 and done.headers["location"] == "/inbox?ok=read"
        after = await browser.get("/inbox?ok=read")
        assert _badge(after.text) == "0" and "已标为已读" in after.text

        # Another user's item is not found.
        assert (await browser.get("/inbox/999999/open")).status_code == 404
