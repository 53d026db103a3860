"""The reference model that ships with CNN Lab: it loads through the store, it is the reference network, it scores
at least 98.5 % on MNIST's 10,000 test digits, it makes every page work on a first visit, and the script that made
it trains the same weights every time.

References: the tutorial's summary table typed out here, MNIST's test labels, and a second training.
"""

from __future__ import annotations

import importlib.util
import logging
from pathlib import Path

import numpy as np
import pytest
from helpers import open_page, page_text

from cnnlab.app import resources
from cnnlab.config import TrainConfig
from cnnlab.digits.datasets import load_dataset
from cnnlab.jobs.reference import install_reference_model
from cnnlab.jobs.store import ModelStore
from cnnlab.lens.activations import predict_proba
from cnnlab.network.model import model_summary

ROOT = Path(__file__).resolve().parents[2]
REFERENCE_TABLE = [
    ("conv1", "Conv2D", (None, 24, 24, 30), 780),
    ("pool", "MaxPooling2D", (None, 12, 12, 30), 0),
    ("conv2", "Conv2D", (None, 10, 10, 15), 4065),
    ("dropout", "Dropout", (None, 10, 10, 15), 0),
    ("flatten", "Flatten", (None, 1500), 0),
    ("dense1", "Dense", (None, 128), 192128),
    ("dense2", "Dense", (None, 50), 6450),
    ("output", "Dense", (None, 10), 510),
]


@pytest.fixture(scope="module")
def mnist():
    return load_dataset("mnist")


@pytest.fixture
def installed(shipped_model, mnist, tmp_path):
    """The shipped model, installed into an empty store folder and loaded back through the store."""
    assert install_reference_model(tmp_path, mnist.fingerprint)
    result = ModelStore(tmp_path).load(TrainConfig(), mnist.fingerprint)
    assert result is not None
    return result


def test_the_shipped_file_is_well_under_3_mb(shipped_model):
    assert shipped_model.stat().st_size < 3_000_000


def test_the_shipped_model_loads_through_the_store_and_is_the_reference_network(installed):
    rows = [(row["layer"], row["kind"], row["output_shape"], row["params"]) for row in model_summary(installed.model)]
    assert rows == REFERENCE_TABLE
    assert installed.model.count_params() == 780 + 4_065 + 192_128 + 6_450 + 510 == 203_933
    assert [layer.name for layer in installed.model.layers] == [row[0] for row in REFERENCE_TABLE]
    assert installed.config == TrainConfig() and installed.train_images == 54_000
    assert len(installed.filter_snapshots) == 4 and installed.filter_snapshots[0].shape == (5, 5, 1, 30)
    assert len(installed.history["val_accuracy"]) == 3


def test_the_shipped_model_scores_at_least_98_5_percent_on_the_10000_test_digits(installed, mnist):
    predicted = predict_proba(installed.network, mnist.x_test).argmax(axis=1)  # in batches of uint8 → float
    accuracy = float((predicted == mnist.y_test).mean())
    assert accuracy >= 0.985
    assert accuracy == pytest.approx(installed.test_accuracy, abs=1e-4)  # what its record says


def test_installing_twice_copies_once_and_never_replaces_a_stored_default(shipped_model, mnist, tmp_path):
    assert install_reference_model(tmp_path, mnist.fingerprint)
    (copied,) = tmp_path.glob("*.zip")
    assert copied.read_bytes() == shipped_model.read_bytes()
    copied.write_bytes(b"a default model a student trained")
    assert not install_reference_model(tmp_path, mnist.fingerprint)
    assert copied.read_bytes() == b"a default model a student trained"
    assert sorted(path.name for path in tmp_path.iterdir()) == [copied.name]  # no temporary file left


def test_a_shipped_model_made_for_other_data_is_not_installed_and_the_log_says_why(shipped_model, tmp_path, caplog):
    with caplog.at_level(logging.WARNING, logger="cnnlab.jobs.reference"):
        assert not install_reference_model(tmp_path, "0123456789abcdef")
    assert list(tmp_path.iterdir()) == []
    assert "trained on data with fingerprint" in caplog.text and "0123456789abcdef" in caplog.text


def test_on_a_first_visit_the_service_has_the_default_model_and_train_reuses_it(shipped_model, mnist):
    resources.get_service.clear()
    try:
        service = resources.get_service()
        job = service.find(TrainConfig(), mnist)
        assert job is not None and job.result is not None and job.result.test_accuracy >= 0.985
        assert service.submit(TrainConfig(), mnist) is job  # nothing to train
        assert service.running() == []
        app = open_page("app_pages/activations.py")
        assert not app.exception, [item.value for item in app.exception]
        text = page_text(app)
        assert "needs a trained model" not in text and "Prediction:" in text
        # The Share page offers the reference model's link without calling it untrained.
        share = page_text(open_page("app_pages/share.py"))
        assert "The address bar always holds a link" in share and "not trained on this server" not in share
    finally:
        resources.get_service.clear()


FIRST_VISIT_WITHOUT_TENSORFLOW = """
import sys
from streamlit.testing.v1 import AppTest
app = AppTest.from_file("streamlit_app.py", default_timeout=120)
app.run()
for page in ("app_pages/activations.py", "app_pages/filters.py", "app_pages/explorer.py"):
    app.switch_page(page).run()
    assert not app.exception, [item.value for item in app.exception]
text = " ".join(str(item.value) for item in [*app.markdown, *app.subheader, *app.caption])
activations = AppTest.from_file("streamlit_app.py", default_timeout=120)
activations.run()
activations.switch_page("app_pages/activations.py").run()
headings = " ".join(str(item.value) for item in activations.subheader)
print("prediction shown:", "Prediction:" in headings)
print("tensorflow imported:", "tensorflow" in sys.modules)
"""


def test_a_first_visit_shows_the_shipped_model_without_importing_tensorflow(earlier_process, tmp_path):
    # In a process of its own, as a fresh server: this test process has imported TensorFlow long ago.
    finished = earlier_process(f"import os; os.environ['CNNLAB_MODEL_DIR'] = {str(tmp_path)!r}\n"
                               + FIRST_VISIT_WITHOUT_TENSORFLOW)
    assert finished.returncode == 0, finished.stderr[-3000:]
    assert "prediction shown: True" in finished.stdout
    assert "tensorflow imported: False" in finished.stdout, finished.stdout


def load_script():
    path = ROOT / "scripts" / "make_reference_model.py"
    spec = importlib.util.spec_from_file_location("make_reference_model", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_the_scripts_training_gives_bit_identical_weights_twice():
    script = load_script()
    config = TrainConfig(conv1_filters=4, conv2_filters=4, dense_units=(16,), epochs=1, train_size=500)
    first, fingerprint = script.train_reference(config)
    second, again = script.train_reference(config)
    assert fingerprint == again == load_dataset("mnist").fingerprint
    for one, other in zip(first.model.get_weights(), second.model.get_weights(), strict=True):
        np.testing.assert_array_equal(one, other)
    assert first.history == second.history
    # Its file is the store's format: it loads back as the model for that config and data.
    import io
    import zipfile

    with zipfile.ZipFile(io.BytesIO(script.model_file_bytes(first, fingerprint))) as archive:
        assert sorted(archive.namelist()) == ["epochs.npz", "filters.npz", "initial.npz", "metadata.json",
                                              "weights.npz"]
