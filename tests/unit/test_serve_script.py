"""scripts/serve prints the address it really serves: HOST and PORT reach both the demo's printed examples
and `jiaodong serve` (issue 11: it printed port 8000 whatever PORT was). Run with a stand-in `jiaodong`
that records its arguments, and a stand-in for the virtualenv script."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _run(tmp_path: Path, **env: str) -> list[str]:
    scripts = tmp_path / "scripts"
    scripts.mkdir(exist_ok=True)
    shutil.copy(ROOT / "scripts" / "serve", scripts / "serve")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    (scripts / "_venv.sh").write_text(f'root="{tmp_path}"\nexport PATH="{bin_dir}:$PATH"\n')
    jiaodong = bin_dir / "jiaodong"
    jiaodong.write_text(f'#!/bin/sh\necho "$*" >> "{tmp_path}/calls"\n')
    jiaodong.chmod(0o755)
    clean = {k: v for k, v in os.environ.items() if k not in ("HOST", "PORT", "JIAODONG_DATA_DIR")}
    subprocess.run(["bash", str(scripts / "serve")], env={**clean, **env}, check=True, timeout=30)
    return (tmp_path / "calls").read_text().splitlines()


@pytest.mark.parametrize(
    ("env", "shown", "served"),
    [
        ({}, "http://127.0.0.1:8000", "--host 127.0.0.1 --port 8000"),
        ({"PORT": "8123"}, "http://127.0.0.1:8123", "--host 127.0.0.1 --port 8123"),
        ({"HOST": "0.0.0.0", "PORT": "9000"}, "http://127.0.0.1:9000", "--host 0.0.0.0 --port 9000"),
        ({"HOST": "::1", "PORT": "9001"}, "http://[::1]:9001", "--host ::1 --port 9001"),
        ({"HOST": "10.0.0.5"}, "http://10.0.0.5:8000", "--host 10.0.0.5 --port 8000"),
    ],
)
def test_serve_prints_and_serves_the_same_address(tmp_path: Path, env: dict[str, str], shown: str, served: str) -> None:
    calls = _run(tmp_path, **env)
    assert calls == ["db upgrade", f"seed-demo --url {shown}", f"serve {served}"]
