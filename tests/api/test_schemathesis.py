"""Schemathesis over the whole OpenAPI spec: generated valid and invalid requests for every operation,
bounded and derandomized so that the run is fast and repeatable; no request may get a 5xx, and every
response must match what the spec documents."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.python.asgi import shutdown_lifespans
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api.app import create_app
from delegation.core.access import Actor, UserRole
from delegation.core.states import Action
from delegation.handling import service
from delegation.refdata.service import load_reference
from delegation.store.db import make_engine, make_sessionmaker
from jiaodong.settings import Settings
from tests.api.conftest import add_users, at
from tests.conftest import _empty_all_tables
from tests.support import ALL_DOCUMENTS, vehicle_inquiry_draft

# No 5xx, and every answer is one the spec documents: status code, content type and body schema.
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
EXAMPLES = int(os.environ.get("JIAODONG_SCHEMATHESIS_EXAMPLES", "5"))
OFFICER = Actor("shinan-officer", "鲁0202", frozenset({UserRole.REQUESTING_OFFICER}))


async def _prepare(database_url: str) -> str:
    """Empty database, the test users, and two matters (ids 1 and 2) the generated requests may hit."""
    engine = make_engine(database_url)
    try:
        await _empty_all_tables(engine)
        sessions = make_sessionmaker(engine)
        now = at("2026-03-02")
        tokens = await add_users(sessions, now)
        async with sessions() as session:
            ref = await load_reference(session)
            for serial in (1, 2):
                draft = vehicle_inquiry_draft(case_number=f"（2026）鲁0202执{serial}号")
                row = await service.create_draft(session, ref, OFFICER, now, draft)
                for kind in ALL_DOCUMENTS:
                    await service.record_document(
                        session,
                        ref,
                        OFFICER,
                        now,
                        row.id or 0,
                        kind=kind,
                        filename="scan.pdf",
                        content_type="application/pdf",
                        size=1,
                        sha256="0" * 64,
                        storage_key="documents/00/missing.pdf",
                    )
                await service.perform(session, ref, OFFICER, now, row.id or 0, Action.SUBMIT, row.version)
        return tokens["shinan-officer"]
    finally:
        await engine.dispose()


def _runner(
    operation: Any, mode: GenerationMode, headers: dict[str, str], statuses: dict[int, int]
) -> Callable[[], None]:
    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def check(case: schemathesis.Case) -> None:
        try:
            response = case.call_and_validate(headers=headers, checks=CHECKS)
        except Exception as exc:
            raise AssertionError(f"{case.method} {case.formatted_path} {mode.value}: {exc}") from None
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1

    return check  # type: ignore[no-any-return]


def test_no_generated_request_to_any_operation_gets_a_server_error_or_an_undocumented_answer(
    database_url: str, tmp_path: Path
) -> None:
    token = asyncio.run(_prepare(database_url))
    settings_ = Settings(database_url=database_url, data_dir=tmp_path, secret_key="schemathesis", max_upload_bytes=4096)
    app = create_app(settings_)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    # A valid version for the two matters, so that actions get past If-Match into the service layer.
    headers = {"Authorization": f"Bearer {token}", "If-Match": '"2"'}
    statuses: dict[int, int] = {}
    failures: list[str] = []
    operations = 0
    try:
        for result in schema.get_all_operations():
            operation = result.ok()
            operations += 1
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                try:
                    _runner(operation, mode, headers, statuses)()
                except Unsatisfiable:
                    pass  # nothing to make invalid (an operation without parameters or body)
                except AssertionError as exc:
                    failures.append(str(exc).splitlines()[0])
    finally:
        shutdown_lifespans()
    assert operations >= 40
    assert statuses.get(200, 0) > 25, statuses  # the generated requests got through authentication
    assert not failures, "\n".join(failures)
