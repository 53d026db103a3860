"""What a teacher decided about the class's models: which are taken off the experiments board, and which model
is the class's model (the one a first visit shows).

Kept as a small JSON file beside the stored models, so a server restart (or another replica sharing the folder)
keeps the teacher's choices. Models are named by their key's digest, so nothing about a student is written.
"""

from __future__ import annotations

import json
import logging
import threading
from pathlib import Path

from cnnlab.config import TrainConfig
from cnnlab.jobs.files import write_atomically
from cnnlab.jobs.job import JobKey
from cnnlab.jobs.store import key_digest

BOARD_FILE_NAME = "class_board.json"

logger = logging.getLogger(__name__)


class ClassBoard:
    """The hidden models and the pinned class model; `directory` None keeps them in memory only."""

    def __init__(self, directory: Path | None = None):
        self._path = None if directory is None else Path(directory) / BOARD_FILE_NAME
        self._lock = threading.Lock()
        self._hidden: frozenset[str] = frozenset()
        self._pinned: JobKey | None = None
        self._read()

    def is_hidden(self, key: JobKey) -> bool:
        return key_digest(*key) in self._hidden

    def hide(self, keys: list[JobKey]) -> None:
        """Take these models off the board (they stay usable, and a link to one still opens it)."""
        with self._lock:
            self._hidden = self._hidden | {key_digest(*key) for key in keys}
            self._write()

    @property
    def pinned(self) -> JobKey | None:
        """The class's model, or None for the reference model."""
        return self._pinned

    def pin(self, key: JobKey | None) -> None:
        """Make `key`'s model the one every tab without a model of its own shows; None goes back to the reference."""
        with self._lock:
            self._pinned = key
            self._write()

    def _read(self) -> None:
        if self._path is None or not self._path.exists():
            return
        try:
            saved = json.loads(self._path.read_text())
            self._hidden = frozenset(str(digest) for digest in saved.get("hidden", []))
            pinned = saved.get("pinned")
            self._pinned = None if pinned is None else (TrainConfig.from_dict(pinned["config"]),
                                                        str(pinned["fingerprint"]))
        except (OSError, ValueError, TypeError, KeyError) as error:
            logger.warning("The class board in %s could not be read (%s); starting with an empty one.",
                           self._path, error)

    def _write(self) -> None:
        """Replace the file whole (caller holds the lock): a reader never sees half of it."""
        if self._path is None:
            return
        pinned = None if self._pinned is None else {"config": self._pinned[0].to_dict(),
                                                    "fingerprint": self._pinned[1]}
        text = json.dumps({"hidden": sorted(self._hidden), "pinned": pinned})
        try:
            write_atomically(self._path, text.encode())
        except OSError as error:
            logger.error("The class board could not be saved to %s (%s); it holds until a restart.", self._path, error)
