"""网络查控 in the browser (issue 17, item 7): an administrator sets up 烟台's vehicle registry connector on the
connector page (a secret typed in clear is refused in Chinese; the reference is accepted); a 市南区 officer files
a vehicle inquiry to 芝罘区 and, without anyone at 芝罘区 touching it, sees the registry's result and its receipt
(the flow run by network-dispatch under the Prefect harness, against the registry simulator); the Yantai command
center filters its matters by network and reads the network figures on 统计分析. Screenshots 60-66.
"""

from __future__ import annotations

import os
import re
import tempfile
import threading
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

_HOME = tempfile.mkdtemp(prefix="jiaodong-e2e-prefect-")
os.environ.setdefault("PREFECT_HOME", _HOME)
os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
os.environ["PREFECT_LOGGING_LEVEL"] = "WARNING"

from delegation.core.clocks import SHANGHAI  # noqa: E402
from delegation.network.model import RegistryKind  # noqa: E402
from delegation.store.db import make_engine, make_sessionmaker  # noqa: E402
from delegation.store.tables import EventRow, NetworkJobRow  # noqa: E402
from jiaodong.registry_sim import endpoint_of  # noqa: E402
from tests.e2e.conftest import LiveServer, run_async  # noqa: E402
from tests.e2e.support import Person  # noqa: E402
from tests.network_support import SECRET, SECRET_ENV, simulator  # noqa: E402
from tests.support import PARTIES  # noqa: E402

PDF = b"%PDF-1.4\n% scan\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


@pytest.fixture(scope="module")
def registries(live_server: LiveServer) -> Iterator[str]:
    """The registry simulator of the five cities and a Prefect API (the test harness) for network-dispatch,
    which reads the served app's database and data folder."""
    from prefect.settings import PREFECT_API_URL, temporary_settings
    from prefect.testing.utilities import prefect_test_harness

    from jiaodong.settings import get_settings

    saved = {k: os.environ.get(k) for k in ("DATABASE_URL", "JIAODONG_DATA_DIR", SECRET_ENV, "PREFECT_API_URL")}
    os.environ.pop("PREFECT_API_URL", None)
    os.environ.update(
        {"DATABASE_URL": live_server.database_url, "JIAODONG_DATA_DIR": str(live_server.data_dir), SECRET_ENV: SECRET}
    )
    get_settings.cache_clear()
    try:
        with (
            temporary_settings(restore_defaults={PREFECT_API_URL}),
            prefect_test_harness(server_startup_timeout=120),
            simulator() as (url, _state),
        ):
            # The dispatch runs in its own thread, where the harness's settings context is not: the environment is.
            os.environ["PREFECT_API_URL"] = str(PREFECT_API_URL.value())
            yield url
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        get_settings.cache_clear()


def _scan(tmp_path: Path, name: str) -> str:
    path = tmp_path / name
    path.write_bytes(PDF)
    return str(path)


def _delegation_id(page: Any) -> int:
    found = re.search(r"/delegations/(\d+)", page.url)
    assert found, page.url
    return int(found.group(1))


def _dispatch_in_background() -> tuple[threading.Thread, list[Any]]:
    """One network-dispatch run (as the every-minute schedule starts it), in its own thread and loop."""
    from flows.network import network_dispatch

    outcome: list[Any] = []

    def work() -> None:
        try:
            outcome.append(run_async(lambda: network_dispatch(watch_seconds=40, every_seconds=1, max_runs=2)))
        except Exception as exc:  # reported by the test, not lost in the thread
            outcome.append(exc)

    thread = threading.Thread(target=work, name="network-dispatch", daemon=True)
    thread.start()
    return thread, outcome


async def _who_acted(server: LiveServer, ident: int) -> tuple[list[tuple[str, str, str]], list[str]]:
    """(actor, court, action) of every event of the matter, and its network jobs' states."""
    engine = make_engine(server.database_url)
    try:
        async with make_sessionmaker(engine)() as session:
            events = await session.exec(select(EventRow).where(EventRow.delegation_id == ident))
            acted = [(e.actor, e.actor_court or "", e.action) for e in events]
            jobs = await session.exec(select(NetworkJobRow.status).where(NetworkJobRow.delegation_id == ident))
            return acted, list(jobs)
    finally:
        await engine.dispose()


def test_a_vehicle_inquiry_is_answered_by_the_registry_with_nobody_at_zhifu_touching_it(
    browser: Any, live_server: LiveServer, registries: str, tmp_path: Path
) -> None:
    # The story runs in real time: the flow's clock is the machine's, so the app's is set to now.
    live_server.clock.now = max(live_server.clock.now, datetime.now(SHANGHAI))

    # 1. The administrator sets up Yantai's vehicle registry connector on the page.
    admin = Person.open(browser, live_server, "admin")
    page = admin.page
    admin.goto("/admin/connectors")
    admin.login()
    admin.visit("/admin/connectors")
    admin.check("connectors-empty")
    page.get_by_role("link", name="新建查控接口").click()
    page.wait_for_url("**/admin/connectors/new")
    admin.check("connector-new")
    page.select_option("#c-scope", "鲁06")
    page.select_option("#c-registry", "vehicle")
    page.fill("#c-name", "烟台市公安局交警支队车管所")
    page.get_by_label("车辆查询").check()
    page.get_by_label("车辆查封").check()
    page.fill("#c-endpoint", endpoint_of(registries, "鲁06", RegistryKind.VEHICLE))
    page.fill("#c-secret_ref", SECRET)  # the secret itself: refused, only a reference is accepted
    page.fill("#c-business_hours-start", "00:00")
    page.fill("#c-business_hours-end", "23:59")
    page.get_by_label("仅限法院工作日").uncheck()
    page.get_by_label("本院同意由系统自动签收此类新事项（否则由书记员点击“网络办理”）").check()
    page.get_by_role("button", name="保存查控接口").click()
    error = page.locator("#c-secret_ref-err1")
    assert "密钥只能以引用方式配置" in error.inner_text()
    assert page.get_attribute("#c-secret_ref", "aria-invalid") == "true"
    admin.assert_error_summary_focused()
    admin.shot("60-connector-secret-refused")
    page.fill("#c-secret_ref", f"env:{SECRET_ENV}")
    page.get_by_role("button", name="保存查控接口").click()
    page.wait_for_url("**/admin/connectors?ok=connector_saved*")
    row = page.locator("tr[data-connector]")
    assert "烟台市公安局交警支队车管所" in row.inner_text() and "已找到" in row.inner_text()
    assert SECRET not in page.content()
    admin.shot("61-connectors")
    page.get_by_role("link", name="编辑").first.click()
    page.wait_for_url(re.compile(r"/admin/connectors/\d+$"))
    admin.check("connector-edit")
    admin.assert_clean()
    admin.close()

    # 2. The 市南区 officer files a vehicle inquiry to 芝罘区.
    officer = Person.open(browser, live_server, "shinan-officer")
    page = officer.page
    officer.goto("/delegations/new")
    officer.login()
    officer.visit("/delegations/new")
    page.get_by_label("车辆查询").check()
    page.get_by_role("button", name="下一步：填写事项").click()
    page.fill("#f-case_number", "(2026)鲁0202执900号")
    page.select_option("#f-assisting_court", "鲁0602")
    page.fill("#f-summary", "查询被执行人名下登记车辆")
    applicant, debtor = PARTIES
    page.select_option("#f-parties-0-party_type", "legal_person")
    page.fill("#f-parties-0-name", str(applicant["name"]))
    page.fill("#f-parties-0-uscc", str(applicant["uscc"]))
    page.fill("#f-parties-1-name", str(debtor["name"]))
    page.fill("#f-parties-1-id_number", str(debtor["id_number"]))
    for kind in ("letter_of_delegation", "assistance_notice", "officer_credentials"):
        page.set_input_files(f"#f-document-{kind}", _scan(tmp_path, f"{kind}.pdf"))
    page.get_by_role("button", name="保存草稿并预览委托函").click()
    page.wait_for_url(re.compile(r"/delegations/\d+\?ok=draft_saved"))
    ident = _delegation_id(page)
    page.get_by_role("button", name="提交委托").click()
    page.wait_for_url(f"**/delegations/{ident}?ok=submit")
    coming = page.locator("[data-network-coming]")
    assert "烟台市公安局交警支队车管所" in coming.inner_text()
    officer.shot("62-network-inquiry-submitted")

    # 3. network-dispatch (every minute in production) takes it; nobody at 芝罘区 opens it.
    thread, outcome = _dispatch_in_background()
    for _ in range(90):
        page.wait_for_timeout(1000)
        page.reload()
        if page.locator(".pill.status-completed").count():
            break
    assert page.locator(".pill.status-completed").count(), f"not completed by network in 90 s: {outcome}"
    panel = page.locator("section.network-panel")
    text = panel.inner_text()
    assert "网络办理" in text and "已网络办结" in text and "系统自动签收" in text
    receipt_no = page.locator("[data-receipt-no]").first.inner_text().strip()
    assert re.fullmatch(r"[A-Z]{4}\d{10}", receipt_no), receipt_no
    assert "鲁F8A123 比亚迪秦" in text and "鲁B2C456 本田雅阁" in text  # the debtor's registered vehicles
    results = page.locator("section[aria-labelledby=s-results]").inner_text()
    assert "鲁F8A123" in results and receipt_no in results
    officer.shot("63-network-result-officer")

    # The registry's receipt, as the 回执 of the matter.
    page.locator("[data-network-receipt]").first.click()
    page.wait_for_url(f"**/delegations/{ident}/documents/*/preview")
    page.locator("[data-pdf-src][data-rendered='1']").wait_for()
    assert page.locator("[data-pdf-src]").get_attribute("data-failed") is None
    officer.shot("64-network-receipt")
    officer.assert_clean()
    officer.close()

    thread.join(60)
    assert outcome and not isinstance(outcome[0], Exception), outcome
    actors, jobs = run_async(lambda: _who_acted(live_server, ident))
    assert jobs == ["done"]
    zhifu = [(who, action) for who, court, action in actors if court == "鲁0602"]
    assert zhifu and all(who == "network-control" for who, _action in zhifu), zhifu  # no person at 芝罘区
    assert [a for _w, a in zhifu if a in ("sign_for", "record_result", "complete")] == [
        "sign_for",
        "record_result",
        "complete",
    ]

    # 4. The Yantai command center: by network or by hand, and the network figures.
    center = Person.open(browser, live_server, "yantai-center")
    page = center.page
    center.goto("/work?view=all&handling=network")
    center.login()
    center.visit("/work?view=all&handling=network")
    listed = page.locator("table.list tbody").inner_text()
    assert "（2026）鲁0202执900号" in listed and "网络办理" in listed
    assert page.locator("[data-handling=network]").count() == 1
    center.shot("65-work-by-network")
    center.visit(f"/stats?period={datetime.now(SHANGHAI):%Y-%m}")
    figures = page.locator("[data-network-stats]").inner_text()
    assert "烟台市芝罘区人民法院" in figures and "车辆登记" in figures and "100.0%" in figures
    center.shot("66-stats-network")
    center.assert_clean()
    center.close()
