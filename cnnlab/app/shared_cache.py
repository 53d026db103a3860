"""A cache for results that every session only reads: kept once per process, keyed by the arguments' content, and
handed out as the very object that was made.

`st.cache_data` does the same job but, on every call, hashes the arguments with Streamlit's general hasher, reads
the function's signature, and unpickles a fresh copy of the result. For the dozen pictures, charts and layer
outputs of one page run, that was about a tenth of the web server's time under a class's load. The values kept here
are never changed by their readers (pictures, chart specs, NumPy results), so one copy serves every session.
"""

from __future__ import annotations

import dataclasses
import hashlib
import threading
from collections.abc import Callable

import cachetools
import numpy as np
import pandas as pd


def content_key(value: object) -> object:
    """A hashable stand-in for `value` that is equal for equal content: NumPy arrays by shape, dtype and a digest of
    their bytes, data frames by their columns and rows; tuples, lists and dicts by their items; anything else as
    itself (it must be hashable)."""
    if isinstance(value, np.ndarray):
        digest = hashlib.blake2b(np.ascontiguousarray(value).data, digest_size=16).digest()
        return ("array", value.shape, value.dtype.str, digest)
    if isinstance(value, pd.DataFrame):
        return ("frame", tuple(value.columns), content_key(pd.util.hash_pandas_object(value).to_numpy()))
    if isinstance(value, (tuple, list)):
        return (type(value).__name__, *(content_key(item) for item in value))
    if isinstance(value, dict):
        return ("dict", *((name, content_key(item)) for name, item in sorted(value.items())))
    hash(value)  # a TypeError here names an argument this cache cannot tell apart
    return value


def function_key(function: Callable) -> object:
    """A stand-in for a function that stays the same across page runs. A page's script defines its functions anew on
    every run, so the function object itself would never be found again: its module, name and file are used."""
    code = getattr(function, "__code__", None)
    if code is None:
        return function
    return (function.__module__, function.__qualname__, code.co_filename)


def shared_cache(key: Callable[..., object], *, max_entries: int | None = None,
                 max_bytes: int | None = None) -> Callable[[Callable], Callable]:
    """Decorate a function whose result depends only on what `key(*args, **kwargs)` returns (build it with
    `content_key`). It keeps its last `max_entries` results, or as many as fit in `max_bytes` (counted by
    `value_bytes`), least recently used dropped first. Give exactly one bound. Sessions asking for a result being
    made wait for it instead of making it again."""
    if (max_entries is None) == (max_bytes is None):
        raise ValueError("Give the cache exactly one bound: max_entries or max_bytes.")
    kept = (cachetools.LRUCache(max_entries) if max_bytes is None
            else cachetools.LRUCache(max_bytes, getsizeof=value_bytes))
    condition = threading.Condition()
    return cachetools.cached(kept, key=key, lock=condition, condition=condition)


def value_bytes(value: object) -> int:
    """About how much memory `value` holds: the bytes of its NumPy arrays, byte strings and strings, also inside
    lists, tuples, dicts and dataclasses; at least 1. What a result's size is made of here (layer outputs, pictures,
    chart specs), not Python's overhead for each object."""
    return max(1, sum(part.nbytes if isinstance(part, np.ndarray) else len(part)
                      for part in _leaves(value) if isinstance(part, (np.ndarray, bytes, str))))


def _leaves(value: object):
    """Everything inside `value` that is not a list, tuple, dict or dataclass (`value` itself when it is none)."""
    if isinstance(value, (tuple, list)):
        for item in value:
            yield from _leaves(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _leaves(item)
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for field in dataclasses.fields(value):
            yield from _leaves(getattr(value, field.name))
    else:
        yield value


def read_only(value: object) -> object:
    """`value` with every NumPy array in it (also inside lists, tuples, dicts and dataclasses) made read-only, so that
    a page that would change a shared result fails at once instead of changing it for every session."""
    for part in _leaves(value):
        if isinstance(part, np.ndarray):
            part.flags.writeable = False
    return value
