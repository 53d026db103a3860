"""A Dask preload that ends an embedded cluster's process once the app that started it is gone.

The app starts its scheduler and workers as child processes; a server stopped with SIGKILL (or crashing) cannot
stop them, so each watches its parent instead: `dask scheduler --preload cnnlab.jobs.orphan_guard` and
`dask worker --preload-nanny cnnlab.jobs.orphan_guard`.
"""

from __future__ import annotations

import asyncio
import logging
import os

from tornado.ioloop import PeriodicCallback

CHECK_MILLISECONDS = 1000

logger = logging.getLogger(__name__)


def dask_setup(server) -> None:
    """Close `server` (a scheduler or a nanny) once this process's parent has exited (it is then re-parented)."""
    parent = os.getppid()

    def check() -> None:
        if os.getppid() != parent:
            logger.warning("The app that started this Dask process has exited; closing it.")
            watcher.stop()
            asyncio.ensure_future(server.close())

    watcher = PeriodicCallback(check, CHECK_MILLISECONDS)
    watcher.start()
