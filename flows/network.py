"""网络查控 as Prefect flows.

network-dispatch (every minute, watching for about a minute, every 5 s): queue the new matters that
auto-accepting connectors cover, then run one `network-control` flow run per runnable job (queued, in the
registry's business hours; or held by a run that died, its lease over) as its child, named by the matter number
and the act. An operator can also start one job by hand through the network-control deployment
(`prefect deployment run network-control/network-control -p job_id=7`).

network-control (one run per matter and act): sign for the matter as the assisting court's network actor
when the connector allows it (or the clerk clicked 网络办理), send each asset to the registry (one task run per
asset, at most `max_in_flight` at a time per registry and `rate_per_minute`, both Prefect global concurrency
limits), wait for the answers (synchronous, or posted to our callback route, or fetched by polling: a task
retried every few seconds up to the connector's answer time-out, so no process waits longer than that), then
record the per-asset results, the 网络查控回执 and 办结 through the service layer. What no registry answered
goes back to the clerks with the reason on the timeline.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import math
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from contextvars import ContextVar
from datetime import datetime
from typing import Any

import httpx
from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.concurrency._asyncio import (
    _discard_cleanup_lease,
    aacquire_concurrency_slots_with_lease,
    arelease_concurrency_slots_with_lease,
)
from prefect.concurrency.asyncio import rate_limit
from prefect.context import FlowRunContext, SyncClientContext, TaskRunContext, get_run_context
from prefect.exceptions import ObjectAlreadyExists

from delegation.core.errors import DomainError
from delegation.network import service as network
from delegation.network.adapters import Link, RegistryProblem, adapter_for
from delegation.store.blobs import BlobStore, make_blob_store
from delegation.store.context import Context
from flows import runtime

SEND_RETRY_DELAYS: list[float] = [2.0, 8.0]  # a time-out or registry error: the same request again after these
_LIMITS_ENSURED: set[tuple[int, int, int]] = set()


_CLIENT: ContextVar[httpx.AsyncClient | None] = ContextVar("jiaodong_registry_client", default=None)


@asynccontextmanager
async def hosting(max_runs: int) -> AsyncIterator[None]:
    """What the runs hosted in this event loop share: one database engine (runtime.shared_database) and one HTTP
    client for the registries (its TLS context built once, its connections kept alive), instead of a new
    connection, new compiled statements and a new TLS context for every step of every run."""
    if _CLIENT.get() is not None:
        yield
        return
    # Prefect itself opens a synchronous API client (a TLS context of its own) in every top-level flow run to
    # read the server's default result storage; a client in the context is taken instead.
    with SyncClientContext.get_or_create():
        async with runtime.shared_database(pool_size=max_runs), httpx.AsyncClient() as client:
            token = _CLIENT.set(client)
            try:
                yield
            finally:
                _CLIENT.reset(token)


def registry_client() -> httpx.AsyncClient:
    client = _CLIENT.get()
    if client is None:
        raise RuntimeError("registry calls run inside hosting()")
    return client


class AnswersPending(Exception):
    """Some registry has not answered yet: the waiting task is retried after the poll interval."""


def blob_store() -> BlobStore:
    s = runtime.settings()
    return make_blob_store(s.storage, s.data_dir, s.s3_bucket, s.s3_endpoint_url, s.s3_region)


def limit_names(job: network.Job) -> tuple[str, str]:
    return f"registry-{job.connector_id}", f"registry-{job.connector_id}-rate"


async def ensure_limits(job: network.Job) -> None:
    """The connector's concurrency and rate limits as Prefect global concurrency limits (once per process)."""
    key = (job.connector_id, job.connector.max_in_flight, job.connector.rate_per_minute)
    if key in _LIMITS_ENSURED:
        return
    from prefect.client.orchestration import get_client

    in_flight, rate = limit_names(job)
    async with get_client() as client:
        for attempt in range(2):
            try:
                await client.upsert_global_concurrency_limit_by_name(in_flight, job.connector.max_in_flight)
                await client.upsert_global_concurrency_limit_by_name(
                    rate, job.connector.rate_per_minute, slot_decay_per_second=job.connector.rate_per_minute / 60
                )
                break
            except ObjectAlreadyExists:
                # Another run created it between our read and our create: the second upsert updates it.
                if attempt:
                    raise
    _LIMITS_ENSURED.add(key)


@asynccontextmanager
async def registry_slot(job: network.Job) -> AsyncIterator[None]:
    """Wait for the connector's rate limit and for a slot of its in-flight limit (Prefect global concurrency
    limits), held for one request. The slot's lease outlasts the request (bounded by its time-out), so it is not
    renewed: prefect.concurrency.asyncio.concurrency renews it from a thread of its own with a new API client (a
    TLS context, a renewal call), which cost more than the request itself."""
    in_flight, rate = limit_names(job)
    await rate_limit(rate)
    lease_seconds = max(60.0, job.connector.request_timeout_seconds * 3 + 30)
    held = await aacquire_concurrency_slots_with_lease([in_flight], 1, lease_duration=lease_seconds)
    try:
        yield
    finally:
        if held.limits:
            await arelease_concurrency_slots_with_lease(held.lease_id)
            _discard_cleanup_lease(held.lease_id)  # released: the task run's exit need not release it again


def link_of(job: network.Job) -> Link:
    c = job.connector
    return Link(c.endpoint, network.resolve_secret(c.secret_ref), c.request_timeout_seconds)


@task(
    name="send-to-registry",
    retries=2,
    cache_policy=NO_CACHE,
    task_run_name="{query.request_id}",
)
async def send_asset(job: network.Job, query: network.Query, callback_url: str | None, now: datetime | None) -> str:
    """Send one asset; a synchronous answer is recorded at once. A time-out or a registry error raises (Prefect
    retries it; the registry sees the same request id); a refusal or a forged answer is final."""
    async with runtime.database() as (session, ref):
        request = await network.build_request(session, ref, job, query, callback_url)
        async with registry_slot(job):
            await network.record_sent(session, job, query, runtime.moment(now))
            try:
                answer = await adapter_for(job.registry).send(registry_client(), link_of(job), request)
            except RegistryProblem as problem:
                if problem.retryable:
                    raise
                await network.record_failure(session, job, query, problem.code, str(problem), runtime.moment(now))
                return problem.code
        if answer.status == "answered":
            return await network.record_answer(session, answer, "sync", runtime.moment(now))
        return "pending"


@task(name="await-answers", cache_policy=NO_CACHE, task_run_name="answers of {job.number}")
async def await_answers(job: network.Job, now: datetime | None) -> int:
    """Done when every query has its answer or has failed; else fetch the pending ones (the callback may be
    lost) and raise AnswersPending, which Prefect retries after the poll interval."""
    async with runtime.database() as (session, _ref):
        await network.renew_lease(session, job.id, runtime.moment(now), job.connector.answer_timeout_seconds + 120)
        waiting = [q for q in await network.queries_of(session, job.id) if q.status in ("planned", "sent")]
        if waiting:
            for query in waiting:
                try:
                    answer = await adapter_for(job.registry).fetch(registry_client(), link_of(job), query.request_id)
                except RegistryProblem:
                    continue  # asked again at the next poll
                if answer.status == "answered":
                    await network.record_answer(session, answer, "poll", runtime.moment(now))
            waiting = [q for q in await network.queries_of(session, job.id) if q.status in ("planned", "sent")]
        if waiting:
            raise AnswersPending(f"{len(waiting)} answer(s) pending")
    return 0


async def _time_out(job: network.Job, now: datetime | None) -> None:
    async with runtime.database() as (session, _ref):
        for query in await network.queries_of(session, job.id):
            if query.status in ("planned", "sent"):
                seconds = job.connector.answer_timeout_seconds
                await network.record_failure(
                    session, job, query, "timeout", f"no answer in {seconds} s", runtime.moment(now)
                )


def _run_id() -> str:
    try:
        return str(get_run_context().flow_run.id)  # type: ignore[union-attr]
    except Exception:  # outside a flow run (a direct call in a script)
        return "local"


@flow(name="network-control", flow_run_name="{matter}-{act}", retries=1, retry_delay_seconds=10, log_prints=False)
async def network_control(
    job_id: int,
    matter: str = "",  # noqa: ARG001 - names the run (flow_run_name)
    act: str = "",  # noqa: ARG001 - names the run (flow_run_name)
    now: datetime | None = None,
    poll_seconds: float | None = None,
) -> dict[str, Any]:
    """One matter's network handling, from sign-for to 办结 (or the hand-back to the clerks)."""
    async with hosting(max_runs=1):  # a child of network-dispatch uses its parent's
        return await _control(job_id, now, poll_seconds)


async def _control(job_id: int, now: datetime | None, poll_seconds: float | None) -> dict[str, Any]:
    log = get_run_logger()
    settings = runtime.settings()
    poll = poll_seconds if poll_seconds is not None else settings.network_poll_seconds
    async with runtime.database() as (session, ref):
        job = await network.load_job(session, job_id)
        lease = job.connector.answer_timeout_seconds + 120
        if not await network.claim(session, job_id, runtime.moment(now), lease, _run_id()):
            log.info("job %s of %s is held by another run or finished", job_id, job.number)
            return {"job": job_id, "status": "skipped"}
        ctx = Context(session, ref, network.network_actor(job.assisting_court), runtime.moment(now))
        try:
            await network.accept(ctx, job)
            planned = await network.plan(session, ref, job)
        except DomainError as exc:
            await network.hand_back(ctx, job, f"无法网络办理：{exc}")
            return {"job": job_id, "status": "handed_back", "reason": str(exc)}
    if planned == 0:
        async with runtime.database() as (session, ref):
            await network.hand_back(
                Context(session, ref, ctx.actor, runtime.moment(now)), job, "委托中没有可发往登记机关的财产或被执行人"
            )
        return {"job": job_id, "status": "handed_back"}
    await ensure_limits(job)
    async with runtime.database() as (session, _ref):
        queries = [q for q in await network.queries_of(session, job_id) if q.status in ("planned", "sent")]
    callback = settings.network_callback_url
    sender = send_asset.with_options(retries=len(SEND_RETRY_DELAYS), retry_delay_seconds=SEND_RETRY_DELAYS)
    sends: list[Any] = [sender(job, q, callback, now, return_state=True) for q in queries]
    states: list[Any] = await asyncio.gather(*sends)
    for query, state in zip(queries, states, strict=True):
        if state.is_failed():
            problem = await state.aresult(raise_on_failure=False)
            code = problem.code if isinstance(problem, RegistryProblem) else "error"
            async with runtime.database() as (session, _ref):
                await network.record_failure(session, job, query, code, str(problem), runtime.moment(now))
    async with runtime.database() as (session, _ref):
        pending = [q for q in await network.queries_of(session, job_id) if q.status in ("planned", "sent")]
    if pending:  # most registries answer at once: only an asynchronous answer needs the waiting task
        tries = max(1, math.ceil(job.connector.answer_timeout_seconds / max(poll, 0.1)))
        waiting: Any = await_answers.with_options(retries=tries, retry_delay_seconds=poll)(job, now, return_state=True)
        waited = await waiting
        if waited.is_failed():
            await _time_out(job, now)
    async with runtime.database() as (session, ref):
        ctx = Context(session, ref, network.network_actor(job.assisting_court), runtime.moment(now))
        finished = await network.finish(ctx, job, blob_store())
    log.info("%s: %s (%d result(s)) %s", job.number, finished.status, finished.results, finished.reason)
    return {"job": job_id, "status": finished.status, "results": finished.results, "reason": finished.reason}


def _top_level_run_context() -> contextvars.Context:
    """This context without the dispatcher's flow run: a network-control run started in it is a flow run of its
    own (named by the matter, hosted in this process) rather than a subflow, which would cost a tracking task run
    in the dispatcher's run, its states and a lookup for an earlier subflow run: three more Prefect API calls
    per matter for a link nobody follows (the matter's page links its own run)."""
    context = contextvars.copy_context()
    context.run(_forget_runs)
    return context


def _forget_runs() -> None:
    FlowRunContext.__var__.set(None)  # type: ignore[arg-type]  # what .get() reads when no run is under way
    TaskRunContext.__var__.set(None)  # type: ignore[arg-type]


@flow(name="network-dispatch", retries=0, log_prints=False)
async def network_dispatch(
    now: datetime | None = None,
    limit: int = 100,
    watch_seconds: float = 55.0,
    every_seconds: float = 5.0,
    max_runs: int = 20,
) -> dict[str, Any]:
    """For about a minute (the next minute's run takes over), every few seconds: queue the new matters that
    auto-accepting connectors cover and run network-control for each runnable job, as a child flow run in this
    process (no scheduling round trip, no process start per matter: a matter filed now is with its registry in
    seconds), at most `max_runs` at once. Waits for its runs before it ends, starting new ones meanwhile for up
    to another `watch_seconds` (the next scheduled dispatch is cancelled while this one runs); a run it could
    not finish (this process died) is taken over by a later dispatch when its lease runs out."""
    async with hosting(max_runs):
        return await _dispatch(now, limit, watch_seconds, every_seconds, max_runs)


async def _dispatch(
    now: datetime | None, limit: int, watch_seconds: float, every_seconds: float, max_runs: int
) -> dict[str, Any]:
    log = get_run_logger()
    deadline = asyncio.get_running_loop().time() + watch_seconds
    running: dict[int, asyncio.Task[Any]] = {}
    tasks: list[asyncio.Task[Any]] = []
    queued = started = 0

    async def run_job(job: network.Job) -> Any:
        try:
            return await network_control(job.id, matter=job.number, act=job.action.value, now=now)
        except Exception:
            # The run itself failed (Prefect or the database away): free the job for the next pass at once
            # rather than after its lease; its queries and answers so far are kept.
            async with runtime.database() as (session, _ref):
                await network.release(session, job.id)
            raise

    loop = asyncio.get_running_loop()
    while True:
        at = runtime.moment(now)
        busy = {j for j, task in running.items() if not task.done()}
        async with runtime.database() as (session, ref):
            queued += await network.queue_new_matters(session, at, limit)
            jobs = []
            if len(busy) < max_runs:  # only as many as can start now: the others stay queued for the next pass
                runnable = [j for j in await network.runnable_jobs(session, ref, at, limit) if j not in busy]
                jobs = [await network.load_job(session, job_id) for job_id in runnable[: max_runs - len(busy)]]
            for job in jobs:
                await network.mark_dispatched(session, job.id, at)
        for job in jobs:
            running[job.id] = asyncio.create_task(run_job(job), context=_top_level_run_context())
            tasks.append(running[job.id])
            started += 1
            busy.add(job.id)
        # Past the watch, it goes on starting runs while its runs are still going (it waits for them anyway, and
        # the next scheduled dispatch is cancelled meanwhile), up to a second watch; then it only waits.
        if loop.time() >= deadline and (not busy or loop.time() >= deadline + watch_seconds):
            break
        await asyncio.sleep(every_seconds)
    results = await asyncio.gather(*tasks, return_exceptions=True)
    failed = [r for r in results if isinstance(r, BaseException)]
    for problem in failed:
        log.error("a network-control run failed: %r", problem)
    log.info("network: %d matter(s) queued, %d run(s), %d failed", queued, started, len(failed))
    return {"queued": queued, "started": started, "failed": len(failed)}


def dispatch_forever(stop: threading.Event, pause_seconds: float = 5.0) -> None:
    """network-dispatch runs one after the other in this thread until `stop` is set (the embedded runner,
    flows/deployments.py IN_PROCESS): each run is a flow run of its own (about a minute), hosting its
    network-control runs. A run that fails (Prefect or the database away) is followed by the next after a pause."""
    log = logging.getLogger("jiaodong.network")
    while not stop.is_set():
        try:
            asyncio.run(network_dispatch())
        except Exception:
            log.exception("network-dispatch failed; the next starts in %.0f s", pause_seconds)
            stop.wait(pause_seconds)
