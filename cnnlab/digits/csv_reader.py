"""Reading digits from CSV files: Kaggle's "Digit Recognizer" train.csv/test.csv and header-less MNIST CSVs.

One digit per row, its 784 pixels row by row from the top left, in one of these layouts:
- Kaggle train.csv: header `label,pixel0,...,pixel783`, then a label and 784 pixels per row.
- Kaggle test.csv: header `pixel0,...,pixel783`, then 784 pixels per row (no labels).
- MNIST CSV without a header: a label and 784 pixels per row, or just the 784 pixels.

pandas parses the numbers; this module checks what pandas does not: the layout, each row's width, and that every
value is a label (whole, 0–9) or a pixel (whole, 0–255). Every malformed input raises one ValueError whose sentence
a student can act on: it names the first offending row (and its line in the file, when blank lines or a header
make them differ), and for a bad value also its column and what the column allows.
"""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

import numpy as np
import pandas as pd

from cnnlab.digits.format import IMAGE_SIZE, NUM_CLASSES, PIXELS_PER_IMAGE

MAX_CSV_ROWS = 70_000  # full MNIST's size; the Kaggle train.csv has 42,000 rows
_CHUNK_ROWS = 5_000  # rows pandas parses at a time, so a 70,000-row file holds ~30 MB of numbers at once, not 440
_NOT_TEXT = (
    "The file is not a text CSV file (it contains bytes that are not UTF-8 text); "
    "save or export it as CSV and upload that."
)


def read_digits_csv(file, *, max_rows: int = MAX_CSV_ROWS) -> tuple[np.ndarray, np.ndarray | None]:
    """Read digits from a CSV file in one of the layouts above: a path (str or Path), bytes, or a file-like object.

    Returns (images uint8 (n, 28, 28) in 0–255, labels int64 (n,) in 0–9, or None if the file has no labels).
    """
    if isinstance(max_rows, bool) or not isinstance(max_rows, int) or max_rows < 1:
        raise ValueError(f"max_rows must be a whole number of at least 1, not {max_rows!r}.")
    # Students count rows without the blank lines; the line numbers keep each row's place in the file.
    numbered = [(number, line) for number, line in enumerate(_read_text(file).splitlines(), start=1) if line.strip()]
    if not numbered:
        raise ValueError("The file is empty; a digits CSV has one row per digit with 784 pixel values.")
    first_fields = numbered[0][1].split(",")
    header = None if _looks_numeric(first_fields[0]) else [name.strip().strip('"') for name in first_fields]
    rows = numbered[1:] if header else numbered
    line_numbers, lines = [number for number, _ in rows], [line for _, line in rows]
    # Checked first, so an oversized file is turned away before any slower check.
    if len(lines) > max_rows:
        raise ValueError(
            f"The file has more than {max_rows:,} digits ({len(lines):,} rows); "
            f"use a file with at most {max_rows:,}, for example by keeping only its first rows."
        )
    if len(first_fields) not in (PIXELS_PER_IMAGE, PIXELS_PER_IMAGE + 1):
        raise ValueError(
            f"{'The header row' if header else 'Row 1'} has {len(first_fields):,} columns; a digits CSV has 785 "
            "(a label and 784 pixel values) or 784 (pixel values only). Is this a CSV of 28×28 digits?"
        )
    if not lines:
        raise ValueError("The file has a header row but no digits below it; add at least one row of pixels.")
    has_labels = len(first_fields) == PIXELS_PER_IMAGE + 1

    # pandas would fill a short row's missing cells, and refuse a long row without naming it.
    widths = np.fromiter((line.count(",") + 1 for line in lines), dtype=np.int64, count=len(lines))
    if (wrong := np.flatnonzero(widths != len(first_fields))).size:
        row = int(wrong[0])
        pixels = f"{widths[row] - has_labels:,} pixel values" + (" after its label" if has_labels else "")
        raise ValueError(f"{_row_name(row, line_numbers)} has {pixels}; each digit needs 784.")
    values = _read_values(lines, line_numbers, header, has_labels)
    images = values[:, -PIXELS_PER_IMAGE:].reshape(-1, IMAGE_SIZE, IMAGE_SIZE)
    return images, values[:, 0].astype(np.int64) if has_labels else None


def _read_values(lines: list[str], line_numbers: list[int], header: list[str] | None, has_labels: bool) -> np.ndarray:
    """The cells of lines as wide as the first, as uint8 (rows, columns): the label 0–9 first if has_labels, then
    the pixels 0–255. Raises ValueError naming the first cell, in reading order, that is anything else."""
    highest = np.array([NUM_CLASSES - 1] * has_labels + [255] * PIXELS_PER_IMAGE)  # each column's largest value
    values = np.empty((len(lines), len(highest)), dtype=np.uint8)  # labels 0–9 fit as well as pixels 0–255
    # No quoting, so each line is one row and each comma a separator, exactly as the widths were counted. Every
    # value is checked below, so pandas need not look for missing-value markers ("NA"). Its C parser reads bytes
    # about twice as fast as text.
    data = io.BytesIO("\n".join(lines).encode())
    with pd.read_csv(data, header=None, quoting=csv.QUOTE_NONE, na_filter=False, chunksize=_CHUNK_ROWS) as chunks:
        for start, chunk in zip(range(0, len(lines), _CHUNK_ROWS), chunks, strict=True):
            # pandas keeps a column as text if any of its cells is not a number. A number in quotes or among
            # spaces of any kind, as spreadsheets may write it, still counts; anything else becomes NaN.
            for column in chunk.select_dtypes(exclude="number").columns:
                unquoted = chunk[column].astype(str).str.strip().str.replace(r'^"(.*)"$', r"\1", regex=True)
                chunk[column] = pd.to_numeric(unquoted, errors="coerce")
            numbers = chunk.to_numpy(dtype=np.float64)
            with np.errstate(invalid="ignore"):  # NaN compares False, so a cell that is not a number is bad too
                good = (numbers >= 0) & (numbers <= highest) & (numbers == np.floor(numbers))
            if not good.all():
                row, column = np.argwhere(~good)[0].tolist()  # the first bad cell in reading order
                row_name = _row_name(start + row, line_numbers)
                text, value = lines[start + row].split(",")[column], numbers[row, column]
                if has_labels and column == 0:
                    raise ValueError(_describe_bad_value(row_name, True, text, value))
                column_name = f"column {column + 1:,}" + (f" ({header[column]})" if header else "")
                raise ValueError(_describe_bad_value(f"{row_name}, {column_name},", False, text, value))
            values[start : start + len(numbers)] = numbers
    return values


def _row_name(index: int, line_numbers: list[int]) -> str:
    """Data row `index` (from 0) as a student counts it, with its line in the file where that differs."""
    line = line_numbers[index]
    return f"Row {index + 1:,}" + (f" (line {line:,} of the file)" if line != index + 1 else "")


def _describe_bad_value(cell_name: str, is_label: bool, text: str, value: float) -> str:
    """What is wrong with a label or pixel cell: its text as written, its value as read (NaN if not a number)."""
    text = text.strip()
    shown = repr(text[:20] + "...") if len(text) > 20 else repr(text)
    if np.isnan(value):
        problem = "which is not a number"
    elif is_label:
        problem = "which is not a digit"
    elif value != np.floor(value):
        problem = "which is not a whole number"
    else:
        problem = "which is outside 0 to 255"
    if is_label:
        label = f"the label {shown}, {problem}" if text else "an empty label"
        return f"{cell_name} has {label}; labels must be whole numbers from 0 to 9."
    pixel = f"holds the pixel value {shown}, {problem}" if text else "is empty"
    return f"{cell_name} {pixel}; pixel values must be whole numbers from 0 (black) to 255 (white)."


def _looks_numeric(field: str) -> bool:
    """True if a CSV field reads as a number (so the line it starts is data, not a header)."""
    try:
        float(field.strip().strip('"'))
    except ValueError:
        return False
    return True


def _read_text(file) -> str:
    """The whole file as text, from a path, bytes, or a binary or text file-like object."""
    if isinstance(file, (str, os.PathLike)):
        path = str(Path(file))
        try:
            data = Path(path).read_bytes()
        except FileNotFoundError as error:
            raise ValueError(f"There is no file at {path!r}; check the name and folder.") from error
        except IsADirectoryError as error:
            raise ValueError(f"{path!r} is a folder, not a CSV file; pick the file inside it.") from error
        except OSError as error:
            raise ValueError(f"The file {path!r} could not be opened ({error.strerror}).") from error
    elif isinstance(file, (bytes, bytearray, memoryview)):
        data = file
    elif hasattr(file, "read"):
        try:
            if getattr(file, "seekable", lambda: False)():
                file.seek(0)  # a Streamlit UploadedFile may already have been read by another widget or page
            data = file.read()
        except UnicodeDecodeError as error:
            raise ValueError(_NOT_TEXT) from error
        except Exception as error:
            raise ValueError(f"The uploaded file could not be read ({error}); try uploading it again.") from error
    else:
        raise ValueError(f"Expected a CSV file (a path, bytes or an uploaded file), not {type(file).__name__}.")
    if not isinstance(data, (str, bytes, bytearray, memoryview)):
        raise ValueError("The uploaded file gave neither text nor bytes when read; upload a .csv file.")
    try:
        # utf-8-sig also drops the byte-order mark that Excel puts at the start of a saved CSV.
        text = data if isinstance(data, str) else str(data, "utf-8-sig")
    except UnicodeDecodeError as error:
        raise ValueError(_NOT_TEXT) from error
    if "\x00" in text:  # NUL never occurs in a CSV: like bytes that are not UTF-8, it means a binary file
        raise ValueError(_NOT_TEXT)
    return text
