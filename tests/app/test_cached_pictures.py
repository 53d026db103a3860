"""The charts and pictures the pages cache: each is what the uncached builder gives."""

from __future__ import annotations

import numpy as np
import pytest

from cnnlab.app.cached_pictures import probability_spec
from cnnlab.pictures.charts import probability_bars


def _softmax(logits: np.ndarray) -> np.ndarray:
    exponentials = np.exp(logits - logits.max())
    return exponentials / exponentials.sum()


@pytest.mark.parametrize("probabilities", [
    _softmax(np.random.default_rng(3).normal(size=10) * 4),
    np.eye(10)[7],
    np.full(10, 0.1),
])
def test_probability_spec_is_altairs_chart_of_those_probabilities(probabilities):
    ours = probability_spec(probabilities)
    theirs = probability_bars(probabilities).to_dict()
    # Altair names a data set after its content; the template keeps its first name, which is all that may differ.
    [(our_name, our_rows)] = ours.pop("datasets").items()
    [(their_name, their_rows)] = theirs.pop("datasets").items()
    assert ours.pop("data") == {"name": our_name} and theirs.pop("data") == {"name": their_name}
    assert ours == theirs
    assert our_rows.to_pylist() == their_rows
    assert [row["predicted"] for row in their_rows].count("prediction") == 1
