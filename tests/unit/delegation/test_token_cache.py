"""The token cache on its own: off until enabled, never stores a lookup that raced with a change, bounded, aged."""

from __future__ import annotations

from delegation.accounts.token_cache import TokenCache

ROW = (1, "鲁0602", None, None, 7, "zhifu-clerk", "clerk", "鲁0602", ["assisting_clerk"], True)


class Ticks:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_disabled_cache_stores_and_serves_nothing() -> None:
    cache = TokenCache()
    assert not cache.put("k", ROW, cache.generation)
    assert cache.get("k") is None and len(cache) == 0


def test_an_enabled_cache_serves_what_a_lookup_stored_and_counts_hits_and_misses() -> None:
    cache = TokenCache()
    cache.enable()
    assert cache.get("k") is None
    assert cache.put("k", ROW, cache.generation)
    assert cache.get("k") == ROW
    assert (cache.hits, cache.misses) == (1, 1)


def test_a_lookup_begun_before_an_invalidation_is_not_stored() -> None:
    cache = TokenCache()
    cache.enable()
    began = cache.generation
    cache.invalidate()  # a notification arrived while the lookup read the database
    assert not cache.put("k", ROW, began)
    assert cache.get("k") is None


def test_a_lookup_begun_while_disabled_is_not_stored_after_enabling() -> None:
    cache = TokenCache()
    began = cache.generation
    cache.enable()  # nobody listened while that lookup read: it may have missed a change
    assert not cache.put("k", ROW, began)


def test_invalidating_and_disabling_forget_every_row() -> None:
    cache = TokenCache()
    cache.enable()
    cache.put("a", ROW, cache.generation)
    cache.invalidate()
    assert cache.get("a") is None
    cache.put("a", ROW, cache.generation)
    cache.disable()
    assert len(cache) == 0 and not cache.enabled
    cache.enable()
    assert cache.get("a") is None


def test_rows_expire_after_the_ttl() -> None:
    ticks = Ticks()
    cache = TokenCache(ttl_seconds=60, monotonic=ticks)
    cache.enable()
    cache.put("k", ROW, cache.generation)
    ticks.now = 59.9
    assert cache.get("k") == ROW
    ticks.now = 60.0
    assert cache.get("k") is None and len(cache) == 0


def test_the_least_recently_used_row_goes_beyond_the_bound() -> None:
    cache = TokenCache(max_entries=2)
    cache.enable()
    cache.put("a", ROW, cache.generation)
    cache.put("b", ROW, cache.generation)
    assert cache.get("a") == ROW  # b is now the least recently used
    cache.put("c", ROW, cache.generation)
    assert len(cache) == 2 and cache.get("b") is None and cache.get("a") == ROW and cache.get("c") == ROW


def test_a_cache_of_size_zero_never_enables() -> None:
    cache = TokenCache(max_entries=0)
    cache.enable()
    assert not cache.enabled and not cache.put("k", ROW, cache.generation)
