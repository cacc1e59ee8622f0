"""Flow tests run against a real Prefect API: one prefect_test_harness for the whole session (it takes
about 13 s to start), PREFECT_HOME in a temporary folder, no PREFECT_API_URL, analytics off. Only the tests
in this folder start it. Each test points the flows at the run's database (SQLite and PostgreSQL)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

_HOME = tempfile.mkdtemp(prefix="jiaodong-prefect-home-")
os.environ["PREFECT_HOME"] = _HOME
os.environ.pop("PREFECT_API_URL", None)
os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
os.environ["PREFECT_LOGGING_LEVEL"] = "WARNING"


@pytest.fixture(scope="session")
def prefect_api() -> Iterator[str]:
    """The URL of the harness's Prefect API, started once."""
    from prefect.settings import PREFECT_API_URL, PREFECT_HOME, PREFECT_SERVER_ANALYTICS_ENABLED, temporary_settings
    from prefect.testing.utilities import prefect_test_harness

    with (
        temporary_settings(
            updates={PREFECT_HOME: _HOME, PREFECT_SERVER_ANALYTICS_ENABLED: False},
            restore_defaults={PREFECT_API_URL},
        ),
        prefect_test_harness(server_startup_timeout=90),
    ):
        url = PREFECT_API_URL.value()
        assert url, "the harness should have set PREFECT_API_URL"
        yield str(url)


@pytest.fixture
def flow_env(
    prefect_api: str, database_url: str, engine: object, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    """Flows read settings from the environment: point them at this test's (emptied) database and a data folder."""
    from jiaodong.settings import get_settings

    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("JIAODONG_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()
