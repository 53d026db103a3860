"""Tests for cnnlab.data: the bundled sample, full-MNIST loading (with Keras replaced), and datasets from CSV files.

References are independent of the code under test: facts about MNIST (balanced classes, ink statistics,
white digits on a black border), arrays we made ourselves and wrote out with the csv module, and the
exact sentences a student should see. Nothing here touches the network or imports Keras.
"""

from __future__ import annotations

import threading
import zipfile
from pathlib import Path

import numpy as np
import pytest
from helpers import layout_text, small_digits

from cnnlab import data
from cnnlab.data import Dataset, dataset_from_csv, load_dataset


@pytest.fixture(autouse=True)
def isolated_loading(monkeypatch, tmp_path):
    """Each test starts with no full-MNIST choice made, an empty Keras cache, and Keras out of reach.

    Tests that need a loader install a fake one; reaching the real one (or Keras at all) fails the test.
    """
    import cnnlab.backend

    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))
    monkeypatch.delenv(data.OFFLINE_VARIABLE, raising=False)
    forbidden_calls = []

    def refuse(*args, **kwargs):
        forbidden_calls.append(True)
        raise RuntimeError("a test reached Keras or the real MNIST loader")

    monkeypatch.setattr(data, "_download_mnist", refuse)
    monkeypatch.setattr(cnnlab.backend, "load_keras", refuse)
    data._forget_loaded_datasets()
    yield
    data._forget_loaded_datasets()
    assert not forbidden_calls, "a test reached Keras or the real MNIST loader"


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


def test_sample_is_loaded_once_per_process():
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
    reloaded = data._load_sample.__wrapped__()  # a fresh read of the file, leaving the shared cache alone
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
# Full MNIST and the automatic choice, with Keras's loader replaced


def fake_keras_mnist(train_count: int = 30, test_count: int = 10):
    """What keras.datasets.mnist.load_data() returns, in miniature: uint8 images and uint8 labels."""
    x_train, y_train = small_digits(train_count, seed=1)
    x_test, y_test = small_digits(test_count, seed=2)
    return (x_train, y_train.astype(np.uint8)), (x_test, y_test.astype(np.uint8))


def counting_loader(result):
    calls = []

    def loader():
        calls.append(True)
        if isinstance(result, BaseException):
            raise result
        return result

    return loader, calls


def test_mnist_source_uses_the_loader_once_and_keeps_its_arrays(monkeypatch):
    expected = fake_keras_mnist()
    loader, calls = counting_loader(expected)
    monkeypatch.setattr(data, "_download_mnist", loader)
    dataset = load_dataset("mnist")
    (x_train, y_train), (x_test, y_test) = expected
    assert dataset.source == "mnist" and dataset.name == "Full MNIST (70,000 digits)"
    np.testing.assert_array_equal(dataset.x_train, x_train)
    np.testing.assert_array_equal(dataset.y_train, y_train)
    np.testing.assert_array_equal(dataset.x_test, x_test)
    np.testing.assert_array_equal(dataset.y_test, y_test)
    assert dataset.y_train.dtype == np.int64
    assert load_dataset("mnist") is dataset
    assert len(calls) == 1


def test_mnist_source_reports_a_failed_download(monkeypatch):
    loader, _ = counting_loader(OSError("Temporary failure in name resolution"))
    monkeypatch.setattr(data, "_download_mnist", loader)
    with pytest.raises(ValueError, match="Full MNIST could not be loaded"):
        load_dataset("mnist")


def corrupt_results():
    (x_train, y_train), (x_test, y_test) = fake_keras_mnist()
    return {
        "float images": ((x_train.astype(np.float32), y_train), (x_test, y_test)),
        "truncated images": ((x_train.reshape(30, -1)[:, :500], y_train), (x_test, y_test)),
        "labels of 10": ((x_train, y_train + 10), (x_test, y_test)),
        "missing labels": ((x_train, y_train[:5]), (x_test, y_test)),
        "not a pair of pairs": (x_train, y_train),
        "nothing": None,
    }


@pytest.mark.parametrize("kind", list(corrupt_results()))
def test_mnist_source_rejects_a_damaged_download(monkeypatch, kind):
    loader, _ = counting_loader(corrupt_results()[kind])
    monkeypatch.setattr(data, "_download_mnist", loader)
    with pytest.raises(ValueError, match="Full MNIST was loaded but looks damaged"):
        load_dataset("mnist")


def test_auto_uses_a_quick_download_and_decides_only_once(monkeypatch):
    loader, calls = counting_loader(fake_keras_mnist())
    monkeypatch.setattr(data, "_download_mnist", loader)
    dataset = load_dataset("auto", timeout=5)
    assert dataset.source == "mnist" and "downloaded" in dataset.note
    assert load_dataset("auto", timeout=5) is dataset
    assert load_dataset("mnist") is dataset
    assert len(calls) == 1


def test_auto_and_mnist_read_keras_cache_without_the_loader(tmp_path):
    (x_train, y_train), (x_test, y_test) = fake_keras_mnist()
    cache_file = tmp_path / "keras_home" / "datasets" / "mnist.npz"
    cache_file.parent.mkdir(parents=True)
    np.savez(cache_file, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
    dataset = load_dataset("auto", timeout=5)  # the autouse fixture fails the test if the loader runs
    assert dataset.source == "mnist" and "Keras's cache" in dataset.note
    np.testing.assert_array_equal(dataset.x_test, x_test)
    data._forget_loaded_datasets()
    np.testing.assert_array_equal(load_dataset("mnist").y_train, y_train)


def assert_is_sample_with_note(dataset: Dataset, phrase: str) -> None:
    assert dataset.source == "sample"
    assert dataset.x_train.shape == (4000, 28, 28)
    assert phrase in dataset.note and "bundled sample" in dataset.note


def test_auto_falls_back_to_the_sample_when_the_download_fails(monkeypatch):
    loader, calls = counting_loader(OSError("Temporary failure in name resolution"))
    monkeypatch.setattr(data, "_download_mnist", loader)
    dataset = load_dataset("auto", timeout=5)
    assert_is_sample_with_note(dataset, "could not be downloaded")
    assert "Temporary failure in name resolution" in dataset.note
    assert load_dataset("auto", timeout=5) is dataset and len(calls) == 1
    # The explicitly chosen sample stays note-free; the fallback is a copy that only adds the note.
    assert load_dataset("sample").note == ""
    assert dataset.fingerprint == load_dataset("sample").fingerprint


@pytest.mark.parametrize("value", ["1", "true", "YES"])
def test_offline_auto_uses_the_sample_without_trying_a_download(monkeypatch, value):
    monkeypatch.setenv(data.OFFLINE_VARIABLE, value)  # the autouse fixture fails the test if a download starts
    dataset = load_dataset("auto", timeout=5)
    assert_is_sample_with_note(dataset, "offline")


def test_offline_auto_still_uses_full_mnist_from_keras_cache(monkeypatch, tmp_path):
    monkeypatch.setenv(data.OFFLINE_VARIABLE, "1")
    (x_train, y_train), (x_test, y_test) = fake_keras_mnist()
    cache_file = tmp_path / "keras_home" / "datasets" / "mnist.npz"
    cache_file.parent.mkdir(parents=True)
    np.savez(cache_file, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
    assert load_dataset("auto").source == "mnist"


def test_auto_falls_back_to_the_sample_when_the_download_hangs(monkeypatch):
    release = threading.Event()

    def hanging_loader():
        release.wait(10)
        return fake_keras_mnist()

    monkeypatch.setattr(data, "_download_mnist", hanging_loader)
    try:
        dataset = load_dataset("auto", timeout=0.05)
    finally:
        release.set()
    assert_is_sample_with_note(dataset, "did not finish loading within 0.05 seconds")


def test_mnist_after_auto_gave_up_waits_for_the_same_download(monkeypatch):
    release = threading.Event()
    calls = []

    def slow_loader():
        calls.append(True)
        release.wait(10)
        return fake_keras_mnist()

    monkeypatch.setattr(data, "_download_mnist", slow_loader)
    try:
        assert load_dataset("auto", timeout=0.05).source == "sample"
    finally:
        release.set()
    assert load_dataset("mnist").source == "mnist"
    assert len(calls) == 1


@pytest.mark.parametrize("timeout", [0, -1, float("nan"), "15"])
def test_auto_rejects_a_timeout_that_is_not_a_positive_number(timeout):
    with pytest.raises(ValueError, match="timeout must be a positive number of seconds"):
        load_dataset("auto", timeout=timeout)


@pytest.mark.parametrize("kind", list(corrupt_results()))
def test_auto_falls_back_to_the_sample_when_the_download_is_damaged(monkeypatch, kind):
    loader, _ = counting_loader(corrupt_results()[kind])
    monkeypatch.setattr(data, "_download_mnist", loader)
    assert_is_sample_with_note(load_dataset("auto", timeout=5), "looked damaged")


def test_auto_tries_a_download_when_the_keras_cache_is_damaged(monkeypatch, tmp_path):
    cache_file = tmp_path / "keras_home" / "datasets" / "mnist.npz"
    cache_file.parent.mkdir(parents=True)
    cache_file.write_bytes(b"PK\x03\x04 half a zip file")
    loader, calls = counting_loader(fake_keras_mnist())
    monkeypatch.setattr(data, "_download_mnist", loader)
    assert load_dataset("auto", timeout=5).source == "mnist"
    assert len(calls) == 1


def test_keras_cache_path_follows_keras_home(monkeypatch, tmp_path):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "elsewhere"))
    assert data.keras_mnist_cache_path() == tmp_path / "elsewhere" / "datasets" / "mnist.npz"


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
