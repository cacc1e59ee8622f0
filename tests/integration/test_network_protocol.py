"""The connector protocol and the adapters against the registry simulator over real HTTP: found, partial,
already sealed (轮候), error then the same request again, time-out, a forged signature; and the callback
route of the web app: late, duplicate and forged callbacks."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from api.app import create_app
from delegation.network import service as network
from delegation.network.adapters import (
    BadSignature,
    Link,
    RegistryClosed,
    RegistryError,
    RegistryRefused,
    RegistryTimeout,
    adapter_for,
)
from delegation.network.model import (
    AnswerCode,
    AssetAnswer,
    AssetRequest,
    ControlAction,
    MatterRef,
    Priority,
    RegistryKind,
    answer_body,
    result_of,
)
from delegation.refdata.service import load_reference
from delegation.store.tables import AccessLogRow, NetworkQueryRow
from jiaodong.settings import Settings
from tests.network_support import SECRET, SECRET_ENV, add_connector, await_for, script, served, simulator
from tests.sla_support import add_users, at, filed

ZHANG_SAN = {"party_type": "natural_person", "name": "张三", "id_number": "11010519491231002X"}


@pytest.fixture
def sim() -> Iterator[str]:
    with simulator() as (url, _state):
        yield url


def request(rid: str, action: ControlAction = ControlAction.SEAL, **asset: object) -> AssetRequest:
    return AssetRequest(
        request_id=rid,
        registry=RegistryKind.VEHICLE,
        action=action,
        matter=MatterRef(
            number="JD2026-0000001",
            case_number="（2026）鲁0202执1号",
            requesting_court="鲁0202",
            assisting_court="鲁0602",
            matter_type="vehicle_seal",
        ),
        documents=(),
        subject=ZHANG_SAN,
        asset=dict(asset),
        period_months=24,
    )


def link(sim: str, secret: str = SECRET, timeout: float = 1.0) -> Link:
    return Link(f"{sim}/yantai/vehicle", secret, timeout)


async def send(sim: str, req: AssetRequest, **kw: object) -> AssetAnswer:
    async with httpx.AsyncClient() as client:
        return await adapter_for(RegistryKind.VEHICLE).send(client, link(sim, **kw), req)  # type: ignore[arg-type]


async def test_an_inquiry_finds_the_debtors_registered_vehicles(sim: str) -> None:
    answer = await send(sim, request("JD2026-0000001.1.0", ControlAction.INQUIRE))
    assert answer.status == "answered" and answer.code is AnswerCode.FOUND and answer.receipt_no
    assert [i.description for i in answer.items] == ["鲁F8A123 比亚迪秦", "鲁B2C456 本田雅阁"]
    outcome = result_of(ControlAction.INQUIRE, answer)
    assert outcome.outcome == "done" and "鲁F8A123" in outcome.note and answer.receipt_no in outcome.note


async def test_a_seizure_of_a_demo_vehicle_is_the_first_with_its_dates(sim: str) -> None:
    answer = await send(sim, request("r-seal-0001", plate="鲁F12345"))
    [item] = answer.items
    assert answer.code is AnswerCode.FOUND and item.priority is Priority.FIRST
    assert item.seal_from is not None and item.seal_until is not None and (item.seal_until - item.seal_from).days >= 720
    assert "首封" in result_of(ControlAction.SEAL, answer).note


async def test_already_sealed_is_a_waiting_seizure_recorded_as_done(sim: str) -> None:
    script(sim, "r-seal-0002", "already_sealed")
    answer = await send(sim, request("r-seal-0002", plate="鲁F55555"))
    assert answer.code is AnswerCode.ALREADY_SEALED and answer.items[0].priority is Priority.WAITING
    outcome = result_of(ControlAction.SEAL, answer)
    assert outcome.outcome == "done" and "轮候" in outcome.note


async def test_partial_and_not_found_map_to_their_outcomes(sim: str) -> None:
    script(sim, "r-seal-0003", "partial")
    script(sim, "r-seal-0004", "not_found")
    partial = await send(sim, request("r-seal-0003", plate="鲁F66666"))
    missing = await send(sim, request("r-seal-0004", plate="鲁F77777"))
    assert result_of(ControlAction.SEAL, partial).outcome == "partial"
    assert result_of(ControlAction.SEAL, missing).outcome == "not_found" and not missing.items


async def test_an_error_then_the_same_request_again_gets_one_answer(sim: str) -> None:
    script(sim, "r-seal-0005", "error")
    with pytest.raises(RegistryError):
        await send(sim, request("r-seal-0005", plate="鲁F12345"))
    first = await send(sim, request("r-seal-0005", plate="鲁F12345"))
    again = await send(sim, request("r-seal-0005", plate="鲁F12345"))
    assert first.code is AnswerCode.FOUND and first == again  # idempotent by request id: one receipt


async def test_a_registry_that_does_not_answer_in_time_is_a_timeout(sim: str) -> None:
    script(sim, "r-seal-0006", "timeout")
    with pytest.raises(RegistryTimeout):
        await send(sim, request("r-seal-0006", plate="鲁F12345"), timeout=0.5)


async def test_a_wrong_secret_is_refused_and_a_forged_answer_rejected(sim: str) -> None:
    with pytest.raises(RegistryRefused):
        await send(sim, request("r-seal-0007", plate="鲁F12345"), secret="another-secret-0123456789")
    forged = AssetAnswer(request_id="r-x", status="answered", code=AnswerCode.FOUND)
    response = httpx.Response(200, content=answer_body(forged), headers={"X-Jiaodong-Signature": "t=1,v1=00"})
    with pytest.raises(BadSignature):
        adapter_for(RegistryKind.VEHICLE)._answer(link(sim), response, "r-x")


async def test_closed_outside_business_hours(sim: str) -> None:
    script(sim, "r-seal-0008", "closed")
    with pytest.raises(RegistryClosed) as raised:
        await send(sim, request("r-seal-0008", plate="鲁F12345"))
    assert raised.value.code == "closed" and raised.value.retryable


# ---------------------------------------------------------------- callbacks into the web app


@pytest.mark.parametrize("mode", ["late_callback", "duplicate_callback", "bad_signature"])
async def test_callbacks_are_recorded_once_and_forged_ones_refused(
    mode: str, session: AsyncSession, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(SECRET_ENV, SECRET)
    await add_users(session)
    ref = await load_reference(session)
    now = datetime.now(UTC)
    matter = await filed(session, ref, at("2026-03-02"))
    app = create_app(Settings(database_url=database_url, data_dir=tmp_path, secret_key="test-secret-key"))
    from tests.network_support import Behaviour

    behaviour = Behaviour(latency=(0, 0.01), async_share=0, error_rate=0, timeout_rate=0, late_callback_delay=1.5)
    with simulator(behaviour) as (sim_url, state), served(app) as web:
        connector = await add_connector(session, ref, now, sim_url)
        assert connector.id
        # A job and its query as the flow plans them, then the request sent with our callback URL.
        job_id = await network.request_by_clerk(network_ctx(session, ref, now), matter.id or 0)
        job = await network.load_job(session, job_id)
        assert await network.plan(session, ref, job) == 1
        [query] = await network.queries_of(session, job_id)
        script(sim_url, query.request_id, mode)
        asked = await network.build_request(session, ref, job, query, f"{web}/api/v1/network/callbacks")
        async with httpx.AsyncClient() as client:
            pending = await adapter_for(RegistryKind.VEHICLE).send(client, network_link(sim_url), asked)
        assert pending.status == "pending"
        await network.record_sent(session, job, query, now)
        await await_for(lambda: _callbacks(state, 2 if mode == "duplicate_callback" else 1), 20)
        [row] = list(await session.exec(select(NetworkQueryRow)))
        await session.refresh(row)
        if mode == "bad_signature":
            assert row.status == "sent" and row.answer_code is None  # refused with 401, nothing recorded
        else:
            assert row.status == "answered" and row.answered_via == "callback" and row.receipt_no
        logs = list(await session.exec(select(AccessLogRow).where(AccessLogRow.kind == "registry_query")))
        answers = [log for log in logs if "答复" in log.reason]
        assert len(answers) == (0 if mode == "bad_signature" else 1)  # a duplicate is not recorded twice
        assert all(log.actor == "network-control" and log.actor_court == "鲁0602" for log in logs)


async def _callbacks(state: object, n: int) -> bool:
    return int(getattr(state, "callbacks_sent", 0)) >= n


def network_ctx(session: AsyncSession, ref: object, now: datetime) -> object:
    from delegation.store.context import Context
    from tests.sla_support import CLERK

    return Context(session, ref, CLERK, now)  # type: ignore[arg-type]


def network_link(sim: str) -> Link:
    return link(sim)
