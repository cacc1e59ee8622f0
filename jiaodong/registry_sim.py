"""`jiaodong registry-sim`: the registries of the five cities, speaking our connector protocol
(docs/network.md), for the embedded default, the tests and the benchmark. Loopback only.

Endpoints: POST /{city}/{registry}/requests (200 final answer | 202 pending, then a signed callback),
GET /{city}/{registry}/requests/{request_id} (the answer so far), POST /_sim/script (make the next answers to
a request id behave a given way: tests), GET /healthz.

Behaviour, deterministic per request id (a hash), so a rerun answers the same:
latency; found / not found / partial; a seizure behind another court's (轮候) when the asset is already
sealed; occasional errors (HTTP 500, the resend succeeds) and time-outs (no answer within the client's
time-out); asynchronous answers by callback; business hours (503 with X-Registry-Closed outside them).
The data: the vehicles, flats and companies of the demo matters (jiaodong/demo.py) and of the test
fixtures are registered as they were filed; any other subject gets registry entries derived from its hash.
"""

from __future__ import annotations

import asyncio
import hashlib
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import httpx
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse

from delegation.catalogue.policy import load_shipped_policies
from delegation.network.adapters import check_signature, signed_headers
from delegation.network.model import (
    SIGNATURE_HEADER,
    AnswerCode,
    AssetAnswer,
    AssetRequest,
    BusinessHours,
    ControlAction,
    FoundItem,
    Priority,
    RegistryKind,
    answer_body,
)

CITIES: dict[str, tuple[str, str]] = {
    # city slug -> (name, plate prefix)
    "qingdao": ("青岛", "鲁B"),
    "yantai": ("烟台", "鲁F"),
    "weifang": ("潍坊", "鲁G"),
    "weihai": ("威海", "鲁K"),
    "rizhao": ("日照", "鲁L"),
}
CITY_OF_SCOPE = {"鲁02": "qingdao", "鲁06": "yantai", "鲁07": "weifang", "鲁10": "weihai", "鲁11": "rizhao"}

# Registered as the demo matters and the test fixtures file them.
SEEDED_VEHICLES: dict[str, str] = {
    "鲁F12345": "大众帕萨特",
    "鲁B67890": "丰田卡罗拉",
}
SEEDED_OWNERS: dict[str, list[tuple[str, str]]] = {
    # the debtor of the README walk-through and the browser story: 张三
    "11010519491231002X": [("鲁F8A123", "比亚迪秦"), ("鲁B2C456", "本田雅阁")],
}
SCRIPTABLE = (
    "found",
    "partial",
    "not_found",
    "already_sealed",
    "rejected",
    "error",
    "timeout",
    "async",
    "late_callback",
    "duplicate_callback",
    "bad_signature",
    "closed",
)


@dataclass
class Behaviour:
    latency: tuple[float, float] = (0.05, 0.4)  # seconds per answer
    async_share: float = 0.3  # answered by callback
    callback_delay: tuple[float, float] = (0.5, 3.0)
    error_rate: float = 0.03  # HTTP 500 on a first attempt
    timeout_rate: float = 0.02  # no answer before the client gives up, on a first attempt
    timeout_sleep: float = 30.0
    late_callback_delay: float = 20.0
    hours: BusinessHours | None = None  # None: always open
    is_working_day: Callable[[date], bool] = field(default=lambda d: d.weekday() < 5)


def unit(*parts: str) -> float:
    """A number in [0, 1) fixed by its inputs."""
    digest = hashlib.sha256("|".join(parts).encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def _asset_key(request: AssetRequest) -> str:
    a = request.asset
    return str(
        a.get("plate")
        or a.get("vin")
        or a.get("cert_no")
        or a.get("address")
        or a.get("company_uscc")
        or a.get("account_no")
        or request.subject.get("id_number")
        or request.subject.get("uscc")
        or request.request_id
    )


def _receipt(city: str, registry: RegistryKind, request_id: str) -> str:
    return f"{city[:2].upper()}{registry.value[:2].upper()}{int(unit('receipt', request_id) * 10**10):010d}"


def _vehicles_of(city: str, subject: dict[str, Any]) -> list[tuple[str, str]]:
    ident = str(subject.get("id_number") or subject.get("uscc") or subject.get("name") or "")
    if ident in SEEDED_OWNERS:
        return SEEDED_OWNERS[ident]
    u = unit("owner", city, ident)
    if u < 0.2:
        return []
    prefix = CITIES[city][1]
    count = 1 if u < 0.8 else 2
    models = ("大众朗逸", "丰田凯美瑞", "别克英朗", "日产轩逸", "长安CS75")
    return [
        (f"{prefix}{int(unit('plate', ident, str(i)) * 90000) + 10000}", models[int(unit("m", ident, str(i)) * 5)])
        for i in range(count)
    ]


def seal_until(matter_type: str, start: date, months: int | None) -> date | None:
    """The last day of a seizure or freeze registered on `start`: the period asked, at most what the law allows
    for that property (the policy's seal entry, 民诉法解释 第四百八十五条); none asked: the most it allows."""
    policy = load_shipped_policies()[-1]
    seal = policy.matter(matter_type).seal if matter_type in policy.matter_codes else None
    return seal.until(start, months) if seal is not None else None


def decide(city: str, request: AssetRequest, today: date, outcome: str | None = None) -> AssetAnswer:
    """The registry's answer to one request (outcome forces found/partial/not_found/already_sealed/rejected)."""
    key = _asset_key(request)
    u = unit("outcome", city, key)
    action = request.action
    if outcome is None:
        if action is ControlAction.INQUIRE or key in SEEDED_VEHICLES:
            outcome = "found"
        elif action is ControlAction.SEAL:
            outcome = "not_found" if u < 0.08 else "already_sealed" if u < 0.22 else "partial" if u < 0.28 else "found"
        else:
            outcome = "not_found" if u < 0.06 else "found"
    until = seal_until(request.matter.matter_type, today, request.period_months)
    items: list[FoundItem] = []
    code = AnswerCode(outcome)
    message = ""
    description = _describe(city, request, key)
    if code is AnswerCode.REJECTED:
        message = "协助执行通知书与请求的被执行人不一致"
    elif action is ControlAction.INQUIRE:
        if request.registry is RegistryKind.VEHICLE:
            found = _vehicles_of(city, request.subject) if outcome != "not_found" else []
            items = [FoundItem(description=f"{plate} {model}") for plate, model in found]
        elif outcome != "not_found" and u >= 0.25:
            items = [FoundItem(description=description)]
        code = AnswerCode.FOUND if items else AnswerCode.NOT_FOUND
    elif code in (AnswerCode.FOUND, AnswerCode.ALREADY_SEALED, AnswerCode.PARTIAL):
        priority = Priority.WAITING if code is AnswerCode.ALREADY_SEALED else Priority.FIRST
        amount = request.asset.get("amount")
        frozen: str | None = None
        if request.registry is RegistryKind.BANK and amount is not None:
            asked = float(str(amount))
            frozen = f"{asked if code is not AnswerCode.PARTIAL else round(asked * 0.37, 2):.2f}"
        if action is ControlAction.RELEASE:
            items = [FoundItem(description=f"{description} 已解除查封冻结")]
        else:
            items = [
                FoundItem(
                    description=description,
                    seal_from=today,
                    seal_until=until,
                    priority=priority,
                    amount_frozen=frozen,
                )
            ]
        if code is AnswerCode.ALREADY_SEALED:
            message = "该财产已被其他法院查封，本次为轮候查封"
        if code is AnswerCode.PARTIAL:
            message = "账户余额不足，仅冻结部分金额" if frozen else "仅部分登记可以办理"
    else:
        message = "未查询到该财产的登记信息"
    return AssetAnswer(
        request_id=request.request_id,
        status="answered",
        code=code,
        receipt_no=_receipt(city, request.registry, request.request_id) if code is not AnswerCode.REJECTED else None,
        answered_at=datetime.now(UTC),
        items=tuple(items),
        message=message,
    )


def _describe(city: str, request: AssetRequest, key: str) -> str:
    a = request.asset
    if request.registry is RegistryKind.VEHICLE:
        plate = a.get("plate") or key
        return f"{plate} {a.get('brand_model') or SEEDED_VEHICLES.get(str(plate), '')}".strip()
    if request.registry is RegistryKind.REAL_ESTATE:
        return str(a.get("cert_no") or a.get("address") or f"{CITIES[city][0]}市不动产")
    if request.registry is RegistryKind.EQUITY:
        return f"{a.get('company_name', '')}股权"
    if request.registry is RegistryKind.BANK:
        return f"{a.get('bank_name', '')}账户尾号{str(a.get('account_no', ''))[-4:]}"
    return f"{request.subject.get('name', '')}名下{request.registry.value}"


@dataclass
class Registry:
    """The simulator's state: answers by request id (idempotent), attempts, scripts, callbacks in flight."""

    secret: str
    behaviour: Behaviour = field(default_factory=Behaviour)
    answers: dict[str, AssetAnswer] = field(default_factory=dict)
    pending: set[str] = field(default_factory=set)
    attempts: dict[str, int] = field(default_factory=dict)
    scripts: dict[str, list[str]] = field(default_factory=dict)
    callbacks_sent: int = 0
    tasks: set[asyncio.Task[None]] = field(default_factory=set)

    def scripted(self, request_id: str) -> str | None:
        queue = self.scripts.get(request_id)
        return queue.pop(0) if queue else None


def _signed(registry: Registry, status: int, answer: AssetAnswer, extra: dict[str, str] | None = None) -> Response:
    body = answer_body(answer)
    headers = signed_headers(registry.secret, body) | (extra or {})
    return Response(body, status_code=status, headers=headers, media_type="application/json")


async def _callback(registry: Registry, url: str, answer: AssetAnswer, delay: float, times: int, forge: bool) -> None:
    await asyncio.sleep(delay)
    body = answer_body(answer)
    secret = "forged-" + registry.secret if forge else registry.secret
    async with httpx.AsyncClient() as client:
        for _ in range(times):
            for attempt in range(5):
                try:
                    response = await client.post(url, content=body, headers=signed_headers(secret, body), timeout=10)
                    registry.callbacks_sent += 1
                    if response.status_code < 500:
                        break
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.5 * 2**attempt)


def create_sim_app(secret: str, behaviour: Behaviour | None = None) -> FastAPI:
    registry = Registry(secret, behaviour or Behaviour())
    app = FastAPI(title="胶东五市登记机关模拟器 / registry simulator", docs_url=None, redoc_url=None)
    app.state.registry = registry

    @app.get("/healthz")
    async def healthz() -> dict[str, Any]:
        return {"status": "ok", "answers": len(registry.answers), "callbacks_sent": registry.callbacks_sent}

    @app.post("/_sim/script")
    async def script(body: dict[str, Any]) -> dict[str, Any]:
        request_id, outcomes = str(body.get("request_id", "")), list(body.get("outcomes", []))
        bad = [o for o in outcomes if o not in SCRIPTABLE]
        if not request_id or bad:
            return JSONResponse({"detail": f"unknown outcomes {bad}; use {list(SCRIPTABLE)}"}, status_code=422)  # type: ignore[return-value]
        registry.scripts[request_id] = outcomes
        return {"request_id": request_id, "outcomes": outcomes}

    def _closed(request_id: str) -> Response | None:
        hours = registry.behaviour.hours
        now = datetime.now(UTC)
        if hours is None or hours.is_open(now, registry.behaviour.is_working_day(now.date())):
            return None
        answer = AssetAnswer(request_id=request_id, status="answered", code=AnswerCode.CLOSED, message="非工作时间")
        return _signed(registry, 503, answer, {"X-Registry-Closed": "1"})

    @app.post("/{city}/{kind}/requests")
    async def submit(city: str, kind: str, request: Request) -> Response:
        raw = await request.body()
        if city not in CITIES or kind not in {k.value for k in RegistryKind}:
            return JSONResponse({"detail": "no such registry"}, status_code=404)
        if not check_signature(registry.secret, request.headers.get(SIGNATURE_HEADER), raw):
            return JSONResponse({"detail": "bad signature"}, status_code=401)
        try:
            asked = AssetRequest.model_validate_json(raw)
        except ValueError as exc:
            return JSONResponse({"detail": str(exc)[:300]}, status_code=422)
        if asked.registry.value != kind:
            return JSONResponse({"detail": "request for another registry"}, status_code=422)
        rid = asked.request_id
        b = registry.behaviour
        forced = registry.scripted(rid)
        if forced == "closed" or (forced is None and _closed(rid) is not None):
            answer = AssetAnswer(request_id=rid, status="answered", code=AnswerCode.CLOSED, message="非工作时间")
            return _signed(registry, 503, answer, {"X-Registry-Closed": "1"})
        attempt = registry.attempts[rid] = registry.attempts.get(rid, 0) + 1
        await asyncio.sleep(random.uniform(*b.latency))  # noqa: S311 (simulated latency, not security)
        if rid in registry.answers:  # the same request again: the same answer
            return _signed(registry, 200, registry.answers[rid])
        if rid in registry.pending:
            return _signed(registry, 202, AssetAnswer(request_id=rid, status="pending"))
        if forced == "error" or (forced is None and attempt == 1 and unit("error", rid) < b.error_rate):
            return JSONResponse({"detail": "registry database unavailable"}, status_code=500)
        if forced == "timeout" or (forced is None and attempt == 1 and unit("timeout", rid) < b.timeout_rate):
            await asyncio.sleep(b.timeout_sleep)
            return JSONResponse({"detail": "too late"}, status_code=504)
        outcome = forced if forced in ("found", "partial", "not_found", "already_sealed", "rejected") else None
        answer = decide(city, asked, datetime.now(UTC).date(), outcome)
        asynchronous = forced in ("async", "late_callback", "duplicate_callback", "bad_signature") or (
            forced is None and asked.callback_url is not None and unit("async", rid) < b.async_share
        )
        if asynchronous and asked.callback_url:
            registry.pending.add(rid)
            delay = b.late_callback_delay if forced == "late_callback" else random.uniform(*b.callback_delay)  # noqa: S311
            times = 2 if forced == "duplicate_callback" else 1

            async def deliver() -> None:
                await _callback(registry, str(asked.callback_url), answer, delay, times, forced == "bad_signature")
                registry.pending.discard(rid)
                registry.answers[rid] = answer

            task = asyncio.create_task(deliver())
            registry.tasks.add(task)
            task.add_done_callback(registry.tasks.discard)
            return _signed(registry, 202, AssetAnswer(request_id=rid, status="pending"))
        registry.answers[rid] = answer
        return _signed(registry, 200, answer)

    @app.get("/{city}/{kind}/requests/{request_id}")
    async def status(city: str, kind: str, request_id: str, request: Request) -> Response:
        if city not in CITIES or kind not in {k.value for k in RegistryKind}:
            return JSONResponse({"detail": "no such registry"}, status_code=404)
        if not check_signature(registry.secret, request.headers.get(SIGNATURE_HEADER), request_id.encode("utf-8")):
            return JSONResponse({"detail": "bad signature"}, status_code=401)
        if request_id in registry.answers:
            return _signed(registry, 200, registry.answers[request_id])
        if request_id in registry.pending:
            return _signed(registry, 202, AssetAnswer(request_id=request_id, status="pending"))
        return JSONResponse({"detail": "unknown request"}, status_code=404)

    return app


def endpoint_of(base_url: str, scope: str, registry: RegistryKind) -> str:
    """The simulator's endpoint for a city's registry (scope: the city's intermediate court code)."""
    return f"{base_url.rstrip('/')}/{CITY_OF_SCOPE[scope]}/{registry.value}"


def serve(host: str, port: int, secret: str, behaviour: Behaviour | None = None) -> None:
    import uvicorn

    if host not in ("127.0.0.1", "::1", "localhost"):
        raise ValueError("the registry simulator listens on loopback only")
    uvicorn.run(create_sim_app(secret, behaviour), host=host, port=port, log_level="warning")


if __name__ == "__main__":  # pragma: no cover - the child process `jiaodong serve` starts
    import argparse
    import os

    parser = argparse.ArgumentParser(description="the registry simulator (docs/network.md)")
    parser.add_argument("--port", type=int, default=8765)
    secret = os.environ.get("JIAODONG_REGISTRY_SIM_SECRET", "")
    if len(secret) < 16:
        raise SystemExit("set JIAODONG_REGISTRY_SIM_SECRET (16+ characters)")
    serve("127.0.0.1", parser.parse_args().port, secret)
