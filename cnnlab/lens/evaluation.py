"""Where the model fails: accuracy on the test digits, per digit, and which digits it mistakes for which."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cnnlab.digits.format import NUM_CLASSES
from cnnlab.lens.activations import predict_proba
from cnnlab.network.forward import Network


@dataclass(frozen=True)
class Evaluation:
    """A model's answers on a set of labelled digits.

    labels, predictions: int64 (n,), digits 0–9. confidence: float32 (n,), the probability the model gave its
    own answer. confusion: int64 (10, 10), confusion[true, predicted] = how many digits of class `true` were
    read as `predicted` (the diagonal holds the right answers).
    """

    labels: np.ndarray
    predictions: np.ndarray
    confidence: np.ndarray
    confusion: np.ndarray

    @property
    def accuracy(self) -> float:
        """The share of digits read correctly, 0–1 (0 when there are no digits)."""
        total = int(self.confusion.sum())
        return float(np.trace(self.confusion)) / total if total else 0.0

    @property
    def per_class_accuracy(self) -> np.ndarray:
        """float64 (10,): for each true digit, the share read correctly; NaN for a digit with no examples."""
        counts = self.confusion.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(counts > 0, np.diag(self.confusion) / counts, np.nan)

    def most_confused(self) -> tuple[int, int] | None:
        """(true, predicted) of the most frequent mistake, or None when there is no mistake."""
        mistakes = self.confusion.copy()
        np.fill_diagonal(mistakes, 0)
        if not mistakes.any():
            return None
        true, predicted = np.unravel_index(int(np.argmax(mistakes)), mistakes.shape)
        return int(true), int(predicted)

    def cell_indices(self, true: int, predicted: int) -> np.ndarray:
        """Indices (int64) of the digits of class `true` read as `predicted`, the most confident answers first."""
        for name, digit in (("true digit", true), ("predicted digit", predicted)):
            if not 0 <= digit < NUM_CLASSES:
                raise ValueError(f"The {name} must be between 0 and 9, not {digit}.")
        members = np.flatnonzero((self.labels == true) & (self.predictions == predicted))
        # Stable sort, so equally confident digits keep the data set's order.
        return members[np.argsort(-self.confidence[members], kind="stable")]


def confusion_matrix(labels: np.ndarray, predictions: np.ndarray, classes: int = NUM_CLASSES) -> np.ndarray:
    """int64 (classes, classes): entry [t, p] counts the digits labelled t and predicted p.

    labels, predictions: int (n,) in 0 … classes − 1.
    """
    labels, predictions = np.asarray(labels), np.asarray(predictions)
    if labels.shape != predictions.shape or labels.ndim != 1:
        raise ValueError(f"Labels and predictions must be two lists of the same length; got shapes "
                         f"{labels.shape} and {predictions.shape}.")
    for name, values in (("labels", labels), ("predictions", predictions)):
        if values.size and (values.min() < 0 or values.max() >= classes):
            raise ValueError(f"The {name} must be digits from 0 to {classes - 1}.")
    # Each (true, predicted) pair becomes one number, true × classes + predicted, so one count does it all.
    # scikit-learn's confusion_matrix gives the same (the tests compare), but importing it costs the web server
    # about 78 MiB and a second for this one line.
    return np.bincount(labels * classes + predictions, minlength=classes * classes).reshape(classes, classes)


def evaluate(network: Network, images: np.ndarray, labels: np.ndarray) -> Evaluation:
    """Run the network on labelled digits and count its answers.

    images: uint8 (n, 28, 28), 0–255; labels: int (n,), 0–9.
    """
    images, labels = np.asarray(images), np.asarray(labels, dtype=np.int64)
    if len(images) != len(labels):
        raise ValueError(f"There are {len(images)} digits but {len(labels)} labels.")
    probabilities = predict_proba(network, images)
    predictions = probabilities.argmax(axis=1).astype(np.int64)
    confidence = probabilities[np.arange(len(predictions)), predictions]
    return Evaluation(labels=labels, predictions=predictions, confidence=confidence,
                      confusion=confusion_matrix(labels, predictions))
