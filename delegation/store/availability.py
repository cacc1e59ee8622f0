"""Is an exception the database being unreachable (down, restarting, pool exhausted), rather than a bug?

The edge answers those with 503 and Retry-After instead of 500; the CLI with one line instead of a traceback.
"""

from __future__ import annotations

import sqlite3

from sqlalchemy import exc as sa_exc

# asyncpg's own classes, by name: the check must not import asyncpg where only SQLite is installed.
_UNAVAILABLE_NAMES = frozenset(
    {
        "CannotConnectNowError",  # the server is starting up or shutting down
        "ConnectionDoesNotExistError",
        "ConnectionFailureError",
        "AdminShutdownError",  # terminating connection due to administrator command
        "CrashShutdownError",
        "TooManyConnectionsError",
        "InterfaceError",  # asyncpg: the connection is closed / in a broken state
        "PostgresConnectionError",
    }
)


def is_unavailable(error: BaseException) -> bool:
    """True when `error` (or what caused it) says the database cannot be reached right now."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if _unavailable_itself(current):
            return True
        orig = getattr(current, "orig", None)
        current = orig if isinstance(orig, BaseException) else (current.__cause__ or current.__context__)
    return False


def _unavailable_itself(error: BaseException) -> bool:
    if isinstance(error, sa_exc.TimeoutError):  # QueuePool: no connection became free in time
        return True
    if isinstance(error, sa_exc.DBAPIError) and error.connection_invalidated:
        return True
    if isinstance(error, ConnectionError | TimeoutError):  # refused, reset, connect timeout
        return True
    if isinstance(error, OSError) and error.errno is not None:  # e.g. host unreachable, no such socket
        return True
    if isinstance(error, sqlite3.OperationalError):
        message = str(error)
        return "unable to open database file" in message or "database is locked" in message
    kind = type(error)
    return kind.__module__.startswith("asyncpg") and kind.__name__ in _UNAVAILABLE_NAMES
