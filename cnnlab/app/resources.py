"""What one server process shares between every student: the training service, the bundled digits, and
every model's answers on its test digits.

`st.cache_resource` makes each of these once per process; every session and page gets the same object.
"""

from __future__ import annotations

import logging

import streamlit as st

from cnnlab.app.server_settings import server_setting
from cnnlab.digits.datasets import Dataset, dataset_from_csv, load_dataset
from cnnlab.jobs.budget import MAX_MINUTES_VARIABLE, minutes_from_text
from cnnlab.jobs.job import Job
from cnnlab.jobs.passcode import PASSCODE_VARIABLE, PasscodeGate
from cnnlab.jobs.reference import install_reference_model
from cnnlab.jobs.service import TrainingService
from cnnlab.jobs.store import ModelStore, default_store_directory
from cnnlab.lens.evaluation import Evaluation, evaluate

logger = logging.getLogger(__name__)


@st.cache_resource
def get_service() -> TrainingService:
    """The process-wide training service: created once, shared by every session and page.

    Trainings run in Dask worker processes ($CNNLAB_SCHEDULER's, else an embedded local cluster started in the
    background now), never in this web server. Finished models are also kept on disk ($CNNLAB_MODEL_DIR, else
    ~/.cache/cnnlab/models), so a server restart does not lose them. An empty folder first gets the reference
    model that ships with CNN Lab, so every page works on a server's first visit.
    """
    store = ModelStore(default_store_directory())
    install_reference_model(store, get_dataset("mnist").fingerprint)
    return TrainingService(store=store, budget_minutes=training_budget_minutes())


def training_budget_minutes() -> float | None:
    """The host's training budget ($CNNLAB_MAX_TRAINING_MINUTES or the same key in secrets), None for the default.
    A value that is not a number of minutes is logged and the default used: the app must start all the same."""
    text = server_setting(MAX_MINUTES_VARIABLE)
    if text is None:
        return None
    try:
        return minutes_from_text(text)
    except ValueError as error:
        logger.warning("%s Using the default budget.", error)
        return None


@st.cache_resource
def get_passcode_gate() -> PasscodeGate | None:
    """The server's one teacher passcode gate, or None when no passcode is set (there is then no teacher's page)."""
    passcode = server_setting(PASSCODE_VARIABLE)
    return None if passcode is None else PasscodeGate(passcode)


@st.cache_resource(show_spinner="Loading the digits…")
def get_dataset(source: str = "mnist") -> Dataset:
    """A bundled dataset by source ("mnist", the app's data, or "sample"), loaded once per server process (the
    cache here adds the spinner a student sees while it loads; `load_dataset` keeps the one copy)."""
    return load_dataset(source)


def evaluation_of(job: Job) -> Evaluation:
    """A finished job's model on all its test digits, worked out once per model and shared by every session."""
    return _evaluation(repr(job.key), job.result.network, job.dataset)


@st.cache_data(show_spinner="Reading every test digit…", max_entries=4)
def _evaluation(model_key: str, _network, _dataset) -> Evaluation:
    # `model_key` names the model: the network and dataset themselves are not hashed (the underscores).
    return evaluate(_network, _dataset.x_test, _dataset.y_test)


@st.cache_resource(show_spinner="Reading the CSV…", max_entries=2)
def uploaded_dataset(content: bytes, name: str) -> Dataset:
    """An uploaded CSV as a dataset, parsed once per distinct file; ValueError with a sentence when it is not sound."""
    return dataset_from_csv(content, name=f"Uploaded CSV: {name}")
