"""Benchmarks of the engine on the bundled 5,000-digit sample; prints figures, exits 1 when a budget is missed.

1. Training throughput: `train()` against a plain `model.fit` of the same model on the same images, in the
   same process, alternated so that machine noise hits both alike. Budget: train() ≤ 1.10 × plain time.
2. A drawn digit → `canvas_to_mnist` → every layer's output → probabilities. Budget: median ≤ 15 ms.
3. Everything the Activations page computes for one drawn digit: the pipeline above, every layer's mosaic or
   strip, and their PNG encoding (what Streamlit sends to the browser). Budget: median ≤ 300 ms.
4. Accuracy on the bundled sample's test digits after the default training and after 10 epochs.
5. The pages that look into a network (`cnnlab.lens`, `cnnlab.network.takeaway`, watching a digit learn, the
   class's experiments, the Prediction page's saliency map), for the default model: each page's first view (the
   work its cached functions do the first time) ≤ 2 s, and a cached view (the cached value read back, plus the
   pictures or chart the page sends) ≤ 300 ms; the t-SNE map of 2,000 digits ≤ 10 s.

The sample keeps the whole benchmark to a minute or two. The figures of all of MNIST and the shipped reference
model are `scripts/bench_data.py`'s, and the first visit's `scripts/bench_first_visit.py`'s.

    python scripts/bench_engine.py [--rounds 3] [--repeats 50] [--skip-accuracy] [--lens-only]

Runs from any folder: its first lines put the repository's root on the import path, for `cnnlab`.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

# The repository's root goes first on the import path, so that this script finds `cnnlab` however it is started.
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tests.support.budgets import budget_exit_code  # noqa: E402 - after the path set-up above

TRAIN_OVERHEAD_BUDGET = 1.10
DIGIT_PIPELINE_BUDGET_MS = 15.0
PAGE_WORK_BUDGET_MS = 300.0
TILE_PIXELS = 96  # as the Activations page draws each feature map
FIRST_VIEW_BUDGET_S = 2.0
CACHED_VIEW_BUDGET_MS = 300.0
TSNE_BUDGET_S = 10.0


def bench_training(dataset, rounds: int) -> tuple[float, float]:
    """Seconds for train() and for a plain fit of the same network on the same images (medians)."""
    from cnnlab.config import TrainConfig
    from cnnlab.digits.format import to_model_input
    from cnnlab.network.backend import load_keras
    from cnnlab.network.batches import split_indices
    from cnnlab.network.model import build_model
    from cnnlab.network.training import train

    keras = load_keras()
    config = TrainConfig(epochs=1, validation_fraction=0.0)
    train_indices, _ = split_indices(dataset.y_train, config)
    # The plain baseline gets its floats ready-made, outside the timed part, as a tutorial would.
    x_plain = to_model_input(dataset.x_train[train_indices])
    y_plain = dataset.y_train[train_indices]
    ours, plain = [], []
    train(config, dataset)  # warm-up: graph tracing and memory pools, for both alike
    for _ in range(rounds):
        started = time.perf_counter()
        result = train(config, dataset)
        ours.append(time.perf_counter() - started - result.extras.get("evaluate_seconds", 0.0))
        keras.utils.set_random_seed(config.seed)
        model = build_model(config)
        started = time.perf_counter()
        model.fit(x_plain, y_plain, batch_size=config.batch_size, epochs=1, shuffle=True, verbose=0)
        plain.append(time.perf_counter() - started)
    return statistics.median(ours), statistics.median(plain)


def bench_digit_pipeline(network, repeats: int) -> list[float]:
    """Milliseconds per drawn digit, canvas to probabilities, one at a time as a page does it."""
    from cnnlab.digits.preprocess import canvas_to_mnist
    from cnnlab.lens.activations import layer_activations

    canvas = drawn_one_canvas()
    timings = []
    for _ in range(repeats + 3):
        started = time.perf_counter()
        digit = canvas_to_mnist(canvas)
        layers = layer_activations(network, digit)
        probabilities = layers[-1].output
        assert probabilities.shape == (10,)
        timings.append((time.perf_counter() - started) * 1000)
    return timings[3:]  # the first calls warm the caches


def drawn_one_canvas() -> np.ndarray:
    """A 280×280 RGBA canvas with one tall white stroke on black: a "1"."""
    canvas = np.zeros((280, 280, 4), dtype=np.uint8)
    canvas[..., 3] = 255
    canvas[40:240, 130:150, :3] = 255
    return canvas


def bench_page_work(network, repeats: int) -> list[float]:
    """Milliseconds for all the Activations page computes for one drawn digit, images encoded as PNG."""
    import io

    from PIL import Image

    from cnnlab.digits.preprocess import canvas_to_mnist
    from cnnlab.lens.activations import layer_activations
    from cnnlab.pictures.images import enlarge, feature_mosaic, strip

    def encode(pixels: np.ndarray) -> int:
        buffer = io.BytesIO()
        Image.fromarray(pixels).save(buffer, format="PNG")
        return buffer.tell()

    canvas = drawn_one_canvas()
    timings = []
    for _ in range(repeats + 3):
        started = time.perf_counter()
        digit = canvas_to_mnist(canvas)
        encode(enlarge(digit, 6))
        for layer in layer_activations(network, digit):
            if layer.output.ndim == 3:
                encode(feature_mosaic(layer.output, scale=max(1, TILE_PIXELS // layer.shape[0])))
            elif layer.name != "output":
                encode(strip(layer.output, scale=8 if layer.shape[0] <= 128 else 5, max_width=50))
        timings.append((time.perf_counter() - started) * 1000)
    return timings[3:]


def bench_page_work_while_training(network, dataset, repeats: int) -> list[float]:
    """`bench_page_work` while a Dask worker process trains another model, as in the app when one student trains
    and another draws (the training runs beside this process, on the same cores)."""
    from cnnlab.config import TrainConfig
    from cnnlab.jobs.cluster import connect
    from cnnlab.jobs.service import TrainingService

    service = TrainingService(connect_to_cluster=lambda: connect(""))  # an embedded cluster of its own
    # 50 epochs outlast the timed digits; the training is cancelled as soon as they are done.
    job = service.submit(TrainConfig(epochs=50, seed=1), dataset)
    deadline = time.monotonic() + 300
    while job.batches_done < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    try:
        return bench_page_work(network, repeats)
    finally:
        service.cancel(job)
        service.wait(job, 60)
        service.close()


def bench_lens_pages(result, dataset, failures: list[str]) -> None:
    """First and cached views of the pages that look into a network (see the module's docstring), printed and
    checked. result: the default model's `TrainResult`."""
    import io
    import pickle
    from dataclasses import replace

    from PIL import Image

    from cnnlab.config import TrainConfig
    from cnnlab.lens.activations import predict_proba
    from cnnlab.lens.attack import fool
    from cnnlab.lens.digit_map import digit_map, hidden_features, tsne_2d
    from cnnlab.lens.patterns import preferred_inputs, receptive_field
    from cnnlab.lens.saliency import class_gradient, saliency_map
    from cnnlab.network.takeaway import keras_notebook, keras_script
    from cnnlab.pictures.charts import digit_map_chart
    from cnnlab.pictures.images import pattern_mosaic, png_data_urls, saliency_overlay, signed_image

    network = result.network

    def encode(picture) -> None:
        Image.fromarray(picture).save(io.BytesIO(), format="PNG")

    def takeaway_first():
        return keras_script(TrainConfig()), keras_notebook(TrainConfig())

    def takeaway_cached(value):
        pickle.loads(pickle.dumps(value))

    def patterns_first():
        return [preferred_inputs(network, name) for name in ("conv1", "conv2", "output")]

    def patterns_cached(value):
        for patterns in pickle.loads(pickle.dumps(value)):
            top, left, size = receptive_field(network, patterns.layer)
            encode(pattern_mosaic(patterns.images[:, top : top + size, left : left + size], scale=5))

    digit = dataset.x_test[np.flatnonzero(dataset.y_test == 3)[0]]
    target = (int(np.argmax(predict_proba(result.network, digit)[0])) + 5) % 10

    def saliency_first():
        return class_gradient(network, digit, target)

    def saliency_cached(gradient):
        # The Prediction page computes the gradient on every run (it is milliseconds); here, its two pictures.
        encode(saliency_overlay(digit, saliency_map(gradient), scale=6))
        encode(signed_image(gradient, scale=6))

    def attack_first():
        return fool(network, digit, target)

    def attack_cached(value):
        encode(np.repeat(pickle.loads(pickle.dumps(value)).attacked[..., None], 3, axis=2))

    def map_first():
        mapped = digit_map(result.network, dataset.x_test, dataset.y_test, "pca")
        return mapped, png_data_urls(dataset.x_test[mapped.indices])

    def map_cached(value):
        mapped, images = pickle.loads(pickle.dumps(value))
        digit_map_chart(mapped.coordinates, mapped.labels, mapped.predicted, mapped.indices, images).to_json()

    def watch_first():
        from cnnlab.lens.filter_history import digit_through_epochs

        return digit_through_epochs(result.config, result.epoch_weights, digit,
                                    initial_weights=result.initial_weights, final_weights=result.weights)

    def watch_cached(value):
        from cnnlab.pictures.images import feature_mosaic

        for layer in pickle.loads(pickle.dumps(value))[0][:3]:
            encode(feature_mosaic(layer.output, scale=max(1, 96 // layer.shape[0])))

    def experiments_first():
        from cnnlab.jobs.model_file import ModelRecord
        from cnnlab.lens.experiments import experiments_table
        from cnnlab.pictures.charts import experiments_scatter

        records = [ModelRecord(replace(result.config, seed=seed), "f" * 16, 0.9 + seed / 1000, 10.0 + seed, 54_000,
                               "MNIST", None) for seed in range(60)]
        table = experiments_table(records)
        experiments_scatter(table, "parameters", "dropout", log_x=True).to_json()
        return table

    def experiments_cached(value):
        from cnnlab.pictures.charts import experiments_scatter

        experiments_scatter(value, "training seconds", "epochs").to_json()

    print("the lens pages' work for the default model (first view / a cached view):")
    for title, first, cached in (("Watch your digit learn (every epoch)", watch_first, watch_cached),
                                 ("The class's experiments (60 models)", experiments_first, experiments_cached),
                                 ("Code to take away", takeaway_first, takeaway_cached),
                                 ("Prediction: why this answer (one saliency map)", saliency_first, saliency_cached),
                                 ("What a filter looks for (conv1, conv2, output)", patterns_first, patterns_cached),
                                 ("Fool the network", attack_first, attack_cached),
                                 ("All digits at once (PCA)", map_first, map_cached)):
        started = time.perf_counter()
        value = first()
        first_seconds = time.perf_counter() - started
        repeats = []
        for _ in range(5):
            started = time.perf_counter()
            cached(value)
            repeats.append((time.perf_counter() - started) * 1000)
        cached_ms = statistics.median(repeats)
        print(f"  {title}: first {first_seconds:.2f} s (budget ≤ {FIRST_VIEW_BUDGET_S:.0f} s), "
              f"cached {cached_ms:.0f} ms (budget ≤ {CACHED_VIEW_BUDGET_MS:.0f} ms)")
        if first_seconds > FIRST_VIEW_BUDGET_S:
            failures.append(f"{title}: first view {first_seconds:.2f} s")
        if cached_ms > CACHED_VIEW_BUDGET_MS:
            failures.append(f"{title}: cached view {cached_ms:.0f} ms")
    # t-SNE on 2,000 digits: the sample's 1,000 test digits and 1,000 of its training digits.
    images = np.concatenate([dataset.x_test, dataset.x_train[:: max(1, len(dataset.x_train) // 1000)][:1000]])
    features = hidden_features(result.network, images[:2000])
    started = time.perf_counter()
    tsne_2d(features)
    seconds = time.perf_counter() - started
    print(f"  t-SNE map of {len(features):,} digits: {seconds:.2f} s (budget ≤ {TSNE_BUDGET_S:.0f} s)")
    if seconds > TSNE_BUDGET_S:
        failures.append(f"t-SNE of {len(features):,} digits: {seconds:.2f} s")


def check_timings(title: str, timings: list[float], budget_ms: float, failures: list[str]) -> float:
    """Print the median and p95 of `timings` (ms) against a budget for the median; note a miss in `failures`.
    Returns the median."""
    median = statistics.median(timings)
    print(f"{title}:")
    print(f"  median {median:.1f} ms, p95 {np.percentile(timings, 95):.1f} ms  (budget median ≤ {budget_ms:.0f} ms)")
    if median > budget_ms:
        failures.append(f"{title}: median {median:.1f} ms")
    return median


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3, help="alternated training rounds (default 3)")
    parser.add_argument("--repeats", type=int, default=50, help="drawn digits to time (default 50)")
    parser.add_argument("--skip-accuracy", action="store_true", help="skip the 10-epoch accuracy run")
    parser.add_argument("--lens-only", action="store_true", help="only train the default model and time the lens pages")
    arguments = parser.parse_args(argv)

    from cnnlab.config import TrainConfig
    from cnnlab.digits.datasets import load_dataset
    from cnnlab.network.training import train

    dataset = load_dataset("sample")
    failures = []
    if arguments.lens_only:
        bench_lens_pages(train(TrainConfig(), dataset), dataset, failures)
        return budget_exit_code(failures)
    images = int(len(dataset.y_train))
    ours, plain = bench_training(dataset, arguments.rounds)
    ratio = ours / plain
    print(f"training, 1 epoch on {images:,} images (median of {arguments.rounds}):")
    print(f"  train():          {ours:6.2f} s  {images / ours:8,.0f} images/s")
    print(f"  plain model.fit:  {plain:6.2f} s  {images / plain:8,.0f} images/s")
    print(f"  ratio train()/plain = {ratio:.3f}  (budget ≤ {TRAIN_OVERHEAD_BUDGET:.2f})")
    if ratio > TRAIN_OVERHEAD_BUDGET:
        failures.append(f"train() took {ratio:.2f}× the plain fit")

    default = train(TrainConfig(), dataset)
    digits = arguments.repeats
    check_timings(f"drawn digit → canvas_to_mnist → all layers → probabilities ({digits} digits)",
                  bench_digit_pipeline(default.network, digits), DIGIT_PIPELINE_BUDGET_MS, failures)
    idle = check_timings(f"everything the Activations page computes for a drawn digit, PNGs included ({digits} digits)",
                         bench_page_work(default.network, digits), PAGE_WORK_BUDGET_MS, failures)
    busy = check_timings("the same while another model trains in a Dask worker process",
                         bench_page_work_while_training(default.network, dataset, digits), PAGE_WORK_BUDGET_MS,
                         failures)
    print(f"  ({busy / idle:.1f}× the idle median)")
    bench_lens_pages(default, dataset, failures)

    print("accuracy on the sample's 1,000 test digits:")
    print(f"  default settings (3 epochs): {default.test_accuracy:.2%}  ({default.seconds:.1f} s)")
    if not arguments.skip_accuracy:
        longer = train(TrainConfig(epochs=10), dataset)
        print(f"  10 epochs:                   {longer.test_accuracy:.2%}  ({longer.seconds:.1f} s)")

    return budget_exit_code(failures)


if __name__ == "__main__":
    sys.exit(main())
