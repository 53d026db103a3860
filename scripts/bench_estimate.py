"""How honest the time-left figure is: after a training's first epoch, the time left it shows against the time it
then really took, for the default network and one about three times its cost.

    python scripts/bench_estimate.py [--train-size 20000] [--budget 0.35]

Each training runs through the app's own training service on an embedded Dask cluster, on a fresh server's pace
(nothing measured before it). When the worker reports the first epoch's end, the service's `seconds_left` is read;
when the training has finished, the real remaining time is known. Prints both, their error in %, and the whole
estimate made before training; exits non-zero when an after-first-epoch error is outside ±budget.

Runs from any folder: its first lines put the repository's root on the import path, for `cnnlab`.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

# The repository's root goes first on the import path, so that this script finds `cnnlab` however it is started.
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tests.support.budgets import budget_exit_code  # noqa: E402 - after the path set-up above

ERROR_BUDGET = 0.35
POLL_SECONDS = 0.05


def measure(service, config, dataset) -> dict:
    """Train `config`; the service's figures before it, after its first epoch, and the real times."""
    before = service.estimated_seconds(config, dataset)
    job = service.submit(config, dataset)
    while not job.epochs and not job.finished:
        time.sleep(POLL_SECONDS)
    after_first_epoch = time.monotonic()
    predicted_left = service.seconds_left(job)
    if not service.wait(job, 3600) or job.error:
        raise SystemExit(f"The training did not finish: {job.error or 'timed out'}")
    really_left = time.monotonic() - after_first_epoch
    return {"before": before, "whole": job.running_seconds(), "predicted_left": predicted_left,
            "really_left": really_left, "error": predicted_left / really_left - 1}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train-size", type=int, default=20_000, help="training images per epoch (default 20,000)")
    parser.add_argument("--budget", type=float, default=ERROR_BUDGET, help="largest error allowed (default 0.35)")
    arguments = parser.parse_args()

    from cnnlab.config import TrainConfig
    from cnnlab.digits.datasets import load_dataset
    from cnnlab.jobs.service import TrainingService
    from cnnlab.network.estimate import multiply_adds_per_image

    dataset = load_dataset("mnist")
    default = TrainConfig(train_size=arguments.train_size)
    # conv1 64 filters and conv2 30 (each looking at 64 maps): about three times the default's arithmetic.
    larger = TrainConfig(train_size=arguments.train_size, conv_layers=((64, 5), (30, 3)))
    cost = multiply_adds_per_image(larger) / multiply_adds_per_image(default)
    failures = []
    for name, config in (("default network", default), (f"{cost:.1f}× its cost", larger)):
        service = TrainingService()  # a fresh server: its own embedded cluster, no pace measured yet
        try:
            figures = measure(service, config, dataset)
        finally:
            service.close()
        print(f"{name} ({config.epochs} epochs of {arguments.train_size:,} images): "
              f"estimated {figures['before']:.0f} s before training, took {figures['whole']:.0f} s; "
              f"after epoch 1: {figures['predicted_left']:.1f} s left shown, "
              f"{figures['really_left']:.1f} s really left, error {figures['error']:+.0%}")
        if abs(figures["error"]) > arguments.budget:
            failures.append(f"{name}: error {figures['error']:+.0%} is outside ±{arguments.budget:.0%}")
    return budget_exit_code(failures)


if __name__ == "__main__":
    sys.exit(main())
