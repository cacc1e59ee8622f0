"""Every route in the OpenAPI spec, called by every role of a third city, against a matter between two other
courts: nothing leaks (404 for anything addressed by the matter's id, no trace of it anywhere else) and
nothing changes."""

from __future__ import annotations

import io
import re
from typing import Any

import httpx
from sqlalchemy import func
from sqlmodel import select

from delegation.store.tables import AccessLogRow, ClockRow, DocumentRow, EventRow, NoticeRow, SupervisionDraftRow
from tests.api.actors import FOREIGN, PASSWORD, Api
from tests.api.support import PDF, act, draft_body, file_matter, ok, upload
from tests.api.test_inbox import deliver

REVEAL_REASON = "核对身份信息"

# A valid body for every operation that takes one, so that a 404 cannot hide behind a 422.
BODIES: dict[str, Any] = {
    "update_draft": draft_body(),
    "post_message": {"text": "请告知进度"},
    "reveal_field": {"field": "parties[1].id_number", "reason": REVEAL_REASON},
    "return_for_correction": {"reason_code": "other", "comment": "请补正"},
    "decline": {"comment": "非本院管辖"},
    "redirect": {"new_court": "鲁0611"},
    "assign_handler": {"handler": "李法官"},
    "schedule": {"scheduled_date": "2026-03-20"},
    "record_result": {"results": [{"asset": "鲁B12345", "outcome": "done"}]},
    "request_extension": {"days": 2, "comment": "需要更多时间"},
    "approve_extension": {},
    "refuse_extension": {"comment": "不同意"},
    "request_rework": {"comment": "结果不完整"},
    "withdraw": {"comment": "撤回"},
    "report_progress": {"comment": "正在办理"},
    "request_superior_order": {},
    "acknowledge_notice": {"reply": "已安排办理"},
    "issue_notice": {"kind": "urge"},
}
# Operations on the caller's own inbox; an {item_id} is an item of the matter's assisting clerk.
INBOX_BODIES = {"mark_inbox_read"}
NO_BODY = {
    "submit",
    "sign_for",
    "resubmit",
    "complete",
    "confirm",
    "me",
    "logout",
    "healthz",
    "readyz",
    "get_delegation",
    "list_delegations",
    "get_timeline",
    "list_documents",
    "download_document",
    "list_access_logs",
    "list_courts",
    "suggest_court",
    "get_court",
    "list_matter_types",
    "get_matter_type",
    "get_party_fields",
    "list_document_kinds",
    "get_calendar_day",
    "get_due_date",
    "list_calendar_years",
    "list_policy_versions",
    "get_policy_version",
    "list_inbox",
    "inbox_unread",
    "get_inbox_item",
    "registry_callback",
    "list_network_connectors",
    "get_matter_network",
    "hand_to_network",
    "list_handlers",
    "get_matter_type_fields_schema",
    "get_parties_schema",
    "get_network_statistics",
    "list_identifier_searches",
    "list_notices",
    "get_notice",
    "list_supervision_drafts",
}
SPECIAL = {
    "login",
    "create_delegation",
    "upload_document",
    "batch_sign_for",
    "batch_urge",
    "batch_export",
    "issue_supervision_drafts",
}


def _paths(api: Api) -> list[tuple[str, str, dict[str, Any]]]:
    spec = api.app.openapi()
    return [(path, method.upper(), op) for path, item in spec["paths"].items() for method, op in item.items()]


async def _call(
    client: httpx.AsyncClient,
    user: str,
    method: str,
    path: str,
    op: dict[str, Any],
    values: dict[str, Any],
    version: int,
) -> httpx.Response:
    url = re.sub(r"\{(\w+)\}", lambda m: str(values[m.group(1)]), path)
    operation = op["operationId"]
    headers = {"If-Match": f'"{version}"', "Idempotency-Key": f"foreign-{user}"}
    params = {
        "list_delegations": {"q": values["case_number"]},
        "suggest_court": {"division_code": "370602"},
        "get_due_date": {"trigger": "2026-03-02", "days": 2},
        "list_access_logs": {"delegation_id": values["delegation_id"]},
        "get_network_statistics": {"since": "2026-01-01", "until": "2027-01-01"},
    }.get(operation)
    if operation == "login":
        return await client.post(url, json={"username": user, "password": PASSWORD})
    if operation == "create_delegation":
        return await client.post(url, json=draft_body(case_number="（2026）鲁0705执9号"), headers=headers)
    if operation == "upload_document":
        files = {"file": ("scan.pdf", io.BytesIO(PDF), "application/pdf")}
        return await client.post(url, data={"kind": "other"}, files=files, headers=headers)
    if operation == "batch_sign_for":  # the foreign matter in a batch: refused as not found, nothing named
        body = {"items": [{"id": values["delegation_id"], "version": version}]}
        return await client.post(url, json=body, headers=headers)
    if operation in ("batch_urge", "batch_export"):
        return await client.post(url, json={"ids": [values["delegation_id"]]}, headers=headers)
    if operation == "issue_supervision_drafts":  # the matter's 督办 draft
        return await client.post(url, json={"draft_ids": [values["draft_id"]]}, headers=headers)
    if operation == "mark_inbox_read":
        body = {"ids": [values["item_id"]]}
        return await client.request(method, url, json=body, params=params, headers=headers)
    body = BODIES.get(operation, {} if method in ("POST", "PUT") and "delegation_id" in path else None)
    return await client.request(method, url, json=body, params=params, headers=headers)


async def test_every_route_and_every_role_of_a_foreign_court_sees_nothing_of_a_matter(api: Api) -> None:
    async with api.client("shinan-officer") as officer, api.client("zhifu-clerk") as clerk:
        matter = await file_matter(officer)
        ident = matter["id"]
        matter = ok(await act(clerk, ident, "sign-for", matter["version"]))
        ok(await officer.post(f"/api/v1/delegations/{ident}/messages", json={"text": "请尽快办理"}), 201)
        ok(
            await officer.post(
                f"/api/v1/delegations/{ident}/reveal", json={"field": "parties[1].phone", "reason": REVEAL_REASON}
            )
        )
        detail = ok(await officer.get(f"/api/v1/delegations/{ident}"))
        foreign_document = detail["documents"][0]["id"]
        await deliver(api)  # the clerk's inbox now holds the officer's message
        clerk_item = ok(await clerk.get("/api/v1/inbox"))["items"][0]["id"]
    async with api.client("yantai-center") as center:  # a 催办 on the matter, and a 督办 prepared for its center
        ok(await center.post("/api/v1/batch/urge", json={"ids": [ident]}))
    async with api.sessions() as session:
        [notice] = list(await session.exec(select(NoticeRow).where(NoticeRow.delegation_id == ident)))
        [clock] = [
            c
            for c in await session.exec(select(ClockRow).where(ClockRow.delegation_id == ident))
            if c.closed_at is None
        ]
        draft = SupervisionDraftRow(
            delegation_id=ident,
            clock_id=clock.id or 0,
            issuing_court="鲁06",
            to_court="鲁0602",
            created_at=api.clock.now,
        )
        session.add(draft)
        await session.commit()
        matter_notice, matter_draft = notice.id, draft.id
    async with api.client("kuiwen-officer") as own:
        own_draft = ok(await own.post("/api/v1/delegations", json=draft_body(case_number="（2026）鲁0705执1号")), 201)
        await upload(own, own_draft["id"], "other")

    secrets = [
        matter["number"],
        matter["case_number"],
        "张三",
        "青岛海联贸易有限公司",
        "11010519491231002X",
        "13800138000",
        "请尽快办理",
    ]
    async with api.sessions() as session:
        before = (
            (
                await session.exec(select(func.count()).select_from(EventRow).where(EventRow.delegation_id == ident))
            ).one(),
            (await session.exec(select(func.count()).select_from(AccessLogRow))).one(),
            (await session.exec(select(func.count()).select_from(DocumentRow))).one(),
        )

    routes = _paths(api)
    covered = {op["operationId"] for _path, _method, op in routes}
    known = set(BODIES) | set(INBOX_BODIES) | NO_BODY | SPECIAL
    assert covered <= known, covered - known
    targets = [
        {"delegation_id": ident, "document_id": foreign_document},
        {"delegation_id": own_draft["id"], "document_id": foreign_document},  # a foreign document under own id
    ]
    checked = 0
    for user in FOREIGN:
        async with api.client(user) as client:
            for path, method, op in routes:
                for target in targets if "{document_id}" in path else targets[:1]:
                    values = {
                        **target,
                        "case_number": matter["case_number"],
                        "code": "vehicle_inquiry" if "matter-types" in path else "鲁0705",
                        "day": "2026-03-02",
                        "version": "2025-01-01",
                        "item_id": clerk_item,
                        "notice_id": matter_notice,
                        "draft_id": matter_draft,
                    }
                    response = await _call(client, user, method, path, op, values, matter["version"])
                    where = f"{user} {method} {path} -> {response.status_code}"
                    assert response.status_code < 500, where
                    if "{delegation_id}" in path and target["delegation_id"] == ident:
                        assert response.status_code == 404, where
                        assert response.json()["code"] == "not_found", where
                    if "{document_id}" in path or "{item_id}" in path or "{notice_id}" in path:
                        assert response.status_code == 404, where
                    if op["operationId"] == "issue_supervision_drafts":  # a foreign matter's draft does not exist
                        assert response.status_code == 404 and response.json()["code"] == "not_found", where
                    if op["operationId"] in ("batch_sign_for", "batch_urge"):
                        (result,) = ok(response)["results"]
                        assert result["code"] == "not_found" and result["number"] is None, where
                    if op["operationId"] == "mark_inbox_read":
                        assert ok(response)["marked"] == 0, where
                    for secret in secrets:
                        assert secret not in response.text, f"{where} leaks {secret}"
                    checked += 1
    assert checked >= len(FOREIGN) * len(routes)

    async with api.sessions() as session:
        after = (
            (
                await session.exec(select(func.count()).select_from(EventRow).where(EventRow.delegation_id == ident))
            ).one(),
            (await session.exec(select(func.count()).select_from(AccessLogRow))).one(),
            (await session.exec(select(func.count()).select_from(DocumentRow))).one(),
        )
    # Nothing happened to the matter: no event, no access-log row, no document (the own draft got one upload
    # per user that may upload to it).
    assert after[0] == before[0] and after[1] == before[1]
    async with api.client("zhifu-clerk") as clerk:
        assert ok(await clerk.get(f"/api/v1/inbox/items/{clerk_item}"))["unread"] is True
    async with api.client("shinan-officer") as officer:
        unchanged = ok(await officer.get(f"/api/v1/delegations/{ident}"))
        assert unchanged["version"] == matter["version"] and unchanged["status"] == "accepted"
        assert len(unchanged["documents"]) == len(detail["documents"])


async def test_the_command_center_sees_its_city_and_the_regional_coordinator_sees_all_but_drafts(api: Api) -> None:
    async with api.client("shinan-officer") as officer:
        filed = await file_matter(officer)
        draft = ok(await officer.post("/api/v1/delegations", json=draft_body(case_number="（2026）鲁0202执7号")), 201)
    expectations = {
        "yantai-center": [filed["id"]],  # the assisting court is in Yantai
        "qingdao-center": [filed["id"]],  # the requesting court is in Qingdao
        "regional": [filed["id"]],
        "weifang-center": [],
        "zhifu-clerk": [filed["id"]],
        "shinan-officer": [draft["id"], filed["id"]],  # its own draft too
    }
    for user, expected in expectations.items():
        async with api.client(user) as client:
            listed = ok(await client.get("/api/v1/delegations"))
            assert [d["id"] for d in listed["items"]] == expected, user
            status = (await client.get(f"/api/v1/delegations/{draft['id']}")).status_code
            assert status == (200 if user == "shinan-officer" else 404), user
