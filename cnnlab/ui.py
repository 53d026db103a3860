"""The one engine module that speaks Streamlit: shared resources, the model in use, common widgets.

Streamlit reruns a page's script from the top on every interaction. Anything that must outlive a rerun
is kept either in `st.session_state` (per browser tab) or in a `st.cache_resource` (per server process,
shared by every student).
"""

from __future__ import annotations

from urllib.parse import urlencode

import numpy as np
import streamlit as st

from cnnlab.charts import training_curves
from cnnlab.config import TrainConfig
from cnnlab.data import Dataset, load_dataset
from cnnlab.estimate import describe_duration
from cnnlab.jobs.service import Job, JobState, TrainingService
from cnnlab.jobs.store import ModelStore, default_store_directory
from cnnlab.reference import install_reference_model
from cnnlab.share import QUERY_FIELDS, config_from_query, config_to_query
from cnnlab.train import TrainResult
from cnnlab.words import describe_config

# Session-state keys, shared by every page.
MODEL_KEY = "model_key"  # (TrainConfig, dataset fingerprint) of the model this tab chose; absent: the reference
DATASET_CHOICE = "dataset_choice"  # "mnist" | "upload"
UPLOADED_DATASET = "uploaded_dataset"
DIGIT = "digit"  # uint8 (28, 28): the input the Activations and Prediction pages show
DIGIT_ORIGIN = "digit_origin"  # a sentence saying where the digit came from
DIGIT_LABEL = "digit_label"  # the true label when known, else None

PROGRESS_REFRESH_SECONDS = 1.0

# Streamlit forgets a widget's value once a run of the app does not draw it, i.e. on any other page. These
# widgets' values are copied under KEPT_PREFIX on every run and put back after a page switch, so a student
# who leaves the Train page during a training comes back to the same sliders, and so to the same job.
# (Buttons and file uploaders cannot be set, so they are not kept.)
KEPT_PREFIX = "kept:"
CURRENT_PAGE = "current_page"  # the page the latest full run drew (its address path)
PAGE_CHANGED = "page_changed"  # whether that run was the first on its page since the student arrived
# The Train page's widget for each setting it offers (all but the validation share), by `TrainConfig` field.
SETTING_WIDGETS = {name: f"train_{name}" for name in (
    "epochs", "conv1_filters", "conv2_filters", "dropout", "batch_size", "learning_rate", "seed", "dense_units",
    "augment")} | {"train_size": "train_size"}
KEPT_WIDGET_KEYS = (*SETTING_WIDGETS.values(), DATASET_CHOICE, "activations_input")


def keep_widget_values() -> None:
    """Remember the kept widgets' latest values, and restore any a page switch has cleared.

    Call at the start of every run, before a page draws its widgets (the app's entry point does).
    """
    for key in KEPT_WIDGET_KEYS:
        if key in st.session_state:
            st.session_state[KEPT_PREFIX + key] = st.session_state[key]
        elif KEPT_PREFIX + key in st.session_state:
            st.session_state[key] = st.session_state[KEPT_PREFIX + key]


def note_page(url_path: str) -> None:
    """Record which page this run draws, so `prepare_widget` knows whether the student has just arrived on it.

    Call once per full run, before the page runs (the app's entry point does).
    """
    st.session_state[PAGE_CHANGED] = st.session_state.get(CURRENT_PAGE) != url_path
    st.session_state[CURRENT_PAGE] = url_path


def prepare_widget(key: str, default) -> None:
    """Give a kept widget its value just before the page draws it: `default` when it has none, and its own again
    on the first run after the student arrives on the page.

    Assigned again then, although it holds that value already: the browser forgets a page's widgets when the
    student leaves it, and draws them at their defaults unless the run that draws them sets their values. Only
    then: a value set on every run would undo a slider move the student made while the run was going.
    """
    if key not in st.session_state:
        st.session_state[key] = default
    elif st.session_state.get(PAGE_CHANGED, True):
        st.session_state[key] = st.session_state[key]


@st.cache_resource
def get_service() -> TrainingService:
    """The process-wide training service: created once, shared by every session and page.

    Trainings run in Dask worker processes ($CNNLAB_SCHEDULER's, else an embedded local cluster started in the
    background now), never in this web server. Finished models are also kept on disk ($CNNLAB_MODEL_DIR, else
    ~/.cache/cnnlab/models), so a server restart does not lose them. An empty folder first gets the reference
    model that ships with CNN Lab, so every page works on a server's first visit.
    """
    install_reference_model(default_store_directory(), get_dataset("mnist").fingerprint)
    return TrainingService(store=ModelStore(default_store_directory()))


@st.cache_resource(show_spinner="Loading the digits…")
def get_dataset(source: str = "mnist") -> Dataset:
    """A bundled dataset by source ("mnist", the app's data, or "sample"), loaded once per server process."""
    return load_dataset(source)


def chosen_dataset() -> Dataset:
    """The dataset this tab trains on: the uploaded CSV if one was accepted, else all of MNIST (bundled)."""
    if st.session_state.get(DATASET_CHOICE) == "upload" and st.session_state.get(UPLOADED_DATASET) is not None:
        return st.session_state[UPLOADED_DATASET]
    return get_dataset("mnist")


def use_job(job: Job) -> None:
    """Make `job`'s model the one this tab uses (once it is trained), and put its settings in the address."""
    st.session_state[MODEL_KEY] = job.key
    st.session_state.pop(ADDRESS_PROBLEM, None)
    write_address()


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


def reference_job() -> Job | None:
    """The reference model (default settings, bundled MNIST) once it exists: shipped, stored or trained here."""
    job = get_service().find(TrainConfig(), get_dataset("mnist"))
    return job if job is not None and job.state is JobState.DONE else None


def current_job() -> Job | None:
    """The finished job whose model this tab's pages show: the one it chose once that is trained, else the
    reference model. Never another student's model: a tab changes model only when it chooses one."""
    chosen = chosen_job()
    if chosen is not None and chosen.state is JobState.DONE:
        return chosen
    return reference_job()


def current_result() -> TrainResult | None:
    job = current_job()
    return job.result if job is not None else None


# --- the address bar: the tab's model, so a reload, a bookmark or a shared link comes back to it -------------------

ADDRESS_READ = "address_read"
ADDRESS_PROBLEM = "address_problem"  # a sentence on why the address's settings could not be used
DATA_PARAMETER = "data"  # the fingerprint of the data, in addresses of models trained on an uploaded CSV


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


# --- the sidebar ---------------------------------------------------------------------------------------------------


def show_sidebar() -> None:
    """The model in use, on every page (settings, data, test accuracy), and how this tab's own training is doing.

    The entry point draws it after the page, so it shows the model a page's buttons have just chosen.
    """
    with st.sidebar:
        if st.session_state.get(ADDRESS_PROBLEM):
            st.warning(st.session_state[ADDRESS_PROBLEM])
        st.subheader("Model in use")
        job = current_job()
        if job is None:
            st.caption("No model trained yet. The Train page makes one; so does the button on any page.")
        else:
            st.metric("Test accuracy", f"{job.result.test_accuracy:.1%}")
            st.caption(describe_config(job.config))
            st.caption(f"{job.result.train_images:,} training images · data: {job.dataset.name}")
            if job.dataset.note:
                st.caption(job.dataset.note)
        own_training_status()
        key = st.session_state.get(MODEL_KEY)
        others = [running for running in get_service().running() if running.key != key]
        if others:
            st.caption(f"Other trainings running on this server: {len(others)}.")


def own_training_status() -> None:
    """Where this tab's chosen model stands when it is not ready, refreshed every second while it trains."""
    key = st.session_state.get(MODEL_KEY)
    job = chosen_job()
    if key is None or (job is not None and job.state is JobState.DONE):
        return
    unfinished = job is not None and not job.finished
    fallback = "Until it is ready, the pages show the reference model." if reference_job() else ""

    @st.fragment(run_every=PROGRESS_REFRESH_SECONDS if unfinished else None)
    def status() -> None:
        if job is None:
            st.info(f"Your settings ({describe_config(key[0])}) are not trained on this server yet: the Train page "
                    f"trains them. {fallback}")
        elif job.state is JobState.QUEUED:
            st.info(f"Your model waits for another training to finish (number {get_service().queue_position(job)} "
                    f"in the queue). {fallback}")
        elif job.state is JobState.RUNNING:
            st.progress(job.progress, text=f"Your model is training: {job.progress:.0%} done.")
            st.caption(fallback)
        elif not unfinished:
            st.warning(f"Your model did not finish: {job.error} {fallback}")
        if unfinished and job.finished:
            st.rerun(scope="app")  # every page changes once the model exists

    status()


def require_model(page_key: str) -> TrainResult | None:
    """The model in use, or — on a first visit — an offer to train the default model in one click.

    Returns None while there is no model; the page should then stop drawing.
    """
    # `current_job` already finds a finished default model, also one saved before a server restart.
    result = current_result()
    if result is not None:
        return result
    service = get_service()
    dataset = get_dataset("mnist")
    pending = service.find(TrainConfig(), dataset)  # queued, running, failed, cancelled or interrupted
    if pending is not None and not pending.finished:
        st.info("The default model is being trained; this page fills in as soon as it is ready.")
        follow_job(pending)
        return None
    st.info("This page needs a trained model, and there is none yet.")
    if st.button("Train the default model", key=f"{page_key}_train_default", type="primary"):
        job = service.submit(TrainConfig(), dataset)
        use_job(job)
        st.rerun()
    if pending is not None and pending.state is not JobState.DONE:  # it may have finished a moment ago
        st.error(pending.error)
    return None


def follow_job(job: Job) -> None:
    """A live view of a job: queue position or progress bar, and the curves, refreshed twice a second.

    Runs as a fragment, so only this part of the page reruns while the rest stays as it is.
    """

    finished_before = job.finished

    @st.fragment(run_every=None if finished_before else PROGRESS_REFRESH_SECONDS)
    def live_view() -> None:
        service = get_service()
        time_left = time_left_text(service.seconds_left(job))
        if job.state is JobState.QUEUED:
            position = service.queue_position(job)
            st.info(f"Waiting for another training to finish: number {position} in the queue{time_left}.")
        elif job.state is JobState.RUNNING and not job.batches_per_epoch:
            st.progress(0.0, text="Starting: the worker is building the network and reading the digits…")
        elif job.state is JobState.RUNNING:
            st.progress(job.progress, text=(f"Epoch {max(job.epoch, 1)} of {job.config.epochs} · "
                                            f"batch {job.batch} of {job.batches_per_epoch}{time_left}"))
        if job.note:
            st.caption(job.note)
        if job.epochs or job.batch_points:
            show_training_curves(job.epochs, job.config.epochs, batches=job.batch_points)
        if job.finished and not finished_before:
            # The whole page, not just this fragment, changes once a model exists (or failed).
            st.rerun(scope="app")

    live_view()


def time_left_text(seconds: float | None) -> str:
    """ " · about 40 s left" for an estimate in seconds, or "" when there is none."""
    if seconds is None or seconds <= 0:
        return ""
    return f" · {describe_duration(seconds)} left"


def show_training_curves(epochs, total_epochs: int, chosen_epoch: int | None = None, batches=()) -> None:
    """The loss and accuracy curves side by side (stacked on a phone); see `charts.training_curves`."""
    loss, accuracy = training_curves(epochs, total_epochs, chosen_epoch, batches)
    left, right = st.columns(2)
    left.altair_chart(loss)
    right.altair_chart(accuracy)


def set_digit(image: np.ndarray | None, origin: str, label: int | None = None) -> None:
    """Make `image` (uint8 28×28) the input that the Activations and Prediction pages show."""
    st.session_state[DIGIT] = image
    st.session_state[DIGIT_ORIGIN] = origin
    st.session_state[DIGIT_LABEL] = label


def pick_random_digit() -> None:
    """Make a random test digit of the model's own data set the current input."""
    job = current_job()
    dataset = job.dataset if job is not None else get_dataset("mnist")
    index = int(np.random.default_rng().integers(len(dataset.y_test)))
    set_digit(dataset.x_test[index], f"test digit #{index:,}", int(dataset.y_test[index]))


def current_digit(page_key: str, hint: str = "") -> np.ndarray:
    """The input digit the pages share, with a "Random digit" button; a first visit gets a random test digit.

    Draws the button and a caption saying where the digit came from (plus `hint`). Returns uint8 (28, 28)."""
    if st.button("Random digit", key=f"{page_key}_random") or st.session_state.get(DIGIT) is None:
        pick_random_digit()
    st.caption(digit_origin_text() + hint)
    return st.session_state[DIGIT]


def digit_origin_text() -> str:
    """A sentence saying which digit is shown, with its true label when known."""
    origin = st.session_state.get(DIGIT_ORIGIN, "")
    label = st.session_state.get(DIGIT_LABEL)
    return f"Input: {origin}" + (f" · true label: {label}" if label is not None else "")


def show_prediction(probabilities: np.ndarray) -> None:
    """ "Prediction: 7" in large type, with how sure the network is."""
    predicted = int(np.argmax(probabilities))
    st.subheader(f"Prediction: {predicted}")
    st.caption(f"with probability {float(probabilities[predicted]):.1%}")


CANVAS_PIXELS = 280
STROKE_PIXELS = 18  # about MNIST's stroke width once the drawing is scaled into its 20-pixel box


def drawing_canvas(key: str) -> np.ndarray | None:
    """A 280×280 canvas for drawing with white ink on black; returns its RGBA pixels, or None before
    anything was drawn. The canvas's own toolbar offers undo, redo and clear."""
    # Imported on first use, so tests can stand in for the browser-side canvas.
    try:
        import streamlit_drawable_canvas
    except Exception as error:  # noqa: BLE001 - a missing component must not take the page down
        st.warning(f"The drawing canvas could not be loaded ({error}); pick a random digit or upload a "
                   "picture instead.")
        return None
    # The canvas's toolbar (undo, redo, clear) appears above it on hover, over whatever is there: a margin keeps
    # that space empty. (Its Fabric edit tools cannot be turned off: the component draws them in a shadow root.)
    st.html(f"<style>.st-key-{key} {{ margin-top: 2.75rem; }}</style>")
    result = streamlit_drawable_canvas.st_canvas(
        stroke_width=STROKE_PIXELS, stroke_color="#FFFFFF", background_color="#000000",
        height=CANVAS_PIXELS, width=CANVAS_PIXELS, drawing_mode="freedraw", return_image_data=True, key=key,
    )
    return result.image_data
