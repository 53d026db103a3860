"""Replaying the filters' learning: snapshots against a freshly built model and hand-computed changes."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import keras_layer_outputs

from cnnlab.config import TrainConfig
from cnnlab.lens.filter_history import filter_change, filters_at_epoch
from cnnlab.network.backend import load_keras
from cnnlab.network.model import CONV3_SEED_NUMBER, OUTPUT_SEED_NUMBER, build_model, weight_shapes
from cnnlab.pictures.curves import training_curves


def test_epoch_0_is_the_random_start_and_the_last_is_the_trained_model(tiny_result):
    # Independently: Keras's initializer with the settings' seed gives the conv1 kernels epoch 0 must show.
    np.testing.assert_array_equal(filters_at_epoch(tiny_result.filter_snapshots, 0),
                                  keras_start(tiny_result.config)[0])
    last = len(tiny_result.filter_snapshots) - 1
    assert last == tiny_result.config.epochs
    np.testing.assert_array_equal(filters_at_epoch(tiny_result.filter_snapshots, last),
                                  tiny_result.model.get_layer("conv1").get_weights()[0])
    assert not np.array_equal(filters_at_epoch(tiny_result.filter_snapshots, 0),
                              filters_at_epoch(tiny_result.filter_snapshots, last))


def test_epochs_outside_the_training_are_a_sentence(tiny_result):
    with pytest.raises(ValueError, match="between 0 \\(before training\\) and 1; 2 is out of range"):
        filters_at_epoch(tiny_result.filter_snapshots, 2)
    with pytest.raises(ValueError, match="no filter snapshots"):
        filters_at_epoch([], 0)


def test_filter_change_on_known_weights():
    start = np.full((5, 5, 1, 2), 2.0)
    after_one = start + 1.0  # every weight moved by 1, half the initial size of 2
    after_two = after_one.copy()
    after_two[0, 0, 0, 0] += 50.0  # one weight of 50 moved by 50: mean step 50 / 50 = 1
    np.testing.assert_allclose(filter_change([start, after_one, after_two]), [0.5, 0.5])
    assert filter_change([start]).shape == (0,)


def test_curves_mark_the_chosen_epoch():
    specs = [chart.to_dict() for chart in
             training_curves([{"epoch": 1, "loss": 0.5, "accuracy": 0.8}], 3, chosen_epoch=2)]
    rules = [layer for spec in specs for layer in spec["layer"] if layer["mark"]["type"] == "rule"]
    assert len(rules) == 2
    marked = {row["epoch"] for spec in specs for rows in spec["datasets"].values() for row in rows
              if set(row) == {"epoch"}}
    assert marked == {2}
    # Without a chosen epoch there is no rule, and the axis starts at the first epoch.
    plain = [chart.to_dict() for chart in training_curves([{"epoch": 1, "loss": 0.5, "accuracy": 0.8}], 3)]
    assert all(layer["mark"]["type"] != "rule" for spec in plain for layer in spec["layer"])


# --- the whole network, epoch by epoch ("Watch your digit learn") -------------------------------------------------


THREE_EPOCHS = TrainConfig(conv_layers=((4, 5), (3, 3)), dense_units=(8,), epochs=3, train_size=600)


@pytest.fixture(scope="module")
def three_epochs_reported(sample):
    """A three-epoch training, and what its callbacks reported in order: ("batch", epoch) after every batch and
    ("weights", epoch, weights) for every kept network."""
    from cnnlab.network.training import train

    reports = []
    result = train(THREE_EPOCHS, sample,
                   on_batch_end=lambda epoch, *_: reports.append(("batch", epoch)),
                   on_epoch_weights=lambda epoch, weights: reports.append(("weights", epoch, weights)))
    return result, reports


@pytest.fixture(scope="module")
def three_epochs(three_epochs_reported):
    return three_epochs_reported[0]


@pytest.fixture(scope="module")
def weights_reports(three_epochs_reported):
    return [report for report in three_epochs_reported[1] if report[0] == "weights"]


def keras_start(config: TrainConfig) -> list[np.ndarray]:
    """The weights a fresh network of `config` starts from, drawn straight from Keras's initializer as the settings
    promise (`cnnlab.network.model._initializer`): each kernel Glorot uniform with the seed × 1000 + the layer's
    number (conv layers 1 and 2, a third conv layer CONV3_SEED_NUMBER, dense layers 3, 4, …, the output
    OUTPUT_SEED_NUMBER), each bias zero. The reference for epoch 0, built without `build_model`."""
    keras = load_keras()
    weights = []
    for name, kernel_shape, bias_shape in weight_shapes(config):
        if name.startswith("conv"):
            number = int(name.removeprefix("conv"))
            number = number if number <= 2 else CONV3_SEED_NUMBER
        else:
            number = OUTPUT_SEED_NUMBER if name == "output" else 2 + int(name.removeprefix("dense"))
        initializer = keras.initializers.GlorotUniform(seed=config.seed * 1000 + number)
        weights += [np.asarray(initializer(kernel_shape), dtype=np.float32), np.zeros(bias_shape, dtype=np.float32)]
    return weights


def test_epoch_0_is_keras_own_start_for_the_seed_kept_as_float16(three_epochs):
    start = three_epochs.initial_weights
    assert start is not None and all(values.dtype == np.float16 for values in start)
    for kept, keras_values in zip(start, keras_start(THREE_EPOCHS), strict=True):
        np.testing.assert_array_equal(kept, keras_values.astype(np.float16))
    # And it is the start the filter snapshots saw, before the first batch.
    np.testing.assert_array_equal(start[0], three_epochs.filter_snapshots[0].astype(np.float16))


def test_epoch_0_is_reported_before_the_first_batch_then_every_epoch_after_its_batches(three_epochs_reported,
                                                                                       weights_reports):
    result, reports = three_epochs_reported
    assert reports[0] is weights_reports[0] and reports[1] == ("batch", 1)
    assert [report[1] for report in weights_reports] == [0, 1, 2, 3]
    assert weights_reports[0][2] is result.initial_weights
    for report, kept in zip(weights_reports[1:], result.epoch_weights, strict=True):
        assert all(np.array_equal(sent, own) for sent, own in zip(report[2], kept, strict=True))
    # Each epoch's weights come after that epoch's last batch, before the next epoch's first.
    for epoch in (1, 2, 3):
        position = next(index for index, report in enumerate(reports) if report is weights_reports[epoch])
        assert reports[position - 1] == ("batch", epoch)
        assert position == len(reports) - 1 or reports[position + 1] == ("batch", epoch + 1)


def test_the_app_job_collects_the_start_and_the_epochs_from_the_workers_messages(three_epochs, weights_reports,
                                                                                 sample):
    from cnnlab.jobs.job import Job
    from cnnlab.jobs.model_file import epoch_weights_to_bytes

    job = Job(config=THREE_EPOCHS, dataset=sample)
    for _, epoch, weights in weights_reports:
        # The message `cnnlab.jobs.task.run_training` sends.
        job.record_news({"kind": "weights", "epoch": epoch,
                         "data": epoch_weights_to_bytes([weights], first_epoch=epoch)})
        if epoch == 0:
            assert job.initial_weights is not None and job.epoch_weights == ()
    for live, kept in zip(job.initial_weights, three_epochs.initial_weights, strict=True):
        np.testing.assert_array_equal(live, kept)
    assert len(job.epoch_weights) == 3


def test_every_epoch_keeps_the_whole_network(three_epochs):
    from cnnlab.lens.filter_history import kept_epochs, weights_at_epoch

    kept, start = three_epochs.epoch_weights, three_epochs.initial_weights
    assert len(kept) == 3 and all(values.dtype == np.float16 for weights in kept for values in weights)
    assert kept_epochs(kept, start) == range(0, 4)
    for epoch in (0, 1, 2):
        # The kept conv1 kernels are the training's own float32 snapshots, rounded to float16.
        np.testing.assert_allclose(weights_at_epoch(kept, epoch, initial_weights=start)[0],
                                   three_epochs.filter_snapshots[epoch], rtol=1e-3, atol=1e-4)
    with pytest.raises(ValueError, match="Epoch 4 was not kept; this training kept epochs 0 to 3"):
        weights_at_epoch(kept, 4, initial_weights=start)


def test_a_model_stored_without_its_start_begins_at_epoch_1(three_epochs):
    from cnnlab.lens.filter_history import kept_epochs, weights_at_epoch

    kept = three_epochs.epoch_weights
    assert kept_epochs(kept, None) == range(1, 4)
    with pytest.raises(ValueError, match="Epoch 0 was not kept; this training kept epochs 1 to 3"):
        weights_at_epoch(kept, 0)
    assert kept_epochs([], None) == range(0)
    with pytest.raises(ValueError, match="this training kept no epochs"):
        weights_at_epoch([], 0)


def test_the_last_epoch_is_the_finished_model(three_epochs):
    from cnnlab.lens.filter_history import weights_at_epoch

    for mine, finished in zip(weights_at_epoch(three_epochs.epoch_weights, 3, final_weights=three_epochs.weights),
                              three_epochs.model.get_weights(), strict=True):
        np.testing.assert_array_equal(mine, finished)


def test_the_weights_per_epoch_and_the_start_survive_the_model_file(three_epochs, tmp_path):
    from cnnlab.jobs.store import ModelStore

    store = ModelStore(tmp_path)
    assert store.save(three_epochs, "f" * 16)
    loaded = store.load(three_epochs.config, "f" * 16)
    assert len(loaded.epoch_weights) == 3
    for epoch in (0, 1):
        for stored, kept in zip(loaded.epoch_weights[epoch], three_epochs.epoch_weights[epoch], strict=True):
            np.testing.assert_array_equal(stored, kept)
    for stored, model in zip(loaded.epoch_weights[2], three_epochs.model.get_weights(), strict=True):
        np.testing.assert_array_equal(stored, model.astype(np.float16))
    for stored, keras_values in zip(loaded.initial_weights, keras_start(THREE_EPOCHS), strict=True):
        np.testing.assert_array_equal(stored, keras_values.astype(np.float16))


def test_a_network_too_large_for_the_budget_keeps_no_epochs_and_no_start(sample, monkeypatch):
    import cnnlab.network.training as train_module

    monkeypatch.setattr(train_module, "EPOCH_WEIGHTS_BUDGET_BYTES", 100)
    sent = []
    result = train_module.train(TrainConfig(conv_layers=((2, 5), (2, 3)), dense_units=(), epochs=1,
                                            train_size=100), sample,
                                on_epoch_weights=lambda epoch, weights: sent.append(epoch))
    assert result.epoch_weights == [] and result.initial_weights is None and sent == []


def test_the_digit_through_every_epoch_matches_a_keras_network_holding_that_epochs_weights(three_epochs, sample):
    from cnnlab.lens.filter_history import digit_through_epochs

    config, kept, digit = three_epochs.config, three_epochs.epoch_weights, sample.x_test[11]
    by_epoch = digit_through_epochs(config, kept, digit, initial_weights=three_epochs.initial_weights,
                                    final_weights=three_epochs.weights)
    assert list(by_epoch) == [0, 1, 2, 3]
    references = {0: [values.astype(np.float16) for values in keras_start(config)], 2: kept[1],
                  3: three_epochs.weights}
    for epoch, weights in references.items():
        # Independently: Keras's own network holding that epoch's weights (epoch 0: Keras's own start, as kept).
        keras_model = build_model(config)
        keras_model.set_weights([np.asarray(values, dtype=np.float32) for values in weights])
        for shared, own in zip(by_epoch[epoch], keras_layer_outputs(keras_model, digit), strict=True):
            np.testing.assert_allclose(shared.output, own, rtol=1e-4, atol=1e-5)
    # Without its start, the same model's story begins at epoch 1 with the same networks.
    later = digit_through_epochs(config, kept, digit, final_weights=three_epochs.weights)
    assert list(later) == [1, 2, 3]
    np.testing.assert_array_equal(later[3][-1].output, by_epoch[3][-1].output)


def test_a_training_through_the_service_brings_its_start_to_the_app_as_it_runs(service_factory, sample):
    from cnnlab.jobs.job import JobState

    service = service_factory()
    config = TrainConfig(conv_layers=((2, 5), (2, 3)), dense_units=(), epochs=1, train_size=200)
    job = service.submit(config, sample)
    assert service.wait(job, 300) and job.state is JobState.DONE, job.error
    # Collected from the worker's "weights" message of epoch 0 (a job read from a file has none of its own).
    assert job.initial_weights is not None
    for live, stored, keras_values in zip(job.initial_weights, job.result.initial_weights, keras_start(config),
                                          strict=True):
        np.testing.assert_array_equal(live, stored)
        np.testing.assert_array_equal(live, keras_values.astype(np.float16))
