"""A minimal keep-alive HTTP/1.1 client on asyncio streams, for load generation only.

Why: the load generator shares this machine's two cores with the server it measures. httpx spent 5-10 ms of
CPU per filing (four requests), in series with the server when filings go one at a time, and that counted
against the API in bench/api.py's ratio. This client writes the request bytes and parses the status line,
the headers and a Content-Length or chunked body: ~0.1 ms per request. Not a general client: no TLS, no
redirects, no proxies, no compression, no cookies; loopback to a server we started.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any


class LeanResponse:
    def __init__(self, status_code: int, headers: dict[str, str], content: bytes) -> None:
        self.status_code = status_code
        self.headers = headers  # names lower-cased
        self.content = content

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", "replace")

    def json(self) -> Any:
        return json.loads(self.content)


class _Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer


class LeanClient:
    """A pool of keep-alive connections to one host:port; one request per connection at a time."""

    def __init__(self, host: str, port: int, headers: dict[str, str] | None = None) -> None:
        self.host, self.port = host, port
        self._fixed = "".join(f"{k}: {v}\r\n" for k, v in {"Host": f"{host}:{port}", **(headers or {})}.items())
        self._idle: list[_Connection] = []

    async def __aenter__(self) -> LeanClient:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        while self._idle:
            connection = self._idle.pop()
            connection.writer.close()

    async def open(self, count: int, path: str = "/healthz") -> None:
        """Open `count` connections one after another, each answering one request before the next is opened.
        Against several worker processes sharing one listening socket, connections opened all at once are
        typically all accepted by the one worker that wakes first; opened in turn, they spread."""
        for _ in range(count):
            connection = await self._connect()
            connection.writer.write(f"GET {path} HTTP/1.1\r\n{self._fixed}Content-Length: 0\r\n\r\n".encode())
            await self._read(connection.reader)
            self._idle.append(connection)
            await asyncio.sleep(0.05)

    async def post_json(self, path: str, body: Any, headers: dict[str, str] | None = None) -> LeanResponse:
        payload = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
        return await self.request("POST", path, payload, {"Content-Type": "application/json", **(headers or {})})

    async def post_multipart(
        self, path: str, fields: dict[str, str], files: dict[str, tuple[str, bytes, str]]
    ) -> LeanResponse:
        """multipart/form-data (RFC 7578): text fields, then files as (filename, content, content type)."""
        boundary = uuid.uuid4().hex
        parts: list[bytes] = []
        for name, value in fields.items():
            parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
        for name, (filename, content, content_type) in files.items():
            head = (
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                f"Content-Type: {content_type}\r\n\r\n"
            )
            parts.append(head.encode() + content + b"\r\n")
        parts.append(f"--{boundary}--\r\n".encode())
        content_type = f"multipart/form-data; boundary={boundary}"
        return await self.request("POST", path, b"".join(parts), {"Content-Type": content_type})

    async def get(self, path: str) -> LeanResponse:
        return await self.request("GET", path)

    async def request(
        self, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
    ) -> LeanResponse:
        extra = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
        head = f"{method} {path} HTTP/1.1\r\n{self._fixed}{extra}Content-Length: {len(body)}\r\n\r\n"
        connection = self._idle.pop() if self._idle else await self._connect()
        try:
            connection.writer.write(head.encode() + body)
            response, keep = await self._read(connection.reader)
        except BaseException:
            connection.writer.close()
            raise
        if keep:
            self._idle.append(connection)
        else:
            connection.writer.close()
        return response

    async def _connect(self) -> _Connection:
        reader, writer = await asyncio.open_connection(self.host, self.port)
        return _Connection(reader, writer)

    @staticmethod
    async def _read(reader: asyncio.StreamReader) -> tuple[LeanResponse, bool]:
        block = await reader.readuntil(b"\r\n\r\n")
        lines = block.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers: dict[str, str] = {}
        for item in lines[1:]:
            if item:
                name, _, value = item.partition(":")
                headers[name.strip().lower()] = value.strip()
        if headers.get("transfer-encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int((await reader.readuntil(b"\r\n"))[:-2].split(b";")[0], 16)
                if size == 0:
                    await reader.readuntil(b"\r\n")  # no trailers from uvicorn: the final CRLF
                    break
                chunks.append(await reader.readexactly(size + 2))
            content = b"".join(c[:-2] for c in chunks)
        else:
            content = await reader.readexactly(int(headers.get("content-length", "0")))
        keep = headers.get("connection", "").lower() != "close"
        return LeanResponse(status, headers, content), keep
