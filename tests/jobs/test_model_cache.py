"""The finished models kept in memory: at most the bound, and the least recently used leave first."""

from __future__ import annotations

import pytest

from cnnlab.jobs.model_cache import ModelCache


def test_the_cache_keeps_at_most_its_bound_and_drops_the_oldest_first():
    cache = ModelCache(max_models=2)
    for name in "abc":
        cache.put(name, f"job {name}")
    assert len(cache) == 2
    assert cache.jobs() == ["job c", "job b"]  # most recently used first
    assert cache.get("a") is None


def test_using_a_model_keeps_it_and_looking_at_it_does_not():
    cache = ModelCache(max_models=2)
    cache.put("a", "job a")
    cache.put("b", "job b")
    assert cache.use("a") == "job a"  # a page chose it again: now b is the oldest
    cache.put("c", "job c")
    assert cache.jobs() == ["job c", "job a"]
    assert cache.get("a") == "job a"  # only a look: a stays the oldest
    cache.put("d", "job d")
    assert cache.jobs() == ["job d", "job c"]
    assert cache.use("a") is None


def test_putting_a_kept_key_again_makes_it_the_most_recent_without_growing():
    cache = ModelCache(max_models=3)
    for name in "abc":
        cache.put(name, f"job {name}")
    cache.put("a", "job a again")
    assert cache.jobs() == ["job a again", "job c", "job b"]


def test_a_cache_must_keep_at_least_one_model():
    with pytest.raises(ValueError, match="at least one"):
        ModelCache(max_models=0)
