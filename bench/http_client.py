"""The load generator's HTTP client (bench/api.py): aiohttp, a pool of keep-alive connections to one server.

Why not httpx (which the tests and the other benches use): the load generator shares this machine's two cores
with the server it measures, and one filing at a time the client's CPU is in series with the server's. httpx
spent ~1.4 ms of CPU per request here, aiohttp ~0.3 ms (JSON) to ~0.6 ms (a multipart upload).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import aiohttp
from urllib3 import encode_multipart_formdata


@dataclass(frozen=True)
class BenchResponse:
    status_code: int
    headers: dict[str, str]  # names lower-cased
    content: bytes

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", "replace")

    def json(self) -> Any:
        return json.loads(self.content)


class BenchClient:
    """Requests to http://host:port with fixed headers (the caller's token), over reused connections."""

    def __init__(self, host: str, port: int, headers: dict[str, str] | None = None) -> None:
        self.base = f"http://{host}:{port}"
        self._headers = headers or {}
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> BenchClient:
        connector = aiohttp.TCPConnector(limit=0, force_close=False)
        self._session = aiohttp.ClientSession(self.base, headers=self._headers, connector=connector)
        return self

    async def __aexit__(self, *_: object) -> None:
        if self._session is not None:
            await self._session.close()

    @property
    def session(self) -> aiohttp.ClientSession:
        assert self._session is not None, "use `async with BenchClient(...)`"
        return self._session

    async def post_json(self, path: str, body: Any, headers: dict[str, str] | None = None) -> BenchResponse:
        return await self._send("POST", path, json=body, headers=headers)

    async def post_multipart(
        self, path: str, fields: dict[str, str], files: dict[str, tuple[str, bytes, str]]
    ) -> BenchResponse:
        """multipart/form-data: text fields, then files as (filename, content, content type). The body is
        encoded by urllib3 in one piece (~10 µs) and sent as bytes: aiohttp's FormData writes it part by part
        through its payload machinery, several times the CPU, in series with the server one at a time."""
        body, content_type = encode_multipart_formdata({**fields, **files})
        return await self._send("POST", path, data=body, headers={"Content-Type": content_type})

    async def get(self, path: str) -> BenchResponse:
        return await self._send("GET", path)

    async def _send(self, method: str, path: str, **options: Any) -> BenchResponse:
        async with self.session.request(method, path, **options) as response:
            content = await response.read()
            headers = {name.lower(): value for name, value in response.headers.items()}
            return BenchResponse(response.status, headers, content)
