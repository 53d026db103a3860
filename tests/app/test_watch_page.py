"""The "Watch your digit learn" page through AppTest: the pinned digit at every kept epoch."""

from __future__ import annotations

import numpy as np
from helpers import PAGE_MODEL, open_page, page_text, state_with_test_digit

from cnnlab.app import resources

TWO_EPOCHS = PAGE_MODEL  # two epochs, so there is an epoch 0, 1 and 2 to watch


def test_the_slider_walks_the_pinned_digit_from_random_weights_to_the_trained_model(trained_service, sample):
    digit = sample.x_test[3]
    job = trained_service.find(TWO_EPOCHS, resources.get_dataset("mnist"))
    app = open_page("app_pages/watch.py", chosen=job, **state_with_test_digit(sample, 3))
    assert not app.exception
    slider = app.slider(key="watch_epoch")
    assert (slider.min, slider.max, slider.value) == (0, 2, 2)
    predicted = int(np.argmax(np.asarray(job.result.model(digit[np.newaxis, ..., np.newaxis] / 255.0))))
    assert f"After epoch 2: {predicted}" in page_text(app)
    slider.set_value(0).run()
    assert not app.exception
    assert "After epoch 0:" in page_text(app)
    assert "conv1 after epoch 0" in page_text(app)
