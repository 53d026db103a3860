"""The reference model that ships with CNN Lab, so that every page works on a server's very first visit.

`scripts/make_reference_model.py` trains the default `TrainConfig` on all of bundled MNIST and writes it, in the
model store's own file format (`cnnlab.jobs.model_file`), to REFERENCE_MODEL_PATH. `install_reference_model` copies
that file into an empty store under the name the store looks for, so the store finds it as if a student had
trained it: no page waits, and pressing Train at the default settings reuses it. A store that holds the copy an
earlier CNN Lab shipped, which lacks entries added since (the weights before training, `initial.npz`), gets the new one.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
import zipfile
from pathlib import Path

from cnnlab.config import TrainConfig
from cnnlab.jobs.model_file import METADATA_NAME
from cnnlab.jobs.store import MODEL_SUFFIX, TEMPORARY_PREFIX, TEMPORARY_SUFFIX, key_digest

logger = logging.getLogger(__name__)

ASSETS = Path(__file__).parent / "assets"  # cnnlab/jobs/assets
REFERENCE_MODEL_PATH = ASSETS / "reference_model.zip"


def install_reference_model(directory: Path, fingerprint: str) -> bool:
    """Copy the shipped reference model into the model store's folder `directory`, unless it is there already.

    `fingerprint` is the fingerprint of the data the app trains on (bundled MNIST's). The copy is named as the
    store names the default model for that data, and is made atomically (a temporary file in the same folder,
    then `os.replace`), so a store never sees half of it. Nothing is copied when the folder already has the
    default model (unless it is an older copy of the shipped file, see `is_older_shipped_copy`), when the shipped
    file is missing or unreadable, or when it was trained on other data (its recorded fingerprint differs); each is
    logged. Returns True if the file was copied. Never raises on a disk problem: the app then trains the default
    model when asked, as it would without a shipped one.
    """
    directory = Path(directory).expanduser()
    target = directory / f"{key_digest(TrainConfig(), fingerprint)}{MODEL_SUFFIX}"
    if target.exists() and not is_older_shipped_copy(target):
        return False
    if not REFERENCE_MODEL_PATH.is_file():
        logger.info("No reference model ships at %s; the default model is trained when asked for.",
                    REFERENCE_MODEL_PATH)
        return False
    reason = _unusable_reason(fingerprint)
    if reason:
        logger.warning("The shipped reference model is not installed: %s", reason)
        return False
    temporary = None
    try:
        directory.mkdir(parents=True, exist_ok=True)
        # The store's own temporary-file naming, so that a copy a crash cut short is cleared away by the store.
        descriptor, name = tempfile.mkstemp(dir=directory, prefix=TEMPORARY_PREFIX, suffix=TEMPORARY_SUFFIX)
        temporary = Path(name)
        with open(descriptor, "wb") as copy, REFERENCE_MODEL_PATH.open("rb") as original:
            shutil.copyfileobj(original, copy)
            copy.flush()
            os.fsync(copy.fileno())
        os.replace(temporary, target)
    except OSError as error:
        logger.warning("The shipped reference model could not be copied into %s (%s).", directory, error)
        if temporary is not None:
            temporary.unlink(missing_ok=True)
        return False
    logger.info("Installed the shipped reference model as %s.", target)
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
        with zipfile.ZipFile(REFERENCE_MODEL_PATH) as archive:
            metadata = json.loads(archive.read(METADATA_NAME))
        config = TrainConfig.from_dict(metadata["config"])
        recorded = metadata["fingerprint"]
    except Exception as error:  # noqa: BLE001 - missing file, damaged zip, bad JSON, wrong keys or values
        return f"{REFERENCE_MODEL_PATH} cannot be read ({error})."
    if config != TrainConfig():
        return f"{REFERENCE_MODEL_PATH} holds a model of other settings than the defaults ({config})."
    if recorded != fingerprint:
        return (
            f"{REFERENCE_MODEL_PATH} was trained on data with fingerprint {recorded}, and the app's data has "
            f"{fingerprint}; run scripts/make_reference_model.py to train it on this data."
        )
    return ""
