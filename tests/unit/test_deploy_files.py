"""The deployment files are valid and agree with each other (no container engine runs on the build machines,
so `docker compose config` cannot check them: the Compose schema and these rules do)."""

from __future__ import annotations

import configparser
import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"


def _compose() -> dict[str, Any]:
    loaded = yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def _validator() -> jsonschema.Draft7Validator:
    schema = json.loads((DEPLOY / "schema" / "compose-spec.json").read_text(encoding="utf-8"))
    return jsonschema.Draft7Validator(schema)


def test_the_compose_file_is_valid_against_the_compose_specification() -> None:
    compose = {k: v for k, v in _compose().items() if not k.startswith("x-") and k != "name"}
    _validator().validate(compose)
    broken = {**compose, "services": {**compose["services"], "api-1": {"imgae": "typo"}}}
    assert not _validator().is_valid(broken)  # the schema does catch a mistyped key


def test_the_compose_stack_has_the_scaled_out_topology() -> None:
    services = _compose()["services"]
    assert {"db", "prefect-server", "migrate", "deploy-flows", "worker", "api-1", "api-2", "proxy"} <= set(services)
    assert "object-store" in services
    assert services["worker"]["deploy"]["replicas"] >= 2 and services["worker"]["stop_signal"] == "SIGINT"
    for api in ("api-1", "api-2"):
        assert services[api]["command"][:2] == ["jiaodong", "serve"] and "--no-flows" in services[api]["command"]
    # Nobody reaches the Prefect server or the replicas except through the proxy.
    published = {name for name, s in services.items() if s.get("ports")}
    assert published == {"proxy"}


def test_secrets_come_from_env_files_that_are_never_committed() -> None:
    text = (DEPLOY / "compose.yaml").read_text(encoding="utf-8")
    assert not re.search(r"(PASSWORD|SECRET|AUTH_STRING)\s*[:=]", text)
    env_files = {f for s in _compose()["services"].values() for f in s.get("env_file", [])}
    env_files |= set(_compose()["x-app"]["env_file"])
    for name in env_files:
        assert (DEPLOY / f"{name}.example").is_file(), f"{name} needs an example beside it"
    assert "deploy/env/*.env" in (ROOT / ".gitignore").read_text(encoding="utf-8")
    prefect_env = (DEPLOY / "env" / "prefect.env.example").read_text(encoding="utf-8")
    assert "PREFECT_SERVER_API_AUTH_STRING=" in prefect_env  # never an open Prefect API
    assert "PREFECT_API_AUTH_STRING=" in (DEPLOY / "env" / "jiaodong.env.example").read_text(encoding="utf-8")


def test_the_image_runs_the_installed_wheel_as_a_non_root_user() -> None:
    dockerfile = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    stages = re.findall(r"^FROM ", dockerfile, re.M)
    assert len(stages) == 2  # build the wheel, then a runtime without the build tools
    assert "python -m build --wheel" in dockerfile and "pip install --no-cache-dir /tmp/*.whl" in dockerfile
    assert re.search(r"^USER jiaodong$", dockerfile, re.M)
    assert "fonts-wqy-microhei" in dockerfile  # printed documents in Chinese


def _unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string((DEPLOY / "systemd" / name).read_text(encoding="utf-8"))
    return parser


def test_the_service_units_restart_and_stop_whole_process_groups() -> None:
    for name in ("jiaodong-api@.service", "jiaodong-worker.service", "prefect-server.service"):
        service = _unit(name)["Service"]
        assert service["Restart"] == "always" and service["KillMode"] == "control-group", name
        assert service["EnvironmentFile"].startswith("/etc/jiaodong/"), name
    assert _unit("jiaodong-worker.service")["Service"]["KillSignal"] == "SIGINT"
    assert "--type process" in _unit("jiaodong-worker.service")["Service"]["ExecStart"]
