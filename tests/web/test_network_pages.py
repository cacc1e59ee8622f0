"""网络查控 on the pages: the administrators' connector page (list, create, edit, switch off; the secret only by
reference, never shown; bad input refused in Chinese next to its field), a matter's network panel (by network
or by hand, each asset's answer, receipt number, 首封/轮候, amounts frozen, the flow run, the hand-back reason)
and the clerk's one-click 网络办理, the work list's handling column and filter, and the figures on /stats."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta
from typing import Any

import pytest
from openpyxl import load_workbook

from delegation.network.model import RegistryKind
from delegation.refdata.service import load_reference
from delegation.store.tables import ConnectorRow, NetworkJobRow, NetworkQueryRow
from tests.api.actors import Api
from tests.api.support import act, file_matter, ok, upload
from tests.network_support import SECRET, SECRET_ENV, add_connector
from tests.web.support import login


async def _connector(api: Api, **overrides: Any) -> ConnectorRow:
    async with api.sessions() as session:
        ref = await load_reference(session)
        return await add_connector(
            session, ref, api.clock.now - timedelta(days=1), "http://127.0.0.1:9", RegistryKind.VEHICLE, **overrides
        )


def _answer(request_id: str, code: str, receipt: str, items: list[dict[str, Any]], message: str = "") -> dict[str, Any]:
    return {
        "protocol": "jiaodong-registry/1",
        "request_id": request_id,
        "status": "answered",
        "code": code,
        "receipt_no": receipt,
        "answered_at": "2026-03-02T02:15:09Z",
        "items": items,
        "message": message,
    }


async def _round(api: Api, matter: dict[str, Any], connector: ConnectorRow, status: str, reason: str = "") -> None:
    """One round of network handling as the flow leaves it (the flow itself: tests/flows/test_network_flow.py)."""
    now = api.clock.now
    async with api.sessions() as session:
        job = NetworkJobRow(
            delegation_id=matter["id"],
            round=1,
            connector_id=connector.id or 0,
            registry_kind="vehicle",
            action="inquire",
            trigger="auto",
            requested_by="network-control",
            status=status,
            reason=reason,
            flow_run_id="0b8c3f0e-5a41-4a0e-9d55-1f2a7f1b0c11",
            created_at=now,
            started_at=now,
            finished_at=now + timedelta(minutes=1) if status in ("done", "handed_back") else None,
        )
        session.add(job)
        await session.flush()
        rid = f"{matter['number']}.1.0"
        items = [
            {
                "description": "鲁F12345 大众帕萨特",
                "seal_from": "2026-03-02",
                "seal_until": "2028-03-01",
                "priority": "waiting",
                "amount_frozen": None,
            },
            {
                "description": "工商银行 尾号6789",
                "seal_from": None,
                "seal_until": None,
                "priority": "first",
                "amount_frozen": "15000.50",
            },
        ]
        answered = status != "handed_back"
        session.add(
            NetworkQueryRow(
                job_id=job.id or 0,
                delegation_id=matter["id"],
                asset_index=0,
                asset_label="被执行人张三名下车辆登记",
                request_id=rid,
                status="answered" if answered else "failed",
                answer_code="already_sealed" if answered else "timeout",
                receipt_no="YAVE4471029836" if answered else None,
                answer=_answer(rid, "already_sealed", "YAVE4471029836", items, "该财产已被其他法院查封，本次为轮候查封")
                if answered
                else {},
                error="" if answered else "registry timed out",
                answered_at=now if answered else None,
            )
        )
        await session.commit()


# ---------------------------------------------------------------- the connector page


async def test_an_administrator_lists_creates_edits_and_switches_off_a_connector(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(SECRET_ENV, SECRET)
    async with api.client() as admin:
        token = await login(admin, "qingdao-admin")
        assert 'href="/admin/connectors"' in (await admin.get("/admin/users")).text  # in the navigation
        empty = await admin.get("/admin/connectors")
        assert empty.status_code == 200 and "尚无查控接口" in empty.text
        form = {
            "csrf_token": token,
            "scope": "鲁06",
            "registry": "vehicle",
            "name": "烟台车管所",
            "matter_types": ["vehicle_inquiry", "vehicle_seal"],
            "endpoint": "https://registry.example/yantai/vehicle",
            "secret_ref": f"env:{SECRET_ENV}",
            "rate_per_minute": "30",
            "max_in_flight": "2",
            "request_timeout_seconds": "5",
            "answer_timeout_seconds": "300",
            "hours_start": "08:30",
            "hours_end": "17:30",
            "working_days_only": "1",
            "active": "1",
        }
        created = await admin.post("/admin/connectors", data=form)
        assert created.status_code == 303, created.text
        listing = await admin.get(created.headers["location"])
        assert "查控接口已保存" in listing.text and "烟台车管所" in listing.text
        assert f"env:{SECRET_ENV}" in listing.text and "已找到" in listing.text  # where the secret is, and that it is
        assert SECRET not in listing.text  # never the secret itself
        assert "每分钟30次，同时2个" in listing.text and "由书记员点击“网络办理”" in listing.text
        ident = int(re.search(r'data-connector="(\d+)"', listing.text).group(1))  # type: ignore[union-attr]

        edit = await admin.get(f"/admin/connectors/{ident}")
        assert edit.status_code == 200 and 'value="烟台车管所"' in edit.text and SECRET not in edit.text
        changed = await admin.post(
            f"/admin/connectors/{ident}",
            data={**form, "name": "烟台市公安局车管所", "auto_accept": "1", "scope": "鲁02", "registry": "bank"},
        )
        assert changed.status_code == 303
        api_view = ok(await admin.get("/api/v1/network/connectors"))
        assert [(c["scope"], c["registry"], c["name"], c["auto_accept"]) for c in api_view] == [
            ("鲁06", "vehicle", "烟台市公安局车管所", True)  # scope and registry stay the connector's own
        ]

        off = await admin.post(f"/admin/connectors/{ident}/disable", data={"csrf_token": token})
        assert off.status_code == 303
        assert "已停用" in (await admin.get("/admin/connectors")).text
        assert ok(await admin.get("/api/v1/network/connectors"))[0]["active"] is False
        assert (await admin.post(f"/admin/connectors/{ident}/enable", data={"csrf_token": token})).status_code == 303
        assert ok(await admin.get("/api/v1/network/connectors"))[0]["active"] is True
        assert (await admin.post(f"/admin/connectors/{ident}/disable", data={})).status_code == 403  # no CSRF token


async def test_bad_connector_input_is_refused_in_chinese_next_to_each_field(api: Api) -> None:
    async with api.client() as admin:
        token = await login(admin, "qingdao-admin")
        refused = await admin.post(
            "/admin/connectors",
            data={
                "csrf_token": token,
                "scope": "鲁06",
                "registry": "vehicle",
                "name": "烟台车管所",
                "matter_types": ["deposit_freeze"],
                "endpoint": "registry.example",
                "secret_ref": "my-plain-secret-value-123",
                "rate_per_minute": "很多",
                "max_in_flight": "0",
                "request_timeout_seconds": "5",
                "answer_timeout_seconds": "300",
                "hours_start": "18:00",
                "hours_end": "08:00",
            },
        )
        assert refused.status_code == 422
        text = refused.text
        assert "密钥引用：密钥只能以引用方式配置：env:变量名 或 file:/路径" in text
        assert "接口地址：接口地址应为http(s)://开头的网址" in text
        assert "每分钟请求上限：应为整数" in text
        assert "同时在途请求上限：不能小于1" in text
        assert "营业时间：营业时间的开始应早于结束" in text
        assert 'id="c-secret_ref"' in text and 'aria-invalid="true"' in text
        assert "my-plain-secret-value-123" in text  # shown back only to the administrator who typed it
        # a matter type of another registry, once the rest is right
        wrong_matter = await admin.post(
            "/admin/connectors",
            data={
                "csrf_token": token,
                "scope": "鲁06",
                "registry": "vehicle",
                "name": "烟台车管所",
                "matter_types": ["deposit_freeze"],
                "endpoint": "https://registry.example/v",
                "secret_ref": "env:JIAODONG_YANTAI_VEHICLE",
                "hours_start": "08:30",
                "hours_end": "17:30",
            },
        )
        assert wrong_matter.status_code == 422
        assert "可办事项：这些事项不由车辆登记办理：deposit_freeze" in wrong_matter.text
        assert ok(await admin.get("/api/v1/network/connectors")) == []  # nothing written
        await _connector(api, scope="鲁06")
        duplicate = await admin.post(
            "/admin/connectors",
            data={
                "csrf_token": token,
                "scope": "鲁06",
                "registry": "vehicle",
                "name": "又一个",
                "matter_types": ["vehicle_inquiry"],
                "endpoint": "https://registry.example/v",
                "secret_ref": "env:JIAODONG_YANTAI_VEHICLE",
                "hours_start": "08:30",
                "hours_end": "17:30",
            },
        )
        assert duplicate.status_code == 422 and "鲁06已有车辆登记的查控接口" in duplicate.text


async def test_the_connector_page_is_for_administrators_only(api: Api) -> None:
    async with api.client() as center:
        token = await login(center, "yantai-center")
        assert (await center.get("/admin/connectors")).status_code == 403
        assert (await center.post("/admin/connectors", data={"csrf_token": token})).status_code == 403
        assert 'href="/admin/connectors"' not in (await center.get("/notices")).text


# ---------------------------------------------------------------- a matter's page


async def test_a_clerk_hands_a_matter_to_the_network_with_one_click(api: Api) -> None:
    connector = await _connector(api, auto_accept=False)
    async with api.client("shinan-officer") as officer, api.client() as clerk:
        matter = await file_matter(officer)
        token = await login(clerk, "zhifu-clerk")
        page = (await clerk.get(f"/delegations/{matter['id']}")).text
        assert "data-hand-to-network" in page and "人工办理" in page
        assert f"交由{connector.name}办理" in page
        done = await clerk.post(f"/delegations/{matter['id']}/network", data={"csrf_token": token})
        assert done.status_code == 303
        after = (await clerk.get(done.headers["location"])).text
        assert "已交由查控接口办理" in after and "网络办理中" in after and "排队等待登记机关" in after
        assert "data-hand-to-network" not in after  # one round at a time
        assert "交由查控接口办理（网络办理）" in after  # on the timeline
        again = await clerk.post(f"/delegations/{matter['id']}/network", data={"csrf_token": token})
        assert again.status_code == 409 and "该委托正在网络办理中" in again.text
        status = ok(await clerk.get(f"/api/v1/delegations/{matter['id']}/network"))
        assert status["mode"] == "network_pending" and status["trigger"] == "clerk"
        # the requesting court sees the panel, never the button
        seen = (await officer.get(f"/delegations/{matter['id']}")).text
        assert "data-hand-to-network" not in seen


async def test_no_button_where_the_connector_signs_for_new_matters_itself(api: Api) -> None:
    await _connector(api, auto_accept=True)
    async with api.client("shinan-officer") as filer, api.client() as officer, api.client() as clerk:
        matter = await file_matter(filer)
        await login(officer, "shinan-officer")
        await login(clerk, "zhifu-clerk")
        page = (await clerk.get(f"/delegations/{matter['id']}")).text
        assert "网络查控" in page and "data-hand-to-network" not in page
        assert "data-network-coming" in page and "本事项将由测试vehicle自动办理" in page
        seen = (await officer.get(f"/delegations/{matter['id']}")).text  # the requesting court is told too
        assert "data-network-coming" in seen
        status = ok(await filer.get(f"/api/v1/delegations/{matter['id']}/network"))
        assert (status["mode"], status["trigger"], status["connector"]) == ("network_pending", "auto", "测试vehicle")


async def test_the_matter_page_shows_each_registry_answer_receipt_priority_and_amount(api: Api) -> None:
    connector = await _connector(api)
    async with api.client("shinan-officer") as officer, api.client() as viewer:
        matter = await file_matter(officer)
        await _round(api, matter, connector, "done")
        await login(viewer, "shinan-officer")
        page = (await viewer.get(f"/delegations/{matter['id']}")).text
        panel = page[page.index('data-network-mode="network"') :]
        panel = panel[: panel.index("</section>")]
        assert "已网络办结" in panel and "车辆登记 · 查询" in panel and connector.name in panel
        assert "系统自动签收" in panel
        assert "YAVE4471029836" in panel and "已被其他法院查封（轮候）" in panel
        assert 'data-priority="waiting">轮候' in panel and 'data-priority="first">首封' in panel
        assert "冻结金额：15000.50元" in panel and "查封冻结期限：2026年3月2日至2028年3月1日" in panel
        assert f"{matter['number']}-inquire" in panel and "该财产已被其他法院查封，本次为轮候查封" in panel
        status = ok(await viewer.get(f"/api/v1/delegations/{matter['id']}/network"))
        assert status["mode"] == "network" and status["flow_run_id"].startswith("0b8c3f0e")
        item = status["queries"][0]["items"][0]
        assert item["priority"] == "waiting" and status["queries"][0]["items"][1]["amount_frozen"] == "15000.50"


async def test_the_flow_run_links_to_prefect_when_its_ui_is_known(api: Api) -> None:
    connector = await _connector(api)
    api.app.state.runtime.settings.prefect_ui_url = "http://127.0.0.1:4200"
    async with api.client("shinan-officer") as officer, api.client() as viewer:
        matter = await file_matter(officer)
        await _round(api, matter, connector, "running")
        await login(viewer, "zhifu-clerk")
        page = (await viewer.get(f"/delegations/{matter['id']}")).text
        assert 'href="http://127.0.0.1:4200/runs/flow-run/0b8c3f0e-5a41-4a0e-9d55-1f2a7f1b0c11"' in page
        assert "登记机关办理中" in page and "网络办理中" in page


async def test_a_hand_back_shows_its_reason_and_offers_the_network_again(api: Api) -> None:
    connector = await _connector(api, auto_accept=False)
    reason = "以下财产未能网络办理，请人工办理：被执行人张三名下车辆登记：登记机关超时未答复"
    async with api.client("shinan-officer") as officer, api.client() as clerk:
        matter = await file_matter(officer)
        await _round(api, matter, connector, "handed_back", reason)
        await login(clerk, "zhifu-clerk")
        page = (await clerk.get(f"/delegations/{matter['id']}")).text
        assert "data-network-reason" in page and reason in page and "已退回人工办理" in page
        assert "超时未答复" in page  # the asset's answer code
        assert "data-hand-to-network" in page  # a clerk may try the network again


# ---------------------------------------------------------------- the work list and the statistics


async def test_the_command_center_sees_and_filters_by_network_or_by_hand(api: Api) -> None:
    connector = await _connector(api)
    async with api.client("shinan-officer") as officer, api.client() as center:
        by_network = await file_matter(officer)
        by_hand = await file_matter(officer, case_number="（2026）鲁0202执101号")
        await _round(api, by_network, connector, "done")
        await login(center, "yantai-center")
        page = (await center.get("/work?view=all")).text
        assert 'data-handling="network"' in page and 'data-handling="manual"' in page
        only_network = (await center.get("/work?view=all&handling=network")).text
        assert by_network["number"] in only_network and by_hand["number"] not in only_network
        only_hand = (await center.get("/work?view=all&handling=manual")).text
        assert by_hand["number"] in only_hand and by_network["number"] not in only_hand
        # The list's files say it too, as the list does (办理方式), in .xlsx and CSV
        exported = await center.get("/work/export.csv?view=all")
        lines = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
        assert lines[0][-1] == "办理方式"
        assert {line[0]: line[-1] for line in lines[1:]} == {
            by_network["number"]: "网络办理",
            by_hand["number"]: "人工办理",
        }
        book = load_workbook(io.BytesIO((await center.get("/work/export.xlsx?view=all&handling=network")).content))
        sheet = list(book["委托事项"].iter_rows(values_only=True))
        assert sheet[0][-1] == "办理方式" and [(r[0], r[-1]) for r in sheet[1:]] == [(by_network["number"], "网络办理")]
        listed = ok(await center.get("/api/v1/delegations", params={"handling": "network"}))
        assert [d["number"] for d in listed["items"]] == [by_network["number"]]
        assert (await center.get("/api/v1/delegations", params={"handling": "sometimes"})).status_code == 422


async def test_the_statistics_page_shows_the_network_figures(api: Api) -> None:
    async with api.client("shinan-officer") as officer, api.client("zhifu-clerk") as clerk, api.client() as center:
        matter = await file_matter(officer)
        signed = ok(await act(clerk, matter["id"], "sign-for", matter["version"]))
        assigned = ok(await act(clerk, matter["id"], "assign-handler", signed["version"], {"handler": "王法官"}))
        result = {"results": [{"asset": "被执行人张三名下车辆", "outcome": "not_found", "note": "未查到"}]}
        recorded = ok(await act(clerk, matter["id"], "record-result", assigned["version"], result))
        await upload(clerk, matter["id"], "receipt", name="回执.pdf")
        api.clock.now += timedelta(hours=6)
        ok(await act(clerk, matter["id"], "complete", recorded["version"], {"comment": "人工查询完毕"}))
        await login(center, "yantai-center")
        page = (await center.get("/stats?period=2026-03")).text
        section = page[page.index("data-network-stats") :]
        section = section[: section.index("</section>")]
        assert "烟台市芝罘区人民法院" in section and "车辆登记" in section
        row = section[section.index("烟台市芝罘区人民法院") :]
        cells = re.findall(r"<td>([^<]*)</td>", row)
        assert cells[:5] == ["车辆登记", "1", "0", "0.0%", "—"]  # one 查控 completed, by hand
        assert cells[5].endswith("小时")
        # Both listings of the page download like every other table (docs/web.md: .xlsx/CSV of every table).
        assert 'href="/stats/export.xlsx?table=network&amp;period=2026-03"' in section
        assert 'href="/stats/export.csv?table=flow&amp;period=2026-03"' in page
        book = load_workbook(io.BytesIO((await center.get("/stats/export.xlsx?table=network&period=2026-03")).content))
        rows = list(book["网络查控"].iter_rows(values_only=True))
        assert rows[0][:6] == ("统计期间", "受托法院", "登记机关", "查控办结数", "网络办理", "网络办理占比")
        [line] = [r for r in rows if r[1] == "烟台市芝罘区人民法院"]
        assert line[2:6] == ("车辆登记", 1, 0, 0) and line[7] > 0  # by hand, its hours
        [total] = [r for r in rows if r[1] == "合计"]
        assert total[3:5] == (1, 0)
        flows = await center.get("/stats/export.csv?table=flow&period=2026-03")
        assert flows.status_code == 200
        lines = list(csv.reader(io.StringIO(flows.content.decode("utf-8-sig"))))
        assert lines[0] == ["统计期间", "委托方（城市）", "受托方（城市）", "已答复事项"]
        assert ["青岛", "烟台", "1"] in [r[1:] for r in lines[1:]]
