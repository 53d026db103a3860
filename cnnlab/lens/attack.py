"""Fool the network: the smallest change to a digit, found by a targeted gradient-sign attack, that makes the
network read it as another digit.

The attack is the iterative fast gradient-sign method (Kurakin, Goodfellow and Bengio, 2016, "basic iterative
method"), aimed at a target class: at each step every pixel moves by the same small amount, in the direction that
raises the target's log-probability, and the picture is kept within `budget` grey levels of the original and
within 0–255. Each step's picture is a real uint8 digit; the attack stops at the first one the network reads as
the target, so the change is as small as this path allows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cnnlab.digits.format import IMAGE_SIZE, NUM_CLASSES, to_model_input
from cnnlab.network.backward import output_gradient
from cnnlab.network.blas import one_blas_thread
from cnnlab.network.forward import Network

# Grey levels out of 255. Measured on the reference model and 20 sample digits with 10 steps: a budget of 32 fooled
# it on 3, 64 on 13, 96 on 18 (the change found was about 60 on average), so 96 shows the lesson on most digits.
DEFAULT_BUDGET = 96
BUDGET_RANGE = (1, 255)
DEFAULT_STEPS = 10
# The attack tries this many budgets at once, evenly spaced up to the one allowed, to find the smallest that works.
TRIED_BUDGETS = 8
STEPS_RANGE = (1, 100)


@dataclass(frozen=True)
class AttackResult:
    """What the attack found.

    original, attacked: uint8 (28, 28), 0–255; `attacked` is the last picture tried (the original when nothing
    was changed). original_probabilities, attacked_probabilities: float32 (10,). target: the digit aimed at.
    budget: the largest change allowed per pixel, in grey levels (0–255). steps: gradient steps taken.
    succeeded: the network reads `attacked` as `target`. message: one sentence saying what happened.
    """

    original: np.ndarray
    attacked: np.ndarray
    original_probabilities: np.ndarray
    attacked_probabilities: np.ndarray
    target: int
    budget: int
    steps: int
    succeeded: bool
    message: str

    @property
    def change(self) -> np.ndarray:
        """attacked − original: int16 (28, 28), each within ±budget."""
        return self.attacked.astype(np.int16) - self.original.astype(np.int16)

    @property
    def largest_change(self) -> int:
        """The largest change of any one pixel, in grey levels (the L∞ size of the change)."""
        return int(np.abs(self.change).max())

    @property
    def changed_pixels(self) -> int:
        return int(np.count_nonzero(self.change))

    @property
    def original_prediction(self) -> int:
        return int(np.argmax(self.original_probabilities))

    @property
    def attacked_prediction(self) -> int:
        return int(np.argmax(self.attacked_probabilities))


def _check_whole(value: object, low: int, high: int, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not low <= value <= high:
        raise ValueError(f"{what} must be a whole number from {low} to {high}, not {value!r}.")
    return int(value)


def target_gradient(network: Network, images: np.ndarray, target: int) -> tuple[np.ndarray, np.ndarray]:
    """For digits `images` (uint8 (n, 28, 28)): the network's probabilities, float32 (n, 10), and
    d log p(target) / d pixel, float32 (n, 28, 28), pixels read as 0–1 as the model reads them. The log-probability
    stays finite where a very sure softmax would round the target's probability to 0 and pass no gradient."""
    targets = np.full(len(images), target)
    probabilities, gradient = output_gradient(network, to_model_input(images), targets, "log_probability")
    return probabilities, gradient[..., 0]


@one_blas_thread()
def fool(network: Network, image: np.ndarray, target: int, budget: int = DEFAULT_BUDGET,
         steps: int = DEFAULT_STEPS) -> AttackResult:
    """The smallest change of `image` found, at most `budget` grey levels per pixel, that the network reads as
    `target`, in up to `steps` gradient-sign steps.

    image: uint8 (28, 28), 0–255. target: a digit 0–9 other than the one the network reads now.
    The attack runs at once (one batch) for TRIED_BUDGETS budgets from budget / TRIED_BUDGETS up to `budget`;
    each moves every pixel by 2.5 × its budget / steps grey levels per step (at least 1), as the basic iterative
    method suggests, so that it can reach its budget in fewer steps than allowed. Of the pictures the network reads
    as `target`, the one with the smallest largest-change (then the fewest changed pixels) is returned.
    When none is, `succeeded` is False and the message says so: nothing is claimed that the network did not do.
    """
    image = np.asarray(image)
    if image.shape != (IMAGE_SIZE, IMAGE_SIZE) or image.dtype != np.uint8:
        raise ValueError(f"Pass one digit as uint8 28×28 pixels; got {image.dtype} of shape {image.shape}.")
    target = _check_whole(target, 0, NUM_CLASSES - 1, "The digit to aim for")
    budget = _check_whole(budget, *BUDGET_RANGE, "The pixel budget")
    steps = _check_whole(steps, *STEPS_RANGE, "The number of steps")
    original_probabilities = network.predict_proba(image)[0]
    if int(np.argmax(original_probabilities)) == target:
        raise ValueError(f"The network already reads this digit as {target}; choose another digit to aim for.")

    budgets = np.unique(np.ceil(budget * np.arange(1, TRIED_BUDGETS + 1) / TRIED_BUDGETS)).astype(np.int16)
    step_sizes = np.maximum(1, np.ceil(2.5 * budgets / steps)).astype(np.int16)[:, None, None]
    original = np.broadcast_to(image.astype(np.int16), (len(budgets), 28, 28))
    low = np.clip(original - budgets[:, None, None], 0, 255)
    high = np.clip(original + budgets[:, None, None], 0, 255)
    pictures = original.astype(np.uint8)
    # Per tried budget (a row of the batch): the first picture the network read as the target, its
    # probabilities and the step it came at.
    first_success: dict[int, tuple[np.ndarray, np.ndarray, int]] = {}
    for step in range(steps + 1):
        probabilities, gradient = target_gradient(network, pictures, target)
        for row in np.flatnonzero(probabilities.argmax(axis=1) == target):
            first_success.setdefault(int(row), (pictures[row].copy(), probabilities[row], step))
        # Once the smallest budget works, no other can do with less.
        if step == steps or 0 in first_success or len(first_success) == len(budgets):
            break
        pictures = np.clip(pictures + step_sizes * np.sign(gradient).astype(np.int16), low, high).astype(np.uint8)
    if first_success:
        best, best_probabilities, best_steps = min(first_success.values(), key=lambda found: _size(found[0], image))
    else:
        # Nothing worked: report the largest budget's last picture, the furthest the attack got.
        best, best_probabilities, best_steps = pictures[-1], probabilities[-1], steps
    succeeded = int(np.argmax(best_probabilities)) == target
    result = AttackResult(image, best, original_probabilities, best_probabilities.astype(np.float32), target,
                          budget, best_steps, succeeded, "")
    return _with_message(result)


def _size(picture: np.ndarray, image: np.ndarray) -> tuple[int, int]:
    """(largest change, changed pixels) of `picture` against `image`, both uint8 (28, 28)."""
    change = np.abs(picture.astype(np.int16) - image.astype(np.int16))
    return int(change.max()), int(np.count_nonzero(change))


def _with_message(result: AttackResult) -> AttackResult:
    """The result with its sentence, built from what the network actually answered."""
    if result.succeeded:
        message = (f"After {result.steps} step{'s' if result.steps != 1 else ''}, changing {result.changed_pixels} "
                   f"pixels by at most {result.largest_change} grey levels (of 255), the network reads "
                   f"{result.target} ({result.attacked_probabilities[result.target]:.0%} sure) where it read "
                   f"{result.original_prediction}.")
    else:
        probabilities, now = result.attacked_probabilities, result.attacked_prediction
        message = (f"Within {result.budget} grey level{'s' if result.budget != 1 else ''} per pixel, "
                   f"{result.steps} step"
                   f"{'s' if result.steps != 1 else ''} did not make the network read {result.target}: it still "
                   f"reads {now} ({probabilities[now]:.0%} sure; {result.target} gets "
                   f"{probabilities[result.target]:.0%}). Allow a larger change or more steps.")
    return AttackResult(**{**result.__dict__, "message": message})
