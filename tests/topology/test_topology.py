"""The production topology with local processes runs the README walk-through green (deploy/topology.py).

It starts real processes (a throwaway PostgreSQL cluster, a Prefect server with authentication, two workers,
two API replicas and a TLS proxy) on loopback, bounded in time; under CI a missing piece is a failure."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_scaled_out_topology_serves_the_readme_walkthrough_and_runs_the_flows_on_workers(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "deploy" / "topology.py"), "--keep-logs", str(tmp_path / "logs")],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    assert "README walk-through through the TLS proxy" in done.stdout
    assert "the Prefect API refuses requests without credentials (401)" in done.stdout
