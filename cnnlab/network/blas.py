"""NumPy's matrix products on one thread, for the small products of the pages' gradients.

NumPy hands a matrix product to OpenBLAS, which splits it over every core. For the small products of a few digits
(ten pictures times dense1's 1,500 × 128 kernel) that is a loss as soon as another process keeps a core busy, as a
training worker or another student's page does: each product then waits for the thread that lost its core.
Measured on this project's 2-core machine with one core kept busy: the patterns page's three ascents took 2.6–3.8 s
with two BLAS threads and 1.0 s with one. A web server gets its parallelism from its many students, not from
splitting one small product.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator

from threadpoolctl import ThreadpoolController


@functools.cache
def _controller() -> ThreadpoolController:
    """The BLAS and OpenMP libraries loaded in this process, found once (a few milliseconds)."""
    return ThreadpoolController()


@contextlib.contextmanager
def one_blas_thread() -> Iterator[None]:
    """Within the block, BLAS (NumPy's matrix products) runs on one thread; usable as a decorator too.

    The limit is the process's, not the calling thread's, and the block restores what it found on entry: two blocks
    that overlap in two threads may leave BLAS on one thread after both, which costs a page nothing.
    """
    with _controller().limit(limits=1, user_api="blas"):
        yield
