"""Evaluation: the confusion matrix against a NumPy count, accuracy against Keras's own evaluation."""

from __future__ import annotations

import numpy as np
import pytest

from cnnlab.digits.format import to_model_input
from cnnlab.lens.evaluation import Evaluation, confusion_matrix, evaluate


def counted_by_hand(labels, predictions) -> np.ndarray:
    """The reference: one np.add.at increment per digit."""
    counts = np.zeros((10, 10), dtype=np.int64)
    np.add.at(counts, (labels, predictions), 1)
    return counts


def test_confusion_matrix_on_known_labels():
    labels = np.array([4, 4, 4, 9, 9, 7, 1, 0])
    predictions = np.array([4, 9, 9, 9, 4, 1, 1, 0])
    counts = confusion_matrix(labels, predictions)
    assert counts[4, 9] == 2 and counts[4, 4] == 1 and counts[9, 4] == 1 and counts[7, 1] == 1
    assert counts.sum() == 8 and np.trace(counts) == 4
    np.testing.assert_array_equal(counts, counted_by_hand(labels, predictions))


def test_confusion_matrix_on_many_random_labels():
    from sklearn.metrics import confusion_matrix as scikit_learn_confusion_matrix

    generator = np.random.default_rng(3)
    labels, predictions = generator.integers(0, 10, 5000), generator.integers(0, 10, 5000)
    np.testing.assert_array_equal(confusion_matrix(labels, predictions), counted_by_hand(labels, predictions))
    np.testing.assert_array_equal(confusion_matrix(labels, predictions),
                                  scikit_learn_confusion_matrix(labels, predictions, labels=range(10)))


def test_bad_labels_are_a_sentence():
    with pytest.raises(ValueError, match="same length"):
        confusion_matrix(np.array([1, 2]), np.array([1]))
    with pytest.raises(ValueError, match="digits from 0 to 9"):
        confusion_matrix(np.array([10]), np.array([1]))


def test_accuracy_per_class_and_cells_on_a_known_evaluation():
    labels = np.array([4, 4, 4, 9, 9, 7])
    predictions = np.array([4, 9, 9, 9, 4, 7])
    confidence = np.array([0.9, 0.6, 0.8, 0.7, 0.5, 0.99], dtype=np.float32)
    known = Evaluation(labels, predictions, confidence, confusion_matrix(labels, predictions))
    assert known.accuracy == pytest.approx(3 / 6)
    per_class = known.per_class_accuracy
    assert per_class[4] == pytest.approx(1 / 3) and per_class[9] == pytest.approx(1 / 2) and per_class[7] == 1.0
    assert np.isnan(per_class[0])
    assert known.most_confused() == (4, 9)
    np.testing.assert_array_equal(known.cell_indices(4, 9), [2, 1])  # 0.8 before 0.6
    assert known.cell_indices(0, 0).size == 0
    with pytest.raises(ValueError, match="predicted digit must be between 0 and 9"):
        known.cell_indices(4, 10)


def test_evaluate_matches_keras(tiny_result, sample):
    result = evaluate(tiny_result.network, sample.x_test, sample.y_test)
    # Keras's own evaluation during training, and its own predict, are the independent references.
    assert result.accuracy == pytest.approx(tiny_result.test_accuracy, abs=1e-6)
    reference = tiny_result.model.predict(to_model_input(sample.x_test), verbose=0).argmax(axis=1)
    np.testing.assert_array_equal(result.predictions, reference)
    np.testing.assert_array_equal(result.confusion, counted_by_hand(sample.y_test, reference))
    for digit in range(10):
        members = sample.y_test == digit
        assert result.per_class_accuracy[digit] == pytest.approx((reference[members] == digit).mean())
    assert result.confidence.shape == (1000,) and (result.confidence >= 0.1).all()
    true, predicted = result.most_confused()
    indices = result.cell_indices(true, predicted)
    assert len(indices) == result.confusion[true, predicted] > 0
    assert (sample.y_test[indices] == true).all() and (reference[indices] == predicted).all()
