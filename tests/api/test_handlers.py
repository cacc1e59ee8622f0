"""Handlers as users, over HTTP on SQLite and PostgreSQL: 签收 and the assignment in one step (both or
neither), handlers chosen from the assisting court's users only, the handler told in their inbox and finding
the matter under 我承办的, a reassignment recorded and told to both."""

from __future__ import annotations

from sqlmodel import col, select

from delegation.accounts import auth as auth_service
from delegation.refdata.service import load_reference
from delegation.store.tables import EventRow, UserRow
from tests.api.actors import Api, password_hash
from tests.api.support import act, file_matter, ok
from tests.api.test_inbox import deliver
from tests.web.support import login

HANDLERS = {
    "zhifu-wang": ("鲁0602", "王法官"),
    "zhifu-li": ("鲁0602", "李法官"),
    "fushan-zhao": ("鲁0611", "赵法官"),  # another court's handler
}


async def add_handlers(api: Api) -> None:
    async with api.sessions() as session:
        for username, (court, name) in HANDLERS.items():
            session.add(
                UserRow(
                    username=username,
                    display_name=name,
                    court_code=court,
                    roles=["assisting_clerk", "handler"],
                    password_hash=password_hash(),
                    created_at=api.clock.now,
                )
            )
        await session.commit()
        ref = await load_reference(session)
        for username in HANDLERS:
            token, _row = await auth_service.create_token(
                session, ref, api.clock.now, username=username, name="tests", created_by="tests"
            )
            api.tokens[username] = token


async def _events(api: Api, ident: int) -> list[tuple[str, dict[str, object]]]:
    async with api.sessions() as session:
        stmt = select(EventRow).where(EventRow.delegation_id == ident).order_by(col(EventRow.id))
        return [(e.action, e.data) for e in await session.exec(stmt) if e.kind == "transition"]


async def test_signing_for_assigns_the_handler_in_one_step_and_the_handler_is_told(api: Api) -> None:
    await add_handlers(api)
    async with api.client("shinan-officer") as officer, api.client("zhifu-clerk") as clerk:
        assert ok(await clerk.get("/api/v1/handlers")) == [
            {"username": "zhifu-li", "display_name": "李法官"},
            {"username": "zhifu-wang", "display_name": "王法官"},
        ]
        filed = await file_matter(officer)
        ident = filed["id"]

        # Another court's handler cannot be chosen; nothing is signed for either.
        foreign = await act(clerk, ident, "sign-for", filed["version"], {"handler": "fushan-zhao"})
        assert foreign.status_code == 422 and foreign.json()["errors"][0]["field"] == "handler"
        assert "王法官（zhifu-wang）" in foreign.json()["errors"][0]["message_zh"]
        unchanged = ok(await clerk.get(f"/api/v1/delegations/{ident}"))
        assert unchanged["status"] == "submitted" and unchanged["version"] == filed["version"]

        api.clock.set("2026-03-03")
        both = await act(clerk, ident, "sign-for", filed["version"], {"handler": "zhifu-wang"})
        signed = ok(both)
        assert signed["status"] == "in_progress" and signed["version"] == filed["version"] + 2
        assert both.headers["ETag"] == f'"{signed["version"]}"'
        assert signed["handler"] == "王法官" and signed["handler_username"] == "zhifu-wang"
        assert [a for a, _ in await _events(api, ident)] == ["create", "submit", "sign_for", "assign_handler"]

    await deliver(api)
    async with api.client("zhifu-wang") as wang:
        items = ok(await wang.get("/api/v1/inbox", params={"topic": "assignment"}))["items"]
        assert len(items) == 1 and "指定由您承办" in items[0]["body"] and items[0]["delegation_id"] == ident


async def test_a_reassignment_is_recorded_and_told_to_both_handlers(api: Api) -> None:
    await add_handlers(api)
    async with api.client("shinan-officer") as officer, api.client("zhifu-clerk") as clerk:
        filed = await file_matter(officer)
        ident = filed["id"]
        signed = ok(await act(clerk, ident, "sign-for", filed["version"]))
        assert signed["status"] == "accepted" and signed["handler_username"] is None  # assign later
        wang = ok(await act(clerk, ident, "assign-handler", signed["version"], {"handler": "王法官"}))  # by name
        assert wang["handler_username"] == "zhifu-wang"
        same = await act(clerk, ident, "assign-handler", wang["version"], {"handler": "zhifu-wang"})
        assert same.status_code == 422 and "已由王法官承办" in same.json()["errors"][0]["message_zh"]
        moved = ok(
            await act(clerk, ident, "assign-handler", wang["version"], {"handler": "zhifu-li", "comment": "王法官出差"})
        )
        assert moved["handler"] == "李法官" and moved["status"] == "in_progress"
        assigned = [d for a, d in await _events(api, ident) if a == "assign_handler"]
        assert assigned[-1] == {"handler": "李法官", "handler_username": "zhifu-li", "previous_handler": "zhifu-wang"}
        free_text = await act(clerk, ident, "assign-handler", moved["version"], {"handler": "张法官"})
        assert free_text.status_code == 422  # the court has handlers: only they can be chosen

    await deliver(api)
    async with api.client("zhifu-wang") as wang_client, api.client("zhifu-li") as li_client:
        told_wang = ok(await wang_client.get("/api/v1/inbox", params={"topic": "assignment"}))["items"]
        assert [i["title"] for i in told_wang] == [f"{filed['number']} 已改派他人承办", f"{filed['number']} 指定您承办"]
        assert "改由李法官承办" in told_wang[0]["body"]
        told_li = ok(await li_client.get("/api/v1/inbox", params={"topic": "assignment"}))["items"]
        assert len(told_li) == 1 and "王法官出差" in told_li[0]["body"]


async def test_the_handler_finds_their_matters_under_handled_by_me(api: Api) -> None:
    await add_handlers(api)
    async with api.client("shinan-officer") as officer, api.client("zhifu-clerk") as clerk:
        mine = await file_matter(officer)
        other = await file_matter(officer, case_number="（2026）鲁0202执101号")
        ok(await act(clerk, mine["id"], "sign-for", mine["version"], {"handler": "zhifu-wang"}))
        ok(await act(clerk, other["id"], "sign-for", other["version"], {"handler": "zhifu-li"}))
    async with api.client(follow_redirects=False) as browser:
        await login(browser, "zhifu-wang")
        page = await browser.get("/work", params={"view": "mine"})
        assert page.status_code == 200 and "我承办的" in page.text
        assert mine["number"] in page.text and other["number"] not in page.text
        assert 'href="/work?view=mine" aria-current="page"' in page.text
    async with api.client(follow_redirects=False) as browser:
        await login(browser, "zhifu-clerk")  # no handler: no such list in the menu
        assert "view=mine" not in (await browser.get("/work")).text


async def test_a_court_without_registered_handlers_still_names_its_handler(api: Api) -> None:
    async with api.client("shinan-officer") as officer, api.client("zhifu-clerk") as clerk:
        filed = await file_matter(officer)
        done = ok(await act(clerk, filed["id"], "sign-for", filed["version"], {"handler": "王法官"}))
        assert done["handler"] == "王法官" and done["handler_username"] is None
