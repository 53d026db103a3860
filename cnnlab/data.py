"""Where CNN Lab's digits come from: the bundled sample, full MNIST, or a CSV a student uploads.

Every source ends up as one `Dataset`: images uint8 (n, 28, 28) in 0–255 (white ink on black, as in
MNIST) and labels int64 (n,) in 0–9, split into train and test. The arrays are read-only, because one
dataset is shared by every page and every session of the app.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import threading
from dataclasses import dataclass, replace
from functools import cache, cached_property
from pathlib import Path

import numpy as np

IMAGE_SIDE = 28
PIXELS_PER_IMAGE = IMAGE_SIDE * IMAGE_SIDE  # 784
NUM_CLASSES = 10
MAX_CSV_ROWS = 70_000  # full MNIST's size; the Kaggle train.csv has 42,000 rows
# Long enough to fetch MNIST's 11 MB (and import Keras) on an ordinary connection, short enough that a
# first page load without a network does not look frozen.
DOWNLOAD_TIMEOUT_SECONDS = 15.0

SOURCES = ("auto", "sample", "mnist")
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
            raise ValueError(
                f"A dataset's source must be 'sample', 'mnist' or 'upload', not {self.source!r}."
            )
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
            _auto_choice = cached or _download_within(timeout)
            if _auto_choice.source == "mnist":
                _full_mnist = _auto_choice
        return _auto_choice


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
        return _dataset_from_download(
            download.result, note="Full MNIST was downloaded, so all 70,000 digits are used."
        )
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
# CSV files of digits: Kaggle's "Digit Recognizer" train.csv/test.csv and the header-less MNIST CSVs.


def read_digits_csv(file, *, max_rows: int = MAX_CSV_ROWS) -> tuple[np.ndarray, np.ndarray | None]:
    """Read digits from a CSV file: a path (str or Path), bytes, or a binary or text file-like object.

    Understood layouts, one digit per row, pixels row by row from the top left:
    - Kaggle train.csv: header `label,pixel0,...,pixel783`, then label and 784 pixels per row.
    - Kaggle test.csv: header `pixel0,...,pixel783`, then 784 pixels per row (no labels).
    - MNIST CSV without a header: label and 784 pixels per row (or just 784 pixels).

    Returns (images uint8 (n, 28, 28) in 0–255, labels int64 (n,) in 0–9 or None if there is no label
    column). Raises ValueError, with a sentence naming the first offending row, for anything else.
    """
    if isinstance(max_rows, bool) or not isinstance(max_rows, int) or max_rows < 1:
        raise ValueError(f"max_rows must be a whole number of at least 1, not {max_rows!r}.")
    text = _read_text(file)
    lines = [(number, line) for number, line in enumerate(text.splitlines(), start=1) if line.strip()]
    if not lines:
        raise ValueError("The file is empty; a digits CSV has one row per digit with 784 pixel values.")

    first_line = lines[0][1]
    first_fields = first_line.split(",")
    header = first_fields if not _looks_numeric(first_fields[0]) else None
    data_lines = lines[1:] if header is not None else lines
    # Checked first, so an oversized file is turned away before any slower check.
    if len(data_lines) > max_rows:
        raise ValueError(
            f"The file has more than {max_rows:,} digits ({len(data_lines):,} rows); "
            f"use a file with at most {max_rows:,}, for example by keeping only its first rows."
        )
    column_count = len(first_fields)
    if column_count not in (PIXELS_PER_IMAGE, PIXELS_PER_IMAGE + 1):
        where = "The header row" if header is not None else "Row 1"
        raise ValueError(
            f"{where} has {column_count:,} columns; a digits CSV has 785 (a label and 784 pixel values) "
            "or 784 (pixel values only). Is this a CSV of 28×28 digits?"
        )
    has_labels = column_count == PIXELS_PER_IMAGE + 1
    if not data_lines:
        raise ValueError("The file has a header row but no digits below it; add at least one row of pixels.")

    def row_name(index: int) -> str:
        """The 0-based data row `index` as a student counts it, with its line in the file if different."""
        line_number = data_lines[index][0]
        return f"Row {index + 1:,}" + (
            f" (line {line_number:,} of the file)" if line_number != index + 1 else ""
        )

    # Counting commas is one C call per line, so even 70,000 rows take milliseconds.
    counts = np.fromiter(
        (line.count(",") + 1 for _, line in data_lines), dtype=np.int64, count=len(data_lines)
    )
    wrong = np.flatnonzero(counts != column_count)
    if wrong.size:
        index = int(wrong[0])
        if has_labels:
            raise ValueError(
                f"{row_name(index)} has {counts[index] - 1:,} pixel values after its label; "
                "each digit needs 784."
            )
        raise ValueError(f"{row_name(index)} has {counts[index]:,} pixel values; each digit needs 784.")

    parsed = _parse_numbers([line for _, line in data_lines], has_labels)
    if isinstance(parsed, _BadCell):
        raise ValueError(_describe_bad_cell(parsed, row_name, header, has_labels))
    pixels, labels = parsed
    return pixels.reshape(-1, IMAGE_SIDE, IMAGE_SIDE), labels


def _read_text(file) -> str:
    """The whole file as text, from a path, bytes, or a binary or text file-like object."""
    if isinstance(file, (str, os.PathLike)):
        path = Path(file)
        try:
            data = path.read_bytes()
        except FileNotFoundError as error:
            raise ValueError(f"There is no file at {str(path)!r}; check the name and folder.") from error
        except IsADirectoryError as error:
            raise ValueError(
                f"{str(path)!r} is a folder, not a CSV file; pick the file inside it."
            ) from error
        except OSError as error:
            raise ValueError(f"The file {str(path)!r} could not be opened ({error.strerror}).") from error
    elif isinstance(file, (bytes, bytearray, memoryview)):
        data = bytes(file)
    elif hasattr(file, "read"):
        try:
            if getattr(file, "seekable", lambda: False)():
                # A Streamlit UploadedFile may already have been read by another widget or page.
                file.seek(0)
            data = file.read()
        except UnicodeDecodeError as error:
            raise _not_text_error() from error
        except Exception as error:
            raise ValueError(
                f"The uploaded file could not be read ({error}); try uploading it again."
            ) from error
        if isinstance(data, str):
            return _checked_text(data)
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise ValueError("The uploaded file gave neither text nor bytes when read; upload a .csv file.")
        data = bytes(data)
    else:
        raise ValueError(
            f"Expected a CSV file (a path, bytes or an uploaded file), not {type(file).__name__}."
        )
    try:
        # utf-8-sig also drops the byte-order mark that Excel puts at the start of a saved CSV.
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise _not_text_error() from error
    return _checked_text(text)


def _not_text_error() -> ValueError:
    return ValueError(
        "The file is not a text CSV file (it contains bytes that are not UTF-8 text); "
        "save or export it as CSV and upload that."
    )


def _checked_text(text: str) -> str:
    # NUL characters never occur in a CSV and confuse the parser; they mean a binary file.
    if "\x00" in text:
        raise _not_text_error()
    return text


def _looks_numeric(field: str) -> bool:
    """True if a CSV field reads as a number (so the line it starts is data, not a header)."""
    try:
        float(field.strip().strip('"'))
    except ValueError:
        return False
    return True


@dataclass(frozen=True)
class _BadCell:
    """The first cell, in reading order, that is not a valid value, as written in the file.

    `row` counts data rows from 0; `column` counts from 0, or is None when the row as a whole could not
    be read. `value` is NaN when the text is not a number.
    """

    row: int
    column: int | None
    text: str
    value: float


# Rows parsed per call to NumPy's C parser: small enough that a 70,000-row file never needs more than a
# few megabytes of floats at once, large enough that the per-call overhead does not matter.
_CHUNK_ROWS = 1000
# A plain decimal number as spreadsheets write it ("12", "12.0", "1e2", '"12"'): what NumPy's parser
# accepts, ASCII digits only, so that a cell it refuses is never taken for a number here.
_NUMBER = re.compile(r'("?)\s*([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)\s*\1\s*', re.ASCII)


def _parse_numbers(lines: list[str], has_labels: bool) -> tuple[np.ndarray, np.ndarray | None] | _BadCell:
    """Parse CSV lines, each already known to have 785 (or 784 without labels) fields.

    Returns pixels uint8 (rows, 784) and labels int64 (rows,) or None, or else the first bad cell: text
    that is not a number, a pixel outside 0–255, a label outside 0–9, or a value that is not whole.
    """
    column_count = PIXELS_PER_IMAGE + 1 if has_labels else PIXELS_PER_IMAGE
    highest = np.full(column_count, 255.0)
    if has_labels:
        highest[0] = NUM_CLASSES - 1
    pixels = np.empty((len(lines), PIXELS_PER_IMAGE), dtype=np.uint8)
    labels = np.empty(len(lines), dtype=np.int64) if has_labels else None
    for start in range(0, len(lines), _CHUNK_ROWS):
        chunk = lines[start : start + _CHUNK_ROWS]
        numbers = _parse_lines(chunk, column_count)
        if numbers is None:
            # Some cell is not a number; go row by row to find the first one (or an earlier bad value).
            return _find_bad_cell_row_by_row(chunk, start, column_count, highest)
        bad_cell = _first_bad_value(numbers, highest)
        if bad_cell is not None:
            row, column = bad_cell
            text = chunk[row].split(",")[column]
            return _BadCell(start + row, column, text, float(numbers[row, column]))
        pixels[start : start + len(chunk)] = numbers[:, -PIXELS_PER_IMAGE:]
        if labels is not None:
            labels[start : start + len(chunk)] = numbers[:, 0]
    return pixels, labels


def _parse_lines(lines: list[str], column_count: int) -> np.ndarray | None:
    """float64 (len(lines), column_count) from NumPy's C parser, or None if any cell is not a number."""
    try:
        numbers = np.loadtxt(
            io.StringIO("\n".join(lines)),
            delimiter=",",
            quotechar='"',
            comments=None,  # a "#" in a cell is an error to report, not the start of a comment
            dtype=np.float64,
            ndmin=2,
        )
    except ValueError:
        return None
    return numbers if numbers.shape == (len(lines), column_count) else None


def _first_bad_value(numbers: np.ndarray, highest: np.ndarray) -> tuple[int, int] | None:
    """(row, column) of the first value, in reading order, that is NaN, negative, too high or not whole."""
    with np.errstate(invalid="ignore"):
        good = (numbers >= 0) & (numbers <= highest) & (numbers == np.floor(numbers))
    bad_rows = np.flatnonzero(~good.all(axis=1))
    if not bad_rows.size:
        return None
    row = int(bad_rows[0])
    return row, int(np.flatnonzero(~good[row])[0])


def _find_bad_cell_row_by_row(
    chunk: list[str], start: int, column_count: int, highest: np.ndarray
) -> _BadCell:
    """The first bad cell of a chunk that NumPy could not parse, looking one row, then one cell, at a time."""
    for offset, line in enumerate(chunk):
        numbers = _parse_lines([line], column_count)
        if numbers is None:
            # Only this row's cells are examined one by one, so even a long file costs little here.
            cells = line.split(",")
            values = np.array([_cell_value(cell) for cell in cells])
            bad_cell = _first_bad_value(values[np.newaxis, :], highest)
            if bad_cell is None:
                return _BadCell(start + offset, None, line, float("nan"))
            column = bad_cell[1]
            return _BadCell(start + offset, column, cells[column], float(values[column]))
        bad_cell = _first_bad_value(numbers, highest)
        if bad_cell is not None:
            row, column = bad_cell
            return _BadCell(start + offset, column, line.split(",")[column], float(numbers[row, column]))
    # NumPy refused the chunk but accepted each of its rows; name the chunk rather than guess.
    return _BadCell(start, None, chunk[0], float("nan"))


def _cell_value(text: str) -> float:
    """One CSV cell as a number, or NaN if it is not a plain decimal number."""
    match = _NUMBER.fullmatch(text)
    return float(match.group(2)) if match else float("nan")


def _describe_bad_cell(cell: _BadCell, row_name, header: list[str] | None, has_labels: bool) -> str:
    """A sentence naming the bad cell by row and column, saying what is wrong and what is allowed."""
    if cell.column is None:
        return (
            f"{row_name(cell.row)} could not be read as numbers separated by commas; "
            "check it for stray quote marks or other characters."
        )
    stripped = cell.text.strip()
    shown = repr(stripped[:20] + "...") if len(stripped) > 20 else repr(stripped)
    if has_labels and cell.column == 0:
        allowed_labels = "labels must be whole numbers from 0 to 9"
        if not stripped:
            return f"{row_name(cell.row)} has an empty label; {allowed_labels}."
        problem = "which is not a number" if np.isnan(cell.value) else "which is not a digit"
        return f"{row_name(cell.row)} has the label {shown}, {problem}; {allowed_labels}."
    column_name = f"column {cell.column + 1:,}"
    if header is not None:
        column_name += f" ({header[cell.column].strip().strip(chr(34))})"
    allowed = "pixel values must be whole numbers from 0 (black) to 255 (white)"
    if not stripped:
        return f"{row_name(cell.row)}, {column_name}, is empty; {allowed}."
    if np.isnan(cell.value):
        problem = "which is not a number"
    elif cell.value != np.floor(cell.value):
        problem = "which is not a whole number"
    else:
        problem = "which is outside 0 to 255"
    return f"{row_name(cell.row)}, {column_name}, holds the pixel value {shown}, {problem}; {allowed}."


def dataset_from_csv(file, *, name: str, test_fraction: float = 0.1, seed: int = 0) -> Dataset:
    """Read a labelled digits CSV (see `read_digits_csv`) and split it into train and test.

    The split is stratified: each digit keeps the same share in both parts, `test_fraction` of its rows
    (rounded) going to test, chosen by a generator seeded with `seed`, so the same file and seed always
    give the same split. Rows keep their file order within each part. Returns a Dataset with source
    "upload". Raises ValueError for an unlabelled or malformed file, or too few rows to split.
    """
    if (
        isinstance(test_fraction, bool)
        or not isinstance(test_fraction, (int, float))
        or not 0 < test_fraction < 1
    ):
        raise ValueError(
            f"The test fraction must be a number between 0 and 1 (exclusive), not {test_fraction!r}."
        )
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
