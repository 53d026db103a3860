"""Which model this browser tab uses, and the address bar that carries it.

Streamlit reruns a page's script from the top on every interaction; what must outlive a rerun per tab lives in
`st.session_state`. A tab uses the model it chose, or the reference model: never whatever was trained last. The
choice is also written into the address (`st.query_params`), so a reload, a bookmark or a shared link comes back
to it.
"""

from __future__ import annotations

import uuid
from urllib.parse import urlencode

import streamlit as st

from cnnlab.app.resources import get_dataset, get_service
from cnnlab.config import TrainConfig
from cnnlab.digits.datasets import Dataset
from cnnlab.jobs.job import Job, JobState
from cnnlab.network.result import TrainResult
from cnnlab.pictures.links import QUERY_FIELDS, config_from_query, config_to_query

# Session-state keys, shared by every page.
MODEL_KEY = "model_key"  # (TrainConfig, dataset fingerprint) of the model this tab chose; absent: the reference
DATASET_CHOICE = "dataset_choice"  # "mnist" | "upload"
UPLOADED_DATASET = "uploaded_dataset"
ADDRESS_READ = "address_read"
ADDRESS_PROBLEM = "address_problem"  # a sentence on why the address's settings could not be used
TAB_ID = "tab_id"  # an opaque id of this tab, the owner of its trainings in the service (never a name)
DATA_PARAMETER = "data"  # the fingerprint of the data, in addresses of models trained on an uploaded CSV
OWN_MODELS = "own_models"  # the keys of every model this tab trained or chose, so pages can mark them "yours"


def chosen_dataset() -> Dataset:
    """The dataset this tab trains on: the uploaded CSV if one was accepted, else all of MNIST (bundled)."""
    if st.session_state.get(DATASET_CHOICE) == "upload" and st.session_state.get(UPLOADED_DATASET) is not None:
        return st.session_state[UPLOADED_DATASET]
    return get_dataset("mnist")


def tab_id() -> str:
    """This tab's opaque id: the service lets each id have one training waiting or running at a time."""
    if TAB_ID not in st.session_state:
        st.session_state[TAB_ID] = uuid.uuid4().hex
    return st.session_state[TAB_ID]


def use_job(job: Job) -> None:
    """Make `job`'s model the one this tab uses (once it is trained), and put its settings in the address."""
    st.session_state[MODEL_KEY] = job.key
    remember_model(job.key)
    st.session_state.pop(ADDRESS_PROBLEM, None)
    write_address()


def remember_model(key: tuple) -> None:
    """Note a (settings, data fingerprint) key as one of this tab's models."""
    st.session_state[OWN_MODELS] = st.session_state.get(OWN_MODELS, frozenset()) | {key}


def own_model_keys() -> frozenset:
    """The keys of the models this tab trained or chose: those it chose in this session, and those whose training
    the service knows it asked for (its tab id among the job's owners)."""
    mine = tab_id()
    owned = {job.key for job in get_service().finished_jobs() if mine in job.owners}
    return st.session_state.get(OWN_MODELS, frozenset()) | owned


def chosen_config() -> TrainConfig:
    """The settings of the model this tab chose, or the reference model's when it chose none."""
    key = st.session_state.get(MODEL_KEY)
    return TrainConfig() if key is None else key[0]


def dataset_with(fingerprint: str) -> Dataset | None:
    """The data of that fingerprint: bundled MNIST, this tab's uploaded CSV, or a CSV another job trained on."""
    mnist = get_dataset("mnist")
    if fingerprint == mnist.fingerprint:
        return mnist
    uploaded = st.session_state.get(UPLOADED_DATASET)
    if uploaded is not None and uploaded.fingerprint == fingerprint:
        return uploaded
    return get_service().dataset_with(fingerprint)


def chosen_job() -> Job | None:
    """The job of the model this tab chose (pressing Train, following a link, picking a model), in any state; None
    when it chose none or the server does not know those settings.

    Unlike `current_job`, it may still be queued or running: the pages that follow a training live use it.
    """
    key = st.session_state.get(MODEL_KEY)
    if key is None:
        return None
    dataset = dataset_with(key[1])
    return None if dataset is None else get_service().find(key[0], dataset)


def class_job() -> Job | None:
    """The class's model, which a tab that chose none shows: the one the teacher pinned once it is trained here,
    else the reference model (default settings, bundled MNIST) once it exists: shipped, stored or trained here."""
    service = get_service()
    pinned = service.board.pinned
    if pinned is not None:
        dataset = dataset_with(pinned[1])
        job = None if dataset is None else service.find(pinned[0], dataset)
        if job is not None and job.state is JobState.DONE:
            return job
    job = service.find(TrainConfig(), get_dataset("mnist"))
    return job if job is not None and job.state is JobState.DONE else None


def current_job() -> Job | None:
    """The finished job whose model this tab's pages show: the one it chose once that is trained, else the
    class's model. Never another student's model: a tab changes model only when it chooses one."""
    chosen = chosen_job()
    if chosen is not None and chosen.state is JobState.DONE:
        return chosen
    return class_job()


def current_result() -> TrainResult | None:
    job = current_job()
    return job.result if job is not None else None


def sync_address() -> None:
    """Keep the tab's model and the address bar in step; call at the start of every run (the entry point does).

    A new session (a first visit, a reload, a bookmark, a shared link) takes its model from the address. From
    then on the address follows the tab: Streamlit empties it on every page switch, and it is written back.
    """
    if not st.session_state.get(ADDRESS_READ):
        st.session_state[ADDRESS_READ] = True
        read_address()
    write_address()


def read_address() -> None:
    """Choose the model the address names (its settings, and data other than MNIST by fingerprint)."""
    query = st.query_params.to_dict()
    settings = {name: value for name, value in query.items() if name in QUERY_FIELDS}
    if not settings and DATA_PARAMETER not in query:
        return
    try:
        config = config_from_query(settings)
    except ValueError as error:
        st.session_state[ADDRESS_PROBLEM] = f"{error} This tab shows the reference model instead."
        return
    mnist = get_dataset("mnist")
    fingerprint = query.get(DATA_PARAMETER, mnist.fingerprint)
    st.session_state[MODEL_KEY] = (config, fingerprint)
    remember_model((config, fingerprint))
    dataset = dataset_with(fingerprint)
    if dataset is not None and fingerprint != mnist.fingerprint:
        # The same CSV another tab of this server uploaded: it is the training data here too.
        st.session_state[DATASET_CHOICE], st.session_state[UPLOADED_DATASET] = "upload", dataset
    elif dataset is None:
        st.session_state[ADDRESS_PROBLEM] = ("This address names a model trained on a CSV file this server no "
                                             "longer has; upload the file on the Train page to train it again.")


def write_address() -> None:
    """Put the tab's model in the address: its settings that differ from the defaults, and its data if not MNIST."""
    key = st.session_state.get(MODEL_KEY)
    wanted = {} if key is None else config_to_query(key[0])
    if key is not None and key[1] != get_dataset("mnist").fingerprint:
        wanted[DATA_PARAMETER] = key[1]
    if st.query_params.to_dict() != wanted:
        st.query_params.from_dict(wanted)


def model_address(base_url: str) -> str:
    """The address that opens this tab's model: `base_url` with the settings the address bar now carries."""
    query = st.query_params.to_dict()
    return base_url.split("?")[0] + ("?" + urlencode(query) if query else "")
