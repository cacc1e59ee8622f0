"""Saved filters on the work page (issue 11, item 4): saved per user in the database, listed, applied and
deleted; the work page's search by ID number is logged like a reveal."""

from __future__ import annotations

import re

from sqlmodel import select

from delegation.store.tables import IdentifierSearchLogRow, SavedFilterRow
from tests.api.actors import Api
from tests.api.support import file_matter
from tests.web.support import csrf_of, login


async def test_a_user_saves_applies_and_deletes_a_filter(api: Api) -> None:
    async with api.client() as clerk, api.client() as other:
        await login(clerk, "zhifu-clerk")
        page = await clerk.get("/work", params={"view": "inbox", "status": "submitted", "city": "青岛"})
        assert "保存筛选条件" in page.text and "已保存的筛选" in page.text
        saved = await clerk.post(
            "/work/filters",
            data={
                "csrf_token": csrf_of(page.text),
                "name": " 青岛 待签收 ",
                "query": "view=inbox&status=submitted&city=%E9%9D%92%E5%B2%9B&page=3&evil=1",
            },
        )
        assert saved.status_code == 303
        applied = await clerk.get(saved.headers["location"])
        assert "筛选条件已保存" in applied.text
        link = re.search(r'<a href="(/work\?[^"]+)" aria-current="true">青岛 待签收</a>', applied.text)
        assert link, "the saved filter is listed and marked as the one applied"
        assert link.group(1).replace("&amp;", "&") == "/work?view=inbox&status=submitted&city=%E9%9D%92%E5%B2%9B"

        refused = await clerk.post(
            "/work/filters", data={"csrf_token": csrf_of(applied.text), "name": "", "query": "view=inbox"}
        )
        assert refused.status_code == 422 and "请为筛选条件起一个名称" in refused.text

        await login(other, "fushan-clerk")  # another user sees none of it
        assert "青岛 待签收" not in (await other.get("/work")).text
        async with api.sessions() as session:
            (row,) = list(await session.exec(select(SavedFilterRow)))
        theirs = await other.post(
            f"/work/filters/{row.id}/delete", data={"csrf_token": csrf_of((await other.get("/work")).text)}
        )
        assert theirs.status_code == 404

        deleted = await clerk.post(f"/work/filters/{row.id}/delete", data={"csrf_token": csrf_of(applied.text)})
        assert deleted.status_code == 303
        after = await clerk.get(deleted.headers["location"])
        assert "筛选条件已删除" in after.text and "青岛 待签收" not in after.text
        async with api.sessions() as session:
            assert list(await session.exec(select(SavedFilterRow))) == []


async def test_the_work_page_finds_by_id_number_and_logs_the_search(api: Api) -> None:
    async with api.client() as clerk, api.client("shinan-officer") as officer:
        matter = await file_matter(officer)
        await login(clerk, "zhifu-clerk")
        page = await clerk.get("/work", params={"view": "inbox", "q": "11010519491231002x"})
        assert matter["number"] in page.text
        exported = await clerk.get("/work/export.csv", params={"view": "inbox", "q": "11010519491231002X"})
        assert exported.status_code == 200 and matter["number"] in exported.text
    async with api.sessions() as session:
        logs = list(await session.exec(select(IdentifierSearchLogRow)))
    assert [(log.actor, log.masked, log.matched) for log in logs] == [
        ("zhifu-clerk", "110105********002X", [matter["id"]]),
        ("zhifu-clerk", "110105********002X", [matter["id"]]),
    ]
