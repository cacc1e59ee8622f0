"""Batch actions over HTTP and in the pages, on SQLite and PostgreSQL (issue 11, item 6): a clerk signs for
several matters, a command center 催办 several, anyone exports or prints several. Each matter is one normal
action in its own transaction: done, or refused with the reason and nothing of it written."""

from __future__ import annotations

import io
import re

from openpyxl import load_workbook
from sqlmodel import col, select

from delegation.store.tables import DelegationRow, EventRow, NoticeRow
from tests.api.actors import Api
from tests.api.support import act, draft_body, file_matter, ok
from tests.api.test_handlers import add_handlers
from tests.web.support import csrf_of, login


async def test_a_clerk_signs_for_several_each_done_or_refused_with_its_reason(api: Api) -> None:
    await add_handlers(api)
    async with api.client("shinan-officer") as officer, api.client("zhifu-clerk") as clerk:
        first = await file_matter(officer)
        second = await file_matter(officer, case_number="（2026）鲁0202执101号")
        signed = await file_matter(officer, case_number="（2026）鲁0202执102号")
        stale = await file_matter(officer, case_number="（2026）鲁0202执103号")
        elsewhere = await file_matter(officer, case_number="（2026）鲁0202执104号", assisting_court="鲁0611")
        ok(await act(clerk, signed["id"], "sign-for", signed["version"]))
        items = [
            {"id": first["id"], "version": first["version"]},
            {"id": signed["id"], "version": signed["version"]},
            {"id": stale["id"], "version": stale["version"] - 1},
            {"id": elsewhere["id"], "version": elsewhere["version"]},
            {"id": second["id"], "version": second["version"]},
        ]
        answer = ok(await clerk.post("/api/v1/batch/sign-for", json={"items": items, "handler": "zhifu-wang"}))
        assert (answer["done"], answer["refused"]) == (2, 3)
        by_id = {r["id"]: r for r in answer["results"]}
        assert [r["id"] for r in answer["results"]] == [i["id"] for i in items]  # in the order given
        for done in (first, second):
            assert by_id[done["id"]]["outcome"] == "done" and by_id[done["id"]]["status"] == "in_progress"
            after = ok(await clerk.get(f"/api/v1/delegations/{done['id']}"))
            assert after["handler"] == "王法官" and after["version"] == done["version"] + 2
        assert by_id[signed["id"]]["code"] == "transition_not_allowed"
        assert by_id[signed["id"]]["title"].startswith("当前状态下不能执行该操作")
        assert (
            by_id[stale["id"]]["code"] == "conflict" and by_id[stale["id"]]["title"] == "记录已被他人修改，请刷新后重试"
        )
        assert by_id[elsewhere["id"]]["code"] == "not_found" and by_id[elsewhere["id"]]["number"] is None

        # Nothing half-done per matter: a handler of another court refuses 签收 and assignment together.
        third = await file_matter(officer, case_number="（2026）鲁0202执105号")
        item = {"id": third["id"], "version": third["version"]}
        answer = ok(await clerk.post("/api/v1/batch/sign-for", json={"items": [item], "handler": "fushan-zhao"}))
        (result,) = answer["results"]
        assert result["outcome"] == "refused" and result["code"] == "validation_failed" and result["errors"]
        after = ok(await clerk.get(f"/api/v1/delegations/{third['id']}"))
        assert after["status"] == "submitted" and after["version"] == third["version"] and after["handler"] is None
    async with api.sessions() as session:
        events = list(await session.exec(select(EventRow).where(EventRow.delegation_id == third["id"])))
        assert "sign_for" not in [e.action for e in events]

    async with api.client("zhifu-clerk") as clerk:
        empty = await clerk.post("/api/v1/batch/sign-for", json={"items": []})
        assert empty.status_code == 422
        too_many = [{"id": i, "version": 1} for i in range(1, 102)]
        assert (await clerk.post("/api/v1/batch/sign-for", json={"items": too_many})).status_code == 422


async def test_a_command_center_urges_several_and_anyone_exports_them(api: Api) -> None:
    async with api.client("shinan-officer") as officer, api.client("yantai-center") as center:
        first = await file_matter(officer)
        second = await file_matter(officer, case_number="（2026）鲁0202执101号")
        body = draft_body(case_number="（2026）鲁0202执109号")
        draft = ok(await officer.post("/api/v1/delegations", json=body), 201)
        answer = ok(await center.post("/api/v1/batch/urge", json={"ids": [first["id"], second["id"], draft["id"]]}))
        assert (answer["done"], answer["refused"]) == (2, 1)
        assert all(r["notice_number"] for r in answer["results"][:2])
        assert answer["results"][2]["code"] == "not_found"  # a draft is the requesting court's alone

        response = await officer.post("/api/v1/batch/export.xlsx", json={"ids": [second["id"], first["id"]]})
        assert response.status_code == 200 and response.headers["content-type"].startswith(
            "application/vnd.openxmlformats"
        )
        sheet = load_workbook(io.BytesIO(response.content)).active
        assert sheet is not None
        rows = [row for row in sheet.iter_rows(values_only=True) if str(row[0]).startswith("JD")]
        assert [row[0] for row in rows] == [second["number"], first["number"]]
        assert [row[-1] for row in rows] == ["人工办理", "人工办理"]  # 办理方式: vehicle inquiries, by hand
    async with api.sessions() as session:
        notices = list(await session.exec(select(NoticeRow).order_by(col(NoticeRow.id))))
    assert [(n.delegation_id, n.kind) for n in notices] == [(first["id"], "urge"), (second["id"], "urge")]


async def test_the_work_page_signs_for_prints_and_refuses_an_empty_batch(api: Api) -> None:
    await add_handlers(api)
    async with api.client() as browser, api.client("shinan-officer") as officer:
        first = await file_matter(officer)
        second = await file_matter(officer, case_number="（2026）鲁0202执101号")
        await login(browser, "zhifu-clerk")
        page = (await browser.get("/work", params={"view": "waiting", "stage": "sign_for"})).text
        assert 'data-testid="batch-sign-for"' in page and '<option value="zhifu-wang">王法官</option>' in page
        boxes = re.findall(r'name="ids" value="(\d+:\d+)" form="batch"', page)
        assert sorted(boxes) == sorted(f"{m['id']}:{m['version']}" for m in (first, second))
        token = csrf_of(page)

        empty = await browser.post("/work/batch", data={"csrf_token": token, "action": "sign_for", "back": "/work"})
        assert empty.status_code == 422 and "请先勾选要处理的事项" in empty.text

        printed = await browser.post(
            "/work/batch", data={"csrf_token": token, "action": "print", "ids": boxes, "back": "/work?view=waiting"}
        )
        assert printed.status_code == 200 and "委托事项清单" in printed.text
        assert first["number"] in printed.text and "待烟台市芝罘区人民法院签收" in printed.text

        stale = f"{first['id']}:{first['version'] - 1}"
        done = await browser.post(
            "/work/batch",
            data={
                "csrf_token": token,
                "action": "sign_for",
                "ids": [stale, f"{second['id']}:{second['version']}"],
                "handler": "zhifu-li",
                "back": "/work?view=waiting",
            },
        )
        assert done.status_code == 200
        assert "共2件，办理成功1件" in done.text
        rows = re.findall(r'<tr data-outcome="(\w+)">\s*<td><a class="strong" href="/delegations/(\d+)">', done.text)
        assert rows == [("refused", str(first["id"])), ("done", str(second["id"]))]
        assert "记录已被他人修改" in done.text
    async with api.sessions() as session:
        row = await session.get(DelegationRow, second["id"])
        assert row is not None and row.handler_username == "zhifu-li" and row.status == "in_progress"


async def test_a_command_center_urges_and_exports_the_ticked_rows_in_the_pages(api: Api) -> None:
    async with api.client() as browser, api.client("shinan-officer") as officer:
        first = await file_matter(officer)
        second = await file_matter(officer, case_number="（2026）鲁0202执101号")
        await login(browser, "yantai-center")
        page = (await browser.get("/work", params={"view": "all"})).text
        assert 'data-testid="batch-urge"' in page and 'data-testid="batch-sign-for"' not in page
        token = csrf_of(page)
        ticked = [f"{m['id']}:{m['version']}" for m in (first, second)]
        urged = await browser.post(
            "/work/batch", data={"csrf_token": token, "action": "urge", "ids": ticked, "back": "/work?view=all"}
        )
        assert urged.status_code == 200 and "批量催办" in urged.text and "共2件，办理成功2件" in urged.text
        assert urged.text.count('data-outcome="done"') == 2 and "已发出" in urged.text
        listed = (await browser.get("/work", params={"view": "all"})).text
        assert listed.count("已催办1次（最近2026年3月2日）") == 2  # the rows say so now
        exported = await browser.post(
            "/work/batch", data={"csrf_token": token, "action": "export", "ids": ticked[:1], "back": "/work"}
        )
        assert exported.status_code == 200
        sheet = load_workbook(io.BytesIO(exported.content)).active
        assert sheet is not None
        assert [r[0] for r in sheet.iter_rows(values_only=True) if str(r[0]).startswith("JD")] == [first["number"]]
        unknown = await browser.post("/work/batch", data={"csrf_token": token, "action": "delete", "ids": ticked})
        assert unknown.status_code == 422 and "请选择批量操作" in unknown.text


async def test_a_matter_named_twice_in_a_batch_is_refused_naming_the_field_and_the_id(api: Api) -> None:
    async with api.client("shinan-officer") as officer, api.client("zhifu-clerk") as clerk:
        first = await file_matter(officer)
        second = await file_matter(officer, case_number="（2026）鲁0202执101号")
        a, b = first["id"], second["id"]
        twice = {"id": a, "version": first["version"]}
        other = {"id": b, "version": second["version"]}
        # (who, path, body, the field of the repeat, where the matter was named first, the matter)
        calls = [
            ("zhifu-clerk", "sign-for", {"items": [twice, other, twice]}, "items[2].id", "items[0].id", a),
            ("zhifu-clerk", "sign-for", {"items": [twice, {**twice, "version": 9}]}, "items[1].id", "items[0].id", a),
            ("yantai-center", "urge", {"ids": [b, a, b]}, "ids[2]", "ids[0]", b),
            ("shinan-officer", "export.xlsx", {"ids": [a, a]}, "ids[1]", "ids[0]", a),
        ]
        for user, path, body, field, where, repeated in calls:
            async with api.client(user) as client:
                refused = await client.post(f"/api/v1/batch/{path}", json=body)
            assert refused.status_code == 422, (path, refused.text)
            problem = refused.json()
            assert problem["code"] == "validation_failed"
            [error] = problem["errors"]
            assert error["field"] == field, path
            assert error["message_zh"] == f"委托事项（id {repeated}）重复：已在{where}列出，每项只能列一次"
            assert (
                error["message_en"] == f"Matter {repeated} is listed more than once (first at {where}); list each once."
            )
        for matter in (first, second):  # nothing was done to either
            after = ok(await clerk.get(f"/api/v1/delegations/{matter['id']}"))
            assert after["status"] == "submitted" and after["version"] == matter["version"]
    async with api.sessions() as session:
        assert list(await session.exec(select(NoticeRow))) == []
    # The schema says so as far as it can: uniqueItems (the same matter with another version differs as an item).
    schemas = api.app.openapi()["components"]["schemas"]
    assert schemas["BatchIdsIn"]["properties"]["ids"]["uniqueItems"] is True
    assert schemas["BatchSignForIn"]["properties"]["items"]["uniqueItems"] is True
