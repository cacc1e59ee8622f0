"""prefect.yaml and flows/deployments.py declare the same deployments; the embedded server's environment.
(Pure: importing the flows, i.e. Prefect, is left to tests/flows.)"""

from __future__ import annotations

from pathlib import Path

import yaml

from flows.deployments import DEPLOYMENTS, TIMEZONE, WORK_POOL, served_name_suffix
from jiaodong.serve import free_port, prefect_environment, remote_registration_refused
from jiaodong.settings import Settings

ROOT = Path(__file__).resolve().parents[3]


def test_prefect_yaml_declares_exactly_the_deployments_the_embedded_runner_serves() -> None:
    declared = yaml.safe_load((ROOT / "prefect.yaml").read_text(encoding="utf-8"))["deployments"]
    assert [d["name"] for d in declared] == [s.name for s in DEPLOYMENTS]
    for d, spec in zip(declared, DEPLOYMENTS, strict=True):
        assert d["entrypoint"] == spec.entrypoint
        assert (ROOT / (spec.module.replace(".", "/") + ".py")).is_file()
        assert d["schedules"] == ([{"cron": spec.cron, "timezone": TIMEZONE}] if spec.cron else [])
        assert d["work_pool"]["name"] == WORK_POOL and d["description"] == spec.description
        assert d["parameters"] == spec.parameters
        if spec.concurrency_limit is None:
            assert "concurrency_limit" not in d
        else:
            assert d["concurrency_limit"] == {"limit": spec.concurrency_limit, "collision_strategy": "CANCEL_NEW"}


def test_prefect_yaml_needs_no_checkout_on_the_workers() -> None:
    config = yaml.safe_load((ROOT / "prefect.yaml").read_text(encoding="utf-8"))
    assert config["pull"] == []  # module-path entrypoints import the installed package
    assert "{{" not in (ROOT / "prefect.yaml").read_text(encoding="utf-8")


def test_the_embedded_prefect_server_keeps_its_data_in_the_data_folder(tmp_path: Path) -> None:
    env = prefect_environment(Settings(data_dir=tmp_path), api_url="http://127.0.0.1:4321/api")
    home = (tmp_path / "prefect").resolve()
    assert env["PREFECT_HOME"] == str(home)
    assert env["PREFECT_SERVER_DATABASE_CONNECTION_URL"] == f"sqlite+aiosqlite:///{home / 'prefect.db'}"
    assert env["PREFECT_SERVER_ANALYTICS_ENABLED"] == "false"
    assert env["PREFECT_API_URL"] == "http://127.0.0.1:4321/api"
    assert env["DATABASE_URL"].startswith("sqlite+aiosqlite:///") and env["JIAODONG_DATA_DIR"] == str(tmp_path)
    assert 1024 < free_port() < 65536


def test_serve_never_registers_its_deployments_on_a_remote_prefect_unless_told_to() -> None:
    remote = {"PREFECT_API_URL": "https://prefect.internal/api"}
    refused = remote_registration_refused(remote, register_deployments=False)
    assert refused and "--register-deployments" in refused and "prefect.internal" in refused
    assert remote_registration_refused(remote, register_deployments=True) is None
    assert remote_registration_refused({}, register_deployments=False) is None  # its own embedded server


def test_deployments_served_on_a_remote_prefect_are_named_apart_from_the_work_pools() -> None:
    assert served_name_suffix(None, "api-1") == ""  # its own embedded server: the plain names
    assert served_name_suffix("https://prefect.internal/api", "API_1.court.local") == "-served-api-1-court-local"
