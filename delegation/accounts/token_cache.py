"""A per-process cache of API-token lookups: the row resolve_token reads, by the token's SHA-256 digest.

The cache only saves the database round trip; resolve_token still checks every cached row against the
request (revoked, expired at the request's `now`, user active, user still in the token's court). It is trusted
only while something hears every change to the rows it copies: on PostgreSQL a listener per process
(delegation.store.credential_changes) enables it once it LISTENs, empties it on every notification the
triggers of api_token and app_user send after commit, and disables (and empties) it when its connection is
lost, until it listens again. Disabled, every lookup reads the database. SQLite never enables it.

A lookup that raced with a change is not stored: resolve_token takes `generation` before it reads the
database and `put` refuses the row if the cache was emptied (or disabled, or enabled anew) since. Entries also
expire after `ttl_seconds` (a safety net, not the invalidation), and the least recently used go beyond
`max_entries`. Unknown tokens are never stored. Everything runs on the event loop's thread: no locks.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

# Per process: the systems that call with tokens are a few per court; a few thousand rows are a few hundred KB.
DEFAULT_MAX_ENTRIES = 4096
DEFAULT_TTL_SECONDS = 60.0


class TokenCache:
    def __init__(
        self,
        max_entries: int = DEFAULT_MAX_ENTRIES,
        ttl_seconds: float = DEFAULT_TTL_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_entries = max_entries
        self.ttl_seconds = ttl_seconds
        self._monotonic = monotonic
        self._entries: OrderedDict[str, tuple[float, tuple[Any, ...]]] = OrderedDict()
        self.generation = 0  # moves on every invalidation; a lookup begun before it is not stored
        self.enabled = False
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: str) -> tuple[Any, ...] | None:
        """The stored row for the digest `key`, or None (disabled, never stored, emptied, or too old)."""
        if not self.enabled:
            return None
        entry = self._entries.get(key)
        if entry is not None and self._monotonic() - entry[0] < self.ttl_seconds:
            self._entries.move_to_end(key)
            self.hits += 1
            return entry[1]
        if entry is not None:
            del self._entries[key]
        self.misses += 1
        return None

    def put(self, key: str, row: tuple[Any, ...], generation: int) -> bool:
        """Store the row read for `key` by a lookup that began at `generation`; refused (False) if the cache
        is disabled or was emptied since: the row may predate a change whose notification came meanwhile."""
        if not self.enabled or generation != self.generation or self.max_entries <= 0:
            return False
        self._entries[key] = (self._monotonic(), row)
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)
        return True

    def invalidate(self) -> None:
        """Something changed (a notification): forget every row, and every lookup still on its way."""
        self.generation += 1
        self._entries.clear()

    def enable(self) -> None:
        """The listener listens: from now on every change is heard. Lookups begun before are not stored
        (they may have read a change made while nobody listened)."""
        self.invalidate()
        self.enabled = self.max_entries > 0

    def disable(self) -> None:
        """The listener lost its connection: changes may go unheard, so every lookup reads the database."""
        self.enabled = False
        self.invalidate()
