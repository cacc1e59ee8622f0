"""An integrator's client, generated from the live /openapi.json with openapi-python-client, runs the whole
story with nothing else: no hand-written request, header or JSON. The generator must print no warning
(a warning means a part of the API the client cannot call or read).

The client talks to the app in-process (httpx's ASGI transport, passed through the client's `httpx_args`);
everything above the transport is generated code.
"""

from __future__ import annotations

import asyncio
import hashlib
import importlib
import io
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest

from api.app import create_app
from jiaodong.settings import Settings
from tests.api.actors import PASSWORD, Api
from tests.api.support import PDF, draft_body
from tests.support import ALL_DOCUMENTS

PACKAGE = "jiaodong_client"

# The generator's configuration an integrator uses (docs/api.md): downloads come in the stored file's own
# media type, which the client reads as bytes.
GENERATOR_CONFIG = f"""\
project_name_override: jiaodong-client
package_name_override: {PACKAGE}
post_hooks: []
content_type_overrides:
  application/pdf: application/octet-stream
  image/jpeg: application/octet-stream
  image/png: application/octet-stream
  application/vnd.openxmlformats-officedocument.spreadsheetml.sheet: application/octet-stream
"""


def _live_spec(folder: Path) -> Path:
    settings = Settings(database_url=f"sqlite+aiosqlite:///{folder}/unused.db", data_dir=folder, secret_key="spec")

    async def fetch() -> httpx.Response:
        transport = httpx.ASGITransport(app=create_app(settings))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            return await client.get("/openapi.json")

    response = asyncio.run(fetch())
    assert response.status_code == 200
    spec = folder / "openapi.json"
    spec.write_bytes(response.content)
    return spec


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    folder = tmp_path_factory.mktemp("generated-client")
    spec = _live_spec(folder)
    config = folder / "config.yml"
    config.write_text(GENERATOR_CONFIG)
    generator = Path(sys.executable).parent / "openapi-python-client"
    run = subprocess.run(
        [
            str(generator),
            "generate",
            "--path",
            str(spec),
            "--output-path",
            str(folder / "client"),
            "--config",
            str(config),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    output = run.stdout + run.stderr
    assert run.returncode == 0, output
    assert "warning" not in output.lower(), output
    assert "error" not in output.lower(), output
    sys.path.insert(0, str(folder / "client"))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(folder / "client"))
        for name in [m for m in sys.modules if m == PACKAGE or m.startswith(f"{PACKAGE}.")]:
            del sys.modules[name]


def _load(name: str) -> Any:
    return importlib.import_module(f"{PACKAGE}.{name}")


async def test_a_generated_client_runs_the_whole_story_typed_with_no_hand_written_http(
    generated: ModuleType, api: Api
) -> None:
    client_module = _load("client")
    models = _load("models")
    types = _load("types")
    login, me = _load("api.auth.login"), _load("api.auth.me")
    list_delegations, create = _load("api.delegations.list_delegations"), _load("api.delegations.create_delegation")
    upload, download = _load("api.delegations.upload_document"), _load("api.delegations.download_document")
    get_delegation = _load("api.delegations.get_delegation")
    submit, sign_for = _load("api.actions.submit"), _load("api.actions.sign_for")
    assign, record = _load("api.actions.assign_handler"), _load("api.actions.record_result")
    complete, confirm = _load("api.actions.complete"), _load("api.actions.confirm")
    base = {"base_url": "http://testserver", "httpx_args": {"transport": httpx.ASGITransport(app=api.app)}}

    # Log in as a person: the session cookie stays in the client, /me answers with the CSRF token.
    async with client_module.Client(**base) as person:
        logged_in = await login.asyncio_detailed(
            client=person, body=models.LoginIn(username="shinan-officer", password=PASSWORD)
        )
        assert logged_in.status_code == 200 and isinstance(logged_in.parsed, models.MeOut)
        assert logged_in.parsed.via == models.MeOutVia.SESSION and logged_in.parsed.csrf_token
        who = await me.asyncio(client=person)
        assert who.username == "shinan-officer" and who.roles == [models.UserRole.REQUESTING_OFFICER]

    # A court's system: bearer tokens (jiaodong token create USER).
    officer = client_module.AuthenticatedClient(token=api.tokens["shinan-officer"], **base)
    clerk = client_module.AuthenticatedClient(token=api.tokens["zhifu-clerk"], **base)
    async with officer, clerk:
        listed = await list_delegations.asyncio(client=officer, box=models.ListDelegationsBox.OUTBOX)
        assert isinstance(listed, models.PageOutDelegationOut) and listed.items == []

        draft = models.DraftIn.from_dict(draft_body())
        created = await create.asyncio_detailed(client=officer, body=draft, idempotency_key="story-0001")
        assert created.status_code == 201 and isinstance(created.parsed, models.DelegationOut)
        assert created.parsed.status == models.Status.DRAFT
        again = await create.asyncio_detailed(client=officer, body=draft, idempotency_key="story-0001")
        assert again.status_code == 200 and again.headers["Idempotent-Replayed"] == "true"
        assert again.parsed.id == created.parsed.id
        ident = created.parsed.id

        def scan(kind: Any, content: bytes = PDF) -> Any:
            file = types.File(payload=io.BytesIO(content), file_name="scan.pdf", mime_type="application/pdf")
            return models.BodyUploadDocument(kind=kind, file=file)

        uploaded = [
            await upload.asyncio(ident, client=officer, body=scan(models.DocumentKindCode(kind)))
            for kind in ALL_DOCUMENTS
        ]
        assert all(isinstance(d, models.DocumentOut) for d in uploaded)
        first = uploaded[0]
        fetched = await download.asyncio_detailed(ident, first.id, client=officer)
        assert fetched.status_code == 200 and isinstance(fetched.parsed, types.File)
        content = fetched.parsed.payload.read()
        assert content == PDF and hashlib.sha256(content).hexdigest() == first.sha256

        detail = await get_delegation.asyncio_detailed(ident, client=officer)
        etag = detail.headers["ETag"]
        assert detail.parsed.version == created.parsed.version and etag == f'"{detail.parsed.version}"'
        submitted = await submit.asyncio_detailed(ident, client=officer, body=models.CommentIn(), if_match=etag)
        assert submitted.status_code == 200 and submitted.parsed.status == models.Status.SUBMITTED

        # The clerk acts on a version that is no longer current: the typed 409 carries the delegation as it is.
        stale = await sign_for.asyncio_detailed(ident, client=clerk, body=models.CommentIn(), if_match=etag)
        assert stale.status_code == 409 and isinstance(stale.parsed, models.ProblemOut)
        assert stale.parsed.code == "conflict" and stale.parsed.current.status == models.Status.SUBMITTED
        assert models.Action.SIGN_FOR in stale.parsed.current.allowed_actions
        current = f'"{stale.parsed.current.version}"'
        assert stale.headers["ETag"] == current
        signed = await sign_for.asyncio_detailed(
            ident, client=clerk, body=models.CommentIn(comment="已签收"), if_match=current
        )
        assert signed.status_code == 200 and signed.parsed.status == models.Status.ACCEPTED

        assigned = await assign.asyncio_detailed(
            ident, client=clerk, body=models.AssignHandlerIn(handler="王法官"), if_match=signed.headers["ETag"]
        )
        assert assigned.parsed.status == models.Status.IN_PROGRESS and assigned.parsed.handler == "王法官"
        results = [
            models.AssetResultIn(asset="鲁B12345", outcome=models.Outcome.DONE),
            models.AssetResultIn(asset="鲁B67890", outcome=models.Outcome.NOT_FOUND, note="未登记"),
        ]
        recorded = await record.asyncio_detailed(
            ident, client=clerk, body=models.RecordResultIn(results=results), if_match=assigned.headers["ETag"]
        )
        assert recorded.status_code == 200
        receipt = await upload.asyncio(ident, client=clerk, body=scan(models.DocumentKindCode.RECEIPT))
        assert receipt.kind == models.DocumentKindCode.RECEIPT
        completed = await complete.asyncio_detailed(
            ident, client=clerk, body=models.CommentIn(comment="已查询完毕"), if_match=recorded.headers["ETag"]
        )
        assert completed.parsed.status == models.Status.COMPLETED
        confirmed = await confirm.asyncio_detailed(
            ident, client=officer, body=models.CommentIn(), if_match=completed.headers["ETag"]
        )
        assert confirmed.status_code == 200 and confirmed.parsed.status == models.Status.CONFIRMED

        final = await get_delegation.asyncio(ident, client=officer)
        assert isinstance(final, models.DelegationDetailOut)
        assert [r.outcome for r in final.results] == [models.Outcome.DONE, models.Outcome.NOT_FOUND]
        transitions = [e.action for e in final.timeline if e.kind == models.EventKind.TRANSITION]
        assert transitions == ["create", "submit", "sign_for", "assign_handler", "record_result", "complete", "confirm"]
        assert final.timeline[-1].at.tzinfo is not None  # date-time in the spec: parsed as an aware datetime
