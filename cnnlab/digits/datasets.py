"""Where CNN Lab's digits come from: all of MNIST, bundled with the app, or a CSV a student uploads.

Every source ends up as one `Dataset`: images uint8 (n, 28, 28) in 0–255 (white ink on black, as in
MNIST) and labels int64 (n,) in 0–9, split into train and test. The arrays are read-only, because one
dataset is shared by every page and every session of the app.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from functools import cache, cached_property
from pathlib import Path

import numpy as np

from cnnlab.digits.csv_reader import read_digits_csv
from cnnlab.digits.format import IMAGE_SIZE, NUM_CLASSES

SOURCES = ("mnist", "sample")
MNIST_PATH = Path(__file__).parent / "assets" / "mnist.npz"
SAMPLE_PATH = Path(__file__).parent / "assets" / "mnist_sample.npz"
FULL_MNIST_NAME = "MNIST (70,000 digits bundled with CNN Lab)"
SAMPLE_NAME = "MNIST sample (5,000 digits bundled with CNN Lab)"
# Each bundled source: its file, the name students read, and the script that makes the file.
_BUNDLED = {
    "mnist": (MNIST_PATH, FULL_MNIST_NAME, "scripts/make_mnist.py"),
    "sample": (SAMPLE_PATH, SAMPLE_NAME, "scripts/make_sample.py"),
}


@dataclass(frozen=True, eq=False)
class Dataset:
    """Train and test digits plus where they came from.

    `x_train`, `x_test`: uint8 (n, 28, 28), 0 (black background) to 255 (white ink).
    `y_train`, `y_test`: int64 (n,), the digit 0–9 each image shows.
    `source`: "mnist", "sample" or "upload". `note`: a sentence for the student about how the data was
    split (empty for the bundled digits, which come split).

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
    if images.ndim != 3 or images.shape[1:] != (IMAGE_SIZE, IMAGE_SIZE):
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
# Loading the digits bundled with CNN Lab: no network, ever.


# One reader at a time: two threads asking at once (the start-up thread and a first page) read the file once.
_READ_LOCK = threading.Lock()
_STARTED: set[str] = set()


def load_dataset(source: str = "mnist") -> Dataset:
    """Load MNIST digits bundled with CNN Lab, once per process (later calls return the same object).

    `source`:
    - "mnist" (the app's data): all 70,000 MNIST digits, 60,000 train and 10,000 test, in MNIST's own split
      and order (11.5 MB compressed, 55 MB in memory). Made by scripts/make_mnist.py.
    - "sample": 5,000 of those digits (4,000 train, 1,000 test, 500 of each digit), made by
      scripts/make_sample.py. The app does not offer it; the tests train dozens of small models on it,
      and each training ends by scoring the whole test split, which is ten times quicker here.

    Raises ValueError if `source` is unknown or its file cannot be read.
    """
    if source not in _BUNDLED:
        raise ValueError(f"Unknown data source {source!r}; choose one of {', '.join(map(repr, SOURCES))}.")
    with _READ_LOCK:
        return _read_bundled(source)


def start_loading(source: str = "mnist") -> None:
    """Begin reading a bundled dataset in a background thread, once per process, so that a later `load_dataset`
    finds it read or nearly so: a fresh server reads MNIST while it imports the rest of the app (zlib lets other
    threads run meanwhile)."""
    with _READ_LOCK:
        if source in _STARTED:
            return
        _STARTED.add(source)
    threading.Thread(target=load_dataset, args=(source,), name=f"cnnlab-load-{source}", daemon=True).start()


@cache
def _read_bundled(source: str) -> Dataset:
    """The bundled file of `source`, read and checked once per process (cached by the source's name alone,
    so `load_dataset()` and `load_dataset("mnist")` share one copy)."""
    path, name, maker = _BUNDLED[source]
    try:
        with np.load(path, allow_pickle=False) as arrays:
            parts = {key: arrays[key] for key in ("x_train", "y_train", "x_test", "y_test")}
    except (OSError, KeyError, ValueError) as error:
        raise ValueError(
            f"The bundled digits could not be read from {path} ({error}); reinstall CNN Lab or run {maker}."
        ) from error
    return Dataset(name=name, source=source, **parts)


# --------------------------------------------------------------------------------------------------
# A dataset from a CSV file a student uploads (the file itself is read by `cnnlab.digits.csv_reader`).


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
