"""The pages rendered through the app in-process (httpx against the ASGI app), on the run's SQLite and
PostgreSQL databases; the same app, users, tokens and clock as the API tests."""

from __future__ import annotations

from tests.api.conftest import api

__all__ = ["api"]
