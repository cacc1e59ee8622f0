"""Hearing, in each process, that credentials changed: PostgreSQL's LISTEN on the channel that the triggers of
api_token and app_user notify after every committed change (migration 0022).

One dedicated asyncpg connection per process, outside the engine's pool (a LISTEN belongs to its connection;
a pooled one would be recycled and shared). It connects with the arguments SQLAlchemy's asyncpg dialect makes
from the engine's URL (`connect_args`), so it reaches the same database with the same host, user, password
and TLS options. The listener drives a target (the token cache):

- `enable()` once LISTEN is in place and the triggers are there and enabled (code deployed before its migration
  ran, or a trigger disabled by hand, would otherwise cache with nobody notifying), so a change committed from
  then on is heard;
- `invalidate()` on every notification;
- `disable()` as soon as the connection is lost (the server ended it, a restart) or stops answering a ping
  (a silently dropped connection is found within ping_seconds + ping_timeout; the ping checks the triggers
  again), and on stop. It reconnects with
  a backoff in the background and enables the target again once it listens again.

Not behind a transaction-pooling proxy (PgBouncer's transaction mode does not carry LISTEN): turn the cache
off there (JIAODONG_TOKEN_CACHE_SIZE=0).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

import asyncpg
from sqlalchemy.ext.asyncio import AsyncEngine

CHANNEL = "jiaodong_credentials"  # migration 0022 writes the same name into its trigger function
TRIGGERS = ("api_token_credentials_changed", "app_user_credentials_changed")  # migration 0022's
# How many of them exist and fire (tgenabled 'D': disabled by ALTER TABLE .. DISABLE TRIGGER).
_TRIGGERS_ON = "SELECT count(*) FROM pg_trigger WHERE tgname = ANY($1::text[]) AND tgenabled <> 'D'"
CONNECT_TIMEOUT_SECONDS = 5.0

# Options of SQLAlchemy's asyncpg dialect that may come in the URL's query but are not asyncpg.connect's.
_DIALECT_OPTIONS = ("prepared_statement_cache_size", "prepared_statement_name_func", "async_fallback")

_log = logging.getLogger(__name__)


class TriggersMissing(Exception):
    """The notifying triggers are not (all) there: the database lacks migration 0022, or one was disabled."""


class Target(Protocol):
    def enable(self) -> None: ...
    def invalidate(self) -> None: ...
    def disable(self) -> None: ...


def connect_args(engine: AsyncEngine) -> dict[str, Any]:
    """asyncpg.connect's keyword arguments for the engine's database (PostgreSQL engines only)."""
    _args, kwargs = engine.dialect.create_connect_args(engine.url)
    options = {k: v for k, v in dict(kwargs).items() if k not in _DIALECT_OPTIONS}
    options.setdefault("timeout", CONNECT_TIMEOUT_SECONDS)
    return options


class CredentialListener:
    def __init__(
        self,
        connect: Callable[[], Awaitable[asyncpg.Connection]],
        target: Target,
        *,
        backoff_seconds: float = 0.2,
        backoff_max_seconds: float = 10.0,
        ping_seconds: float = 5.0,
        ping_timeout_seconds: float = 5.0,
    ) -> None:
        self._connect = connect
        self._target = target
        self._backoff = backoff_seconds
        self._backoff_max = backoff_max_seconds
        self._ping = ping_seconds
        self._ping_timeout = ping_timeout_seconds
        self._task: asyncio.Task[None] | None = None
        self._listening = asyncio.Event()
        self._connection: asyncpg.Connection | None = None
        self._stopping = False
        self.connections = 0  # how many times it has listened (tests, logs)

    @classmethod
    def for_engine(cls, engine: AsyncEngine, target: Target, **kwargs: Any) -> CredentialListener | None:
        """A listener on the engine's database, or None where there is nothing to listen to (SQLite)."""
        if engine.dialect.name != "postgresql":
            return None
        options = connect_args(engine)

        async def connect() -> asyncpg.Connection:
            return await asyncpg.connect(**options)

        return cls(connect, target, **kwargs)

    @property
    def listening(self) -> bool:
        return self._listening.is_set()

    @property
    def backend_pid(self) -> int | None:
        """The server process of the listening connection (pg_stat_activity, pg_terminate_backend)."""
        connection = self._connection
        return connection.get_server_pid() if connection is not None and not connection.is_closed() else None

    def start(self) -> None:
        if self._task is None:
            self._stopping = False
            self._task = asyncio.get_running_loop().create_task(self._run(), name="credential-listener")

    async def wait_listening(self) -> None:
        """Until it listens (callers bound the wait: asyncio.timeout)."""
        await self._listening.wait()

    async def stop(self) -> None:
        task, self._task = self._task, None
        self._stopping = True  # as well as the cancellation, which an await that completes at once may swallow
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        self._target.disable()

    async def _run(self) -> None:
        backoff = self._backoff
        while not self._stopping:
            try:
                await self._listen()
                backoff = self._backoff  # it listened (and then lost the connection): retry at once-ish
            except asyncio.CancelledError:
                raise
            except Exception as error:  # the database is down or refuses us: the cache stays off meanwhile
                _log.warning("credential listener: %s: %s; retrying in %.1f s", type(error).__name__, error, backoff)
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, self._backoff_max)

    @staticmethod
    async def _check_triggers(connection: asyncpg.Connection) -> None:
        if await connection.fetchval(_TRIGGERS_ON, list(TRIGGERS)) != len(TRIGGERS):
            raise TriggersMissing("the credential triggers of migration 0022 are missing or disabled")

    async def _listen(self) -> None:
        lost = asyncio.Event()

        def on_lost(_connection: object) -> None:
            self._target.disable()  # at once, not when this task next runs
            self._listening.clear()
            lost.set()

        def on_notification(_connection: object, _pid: int, _channel: str, _payload: object) -> None:
            self._target.invalidate()

        connection = await self._connect()
        try:
            connection.add_termination_listener(on_lost)
            await connection.add_listener(CHANNEL, on_notification)
            await self._check_triggers(connection)
            self._connection = connection
            self.connections += 1
            self._target.enable()
            self._listening.set()
            if self.connections > 1:
                _log.info("credential listener: listening again; token cache enabled")
            # asyncio.timeout rather than wait_for: Python 3.11's wait_for may swallow a cancellation (stop).
            while not lost.is_set() and not self._stopping:
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self._ping):
                        await lost.wait()
                if not lost.is_set():  # quiet for a while: is the connection still there, the triggers too?
                    async with asyncio.timeout(self._ping_timeout):
                        await self._check_triggers(connection)
            if self._stopping:
                return
            _log.warning("credential listener: connection lost; token cache disabled until it listens again")
        finally:
            self._target.disable()
            self._listening.clear()
            self._connection = None
            if not connection.is_closed():
                try:  # politely (the server logs a dropped client), but never waiting long on a dead one
                    async with asyncio.timeout(self._ping_timeout):
                        await connection.close()
                except Exception:
                    connection.terminate()
