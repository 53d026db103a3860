"""NumPy's matrix products on one thread inside `one_blas_thread`, and as many as before after it, as threadpoolctl
(the library that sets the limit) reports them."""

from __future__ import annotations

import numpy as np
from threadpoolctl import threadpool_info

from cnnlab.network.blas import one_blas_thread


def blas_threads() -> list[int]:
    """The thread counts of NumPy's own BLAS libraries (SciPy or TensorFlow, once imported, bring others, which
    NumPy's matrix products do not use)."""
    return [library["num_threads"] for library in threadpool_info()
            if library["user_api"] == "blas" and "numpy" in library["filepath"]]


def test_the_block_runs_blas_on_one_thread_and_gives_back_what_it_found():
    before = blas_threads()
    assert before, "NumPy has a BLAS library of its own"
    with one_blas_thread():
        assert set(blas_threads()) == {1}
        product = np.ones((64, 64)) @ np.ones((64, 64))
    assert blas_threads() == before
    assert product[0, 0] == 64.0


def test_it_works_as_a_decorator():
    @one_blas_thread()
    def threads_inside() -> list[int]:
        return blas_threads()

    assert set(threads_inside()) == {1}
