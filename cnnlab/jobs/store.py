"""A folder of finished models that outlives the server process, so a restart never loses a training.

Each model is one zip file (its format is `cnnlab.jobs.model_file`'s) named by a hash of its key (TrainConfig,
dataset fingerprint). Files are written whole (`cnnlab.jobs.files.write_atomically`: a temporary file in the same
folder, renamed into place), so neither a reader nor a crash ever sees half a model: a process killed while
writing leaves at most a temporary file, which a later store removes. A file that cannot be used is reported,
moved aside and treated as missing: the model is then retrained on demand. The folder is bounded; the least
recently used models go first. Several server processes (a school's replicas) may share one folder.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import threading
import time
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

from cnnlab.config import TrainConfig
from cnnlab.jobs.files import TEMPORARY_PREFIX, TEMPORARY_SUFFIX, write_atomically
from cnnlab.jobs.model_file import ModelRecord, UnusableFile, model_file_bytes, read_model_file, read_record
from cnnlab.network.result import TrainResult

logger = logging.getLogger(__name__)

MODEL_DIR_VARIABLE = "CNNLAB_MODEL_DIR"
MODELS_ON_DISK = 20  # the most recently used are kept; older files are removed
# A temporary file older than this was left by a process that died while writing (a write takes well under a
# second): removing it cannot disturb a live writer in another process sharing the folder.
STALE_TEMPORARY_SECONDS = 600
MODEL_SUFFIX = ".zip"
SET_ASIDE_SUFFIX = ".corrupt"
MAX_SET_ASIDE_FILES = 3  # kept so an operator can look at what went wrong, but never more
DIGEST_CHARACTERS = 32  # 128 bits of sha256: no two keys will ever share a file name
MODEL_FILE_PATTERN = re.compile(rf"^[0-9a-f]{{{DIGEST_CHARACTERS}}}{re.escape(MODEL_SUFFIX)}$")


def default_store_directory() -> Path:
    """Where the app keeps trained models: $CNNLAB_MODEL_DIR if set, else the user's cache folder.

    The cache folder is $XDG_CACHE_HOME/cnnlab/models, or ~/.cache/cnnlab/models when that is not set.
    """
    configured = os.environ.get(MODEL_DIR_VARIABLE)
    if configured:
        return Path(configured).expanduser()
    cache_home = os.environ.get("XDG_CACHE_HOME", "")
    # The XDG specification says a relative path is invalid and must be ignored.
    base = Path(cache_home) if cache_home and Path(cache_home).is_absolute() else Path.home() / ".cache"
    return base / "cnnlab" / "models"


def key_digest(config: TrainConfig, fingerprint: str) -> str:
    """A file-name-safe hash of a key: sha256 of its canonical JSON, DIGEST_CHARACTERS hex characters."""
    canonical = json.dumps(
        {"config": config.to_dict(), "fingerprint": fingerprint}, sort_keys=True, separators=(",", ":")
    )
    return hashlib.sha256(canonical.encode()).hexdigest()[:DIGEST_CHARACTERS]


@dataclass(frozen=True)
class _StoredFile:
    path: Path
    modified_ns: int
    size: int


class ModelStore:
    """Saves and loads finished models keyed by (TrainConfig, dataset fingerprint).

    directory: the folder to use (created if missing). If it cannot be created, the store logs a warning
        and keeps nothing (`available` is False): the app still works, models just do not survive a restart.
    max_models: how many model files to keep; the least recently saved or loaded go first.
    max_bytes: an optional budget for all model files together (the newest file is always kept).

    No method raises on a disk problem: saving returns False and loading returns None, after logging why.
    """

    def __init__(self, directory: Path, max_models: int = MODELS_ON_DISK, max_bytes: int | None = None):
        if isinstance(max_models, bool) or not isinstance(max_models, int) or max_models < 1:
            raise ValueError(f"The model store must keep at least one model; max_models={max_models!r}.")
        if max_bytes is not None and max_bytes < 1:
            raise ValueError(f"The model store's byte budget must be positive; max_bytes={max_bytes!r}.")
        self.directory = Path(directory).expanduser()
        self.max_models = max_models
        self.max_bytes = max_bytes
        self._touch_lock = threading.Lock()
        self._last_touch_ns = 0
        self.available = self._open()

    def __repr__(self) -> str:
        return f"ModelStore({str(self.directory)!r}, max_models={self.max_models})"

    def path_for(self, config: TrainConfig, fingerprint: str) -> Path:
        """The one file a key's model may live in; the store never reads any other path."""
        return self.directory / f"{key_digest(config, fingerprint)}{MODEL_SUFFIX}"

    # --- saving and loading ------------------------------------------------------------------------------

    def save(self, result: TrainResult, fingerprint: str) -> bool:
        """Write `result` as the model for (result.config, fingerprint); True if it was kept."""
        try:
            data = model_file_bytes(result, fingerprint)
        except Exception:  # noqa: BLE001 - a model that cannot be written must not take the caller down
            logger.exception("The trained model could not be serialised, so it was not saved.")
            return False
        return self.put(data, result.config, fingerprint)

    def put(self, data: bytes, config: TrainConfig, fingerprint: str) -> bool:
        """Write a model file's bytes (as a worker returns them) atomically under their key; True if kept.

        Any failure (a full disk, a read-only folder) is logged and leaves no file behind; it is never raised.
        """
        if not self.available:
            return False
        path = self.path_for(config, fingerprint)
        try:
            write_atomically(path, data)
        except OSError as error:
            logger.error(
                "The trained model could not be saved to %s (%s); it stays available until the server restarts.",
                path,
                error,
            )
            return False
        with suppress(OSError):  # the model is saved; only its place in the eviction order is uncertain
            self._touch(path)
        self._prune(keep=path)
        return True

    def load(self, config: TrainConfig, fingerprint: str) -> TrainResult | None:
        """The stored model for this key, or None if there is none or the file is unusable.

        An unusable file (truncated, not a zip, another key's model, missing fields, weights that do not fit its
        settings) is reported with a warning naming it and moved aside, so the model is retrained on demand.
        """
        if not self.available:
            return None
        path = self.path_for(config, fingerprint)
        try:
            # Read once, then parse from memory: a concurrent save or eviction cannot change it underneath.
            data = path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as error:
            logger.warning(
                "The stored model %s could not be read (%s); it will be retrained if asked for.", path, error
            )
            return None
        try:
            result = read_model_file(data, config, fingerprint)
        except UnusableFile as problem:
            self._set_aside(path, str(problem))
            return None
        with suppress(OSError):  # a read-only folder still serves its models
            self._touch(path)
        return result

    def records(self) -> list[ModelRecord]:
        """What every stored model's file says about it (no Keras needed), most recently used first.

        Files that cannot be read are left out here; `load` reports and sets them aside when they are asked for.
        """
        if not self.available:
            return []
        found = []
        for stored in reversed(self._model_files()):
            with suppress(OSError, UnusableFile):
                found.append(read_record(stored.path))
        return found

    def contains(self, config: TrainConfig, fingerprint: str) -> bool:
        """Whether a file for this key exists (without reading it, so without importing Keras)."""
        return self.available and self.path_for(config, fingerprint).is_file()

    # --- housekeeping ------------------------------------------------------------------------------------

    def _open(self) -> bool:
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            logger.warning(
                "Trained models will not be kept across restarts: the folder %s could not be created (%s).",
                self.directory,
                error,
            )
            return False
        self._remove_stale_temporary_files()
        return True

    def _remove_stale_temporary_files(self) -> None:
        """Delete temporary files that a process killed while writing left behind."""
        now = time.time()
        for temporary in self.directory.glob(f"{TEMPORARY_PREFIX}*{TEMPORARY_SUFFIX}"):
            with suppress(OSError):
                if now - temporary.stat().st_mtime > STALE_TEMPORARY_SECONDS:
                    temporary.unlink()
                    logger.info("Removed %s, left half-written by an earlier process.", temporary)

    def _touch(self, path: Path) -> None:
        """Mark `path` as just used; strictly later than any earlier touch by this store, so order is exact."""
        with self._touch_lock:
            now = max(time.time_ns(), self._last_touch_ns + 1)
            self._last_touch_ns = now
        os.utime(path, ns=(now, now))

    def _model_files(self) -> list[_StoredFile]:
        files = []
        for path in self.directory.iterdir():
            if MODEL_FILE_PATTERN.match(path.name):
                with suppress(OSError):  # it may have been evicted by another process meanwhile
                    status = path.stat()
                    files.append(_StoredFile(path, status.st_mtime_ns, status.st_size))
        return sorted(files, key=lambda stored: stored.modified_ns)

    def _prune(self, keep: Path) -> None:
        """Delete the least recently used models beyond `max_models` (and `max_bytes`), never `keep`."""
        try:
            files = self._model_files()
            count, total = len(files), sum(stored.size for stored in files)
            for stored in files:
                over_budget = self.max_bytes is not None and total > self.max_bytes
                if count <= self.max_models and not over_budget:
                    break
                if stored.path == keep:
                    continue
                with suppress(FileNotFoundError):
                    stored.path.unlink()
                count, total = count - 1, total - stored.size
            set_aside = sorted(self.directory.glob(f"*{SET_ASIDE_SUFFIX}"), key=lambda path: path.stat().st_mtime_ns)
            for path in set_aside[:-MAX_SET_ASIDE_FILES]:
                path.unlink(missing_ok=True)
        except OSError as error:
            logger.warning("Old models in %s could not be cleaned up (%s).", self.directory, error)

    def _set_aside(self, path: Path, reason: str) -> None:
        """Move an unusable model file out of the way (or delete it) and say so."""
        aside = path.with_suffix(SET_ASIDE_SUFFIX)
        try:
            os.replace(path, aside)
            where = f"it was moved to {aside.name}"
        except OSError:
            try:
                path.unlink(missing_ok=True)
                where = "it was deleted"
            except OSError as error:
                where = f"it could not be removed either ({error})"
        logger.warning(
            "The stored model %s cannot be used: %s. %s, and the model will be retrained when it is asked for.",
            path,
            reason,
            where[0].upper() + where[1:],
        )

