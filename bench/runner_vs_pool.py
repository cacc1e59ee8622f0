"""Benchmark: the every-minute jobs (sla-watch, deliver-notifications) run by a long-lived runner (`serve`, what
`jiaodong serve` does) against a process work pool's worker (what production uses), on the same Prefect server.

Brings up the pieces of deploy/topology.py (a throwaway PostgreSQL cluster, a Prefect server with basic auth,
migrations and demo data), then for each mode starts one long-lived process (the runner: `python -m
jiaodong.serve runner`; the worker: `prefect worker start --type process`), both polling every 2 s, and runs
each job --runs times one after the other, as the every-minute schedule does. Per mode it prints, from the
Prefect API's own timestamps: the lag from a run's creation to its start (p50/p95), the run's duration
(p50/p95), the wall time per run, the CPU seconds per run of the long-lived process and its children (from
/proc: utime+stime+cutime+cstime), and that process's resident memory after the runs.

Not a test. Usage: .venv/bin/python bench/runner_vs_pool.py [--runs 10] [--modes runner,pool]
"""

from __future__ import annotations

import argparse
import base64
import os
import signal
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import httpx

from deploy.topology import AUTH, BIN, topology

JOBS = ("sla-watch", "deliver-notifications")
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """CPU of the process and of its children it has waited for (the flow runs), in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    utime, stime, cutime, cstime = (int(fields[i]) for i in (11, 12, 13, 14))
    return (utime + stime + cutime + cstime) / TICKS


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _when(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


class Prefect:
    def __init__(self, api: str) -> None:
        auth = "Basic " + base64.b64encode(AUTH.encode()).decode()
        self.http = httpx.Client(base_url=api, headers={"Authorization": auth}, timeout=10)

    def deployment_id(self, flow: str, name: str, timeout: float = 120) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.http.get(f"/deployments/name/{flow}/{name}")
            if found.status_code == 200:
                return str(found.json()["id"])
            time.sleep(0.5)
        raise SystemExit(f"deployment {flow}/{name} did not appear within {timeout:.0f} s")

    def completed_since(self, deployment_ids: list[str], since: datetime) -> int:
        """Runs of these deployments completed since `since` (ours and the schedule's: the process ran them all)."""
        body = {
            "deployments": {"id": {"any_": deployment_ids}},
            "flow_runs": {"state": {"type": {"any_": ["COMPLETED"]}}, "start_time": {"after_": since.isoformat()}},
            "limit": 200,
        }
        return len(self.http.post("/flow_runs/filter", json=body).json())

    def run_and_wait(self, deployment_id: str, timeout: float = 180) -> dict[str, float]:
        begun = time.monotonic()
        run = self.http.post(f"/deployments/{deployment_id}/create_flow_run", json={}).json()
        deadline = begun + timeout
        while time.monotonic() < deadline:
            state = self.http.get(f"/flow_runs/{run['id']}").json()
            kind = state["state"]["type"]
            if kind == "CANCELLED" and "concurrency limit" in (state["state"].get("message") or ""):
                time.sleep(1)  # the scheduled run of this minute is running (CANCEL_NEW): ask again
                return self.run_and_wait(deployment_id, timeout - (time.monotonic() - begun))
            if kind in ("COMPLETED", "FAILED", "CRASHED", "CANCELLED"):
                if kind != "COMPLETED":
                    raise SystemExit(f"run {run['id']} ended {kind}: {state['state'].get('message')}")
                created, start, end = (_when(state[k]) for k in ("created", "start_time", "end_time"))
                return {
                    "lag": (start - created).total_seconds(),
                    "duration": (end - start).total_seconds(),
                    "wall": time.monotonic() - begun,
                }
            time.sleep(0.2)
        raise SystemExit(f"run {run['id']} did not end within {timeout:.0f} s")


def measure(prefect: Prefect, mode: str, pid: int, names: dict[str, str], runs: int) -> None:
    ids = {job: prefect.deployment_id(job, names[job]) for job in JOBS}
    prefect.run_and_wait(ids[JOBS[0]])  # warm-up: imports and the first connection
    since = datetime.now(UTC)
    before = cpu_seconds(pid)
    samples: list[dict[str, float]] = []
    for _ in range(runs):
        for job in JOBS:
            samples.append(prefect.run_and_wait(ids[job]))
    used = cpu_seconds(pid) - before
    completed = prefect.completed_since(list(ids.values()), since)  # with the scheduled ones meanwhile

    def p(values: list[float], q: float) -> float:
        return statistics.quantiles(values, n=100)[q - 1] if len(values) > 1 else values[0]

    lags = [s["lag"] for s in samples]
    durations = [s["duration"] for s in samples]
    walls = [s["wall"] for s in samples]
    print(
        f"{mode:<7} {len(samples):>4} runs  lag p50 {p(lags, 50):5.2f} s p95 {p(lags, 95):5.2f} s  "
        f"duration p50 {p(durations, 50):5.2f} s p95 {p(durations, 95):5.2f} s  "
        f"wall/run {statistics.mean(walls):5.2f} s  "
        f"CPU/run {used / max(1, completed):5.2f} s ({completed} runs done)  RSS {rss_mib(pid):6.1f} MiB",
        flush=True,
    )


def stop(process: subprocess.Popen[bytes], mode: str) -> None:
    """Ctrl-C to the process group, as a terminal would; then SIGTERM and SIGKILL, as `jiaodong serve`'s
    supervisor does, each after a wait (seen once in ~20 runs here: a runner that outlived its Ctrl-C by a
    minute and stopped at once on SIGTERM). Prints how long the stop took and which signal ended it."""
    begun = time.monotonic()
    for sig, wait in ((signal.SIGINT, 60.0), (signal.SIGTERM, 20.0), (signal.SIGKILL, 10.0)):
        os.killpg(process.pid, sig)
        try:
            process.wait(wait)
        except subprocess.TimeoutExpired:
            continue
        print(f"{mode:<7} stopped by {sig.name} in {time.monotonic() - begun:.1f} s (exit {process.returncode})")
        return
    raise SystemExit(f"{mode} did not stop after SIGKILL")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=10, help="runs of each job per mode")
    parser.add_argument("--modes", default="runner,pool", help="which to measure, in this order")
    args = parser.parse_args()
    with topology(None) as top:
        top.env.update(PREFECT_RUNNER_POLL_FREQUENCY="2", PREFECT_WORKER_QUERY_SECONDS="2")
        top.postgres()
        top.prefect_server()
        for step in (
            [str(BIN / "jiaodong"), "db", "upgrade"],
            [str(BIN / "jiaodong"), "seed-demo"],
            [str(BIN / "prefect"), "work-pool", "create", "jiaodong-process", "--type", "process", "--overwrite"],
            [str(BIN / "prefect"), "--no-prompt", "deploy", "--all"],
        ):
            top.run(step, timeout=300)
        prefect = Prefect(top.env["PREFECT_API_URL"])
        print(f"every-minute jobs, {args.runs} runs of each, one at a time (load average {os.getloadavg()[0]:.1f})")

        for mode in args.modes.split(","):
            if mode == "pool":
                argv = [str(BIN / "prefect"), "worker", "start", "--pool", "jiaodong-process", "--type", "process"]
                process = top.start("worker", argv)
                measure(prefect, "pool", process.pid, {job: job for job in JOBS}, args.runs)
            else:
                suffix = "-served-bench"
                runner_env = dict(top.env, JIAODONG_SERVED_DEPLOYMENT_SUFFIX=suffix)
                process = top.start("runner", [sys.executable, "-m", "jiaodong.serve", "runner"], runner_env)
                measure(prefect, "runner", process.pid, {job: job + suffix for job in JOBS}, args.runs)
            stop(process, mode)
        print(f"(load average at the end {os.getloadavg()[0]:.1f})")


if __name__ == "__main__":
    main()
