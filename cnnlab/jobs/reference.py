"""The reference model that ships with CNN Lab, so that every page works on a server's very first visit.

`scripts/make_reference_model.py` trains the default `TrainConfig` on all of bundled MNIST and writes it, in the
model store's own file format (`cnnlab.jobs.model_file`), to REFERENCE_MODEL_PATH. `install_reference_model` puts
that file into an empty store as the default model for the app's data, so the store finds it as if a student had
trained it: no page waits, and pressing Train at the default settings reuses it. A store that holds the copy an
earlier CNN Lab shipped, which lacks entries added since (the weights before training, `initial.npz`), gets the new one.
"""

from __future__ import annotations

import logging
import zipfile
from pathlib import Path

from cnnlab.config import TrainConfig
from cnnlab.jobs.model_file import UnusableFile, open_model_file, read_metadata
from cnnlab.jobs.store import ModelStore

logger = logging.getLogger(__name__)

ASSETS = Path(__file__).parent / "assets"  # cnnlab/jobs/assets
REFERENCE_MODEL_PATH = ASSETS / "reference_model.zip"


def install_reference_model(store: ModelStore, fingerprint: str) -> bool:
    """Put the shipped reference model into `store` as its default model, unless the store has one already.

    `fingerprint` is the fingerprint of the data the app trains on (bundled MNIST's). The store names and writes the
    file, whole, as it does every model. Nothing is put when the store already has the default model (unless it is
    an older copy of the shipped file, see `is_older_shipped_copy`), when the shipped file is missing or unusable,
    or when it was trained on other data (its recorded fingerprint differs); each is logged. Returns True if the
    file was put. Never raises on a disk problem: the app then trains the default model when asked, as it would
    without a shipped one.
    """
    if not store.available:
        return False
    installed = store.path_for(TrainConfig(), fingerprint)
    if installed.exists() and not is_older_shipped_copy(installed):
        return False
    if not REFERENCE_MODEL_PATH.is_file():
        logger.info("No reference model ships at %s; the default model is trained when asked for.",
                    REFERENCE_MODEL_PATH)
        return False
    reason = _unusable_reason(fingerprint)
    if reason:
        logger.warning("The shipped reference model is not installed: %s", reason)
        return False
    try:
        data = REFERENCE_MODEL_PATH.read_bytes()
    except OSError as error:
        logger.warning("The shipped reference model could not be read (%s).", error)
        return False
    if not store.put(data, TrainConfig(), fingerprint):  # the store has logged why
        logger.warning("The shipped reference model could not be put into %s; the default model is trained when "
                       "asked for.", store.directory)
        return False
    logger.info("Installed the shipped reference model as %s.", installed)
    return True


def is_older_shipped_copy(path: Path) -> bool:
    """Whether the model file at `path` is the shipped file as an earlier CNN Lab shipped it: some of its entries,
    each the same (by CRC-32 and size), and none of its own. A model a student trained differs in its record."""
    try:
        with zipfile.ZipFile(path) as installed, zipfile.ZipFile(REFERENCE_MODEL_PATH) as shipped:
            held = {(info.filename, info.CRC, info.file_size) for info in installed.infolist()}
            offered = {(info.filename, info.CRC, info.file_size) for info in shipped.infolist()}
    except (OSError, zipfile.BadZipFile):
        return False
    return held < offered


def _unusable_reason(fingerprint: str) -> str:
    """Why the shipped file cannot serve as the default model for data `fingerprint`; "" when it can."""
    try:
        with open_model_file(REFERENCE_MODEL_PATH) as archive:
            read_metadata(archive, TrainConfig(), fingerprint)
    except UnusableFile as problem:
        return (f"{REFERENCE_MODEL_PATH} cannot serve as the default model: {problem}; run "
                "scripts/make_reference_model.py to make it for the app's data and settings.")
    return ""
