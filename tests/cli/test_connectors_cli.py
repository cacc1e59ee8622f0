"""jiaodong connectors set|load|list|disable|enable: registry connectors as data, the secret only by reference."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from jiaodong.cli.main import app
from jiaodong.settings import get_settings
from tests.databases import empty_all_tables


@pytest.fixture
def cli_database(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    from delegation.store.db import make_engine

    async def empty() -> None:
        engine = make_engine(database_url)
        try:
            await empty_all_tables(engine)
        finally:
            await engine.dispose()

    asyncio.run(empty())
    monkeypatch.setenv("DATABASE_URL", database_url)
    get_settings.cache_clear()
    yield database_url
    get_settings.cache_clear()


def test_an_administrator_sets_lists_and_disables_a_connector(cli_database: str) -> None:
    runner = CliRunner()
    base = ["connectors", "set", "鲁0602", "vehicle", "--name", "芝罘区车管所", "--endpoint", "https://vm.example/r"]
    done = runner.invoke(
        app, [*base, "--secret-ref", "env:ZHIFU_VEHICLE_SECRET", "--matter", "vehicle_inquiry", "--auto-accept"]
    )
    assert done.exit_code == 0, done.output
    assert "鲁0602\tvehicle\t芝罘区车管所\tvehicle_inquiry" in done.output and "auto-accept" in done.output
    listed = runner.invoke(app, ["connectors", "list"])
    assert "secret=env:ZHIFU_VEHICLE_SECRET" in listed.output and "08:30-17:30 working days" in listed.output
    connector_id = listed.output.split("\t", 1)[0]
    off = runner.invoke(app, ["connectors", "disable", connector_id])
    assert off.exit_code == 0 and off.output.rstrip().endswith("off")


def test_a_secret_in_clear_text_or_a_matter_of_another_registry_is_refused(cli_database: str) -> None:
    runner = CliRunner()
    base = ["connectors", "set", "鲁06", "vehicle", "--name", "烟台车管所", "--endpoint", "https://vm.example/r"]
    clear = runner.invoke(app, [*base, "--secret-ref", "s3cr3t-in-clear-text", "--matter", "vehicle_inquiry"])
    assert clear.exit_code == 1 and "env:NAME or file:/absolute/path" in clear.output
    wrong = runner.invoke(app, [*base, "--secret-ref", "env:YANTAI_SECRET", "--matter", "equity_freeze"])
    assert wrong.exit_code == 1 and "equity_freeze" in wrong.output
    assert runner.invoke(app, ["connectors", "list"]).output == ""


def test_connectors_load_from_a_json_file(cli_database: str, tmp_path: Path) -> None:
    path = tmp_path / "connectors.json"
    path.write_text(
        json.dumps(
            [
                {
                    "scope": "鲁02",
                    "registry": "real_estate",
                    "name": "青岛市不动产登记中心",
                    "matter_types": ["real_estate_inquiry", "real_estate_seal"],
                    "endpoint": "https://bdc.example/jiaodong",
                    "secret_ref": "file:/run/secrets/qingdao-bdc",
                    "rate_per_minute": 30,
                    "business_hours": {"start": "09:00", "end": "17:00", "working_days_only": True},
                }
            ],
            ensure_ascii=False,
        ),
        encoding="utf-8",
    )
    loaded = CliRunner().invoke(app, ["connectors", "load", str(path)])
    assert loaded.exit_code == 0, loaded.output
    assert "青岛市不动产登记中心" in loaded.output and "30/min" in loaded.output and "09:00-17:00" in loaded.output
