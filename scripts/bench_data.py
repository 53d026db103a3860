"""Benchmarks of the full data and the shipped reference model; prints figures, exits 1 when a budget is missed.

1. The shipped reference model, loaded through the model store as the app does, on MNIST's 10,000 test digits.
   Budget: ≥ 98.5 % (the goal is 99 %).
2. The same test digits drawn onto a 280×280 black canvas with white ink, at random sizes and places, and read
   back through `cnnlab.digits.preprocess.canvas_to_mnist`, as a drawing on the Activations page is.
   Budget: accuracy ≥ 98.5 % of the direct accuracy (1.).
3. Training at default settings (3 epochs of 54,000 images, 6,000 validating, then the 10,000 test digits) with
   `cnnlab.network.training.train`, against a plain `model.fit` of the same network on the same images given as
   one float array up front. Budget: train()'s fit ≤ 1.10 × the plain fit's time.

    python scripts/bench_data.py [--digits 10000] [--skip-training]

Runs from any folder: its first lines put the repository's root on the import path, for `cnnlab`.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

# The repository's root goes first on the import path, so that this script finds `cnnlab` however it is started.
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tests.support.budgets import budget_exit_code  # noqa: E402 - after the path set-up above

MIN_REFERENCE_ACCURACY = 0.985
MIN_CANVAS_SHARE = 0.985
CANVAS_PIXELS = 280
# The drawn digit's 28×28 field is scaled to a square this many canvas pixels wide (its ink is about 20/28 of it).
DRAWN_SIDES = (70, 280)
SEED = 0


def shipped_reference_model(dataset):
    """The shipped reference model, installed into an empty store and loaded back, as on a server's first visit."""
    from cnnlab.config import TrainConfig
    from cnnlab.jobs.reference import install_reference_model
    from cnnlab.jobs.store import ModelStore

    with tempfile.TemporaryDirectory(prefix="cnnlab-bench-") as folder:
        store = ModelStore(Path(folder))
        if not install_reference_model(store, dataset.fingerprint):
            raise RuntimeError("The shipped reference model could not be installed; see the log.")
        result = store.load(TrainConfig(), dataset.fingerprint)
    if result is None:
        raise RuntimeError("The model store could not load the shipped reference model.")
    return result


def draw_on_canvas(digit: np.ndarray, generator: np.random.Generator) -> np.ndarray:
    """A 280×280 RGBA canvas, black and opaque, with `digit` (uint8 28×28, white on black) scaled to a random
    size and pasted at a random place that keeps it whole."""
    from PIL import Image

    side = int(generator.integers(DRAWN_SIDES[0], DRAWN_SIDES[1] + 1))
    scaled = np.asarray(Image.fromarray(digit).resize((side, side), Image.Resampling.BILINEAR))
    top, left = (int(generator.integers(0, CANVAS_PIXELS - side + 1)) for _ in range(2))
    canvas = np.zeros((CANVAS_PIXELS, CANVAS_PIXELS, 4), dtype=np.uint8)
    canvas[..., 3] = 255
    canvas[top : top + side, left : left + side, :3] = scaled[..., np.newaxis]
    return canvas


def canvas_digits(images: np.ndarray, seed: int = SEED) -> np.ndarray:
    """Every image drawn on a canvas and read back by `canvas_to_mnist`: uint8 (n, 28, 28)."""
    from cnnlab.digits.preprocess import canvas_to_mnist

    generator = np.random.default_rng(seed)
    read_back = np.zeros_like(images)
    for index, digit in enumerate(images):
        result = canvas_to_mnist(draw_on_canvas(digit, generator))
        if result is not None:  # a blank canvas stays a black digit, which the network will get wrong
            read_back[index] = result
    return read_back


def accuracy(network, images: np.ndarray, labels: np.ndarray) -> float:
    """Share of `images` the network reads right (`cnnlab.network.forward.Network`, uint8 in, a chunk at a time)."""
    from cnnlab.lens.activations import predict_proba

    return float((predict_proba(network, images).argmax(axis=1) == labels).mean())


def bench_default_training(dataset) -> tuple[float, float, float]:
    """(train()'s total seconds, its fit seconds, the plain fit's seconds) at default settings on `dataset`."""
    from cnnlab.config import TrainConfig
    from cnnlab.digits.format import to_model_input
    from cnnlab.network.backend import load_keras
    from cnnlab.network.batches import split_indices
    from cnnlab.network.model import build_model
    from cnnlab.network.training import train

    keras = load_keras()
    config = TrainConfig()
    started = time.perf_counter()
    result = train(config, dataset)
    total = time.perf_counter() - started
    ours = total - result.extras.get("evaluate_seconds", 0.0)
    train_indices, validation_indices = split_indices(dataset.y_train, config)
    # The plain baseline gets its floats ready-made, outside the timed part, as a tutorial would.
    x_train, y_train = to_model_input(dataset.x_train[train_indices]), dataset.y_train[train_indices]
    x_valid, y_valid = to_model_input(dataset.x_train[validation_indices]), dataset.y_train[validation_indices]
    keras.utils.set_random_seed(config.seed)
    model = build_model(config)
    started = time.perf_counter()
    model.fit(x_train, y_train, batch_size=config.batch_size, epochs=config.epochs, shuffle=True,
              validation_data=(x_valid, y_valid), verbose=0)
    plain = time.perf_counter() - started
    print(f"  (train()'s model scored {result.test_accuracy:.2%} on the test digits)")
    return total, ours, plain


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--digits", type=int, default=10_000, help="test digits to use (default all 10,000)")
    parser.add_argument("--skip-training", action="store_true", help="skip the default training (minutes)")
    arguments = parser.parse_args(argv)

    from cnnlab.digits.datasets import load_dataset
    from scripts.bench_engine import TRAIN_OVERHEAD_BUDGET

    dataset = load_dataset("mnist")
    images, labels = dataset.x_test[: arguments.digits], dataset.y_test[: arguments.digits]
    failures = []

    reference = shipped_reference_model(dataset)
    direct = accuracy(reference.network, images, labels)
    print(f"shipped reference model on {len(labels):,} test digits: {direct:.2%}  "
          f"(budget ≥ {MIN_REFERENCE_ACCURACY:.1%}, goal 99 %)")
    if direct < MIN_REFERENCE_ACCURACY:
        failures.append(f"reference accuracy {direct:.2%}")

    started = time.perf_counter()
    drawn = canvas_digits(images)
    seconds = time.perf_counter() - started
    on_canvas = accuracy(reference.network, drawn, labels)
    share = on_canvas / direct
    print(f"the same digits drawn on a {CANVAS_PIXELS}×{CANVAS_PIXELS} canvas at random sizes "
          f"({DRAWN_SIDES[0]}–{DRAWN_SIDES[1]} px) and places, read back by canvas_to_mnist: {on_canvas:.2%}")
    print(f"  = {share:.2%} of the direct accuracy (budget ≥ {MIN_CANVAS_SHARE:.1%}); "
          f"{seconds / len(labels) * 1000:.2f} ms per canvas")
    if share < MIN_CANVAS_SHARE:
        failures.append(f"canvas accuracy {share:.2%} of direct")

    if not arguments.skip_training:
        print("training at default settings on all of bundled MNIST (3 epochs × 54,000 images):")
        total, ours, plain = bench_default_training(dataset)
        seen = 3 * 54_000
        print(f"  train():         {total:6.1f} s in all, fit {ours:6.1f} s  {seen / ours:6,.0f} images/s")
        print(f"  plain model.fit:                 {plain:6.1f} s  {seen / plain:6,.0f} images/s")
        print(f"  ratio train()/plain = {ours / plain:.3f}  (budget ≤ {TRAIN_OVERHEAD_BUDGET:.2f})")
        if ours / plain > TRAIN_OVERHEAD_BUDGET:
            failures.append(f"train() took {ours / plain:.2f}× the plain fit")

    return budget_exit_code(failures)


if __name__ == "__main__":
    sys.exit(main())
