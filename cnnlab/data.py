"""Where CNN Lab's digits come from: the bundled sample, full MNIST, or a CSV a student uploads.

Every source ends up as one `Dataset`: images uint8 (n, 28, 28) in 0–255 (white ink on black, as in
MNIST) and labels int64 (n,) in 0–9, split into train and test. The arrays are read-only, because one
dataset is shared by every page and every session of the app.
"""

from __future__ import annotations

import hashlib
import os
import threading
from dataclasses import dataclass, replace
from functools import cache, cached_property
from pathlib import Path

import numpy as np

# Reading CSV files is `cnnlab.csv_digits`'s job; its reader and the digit format it defines (28×28
# pixels, labels 0–9) are imported here, and stay importable from `cnnlab.data` as before.
from cnnlab.csv_digits import IMAGE_SIDE, NUM_CLASSES, read_digits_csv
from cnnlab.csv_digits import MAX_CSV_ROWS as MAX_CSV_ROWS
from cnnlab.csv_digits import PIXELS_PER_IMAGE as PIXELS_PER_IMAGE

# Long enough to fetch MNIST's 11 MB (and import Keras) on an ordinary connection, short enough that a
# first page load without a network does not look frozen.
DOWNLOAD_TIMEOUT_SECONDS = 15.0

SOURCES = ("auto", "sample", "mnist")
OFFLINE_VARIABLE = "CNNLAB_OFFLINE"
OFFLINE_NOTE = "CNN Lab is set to work offline (CNNLAB_OFFLINE), so the bundled sample of 5,000 digits is used."
SAMPLE_PATH = Path(__file__).parent / "assets" / "mnist_sample.npz"
SAMPLE_NAME = "MNIST sample (5,000 digits bundled with CNN Lab)"
FULL_MNIST_NAME = "Full MNIST (70,000 digits)"


@dataclass(frozen=True, eq=False)
class Dataset:
    """Train and test digits plus where they came from.

    `x_train`, `x_test`: uint8 (n, 28, 28), 0 (black background) to 255 (white ink).
    `y_train`, `y_test`: int64 (n,), the digit 0–9 each image shows.
    `source`: "sample", "mnist" or "upload". `note`: a sentence for the student saying why this data
    was chosen (empty when they chose it themselves).

    The arrays are stored as read-only views. `eq=False` keeps hashing by identity, since arrays are
    neither hashable nor cheap to compare; use `fingerprint` where a cache needs a key.
    """

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    source: str
    note: str = ""

    def __post_init__(self) -> None:
        if self.source not in ("sample", "mnist", "upload"):
            raise ValueError(f"A dataset's source must be 'sample', 'mnist' or 'upload', not {self.source!r}.")
        x_train, y_train = _checked_split(self.x_train, self.y_train, "training")
        x_test, y_test = _checked_split(self.x_test, self.y_test, "test")
        # Frozen dataclasses forbid assignment, so the checked read-only arrays go in through object.
        object.__setattr__(self, "x_train", x_train)
        object.__setattr__(self, "y_train", y_train)
        object.__setattr__(self, "x_test", x_test)
        object.__setattr__(self, "y_test", y_test)

    @cached_property
    def fingerprint(self) -> str:
        """16 hex characters that change whenever any image, label or shape changes (a cache key)."""
        digest = hashlib.sha1()
        for array in (self.x_train, self.y_train, self.x_test, self.y_test):
            digest.update(f"{array.dtype.str}{array.shape};".encode())
            digest.update(np.ascontiguousarray(array).data)
        return digest.hexdigest()[:16]

    @property
    def train_size(self) -> int:
        """Number of training images."""
        return len(self.y_train)

    @property
    def test_size(self) -> int:
        """Number of test images."""
        return len(self.y_test)


def _checked_split(images: object, labels: object, part: str) -> tuple[np.ndarray, np.ndarray]:
    """Check one split and return read-only views: images uint8 (n, 28, 28), labels int64 (n,) in 0–9."""
    images = np.asarray(images)
    labels = np.asarray(labels)
    if images.dtype != np.uint8:
        raise ValueError(f"The {part} images must be uint8 (whole numbers 0–255), not {images.dtype}.")
    if images.ndim != 3 or images.shape[1:] != (IMAGE_SIDE, IMAGE_SIDE):
        raise ValueError(f"The {part} images must have shape (n, 28, 28), not {images.shape}.")
    if len(images) == 0:
        raise ValueError(f"The {part} split has no images; it needs at least one.")
    if labels.ndim != 1 or len(labels) != len(images):
        raise ValueError(
            f"The {part} split has {len(images):,} images but labels of shape {labels.shape}; "
            "it needs exactly one label per image."
        )
    if not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(f"The {part} labels must be whole numbers, not {labels.dtype}.")
    if labels.min() < 0 or labels.max() >= NUM_CLASSES:
        raise ValueError(f"The {part} labels must be digits 0 to 9; found {labels.min()} to {labels.max()}.")
    # Read-only views: whoever shares this dataset cannot change it by accident, and the caller's own
    # arrays are neither copied nor locked.
    images = images.view()
    labels = labels.astype(np.int64, copy=False).view()
    images.flags.writeable = False
    labels.flags.writeable = False
    return images, labels


# --------------------------------------------------------------------------------------------------
# Loading: the bundled sample, full MNIST, or whichever of the two is available.


def load_dataset(source: str = "auto", *, timeout: float = DOWNLOAD_TIMEOUT_SECONDS) -> Dataset:
    """Load MNIST digits.

    `source`:
    - "sample": the 5,000 real MNIST digits bundled with CNN Lab (4,000 train, 1,000 test, balanced).
    - "mnist": the full 70,000 (60,000 train, 10,000 test), from Keras's cache or downloaded.
    - "auto": full MNIST if it is cached or downloads within `timeout` seconds, else the sample, with
      `note` saying why. The choice is made once per process, so page loads do not retry a download.

    Raises ValueError if `source` is unknown or full MNIST was asked for and cannot be had.
    """
    if source == "sample":
        return _load_sample()
    if source == "mnist":
        return _load_full_mnist()
    if source == "auto":
        return _load_auto(timeout)
    raise ValueError(f"Unknown data source {source!r}; choose one of {', '.join(map(repr, SOURCES))}.")


@cache
def _load_sample() -> Dataset:
    """The bundled sample, read once per process (0.8 MB compressed, 4 MB in memory)."""
    try:
        with np.load(SAMPLE_PATH) as arrays:
            parts = {key: arrays[key] for key in ("x_train", "y_train", "x_test", "y_test")}
    except (OSError, KeyError, ValueError) as error:
        raise ValueError(
            f"The bundled MNIST sample could not be read from {SAMPLE_PATH} ({error}); "
            "reinstall CNN Lab or run scripts/make_sample.py."
        ) from error
    return Dataset(name=SAMPLE_NAME, source="sample", **parts)


def _download_mnist():
    """Keras's MNIST loader: ((x_train, y_train), (x_test, y_test)), downloading once into its cache.

    Kept as its own function so tests can replace it and never touch the network.
    """
    from cnnlab.backend import load_keras

    keras = load_keras()
    return keras.datasets.mnist.load_data()


def keras_mnist_cache_path() -> Path:
    """Where Keras keeps its downloaded MNIST: $KERAS_HOME/datasets/mnist.npz, else ~/.keras/datasets/...

    Mirrors Keras's own rule, including its fall-back to /tmp/.keras when home is not writable.
    """
    if "KERAS_HOME" in os.environ:
        keras_home = Path(os.environ["KERAS_HOME"]).expanduser()
    else:
        home = Path("~").expanduser()
        keras_home = (home if os.access(home, os.W_OK) else Path("/tmp")) / ".keras"
    if keras_home.exists() and not os.access(keras_home, os.W_OK):
        keras_home = Path("/tmp/.keras")
    return keras_home / "datasets" / "mnist.npz"


def _read_keras_cache():
    """Keras's cached mnist.npz read directly, as ((x_train, y_train), (x_test, y_test)).

    This is what `keras.datasets.mnist.load_data()` does once the file is there, minus importing Keras,
    which can take longer than the whole download timeout on a slow machine.
    """
    with np.load(keras_mnist_cache_path(), allow_pickle=False) as arrays:
        return (arrays["x_train"], arrays["y_train"]), (arrays["x_test"], arrays["y_test"])


def _dataset_from_download(result: object, note: str) -> Dataset:
    """Turn a loader's nested tuples into a checked full-MNIST Dataset; ValueError if they look wrong."""
    try:
        (x_train, y_train), (x_test, y_test) = result
    except (TypeError, ValueError) as error:
        raise ValueError("the loader did not return ((x_train, y_train), (x_test, y_test)).") from error
    return Dataset(
        name=FULL_MNIST_NAME,
        x_train=x_train,
        y_train=y_train,
        x_test=x_test,
        y_test=y_test,
        source="mnist",
        note=note,
    )


def _dataset_from_keras_cache(note: str) -> Dataset | None:
    """Full MNIST from Keras's cache file, or None if there is none or it cannot be read whole."""
    if not keras_mnist_cache_path().is_file():
        return None
    try:
        return _dataset_from_download(_read_keras_cache(), note=note)
    except Exception:  # a half-written or damaged file: Keras re-downloads it when asked to load it
        return None


class _Download:
    """One call of `_download_mnist()` on a background thread, so that the caller can stop waiting."""

    def __init__(self) -> None:
        self.result: object = None
        self.error: BaseException | None = None
        # A daemon thread, because a download stuck on a dead network must not keep the app from exiting.
        self.thread = threading.Thread(target=self._run, name="cnnlab-mnist-download", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            self.result = _download_mnist()
        except BaseException as error:  # handed to whoever waits, who decides what it means
            self.error = error

    def wait(self, timeout: float | None = None) -> bool:
        """Wait up to `timeout` seconds (None: as long as it takes); True if the download has ended."""
        self.thread.join(timeout)
        return not self.thread.is_alive()


# One lock guards every in-process choice, so concurrent sessions wait for one download, not start several.
_loading_lock = threading.Lock()
_full_mnist: Dataset | None = None
_auto_choice: Dataset | None = None
# A download that "auto" stopped waiting for. It may still finish, and a later "mnist" request waits for
# it rather than starting a second download into the same cache file.
_unfinished_download: _Download | None = None


def _load_full_mnist() -> Dataset:
    """Full MNIST from Keras's cache or downloaded (no time limit), kept in memory once loaded."""
    global _full_mnist, _unfinished_download
    with _loading_lock:
        if _full_mnist is None:
            _full_mnist = _dataset_from_keras_cache(note="")
        if _full_mnist is None:
            download = _unfinished_download or _Download()
            download.wait()
            _unfinished_download = None
            if download.error is not None:
                raise ValueError(
                    "Full MNIST could not be loaded: Keras could neither download it nor read a cached copy "
                    f"({_short_reason(download.error)}). Check the internet connection, or use the bundled "
                    "sample."
                ) from download.error
            try:
                _full_mnist = _dataset_from_download(download.result, note="")
            except ValueError as error:
                raise ValueError(
                    f"Full MNIST was loaded but looks damaged: {error} Delete {keras_mnist_cache_path()} so "
                    "that Keras downloads it again, or use the bundled sample."
                ) from error
        return _full_mnist


def _load_auto(timeout: float) -> Dataset:
    """Full MNIST when it can be had within `timeout` seconds, else the sample with a note; decided once."""
    global _auto_choice, _full_mnist
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not timeout > 0:
        raise ValueError(f"The download timeout must be a positive number of seconds, not {timeout!r}.")
    with _loading_lock:
        if _auto_choice is None:
            cached = _full_mnist or _dataset_from_keras_cache(
                note="Full MNIST was found in Keras's cache, so all 70,000 digits are used."
            )
            if cached is None and offline():
                _auto_choice = replace(_load_sample(), note=OFFLINE_NOTE)
            else:
                _auto_choice = cached or _download_within(timeout)
            if _auto_choice.source == "mnist":
                _full_mnist = _auto_choice
        return _auto_choice


def offline() -> bool:
    """True when the environment says there is no network (CNNLAB_OFFLINE=1): "auto" then uses the sample
    without trying a download. For a classroom without internet, and for tests, which must not touch it."""
    return os.environ.get(OFFLINE_VARIABLE, "").strip().lower() in ("1", "true", "yes")


def _download_within(timeout: float) -> Dataset:
    """Try `_download_mnist()` for `timeout` seconds: full MNIST, or the sample with a note saying why not."""
    global _unfinished_download
    download = _Download()
    finished = download.wait(timeout)
    sample = _load_sample()
    if not finished:
        # Keras still caches the file if the download completes, so the app's next start can use it.
        _unfinished_download = download
        note = (
            f"Full MNIST did not finish loading within {timeout:g} seconds (slow or no network), so the "
            "bundled sample of 5,000 digits is used. If the download completes, restarting the app uses it."
        )
        return replace(sample, note=note)
    if download.error is not None:
        note = (
            "Full MNIST could not be downloaded (no network?), so the bundled sample of 5,000 digits is "
            f"used. Reason: {_short_reason(download.error)}"
        )
        return replace(sample, note=note)
    try:
        return _dataset_from_download(download.result, note="Full MNIST was downloaded, so all 70,000 digits are used.")
    except ValueError as error:
        note = (
            f"Full MNIST looked damaged ({error}), so the bundled sample of 5,000 digits is used. "
            f"Deleting {keras_mnist_cache_path()} lets Keras download it again."
        )
        return replace(sample, note=note)


def _short_reason(error: BaseException) -> str:
    """An exception as one short line for a note: its type and the start of its message."""
    text = " ".join(str(error).split()) or "no details"
    if len(text) > 160:
        text = text[:157] + "..."
    return f"{type(error).__name__}: {text}"


def _forget_loaded_datasets() -> None:
    """Forget every in-process choice about full MNIST, so the next load decides afresh (for tests).

    The bundled sample stays cached: it cannot change while the app runs.
    """
    global _full_mnist, _auto_choice, _unfinished_download
    with _loading_lock:
        _full_mnist = None
        _auto_choice = None
        _unfinished_download = None


# --------------------------------------------------------------------------------------------------
# A dataset from a CSV file a student uploads (the file itself is read by `cnnlab.csv_digits`).


def dataset_from_csv(file, *, name: str, test_fraction: float = 0.1, seed: int = 0) -> Dataset:
    """Read a labelled digits CSV (see `read_digits_csv`) and split it into train and test.

    The split is stratified: each digit keeps the same share in both parts, `test_fraction` of its rows
    (rounded) going to test, chosen by a generator seeded with `seed`, so the same file and seed always
    give the same split. Rows keep their file order within each part. Returns a Dataset with source
    "upload". Raises ValueError for an unlabelled or malformed file, or too few rows to split.
    """
    if isinstance(test_fraction, bool) or not isinstance(test_fraction, (int, float)) or not 0 < test_fraction < 1:
        raise ValueError(f"The test fraction must be a number between 0 and 1 (exclusive), not {test_fraction!r}.")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"The split's seed must be a whole number of at least 0, not {seed!r}.")
    images, labels = read_digits_csv(file)
    if labels is None:
        raise ValueError(
            "This CSV has no label column, so the network cannot learn from it: training needs each "
            "digit's true label. Use a file whose first column is 'label' (like Kaggle's train.csv)."
        )
    generator = np.random.default_rng(seed)
    test_indices = []
    for digit in range(NUM_CLASSES):
        rows = np.flatnonzero(labels == digit)
        test_indices.append(generator.permutation(rows)[: int(round(len(rows) * test_fraction))])
    is_test = np.zeros(len(labels), dtype=bool)
    is_test[np.concatenate(test_indices)] = True
    if is_test.all() or not is_test.any():
        raise ValueError(
            f"The file has only {len(labels):,} digits, too few to set {test_fraction:.0%} aside for testing "
            "and train on the rest; use a file with more rows."
        )
    return Dataset(
        name=name,
        x_train=images[~is_test],
        y_train=labels[~is_test],
        x_test=images[is_test],
        y_test=labels[is_test],
        source="upload",
        note=f"Your file's {len(labels):,} digits are split {1 - test_fraction:.0%} for training and "
        f"{test_fraction:.0%} for testing, with each digit in (about) the same proportion in both.",
    )
