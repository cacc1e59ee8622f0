"""The scaled-out topology of docs/production.md with local processes, and the README walk-through across it.

No container engine runs on the build machines, so this brings up the same pieces as deploy/compose.yaml as
plain processes on loopback, bounded in time, and tears them down:

  PostgreSQL (a throwaway cluster: initdb + pg_ctl in a temporary folder, on a free port)
  Prefect server on that PostgreSQL, with basic authentication (PREFECT_SERVER_API_AUTH_STRING)
  migrations + demo data; the work pool, `prefect deploy --all` (prefect.yaml), the operators' automations
  two Prefect workers (process pool), two API replicas (`jiaodong serve --no-flows`)
  a TLS-terminating reverse proxy (Caddy, Debian's package) in front of both replicas

Then it runs the README's curl walk-through against the proxy (HTTPS, the proxy's certificate trusted through
CURL_CA_BUNDLE) and checks its output against the README's, line by line; runs sla-watch and
deliver-notifications through the workers and waits for both to complete; and checks that an unauthenticated
client is refused by the Prefect API. Exit 0 when all of that held. Usage: scripts/topology [--keep-logs DIR]
"""

from __future__ import annotations

import argparse
import base64
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
DEADLINE_SECONDS = 720.0  # ~2 minutes on a quiet 2-core machine; generous for a loaded one
AUTH = "admin:" + secrets.token_hex(8)


def say(message: str) -> None:
    print(f"[topology] {message}", flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pg_bin() -> Path:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    if not found:
        raise SystemExit("PostgreSQL server binaries (initdb, pg_ctl) are not installed")
    return found[-1].parent


def as_postgres(argv: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: run its tools as the postgres user then."""
    return ["runuser", "-u", "postgres", "--", *argv] if os.geteuid() == 0 else argv


class Topology:
    def __init__(self, work: Path) -> None:
        self.work = work
        self.logs = work / "logs"
        self.logs.mkdir(parents=True)
        self.processes: list[tuple[str, subprocess.Popen[bytes]]] = []
        self.pg_data = work / "pg"
        self.pg_port = free_port()
        self.prefect_port = free_port()
        self.replica_ports = [free_port(), free_port()]
        self.proxy_port = free_port()
        self.data_dir = work / "data"  # the shared document/report folder every host mounts
        self.env = dict(os.environ)
        for key in [k for k in self.env if k.startswith(("PREFECT_", "JIAODONG_"))] + ["DATABASE_URL"]:
            self.env.pop(key, None)
        self.env.update(
            PATH=f"{BIN}:{self.env.get('PATH', '')}",
            DATABASE_URL=f"postgresql://postgres@127.0.0.1:{self.pg_port}/jiaodong",
            JIAODONG_DATA_DIR=str(self.data_dir),
            JIAODONG_SECRET_KEY=secrets.token_hex(32),
            PREFECT_HOME=str(work / "prefect-client"),
            PREFECT_API_URL=f"http://127.0.0.1:{self.prefect_port}/api",
            PREFECT_API_AUTH_STRING=AUTH,
            PREFECT_SERVER_ANALYTICS_ENABLED="false",
            PREFECT_WORKER_QUERY_SECONDS="2",
            PREFECT_WORKER_PREFETCH_SECONDS="5",
            PREFECT_FLOWS_HEARTBEAT_FREQUENCY="60",
            PREFECT_LOGGING_LEVEL="WARNING",
        )

    # --- processes ---
    def start(self, name: str, argv: list[str], env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
        log = open(self.logs / f"{name}.log", "ab")  # noqa: SIM115 (kept open for the child's life)
        process = subprocess.Popen(  # noqa: S603 (our own tools)
            argv, env=env or self.env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.processes.append((name, process))
        return process

    def run(self, argv: list[str], timeout: float = 180) -> str:
        done = subprocess.run(  # noqa: S603 (our own tools)
            argv, env=self.env, cwd=ROOT, capture_output=True, text=True, timeout=timeout, check=False
        )
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(argv[:4])} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
        return done.stdout

    def stop_all(self) -> None:
        for name, process in reversed(self.processes):
            for sig, wait in ((signal.SIGINT, 20.0), (signal.SIGTERM, 5.0), (signal.SIGKILL, 5.0)):
                if process.poll() is not None:
                    break
                try:
                    os.killpg(process.pid, sig)
                    process.wait(wait)
                except (ProcessLookupError, subprocess.TimeoutExpired):
                    continue
            say(f"stopped {name} (exit {process.returncode})")
        if (self.pg_data / "PG_VERSION").exists():
            subprocess.run(  # noqa: S603
                as_postgres([str(pg_bin() / "pg_ctl"), "-D", str(self.pg_data), "-m", "fast", "-w", "stop"]),
                capture_output=True,
                check=False,
            )
            say("stopped PostgreSQL")

    # --- the pieces ---
    def postgres(self) -> None:
        self.pg_data.mkdir()
        sockets = self.work / "pg-socket"
        sockets.mkdir()
        if os.geteuid() == 0:
            shutil.chown(self.work, "postgres")
            for path in (self.pg_data, sockets):
                shutil.chown(path, "postgres")
        bindir = pg_bin()
        self.run(as_postgres([str(bindir / "initdb"), "-D", str(self.pg_data), "-U", "postgres", "-A", "trust"]))
        options = f"-p {self.pg_port} -k {sockets} -c listen_addresses=127.0.0.1 -c fsync=off"
        log = self.logs / "postgres.log"
        log.touch()
        if os.geteuid() == 0:
            shutil.chown(log, "postgres")
            shutil.chown(self.logs, "postgres")
        pg_ctl = [str(bindir / "pg_ctl"), "-D", str(self.pg_data), "-o", options, "-l", str(log), "-w", "start"]
        self.run(as_postgres(pg_ctl))
        for db in ("jiaodong", "prefect"):
            self.run([str(bindir / "createdb"), "-h", "127.0.0.1", "-p", str(self.pg_port), "-U", "postgres", db])
        say(f"PostgreSQL on 127.0.0.1:{self.pg_port}")

    def prefect_server(self) -> None:
        env = dict(self.env)
        env.pop("PREFECT_API_URL")
        env.update(
            PREFECT_HOME=str(self.work / "prefect-server"),
            PREFECT_SERVER_DATABASE_CONNECTION_URL=(f"postgresql+asyncpg://postgres@127.0.0.1:{self.pg_port}/prefect"),
            PREFECT_SERVER_API_AUTH_STRING=AUTH,
        )
        self.start(
            "prefect-server",
            [str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(self.prefect_port)],
            env,
        )
        self.wait_http(f"http://127.0.0.1:{self.prefect_port}/api/health", 120, auth=AUTH)
        say(f"Prefect server on 127.0.0.1:{self.prefect_port} (basic auth)")

    def replicas(self) -> None:
        for i, port in enumerate(self.replica_ports, 1):
            self.start(
                f"api-{i}",
                [str(BIN / "jiaodong"), "serve", "--host", "127.0.0.1", "--port", str(port), "--no-flows"],
            )
        for port in self.replica_ports:
            self.wait_http(f"http://127.0.0.1:{port}/healthz", 60)
        say(f"API replicas on {self.replica_ports}")

    def proxy(self) -> Path:
        caddy = shutil.which("caddy")
        if caddy is None:
            raise SystemExit("caddy is not installed (apt-get install caddy): the TLS proxy is part of the topology")
        cert, key = self.work / "cert.pem", self.work / "key.pem"
        self.run(
            [
                "openssl",
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-days",
                "1",
                "-subj",
                "/CN=localhost",
                "-addext",
                "subjectAltName=DNS:localhost",
                "-keyout",
                str(key),
                "-out",
                str(cert),
            ]
        )
        upstreams = " ".join(f"127.0.0.1:{p}" for p in self.replica_ports)
        caddyfile = self.work / "Caddyfile"
        caddyfile.write_text(
            "{\n\tadmin off\n\tauto_https disable_redirects\n\tstorage file_system {\n\t\troot "
            + str(self.work / "caddy")
            + "\n\t}\n}\n"
            f"https://localhost:{self.proxy_port} {{\n\ttls {cert} {key}\n"
            f"\treverse_proxy {upstreams} {{\n\t\tlb_policy round_robin\n\t}}\n}}\n",
            encoding="utf-8",
        )
        env = dict(self.env, HOME=str(self.work), XDG_DATA_HOME=str(self.work / "caddy"))
        self.start("proxy", [caddy, "run", "--config", str(caddyfile), "--adapter", "caddyfile"], env)
        self.wait_http(f"https://localhost:{self.proxy_port}/healthz", 30, verify=str(cert))
        say(f"TLS proxy on https://localhost:{self.proxy_port}")
        return cert

    @staticmethod
    def wait_http(url: str, timeout: float, auth: str | None = None, verify: str | bool = True) -> None:
        headers = {"Authorization": "Basic " + base64.b64encode(auth.encode()).decode()} if auth else {}
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if httpx.get(url, timeout=2, headers=headers, verify=verify).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        raise SystemExit(f"{url} did not answer within {timeout:.0f} s")


# --- the README walk-through ---
def readme_walkthrough() -> tuple[str, list[str]]:
    """The README's curl walk-through (the bash block that sets API=) and the lines it says it prints."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    script = re.search(r"```bash\n(API=.*?)```", text, re.S)
    printed = re.search(r"It prints, step by step:\n\n```\n(.*?)```", text, re.S)
    if not script or not printed:
        raise SystemExit("README.md lost its walk-through or its printed output")
    return script.group(1), printed.group(1).strip().splitlines()


def shape(line: str) -> str:
    """A printed line with what varies between runs (numbers, dates, ids, digests) blanked."""
    line = re.sub(r"JD\d{4}-\d{7}", "JD#", line)
    line = re.sub(r"\d{4}-\d{2}-\d{2}T[\d:]+(\.\d+)?([+-]\d{2}:\d{2}|Z)?", "TIME", line)
    line = re.sub(r"[0-9a-f]{64}", "SHA", line)
    return re.sub(r"\d+", "N", line)


def walkthrough(top: Topology, cert: Path) -> None:
    script, expected = readme_walkthrough()
    script = script.replace("API=http://127.0.0.1:8000/api/v1", f"API=https://localhost:{top.proxy_port}/api/v1", 1)
    workdir = top.work / "walkthrough"
    workdir.mkdir()
    env = dict(top.env, CURL_CA_BUNDLE=str(cert))
    done = subprocess.run(  # noqa: S603
        [shutil.which("bash") or "/bin/bash", "-euo", "pipefail", "-c", script],
        env=env,
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    got = done.stdout.strip().splitlines()
    if done.returncode != 0 or [shape(x) for x in got] != [shape(x) for x in expected]:
        raise SystemExit(
            f"the README walk-through differs (exit {done.returncode}):\n--- got\n{done.stdout}\n"
            f"--- README\n" + "\n".join(expected) + f"\n--- stderr\n{done.stderr[-3000:]}"
        )
    say(f"README walk-through through the TLS proxy: {len(got)} lines as documented")


def flows_through_workers(top: Topology) -> None:
    """Each every-minute job completes a run on a worker (started by hand here, or by its schedule; a run that
    would overlap a running one is cancelled by the deployment's concurrency limit, which is counted too)."""
    headers = {"Authorization": "Basic " + base64.b64encode(AUTH.encode()).decode()}
    api = top.env["PREFECT_API_URL"]
    for deployment in ("sla-watch/sla-watch", "deliver-notifications/deliver-notifications"):
        top.run([str(BIN / "prefect"), "deployment", "run", deployment])
    flows = {f["id"]: f["name"] for f in httpx.post(f"{api}/flows/filter", json={}, headers=headers).json()}
    deadline = time.monotonic() + 240
    summary: dict[str, Counter[str]] = {}
    while time.monotonic() < deadline:
        # Only runs that left the schedule: the scheduler keeps ~100 future runs per every-minute deployment,
        # and an unfiltered page of 200 (sorted by random id) would show a sample of the real runs.
        query = {"flow_runs": {"state": {"type": {"not_any_": ["SCHEDULED"]}}}, "sort": "START_TIME_DESC", "limit": 200}
        runs = httpx.post(f"{api}/flow_runs/filter", json=query, headers=headers, timeout=5).json()
        summary = {}
        for run in runs:
            summary.setdefault(flows[run["flow_id"]], Counter())[run["state"]["name"]] += 1
        if all(summary.get(name, Counter())["Completed"] for name in ("sla-watch", "deliver-notifications")):
            break
        time.sleep(1)
    else:
        raise SystemExit(f"the every-minute jobs did not complete on the workers: {summary}")
    say("flow runs on the workers by state: " + "; ".join(f"{k} {dict(v)}" for k, v in sorted(summary.items())))


def prefect_refuses_strangers(top: Topology) -> None:
    r = httpx.post(f"{top.env['PREFECT_API_URL']}/deployments/filter", json={}, timeout=5)
    if r.status_code != 401:
        raise SystemExit(f"the Prefect API answered {r.status_code} without credentials; expected 401")
    say("the Prefect API refuses requests without credentials (401)")


@contextmanager
def topology(keep_logs: Path | None) -> Iterator[Topology]:
    work = Path(tempfile.mkdtemp(prefix="jiaodong-topology-"))
    top = Topology(work)
    try:
        yield top
    finally:
        top.stop_all()
        if keep_logs:
            shutil.copytree(top.logs, keep_logs, dirs_exist_ok=True)
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--keep-logs", type=Path, help="copy every process's log here at the end")
    args = parser.parse_args()
    started = time.monotonic()
    signal.signal(signal.SIGALRM, lambda *_: (_ for _ in ()).throw(SystemExit("topology: time limit reached")))
    signal.alarm(int(DEADLINE_SECONDS))
    with topology(args.keep_logs) as top:
        top.postgres()
        top.prefect_server()
        for step in (
            [str(BIN / "jiaodong"), "db", "upgrade"],
            [str(BIN / "jiaodong"), "seed-demo"],
            [str(BIN / "prefect"), "work-pool", "create", "jiaodong-process", "--type", "process", "--overwrite"],
            [str(BIN / "prefect"), "--no-prompt", "deploy", "--all"],
            [str(BIN / "jiaodong"), "ops", "apply-automations", "--webhook-url", "http://127.0.0.1:9/ops"],
        ):
            begun = time.monotonic()
            top.run(step, timeout=300)
            say(f"{Path(step[0]).name} {' '.join(step[1:3])}: {time.monotonic() - begun:.0f} s")
        for i in (1, 2):
            top.start(
                f"worker-{i}",
                [
                    str(BIN / "prefect"),
                    "worker",
                    "start",
                    "--pool",
                    "jiaodong-process",
                    "--type",
                    "process",
                    "--limit",
                    "4",
                    "--name",
                    f"worker-{i}",
                ],
            )
        top.replicas()
        cert = top.proxy()
        walkthrough(top, cert)
        flows_through_workers(top)
        prefect_refuses_strangers(top)
    signal.alarm(0)
    say(f"topology green in {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()
