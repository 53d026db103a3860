"""Tests for cnnlab.digits.csv_reader: reading Kaggle and header-less MNIST CSV files of digits.

References are independent of the reader under test: arrays we made ourselves and wrote out with the
csv module, and the exact sentences a student should see when a file is malformed.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from helpers import KAGGLE_TEST_HEADER, KAGGLE_TRAIN_HEADER, csv_text, layout_text, small_digits

import cnnlab.digits.datasets
from cnnlab.digits import csv_reader as csv_digits
from cnnlab.digits.csv_reader import read_digits_csv


def test_reader_is_still_importable_from_cnnlab_data():
    # Pages and outside checks call cnnlab.digits.datasets.read_digits_csv; it must stay the same function.
    assert cnnlab.digits.datasets.read_digits_csv is csv_digits.read_digits_csv


# --------------------------------------------------------------------------------------------------
# Reading CSV files: round trips through every layout and kind of input


def as_input(kind: str, text: str, tmp_path: Path):
    if kind in ("str path", "Path"):
        path = tmp_path / "digits.csv"
        path.write_text(text)
        return str(path) if kind == "str path" else path
    if kind == "bytes":
        return text.encode()
    if kind == "binary file":
        return io.BytesIO(text.encode())
    return io.StringIO(text)


@pytest.mark.parametrize("kind", ["str path", "Path", "bytes", "binary file", "text file"])
@pytest.mark.parametrize("layout", ["kaggle train", "kaggle test", "header-less"])
def test_csv_round_trip(layout, kind, tmp_path):
    images, labels = small_digits(7, seed=3)
    read_images, read_labels = read_digits_csv(as_input(kind, layout_text(layout, images, labels), tmp_path))
    assert read_images.dtype == np.uint8 and read_images.shape == (7, 28, 28)
    np.testing.assert_array_equal(read_images, images)
    if layout == "kaggle test":
        assert read_labels is None
    else:
        assert read_labels.dtype == np.int64
        np.testing.assert_array_equal(read_labels, labels)


def test_csv_pixels_are_in_row_major_order():
    # One bright pixel at pixel number 28*5 + 3 must land on row 5, column 3 of the image.
    pixels = [0] * 784
    pixels[28 * 5 + 3] = 200
    images, labels = read_digits_csv(csv_text([[4, *pixels]], KAGGLE_TRAIN_HEADER).encode())
    assert labels.tolist() == [4]
    assert images[0, 5, 3] == 200 and images.sum() == 200


def test_csv_accepts_windows_line_endings_a_byte_order_mark_and_blank_lines():
    images, labels = small_digits(3)
    text = csv_text([[int(y), *x] for y, x in zip(labels, images.reshape(3, 784).tolist(), strict=True)])
    text = "\ufeff" + text.replace("\n", "\r\n") + "\r\n\r\n"
    read_images, read_labels = read_digits_csv(text.encode("utf-8"))
    np.testing.assert_array_equal(read_images, images)
    np.testing.assert_array_equal(read_labels, labels)


def test_csv_accepts_decimal_points_on_whole_numbers():
    pixels = ["0.0"] * 783 + ["255.0"]
    images, labels = read_digits_csv(csv_text([["3.0", *pixels]]).encode())
    assert labels.tolist() == [3] and images[0, 27, 27] == 255 and images.sum() == 255


def test_csv_rereads_an_uploaded_file_that_was_already_read():
    images, labels = small_digits(2)
    upload = io.BytesIO(layout_text("kaggle train", images, labels).encode())
    upload.read()  # as if another widget had read it first
    np.testing.assert_array_equal(read_digits_csv(upload)[0], images)


# --------------------------------------------------------------------------------------------------
# Reading CSV files: every malformed input is one ValueError with an actionable sentence


def kaggle_rows(count: int) -> list[list]:
    images, labels = small_digits(count, seed=4)
    return [[int(y), *x] for y, x in zip(labels, images.reshape(count, 784).tolist(), strict=True)]


def with_cell(rows: list[list], row: int, column: int, value) -> list[list]:
    changed = [list(cells) for cells in rows]
    changed[row][column] = value
    return changed


@pytest.mark.parametrize(
    "content, message",
    [
        (b"", "The file is empty"),
        (b"\n \r\n\n", "The file is empty"),
        (",".join(KAGGLE_TRAIN_HEADER).encode() + b"\n", "header row but no digits"),
        (b"label,pixel0,pixel1\n1,2,3\n", "The header row has 3 columns"),
        (b"1,2,3\n", "Row 1 has 3 columns"),
    ],
)
def test_csv_with_no_digits_or_the_wrong_width(content, message):
    with pytest.raises(ValueError, match=message):
        read_digits_csv(content)


def test_csv_row_with_missing_pixels_is_named():
    rows = kaggle_rows(4)
    rows[2] = rows[2][:781]  # label + 780 pixels
    with pytest.raises(ValueError, match=r"^Row 3 \(line 4 of the file\) has 780 pixel values after its label; each"):
        read_digits_csv(csv_text(rows, KAGGLE_TRAIN_HEADER).encode())


def test_csv_row_with_extra_pixels_is_named_without_a_header():
    rows = kaggle_rows(4)
    rows[3] = rows[3] + [0]
    with pytest.raises(ValueError, match=r"^Row 4 has 785 pixel values after its label; each digit needs 784\."):
        read_digits_csv(csv_text(rows).encode())


def test_csv_unlabelled_row_with_missing_pixels_is_named():
    pixel_rows = [row[1:] for row in kaggle_rows(3)]
    pixel_rows[1] = pixel_rows[1][:780]
    with pytest.raises(ValueError, match=r"^Row 2 \(line 3 of the file\) has 780 pixel values; each digit needs 784"):
        read_digits_csv(csv_text(pixel_rows, KAGGLE_TEST_HEADER).encode())


@pytest.mark.parametrize(
    "column, value, message",
    [
        (
            5,
            "abc",
            r"^Row 2 \(line 3 of the file\), column 6 \(pixel4\), holds the pixel value 'abc', "
            "which is not a number",
        ),
        (5, "256", "holds the pixel value '256', which is outside 0 to 255"),
        (5, "-1", "holds the pixel value '-1', which is outside 0 to 255"),
        (5, "12.5", "holds the pixel value '12.5', which is not a whole number"),
        (5, "", r"column 6 \(pixel4\), is empty"),
        (5, "NA", "'NA', which is not a number"),
        (5, "True", "'True', which is not a number"),
        (5, "1e9", "'1e9', which is outside 0 to 255"),
        (5, "99999999999999999999999", "which is outside 0 to 255"),
        (
            0,
            "10",
            r"^Row 2 \(line 3 of the file\) has the label '10', which is not a digit; "
            "labels must be whole numbers from 0 to 9",
        ),
        (0, "-1", "the label '-1', which is not a digit"),
        (0, "seven", "the label 'seven', which is not a number"),
        (0, "", r"^Row 2 \(line 3 of the file\) has an empty label; labels must be"),
    ],
)
def test_csv_bad_value_is_quoted_with_its_row_and_column(column, value, message):
    rows = with_cell(kaggle_rows(3), row=1, column=column, value=value)
    with pytest.raises(ValueError, match=message):
        read_digits_csv(csv_text(rows, KAGGLE_TRAIN_HEADER).encode())


def test_csv_reports_the_first_bad_cell_in_reading_order():
    rows = with_cell(kaggle_rows(5), row=3, column=2, value="300")
    rows = with_cell(rows, row=1, column=700, value="x")
    with pytest.raises(ValueError, match=r"^Row 2, column 701, holds the pixel value 'x'"):
        read_digits_csv(csv_text(rows).encode())


def test_csv_with_more_rows_than_allowed():
    with pytest.raises(ValueError, match="The file has more than 2 digits"):
        read_digits_csv(csv_text(kaggle_rows(3), KAGGLE_TRAIN_HEADER).encode(), max_rows=2)
    assert read_digits_csv(csv_text(kaggle_rows(2), KAGGLE_TRAIN_HEADER).encode(), max_rows=2)[0].shape[0] == 2


def test_csv_default_limit_is_70000_digits():
    with pytest.raises(ValueError, match="The file has more than 70,000 digits"):
        read_digits_csv(b"0,0\n" * 70_001)  # the limit is checked before the (wrong) width of each row


@pytest.mark.parametrize(
    "content",
    [b"\xff\xfe\x00l\x00a\x00b\x00e\x00l", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", b"label,pixel0\x00\n"],
)
def test_csv_binary_or_non_utf8_content(content):
    with pytest.raises(ValueError, match="not a text CSV file"):
        read_digits_csv(content)


def test_csv_missing_path_and_folder(tmp_path):
    with pytest.raises(ValueError, match="There is no file at"):
        read_digits_csv(tmp_path / "train.csv")
    with pytest.raises(ValueError, match="is a folder, not a CSV file"):
        read_digits_csv(str(tmp_path))


def test_csv_unclosed_quote_is_quoted_back():
    text = csv_text(kaggle_rows(3)).replace("\n", '\n"', 1)  # row 2 now starts with a lone quote mark
    with pytest.raises(ValueError, match="^Row 2 has the label '\"1', which is not a number"):
        read_digits_csv(text.encode())


@pytest.mark.parametrize("cell", ["\u0663", "\uff14", "0x1", "1e", "1_0", ' "4"'])
def test_csv_only_plain_ascii_decimals_count_as_numbers(cell):
    rows = with_cell(kaggle_rows(2), row=0, column=9, value=cell)
    with pytest.raises(ValueError, match=r"^Row 1, column 10, holds the pixel value .*, which is not a number"):
        read_digits_csv(csv_text(rows).encode())


def test_csv_reads_numbers_in_quotes_or_among_spaces():
    # Some spreadsheets quote or pad every cell (a no-break space, too); such a cell is still the number it shows.
    pixels = [str(value) for value in kaggle_rows(1)[0][4:]]
    line = ",".join(['"3"', " 7 ", '"12"', "\u00a0255", *pixels])
    images, labels = read_digits_csv(line.encode())
    assert labels.tolist() == [3] and images[0, 0, :3].tolist() == [7, 12, 255]


def test_csv_rejects_what_is_not_a_file():
    with pytest.raises(ValueError, match="Expected a CSV file"):
        read_digits_csv(42)


def test_random_junk_only_ever_raises_value_error():
    generator = np.random.default_rng(2024)
    alphabet = np.frombuffer(b"0123456789,,,,\n\r\"' .-eE\xff\x00abc", dtype=np.uint8)
    for attempt in range(300):
        size = int(generator.integers(0, 3000))
        if attempt % 2:
            junk = generator.integers(0, 256, size=size, dtype=np.uint8).tobytes()
        else:
            junk = generator.choice(alphabet, size=size).tobytes()
        with pytest.raises(ValueError):
            read_digits_csv(junk)


def test_randomly_damaged_csv_either_reads_correctly_or_raises_value_error():
    generator = np.random.default_rng(7)
    valid = csv_text(kaggle_rows(3), KAGGLE_TRAIN_HEADER).encode()
    junk_bytes = np.frombuffer(b'0123456789,\n"x.-\xff', dtype=np.uint8)
    for _ in range(150):
        damaged = bytearray(valid)
        for position in generator.integers(0, len(damaged), size=int(generator.integers(1, 4))):
            damaged[position] = int(generator.choice(junk_bytes))
        try:
            images, labels = read_digits_csv(bytes(damaged))
        except ValueError:
            continue
        # Whatever is accepted must still be a valid set of digits.
        assert images.dtype == np.uint8 and images.shape[1:] == (28, 28)
        assert labels is not None and labels.min() >= 0 and labels.max() <= 9
