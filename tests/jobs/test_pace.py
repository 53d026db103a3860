"""The workers' pace: estimates scale with what a finished training measured, and a restart keeps that pace."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from cnnlab.config import TrainConfig
from cnnlab.jobs.pace import Pace

CONFIG = TrainConfig(epochs=1, train_size=1000)


def finished_job(dataset, seconds: float):
    return SimpleNamespace(config=CONFIG, dataset=dataset, result=SimpleNamespace(seconds=seconds))


def test_a_finished_training_sets_the_pace_and_a_restarted_server_keeps_it(sample, tmp_path):
    path = tmp_path / "pace.json"
    unmeasured = Pace(path)
    assert not unmeasured.measured and unmeasured.factor == 1.0
    default_estimate = unmeasured.estimated_seconds(CONFIG, sample)
    # The training took a quarter of what the default pace predicts: this server is four times as fast.
    unmeasured.remember(finished_job(sample, default_estimate / 4))
    assert unmeasured.estimated_seconds(CONFIG, sample) == pytest.approx(default_estimate / 4)
    restarted = Pace(path)
    assert restarted.measured
    assert restarted.estimated_seconds(TrainConfig(), sample) == pytest.approx(
        Pace().estimated_seconds(TrainConfig(), sample) / 4)


@pytest.mark.parametrize("text", ["{not json", '{"factor": -1}', '{"factor": "nan"}', "{}"])
def test_a_damaged_pace_file_is_ignored(sample, tmp_path, text):
    path = tmp_path / "pace.json"
    path.write_text(text)
    pace = Pace(path)
    assert not pace.measured and pace.factor == 1.0


def test_an_estimate_made_before_the_pace_was_measured_is_made_again_after_the_first_epoch(sample):
    pace = Pace()
    job = SimpleNamespace(config=CONFIG, dataset=sample, sent=True, epochs=())
    pace.set_estimate(job)
    assert job.estimated_seconds == pace.estimated_seconds(CONFIG, sample) and not job.estimate_measured
    pace.remember(finished_job(sample, job.estimated_seconds / 4))  # another training measured the pace
    pace.refresh_estimate(job)
    assert not job.estimate_measured  # not before the job has finished an epoch
    job.epochs = ({"epoch": 1},)
    pace.refresh_estimate(job)
    assert job.estimate_measured and job.estimated_seconds == pytest.approx(pace.estimated_seconds(CONFIG, sample))
    assert job.estimated_seconds == pytest.approx(Pace().estimated_seconds(CONFIG, sample) / 4)
