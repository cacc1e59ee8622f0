"""Benchmark: the embedded default's first 网络查控 (issue 17: "`scripts/serve` shows a demo inquiry completed by
network within two minutes of submission").

Not a test (it measures time); prints numbers. Starts `scripts/serve` on a fresh data folder and a free loopback
port (SQLite, its own Prefect server, the registry simulator, the demo data), files a vehicle inquiry from 市南区 to
芝罘区 through the API as `shinan-officer` as soon as the web app answers, and times it to 办结 with nobody at 芝罘区
touching it; then a second one once the first is done (the steady state). Prints when the web app answered,
when the flow runner was running (/readyz), and each inquiry's time from submission to completion.
Usage: .venv/bin/python bench/serve_demo.py [--limit-seconds 300]
"""

from __future__ import annotations

import argparse
import io
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.network_support import free_port  # noqa: E402
from tests.support import ALL_DOCUMENTS, PARTIES  # noqa: E402

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PASSWORD = "jiaodong-demo-2026"  # jiaodong/demo/seeder.py's DEMO_PASSWORD


def ok(response: httpx.Response, status: int = 200) -> Any:
    if response.status_code != status:
        raise RuntimeError(f"{response.request.method} {response.request.url}: {response.status_code} {response.text}")
    return response.json() if response.content else None


def file_inquiry(client: httpx.Client, n: int) -> int:
    """A vehicle inquiry from 市南区 (鲁0202) to 芝罘区 (鲁0602), submitted; its id."""
    body = {
        "case_number": f"（2026）鲁0202执{900 + n}号",
        "assisting_court": "鲁0602",
        "matter_type": "vehicle_inquiry",
        "summary": "查询被执行人名下登记车辆",
        "fields": {"note": "请查询并反馈车辆登记信息"},
        "parties": PARTIES,
    }
    draft = ok(client.post("/api/v1/delegations", json=body), 201)
    for kind in ALL_DOCUMENTS:
        files = {"file": ("scan.pdf", io.BytesIO(PDF), "application/octet-stream")}
        ok(client.post(f"/api/v1/delegations/{draft['id']}/documents", data={"kind": kind}, files=files), 201)
    headers = {"If-Match": f'"{draft["version"]}"'}
    ok(client.post(f"/api/v1/delegations/{draft['id']}/submit", json={}, headers=headers))
    return int(draft["id"])


def runner_state(base_url: str) -> str:
    try:
        body = httpx.get(f"{base_url}/readyz", timeout=5).json()
        return str(body["checks"]["flow_runner"]["state"])
    except (httpx.HTTPError, ValueError, KeyError, TypeError):
        return "?"


def main(args: argparse.Namespace) -> int:
    data = Path(tempfile.mkdtemp(prefix="jd-serve-demo-"))
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = dict(os.environ, JIAODONG_DATA_DIR=str(data), PORT=str(port), HOST="127.0.0.1")
    for key in ("PREFECT_API_URL", "DATABASE_URL", "JIAODONG_NETWORK_CALLBACK_URL"):
        env.pop(key, None)
    log = data / "serve.log"
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}; data in {data}", flush=True)
    started = time.monotonic()
    serve = subprocess.Popen(  # its own session: stopped below as a group, with its children
        [str(ROOT / "scripts" / "serve")],
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        cwd=ROOT,
        start_new_session=True,
    )
    try:
        deadline = started + args.limit_seconds
        while True:
            try:
                if httpx.get(f"{base_url}/healthz", timeout=2).status_code < 500:
                    break
            except httpx.HTTPError:
                pass
            if serve.poll() is not None or time.monotonic() > deadline:
                print(f"the web app did not answer (log {log})")
                return 1
            time.sleep(0.5)
        print(f"web app answering {time.monotonic() - started:.1f} s after scripts/serve started", flush=True)
        with httpx.Client(base_url=base_url, timeout=30) as client:
            me = ok(client.post("/api/v1/auth/login", json={"username": "shinan-officer", "password": PASSWORD}))
            client.headers["X-CSRF-Token"] = me["csrf_token"]
            worst = 0.0
            for n in range(args.inquiries):
                ident = file_inquiry(client, n)
                submitted = time.monotonic()
                print(f"inquiry {n + 1} (id {ident}) submitted {submitted - started:.1f} s after start", flush=True)
                state, running_at = "", None
                while True:
                    status = ok(client.get(f"/api/v1/delegations/{ident}"))["status"]
                    if running_at is None and (state := runner_state(base_url)) == "running":
                        running_at = time.monotonic()
                    if status in ("completed", "confirmed"):
                        break
                    if time.monotonic() > submitted + args.limit_seconds:
                        print(
                            f"inquiry {n + 1} not completed in {args.limit_seconds:.0f} s (status {status}, "
                            f"runner {state}; log {log})"
                        )
                        return 1
                    time.sleep(0.5)
                seconds = time.monotonic() - submitted
                worst = max(worst, seconds)
                runner = f"; runner running {running_at - started:.1f} s after start" if running_at else ""
                print(f"inquiry {n + 1} completed by network {seconds:.1f} s after submission{runner}", flush=True)
        print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}; worst {worst:.1f} s")
        return 0 if worst <= 120 else 2
    finally:
        try:
            os.killpg(serve.pid, signal.SIGTERM)
            serve.wait(60)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(serve.pid, signal.SIGKILL)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--inquiries", type=int, default=2, help="the first at once, the next after each is done")
    parser.add_argument("--limit-seconds", type=float, default=300.0)
    sys.exit(main(parser.parse_args()))
