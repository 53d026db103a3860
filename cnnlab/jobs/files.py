"""Writing a file whole: a reader, another process sharing the folder, or a crash sees the old file or the new one,
never part of either.

Every file CNN Lab keeps beside its models (the models themselves, the class board, the training pace, the embedded
cluster's address) and the reference model it ships are written through `write_atomically`.
"""

from __future__ import annotations

import os
import tempfile
from contextlib import suppress
from pathlib import Path

# A file that is still being written is named so, in the folder it will replace a file in. A process killed while
# writing leaves one behind; `cnnlab.jobs.store` clears such files away once they are old.
TEMPORARY_PREFIX = ".partial-"
TEMPORARY_SUFFIX = ".tmp"


def write_atomically(path: Path, data: bytes) -> None:
    """Make the file at `path` hold `data`, all at once.

    The bytes go to a new temporary file in the same folder (a rename is atomic only within one file system), are
    flushed to the disk, and that file is then renamed over `path` with `os.replace`; the rename is made durable too,
    where the system allows. Raises OSError when any step fails, after removing the temporary file: `path` then
    holds what it held before, or is still missing.
    """
    path = Path(path)
    descriptor, name = tempfile.mkstemp(dir=path.parent, prefix=TEMPORARY_PREFIX, suffix=TEMPORARY_SUFFIX)
    try:
        with open(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(name, path)
    except BaseException:
        # Also on KeyboardInterrupt: nothing else will ever remove this half-written file before it turns stale.
        with suppress(OSError):
            os.unlink(name)
        raise
    _sync_directory(path.parent)


def _sync_directory(directory: Path) -> None:
    """Make a rename in `directory` durable (POSIX); best effort, since not every file system allows it."""
    if os.name != "posix":
        return
    with suppress(OSError):
        descriptor = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
