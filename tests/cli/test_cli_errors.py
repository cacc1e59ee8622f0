"""The `jiaodong` command answers an operator's mistake with one line saying what to do and exit code 2."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from jiaodong.cli.errors import NOT_MIGRATED, explain
from jiaodong.cli.main import run_cli
from jiaodong.settings import DEV_SECRET_KEY, Settings, get_settings, insecure_start_reason


@pytest.fixture
def fresh_checkout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """No DATABASE_URL, a data folder that does not exist yet: a fresh clone before `jiaodong db upgrade`."""
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("JIAODONG_DATABASE_URL", raising=False)
    monkeypatch.setenv("JIAODONG_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def _one_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


@pytest.mark.parametrize("argv", [["court", "show", "鲁72"], ["token", "list"], ["sla", "outbox"]])
def test_a_command_before_db_upgrade_says_to_run_it(
    fresh_checkout: Path, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    assert run_cli(argv) == 2
    assert _one_line(capsys.readouterr().err) == NOT_MIGRATED


@pytest.mark.parametrize(
    ("argv", "usage"),
    [
        (["court", "show"], "jiaodong court show --help"),
        (["calendar", "due", "notadate", "2"], "jiaodong calendar due --help"),
        (["no-such-command"], "jiaodong --help"),
    ],
)
def test_a_bad_argument_is_one_line_pointing_at_the_usage(
    fresh_checkout: Path, capsys: pytest.CaptureFixture[str], argv: list[str], usage: str
) -> None:
    assert run_cli(argv) == 2
    line = _one_line(capsys.readouterr().err)
    assert line.startswith("参数有误") and usage in line


def test_an_unreachable_database_is_one_line_naming_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("DATABASE_URL", f"postgresql://postgres:secret@127.0.0.1:{port}/jd")
    get_settings.cache_clear()
    try:
        assert run_cli(["court", "show", "鲁72"]) == 2
    finally:
        get_settings.cache_clear()
    line = _one_line(capsys.readouterr().err)
    assert line.startswith("无法连接数据库") and f":{port}/jd" in line and "secret" not in line


def test_debug_shows_the_traceback_instead(fresh_checkout: Path) -> None:
    with pytest.raises(Exception, match=r"unable to open database file|no such table"):
        run_cli(["--debug", "court", "show", "鲁72"])


def test_an_unreachable_server_is_one_line() -> None:
    error = httpx.ConnectError("refused", request=httpx.Request("GET", "http://127.0.0.1:4200/api/health"))
    line = explain(error)
    assert line is not None and line.startswith("无法连接服务器") and "127.0.0.1:4200" in line


def test_a_working_command_still_answers_with_exit_0(fresh_checkout: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli(["calendar", "due", "2026-02-13", "2"]) == 0
    assert capsys.readouterr().out.strip().startswith("2026-02-24")


# ---------------------------------------------------------------- the development secret key


def test_the_development_key_is_refused_on_postgresql_and_on_a_public_address() -> None:
    on_pg = Settings(database_url="postgresql://db/jd", secret_key=DEV_SECRET_KEY)
    on_sqlite = Settings(database_url="sqlite:///x.db", secret_key=DEV_SECRET_KEY)
    assert insecure_start_reason(on_pg, "127.0.0.1") is not None
    assert insecure_start_reason(on_sqlite, "0.0.0.0") is not None
    assert insecure_start_reason(on_sqlite, "127.0.0.1") is None
    assert insecure_start_reason(Settings(database_url="postgresql://db/jd", secret_key="x" * 32), "0.0.0.0") is None


def test_serve_with_the_development_key_on_a_public_address_refuses_to_start(
    fresh_checkout: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_cli(["serve", "--host", "0.0.0.0", "--no-flows"]) == 2
    line = _one_line(capsys.readouterr().err)
    assert "JIAODONG_SECRET_KEY" in line and "--insecure-dev" in line
