"""The built wheel runs on its own: `python -m build`, installed into a fresh virtualenv, migrates a database,
serves the login page with `jiaodong serve --no-flows`, and renders a notification text, all from outside the
checkout (templates, translations and migrations found by import, not by the working directory)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
STEP_TIMEOUT = 300  # seconds for any one step: building, installing, starting


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _run(args: list[str], cwd: Path, env: dict[str, str]) -> str:
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=STEP_TIMEOUT, check=False)
    assert done.returncode == 0, f"{args[:3]} failed:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}"
    return done.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtualenv with the wheel built from this checkout; returns its bin/ folder."""
    uv = shutil.which("uv") or str(Path(sys.executable).parent / "uv")
    if not Path(uv).exists():
        pytest.fail("uv is needed to build the fresh virtualenv (it is installed by scripts/_venv.sh)")
    work = tmp_path_factory.mktemp("wheel")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    _run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(work / "dist"), str(ROOT)],
        work,
        env,
    )
    [wheel] = list((work / "dist").glob("jiaodong_delegation-*.whl"))
    venv = work / "venv"
    _run([uv, "venv", "-q", "--python", sys.executable, str(venv)], work, env)
    _run([uv, "pip", "install", "-q", "--python", str(venv / "bin" / "python"), str(wheel)], work, env)
    return venv / "bin"


def test_the_installed_wheel_serves_the_login_page_and_renders_a_notification(installed: Path, tmp_path: Path) -> None:
    env = {
        k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV") and not k.startswith("JIAODONG_")
    }
    env |= {"JIAODONG_DATA_DIR": str(tmp_path / "data"), "PREFECT_HOME": str(tmp_path / "prefect")}
    python = str(installed / "python")
    where = _run([python, "-c", "import api, templates; print(api.__file__); print(templates.PATH)"], tmp_path, env)
    assert str(ROOT) not in where, f"the fresh virtualenv imports the checkout: {where}"

    text = _run(
        [
            python,
            "-c",
            "from delegation.outbox import texts; print(texts.render('acknowledged', court_name='芝罘区人民法院', "
            "acknowledged_text='2026年3月6日', notice_number='烟台督〔2026〕1号', number='JD2026-0000001', "
            "elapsed_text='2小时30分', reply='已收悉'), end='')",
        ],
        tmp_path,
        env,
    )
    assert "烟台督〔2026〕1号" in text and "已收悉" in text

    _run([str(installed / "jiaodong"), "db", "upgrade"], tmp_path, env)
    port = _free_port()
    server = subprocess.Popen(
        [str(installed / "jiaodong"), "serve", "--no-flows", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + STEP_TIMEOUT
        page = None
        while time.monotonic() < deadline and server.poll() is None:
            try:
                page = httpx.get(f"http://127.0.0.1:{port}/login", timeout=5)
                break
            except httpx.TransportError:
                time.sleep(0.5)
        assert page is not None, f"the server did not answer: {server.poll()}"
        assert page.status_code == 200
        assert 'name="password"' in page.text and "登录" in page.text
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
