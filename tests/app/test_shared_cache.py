"""The cache every session reads: keys by content, makes each result once, keeps a bounded number, shares them
read-only."""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest

from cnnlab.app.shared_cache import content_key, function_key, read_only, shared_cache, value_bytes


def test_equal_content_gives_equal_keys_and_any_difference_another_key():
    digit = np.arange(784, dtype=np.uint8).reshape(28, 28)
    assert content_key((digit, {"scale": 2})) == content_key((digit.copy(), {"scale": 2}))
    changed = digit.copy()
    changed[27, 27] ^= 1
    others = [changed, digit.astype(np.int16), digit.reshape(784), digit.T]
    assert len({content_key(value) for value in [digit, *others]}) == 5
    assert content_key({"scale": 2}) != content_key({"scale": 3})
    frame = pd.DataFrame({"a": [1, 2]})
    assert content_key(frame) == content_key(frame.copy()) != content_key(pd.DataFrame({"a": [1, 3]}))
    with pytest.raises(TypeError):
        content_key([{1, 2}, {3: []}])


def test_callers_asking_at_once_wait_for_one_result_made_once():
    made = []
    release = threading.Event()

    @shared_cache(content_key, max_entries=4)
    def slow_square(values: np.ndarray) -> np.ndarray:
        made.append(1)
        release.wait(timeout=30)
        return values ** 2

    results = []
    callers = [threading.Thread(target=lambda: results.append(slow_square(np.arange(3)))) for _ in range(8)]
    for caller in callers:
        caller.start()
    release.set()
    for caller in callers:
        caller.join(timeout=30)
    assert len(made) == 1 and len(results) == 8
    assert all(result is results[0] for result in results)  # the same object, not copies
    np.testing.assert_array_equal(results[0], [0, 1, 4])


def test_the_least_recently_used_result_is_dropped_past_the_bound():
    made = []

    @shared_cache(lambda number: number, max_entries=2)
    def double(number: int) -> int:
        made.append(number)
        return 2 * number

    for number in (1, 2, 1, 3, 1, 2):
        double(number)
    assert made == [1, 2, 3, 2]  # 2 was the least recently used when 3 came


@dataclass
class _Outputs:
    name: str
    values: np.ndarray


def test_a_result_counts_the_bytes_of_its_arrays_and_text():
    outputs = [_Outputs("conv1", np.zeros((24, 24, 30), np.float32)), {"dense": np.ones(128)}, (b"png", "data:")]
    assert value_bytes(outputs) == len("conv1") + 24 * 24 * 30 * 4 + 128 * 8 + 3 + 5
    assert value_bytes(None) == 1


def test_a_cache_bounded_by_bytes_drops_the_oldest_results_until_a_new_one_fits():
    made = []

    @shared_cache(lambda count: count, max_bytes=10_000)
    def zeros(count: int) -> np.ndarray:
        made.append(count)
        return np.zeros(count, np.uint8)

    for count in (4_000, 4_000 + 1, 4_000, 3_000, 4_000 + 1):
        zeros(count)
    # 3,000 more bytes than fit: the least recently used (4,001) went, and came back at its next call.
    assert made == [4_000, 4_001, 3_000, 4_001]
    zeros(20_000)
    zeros(20_000)
    assert made[-2:] == [20_000, 20_000]  # larger than the whole cache: made each time, never kept


def test_a_cache_needs_exactly_one_bound():
    for bounds in ({}, {"max_entries": 2, "max_bytes": 100}):
        with pytest.raises(ValueError, match="exactly one bound"):
            shared_cache(content_key, **bounds)


def test_a_shared_result_cannot_be_changed_by_a_reader():
    shared = read_only([_Outputs("conv1", np.zeros(3)), {"dense": np.ones(2)}, (np.arange(2),)])
    for array in (shared[0].values, shared[1]["dense"], shared[2][0]):
        with pytest.raises(ValueError):
            array[0] = 5


def _page_run():
    """What a page's script does on every run: define its functions anew."""
    def sweep(values):
        return values

    def other(values):
        return values

    return sweep, other


def test_a_function_a_page_defines_anew_on_every_run_is_the_same_key():
    first_sweep, first_other = _page_run()
    second_sweep, _ = _page_run()
    assert first_sweep is not second_sweep
    assert function_key(first_sweep) == function_key(second_sweep) != function_key(first_other)
