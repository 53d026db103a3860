"""Reading digits from CSV files: Kaggle's "Digit Recognizer" train.csv/test.csv and header-less MNIST CSVs.

One digit per row, its 784 pixels row by row from the top left, in one of these layouts:
- Kaggle train.csv: header `label,pixel0,...,pixel783`, then a label and 784 pixels per row.
- Kaggle test.csv: header `pixel0,...,pixel783`, then 784 pixels per row (no labels).
- MNIST CSV without a header: a label and 784 pixels per row, or just the 784 pixels.

`read_digits_csv` returns images uint8 (n, 28, 28) in 0–255 and labels int64 (n,) in 0–9, or None when
the file has no label column. Every malformed input raises one ValueError whose sentence a student can
act on: it names the first offending row (and its line in the file, when blank lines or a header make
them differ), and for a bad value also its column and what the column allows.

This module needs only NumPy, so `cnnlab.digits.datasets` can build datasets on it without an import cycle.
"""

from __future__ import annotations

import io
import os
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from cnnlab.digits.format import IMAGE_SIZE, NUM_CLASSES, PIXELS_PER_IMAGE

MAX_CSV_ROWS = 70_000  # full MNIST's size; the Kaggle train.csv has 42,000 rows


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
        return f"Row {index + 1:,}" + (f" (line {line_number:,} of the file)" if line_number != index + 1 else "")

    # Counting commas is one C call per line, so even 70,000 rows take milliseconds.
    counts = np.fromiter((line.count(",") + 1 for _, line in data_lines), dtype=np.int64, count=len(data_lines))
    wrong = np.flatnonzero(counts != column_count)
    if wrong.size:
        index = int(wrong[0])
        if has_labels:
            raise ValueError(
                f"{row_name(index)} has {counts[index] - 1:,} pixel values after its label; each digit needs 784."
            )
        raise ValueError(f"{row_name(index)} has {counts[index]:,} pixel values; each digit needs 784.")

    parsed = _parse_numbers([line for _, line in data_lines], has_labels)
    if isinstance(parsed, _BadCell):
        raise ValueError(_describe_bad_cell(parsed, row_name, header, has_labels))
    pixels, labels = parsed
    return pixels.reshape(-1, IMAGE_SIZE, IMAGE_SIZE), labels


def _read_text(file) -> str:
    """The whole file as text, from a path, bytes, or a binary or text file-like object."""
    if isinstance(file, (str, os.PathLike)):
        path = Path(file)
        try:
            data = path.read_bytes()
        except FileNotFoundError as error:
            raise ValueError(f"There is no file at {str(path)!r}; check the name and folder.") from error
        except IsADirectoryError as error:
            raise ValueError(f"{str(path)!r} is a folder, not a CSV file; pick the file inside it.") from error
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
            raise ValueError(f"The uploaded file could not be read ({error}); try uploading it again.") from error
        if isinstance(data, str):
            return _checked_text(data)
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise ValueError("The uploaded file gave neither text nor bytes when read; upload a .csv file.")
        data = bytes(data)
    else:
        raise ValueError(f"Expected a CSV file (a path, bytes or an uploaded file), not {type(file).__name__}.")
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


def _find_bad_cell_row_by_row(chunk: list[str], start: int, column_count: int, highest: np.ndarray) -> _BadCell:
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
