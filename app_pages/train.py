"""Train: choose the network's settings and data, see its size, and train it in the background."""

import contextlib

import streamlit as st

from cnnlab.app import architecture_view, kept_widgets, model_choice, resources, training_view
from cnnlab.config import (
    BATCH_SIZES,
    DENSE_CHOICES,
    DROPOUT_RANGE,
    EPOCHS_RANGE,
    LEARNING_RATES,
    OPTIMIZERS,
    SEED_RANGE,
    TRAIN_SIZES,
    TrainConfig,
    choices_with,
)
from cnnlab.digits.datasets import Dataset
from cnnlab.jobs.budget import OverBudget
from cnnlab.jobs.job import JobState
from cnnlab.jobs.training_queue import OneTrainingEach
from cnnlab.lens.architecture import LESSONS
from cnnlab.network.estimate import describe_duration
from cnnlab.network.model import NetworkTooSmall, summary_table
from cnnlab.words import setting_text

DATA_CHOICES = {
    "mnist": "MNIST: 70,000 handwritten digits that come with CNN Lab",
    "upload": "My own CSV file of digits (Kaggle “Digit Recognizer” format)",
}
BUSY = "train_busy"  # (settings, sentence, job) after Train was pressed while this tab's own training is unfinished
MNIST_CREDIT = ("MNIST is by Yann LeCun, Corinna Cortes and Christopher J. C. Burges (CC BY-SA 3.0): 60,000 digits "
                "to learn from and 10,000 kept aside to test the network on digits it has never seen.")


def start_settings() -> None:
    """Give each setting's widget the value of the model this tab chose (the reference model's when it chose none),
    unless the student has set it already: a new tab, a reload and a shared link all open on the tab's model."""
    values = {**kept_widgets.unchosen_conv_values(), **kept_widgets.setting_widget_values(model_choice.chosen_config())}
    for key, value in values.items():
        kept_widgets.prepare_widget(key, value)


def offered(choices: list, key: str) -> list:
    """The choices a widget offers: `choices`, with its current value added when a link asked for another."""
    return choices_with(choices, st.session_state.get(key))


def settings_ui(dataset: Dataset) -> TrainConfig:
    """The training sliders, with the time each choice of training images takes; returns the chosen settings.

    Ranges come from `cnnlab.config`, values from `start_settings`: nothing here repeats a default."""
    keys = kept_widgets.SETTING_WIDGETS
    left, right = st.columns(2)
    left.slider("Epochs", *EPOCHS_RANGE, key=keys["epochs"],
                help="How many times the network sees every training image.")
    right.select_slider(
        "Training images", offered(TRAIN_SIZES, keys["train_size"]), key=keys["train_size"],
        format_func=lambda size: f"all {dataset.train_size:,}" if size is None else f"{size:,}",
        help="Fewer images train faster; more images make a network that reads new digits better.")
    # Filled in below, once the other settings (which change the times too) are known.
    times = st.empty()
    architecture_view.conv_layers_ui()
    architecture_view.layer_choices_ui()
    with st.expander("More settings: dropout, batch size, learning rate, optimiser, seed, hidden layers, "
                     "augmentation"):
        left, middle, right = st.columns(3)
        left.slider("Dropout", *DROPOUT_RANGE, step=0.05, key=keys["dropout"],
                    help="The share of the last conv layer's values switched off at random during each "
                         "training step.")
        middle.select_slider("Batch size", offered(BATCH_SIZES, keys["batch_size"]), key=keys["batch_size"],
                             help="Images per training step.")
        right.select_slider("Learning rate", offered(LEARNING_RATES, keys["learning_rate"]),
                            key=keys["learning_rate"], help="How big each training step is.")
        right.selectbox("Optimiser", OPTIMIZERS, key=keys["optimizer"],
                        format_func=lambda name: setting_text("optimizer", name), help=LESSONS["optimizer"])
        left.number_input("Seed", *SEED_RANGE, key=keys["seed"],
                          help="The same seed and settings always give the same model.")
        middle.selectbox(
            "Hidden dense layers", offered(DENSE_CHOICES, keys["dense_units"]), key=keys["dense_units"],
            format_func=lambda units: setting_text("dense_units", units) + (" units" if units else ""),
            help="The fully connected layers after Flatten; each number is one layer's size.")
        right.checkbox("Augment the images", key=keys["augment"],
                       help="Random small shifts, turns and zooms of every training image: helps the network read "
                            "hand-drawn digits, which are never as tidy as MNIST's.")
    # Every setting the widgets above hold, on top of the chosen model's for the one they do not show.
    config = kept_widgets.config_from_widgets(st.session_state, model_choice.chosen_config())
    # Settings that make no network take no time; the table below says why.
    with contextlib.suppress(NetworkTooSmall):
        times.caption(training_view.training_times_text(config, dataset))
    return config


def data_ui() -> None:
    """The data choice; an uploaded CSV is checked here and kept in the session only if it is sound."""
    kept_widgets.prepare_widget(model_choice.DATASET_CHOICE, "mnist")
    choice = st.radio("Training data", list(DATA_CHOICES), format_func=DATA_CHOICES.get,
                      key=model_choice.DATASET_CHOICE)
    if choice != "upload":
        st.caption(MNIST_CREDIT)
        return
    # Any file is taken (a CSV saved as .txt is read too), and one that is not a digits CSV gets a sentence: with
    # `type=` set, the browser would refuse it with a red mark whose reason shows only on hover.
    upload = st.file_uploader("Kaggle train.csv (label,pixel0,…,pixel783)", key="train_csv")
    if upload is None:
        if st.session_state.get(model_choice.UPLOADED_DATASET) is None:
            st.info("Until a CSV is uploaded, the network learns from MNIST.")
        return
    try:
        st.session_state[model_choice.UPLOADED_DATASET] = resources.uploaded_dataset(upload.getvalue(), upload.name)
    except ValueError as error:
        st.error(f"{upload.name} was not used: {error}")


def network_table(config: TrainConfig) -> bool:
    """The layers these settings build, with their output sizes and learnt parameters, before any training; False,
    with the reason, when they build no network."""
    st.subheader("The network these settings build")
    try:
        table = summary_table(config)
    except NetworkTooSmall as refusal:
        st.error(str(refusal))
        return False
    st.dataframe(table, hide_index=True, width="stretch", column_config={
        "parameters": st.column_config.NumberColumn(format="localized")})
    st.markdown(f"In all, **{int(table['parameters'].iloc[-1]):,} learnt parameters**: every one a number the "
                "training adjusts.")
    architecture_view.size_formulas_ui(config)
    return True


def budget_ui(config: TrainConfig, dataset: Dataset) -> bool:
    """Whether these settings fit this server's training budget; if not, why, and a button for the nearest that do."""
    try:
        resources.get_service().check_budget(config, dataset)
        return True
    except OverBudget as refusal:
        st.warning(str(refusal))
        if refusal.suggestion is not None:
            st.button("Use the nearest settings that fit", key="train_fit_budget", on_click=kept_widgets.show_settings,
                      args=(refusal.suggestion,))
        return False


def start_training(config: TrainConfig, dataset: Dataset) -> None:
    """Ask the service for these settings as this tab's training; a refusal is kept to be shown with its way out."""
    service = resources.get_service()
    st.session_state.pop(BUSY, None)
    try:
        job = service.submit(config, dataset, owner=model_choice.tab_id())
    except OneTrainingEach as busy:
        st.session_state[BUSY] = (config, str(busy), busy.job)
        return
    except ValueError as refusal:  # over the budget: the budget may have changed since the page was drawn
        st.error(str(refusal))
        return
    model_choice.use_job(job)
    if job.state is JobState.DONE:
        st.success("A model with exactly these settings was already trained; it is now in use.")


def replace_training(config: TrainConfig, dataset: Dataset, old_job) -> None:
    """Let go of the tab's waiting or running training, then train `config` instead (a button's callback)."""
    resources.get_service().cancel(old_job, owner=model_choice.tab_id())
    start_training(config, dataset)


def busy_ui(config: TrainConfig, dataset: Dataset) -> None:
    """When Train was pressed while this tab's own training is unfinished: say so, and offer to swap them."""
    busy = st.session_state.get(BUSY)
    if busy is None or busy[0] != config or busy[2].finished:
        st.session_state.pop(BUSY, None)
        return
    st.warning(busy[1])
    st.button("Cancel that training and train these settings", key="train_replace", on_click=replace_training,
              args=(config, dataset, busy[2]))


def training_ui(config: TrainConfig, dataset: Dataset) -> None:
    """The Train button, then the training of these settings: live while it runs, its scores once it is done."""
    service = resources.get_service()
    fits = service.find(config, dataset) is not None or budget_ui(config, dataset)
    if st.button("Train", type="primary", key="train_start", disabled=not fits):
        start_training(config, dataset)
    busy_ui(config, dataset)
    job = service.find(config, dataset)
    if job is None:
        return
    if not job.finished:
        model_choice.use_job(job)
        if st.button("Cancel training", key="train_cancel"):
            service.cancel(job, owner=model_choice.tab_id())
            st.rerun()
        training_view.follow_job(job)
    elif job.state is JobState.DONE:
        result = job.result
        left, right = st.columns(2)
        left.metric("Test accuracy", f"{result.test_accuracy:.2%}")
        right.metric("Time taken", describe_duration(result.seconds))
        training_view.show_training_curves(job.epochs, config.epochs)
    else:
        st.error(job.error)


def train_demo() -> None:
    # A tab on this page is likely to train soon: the cluster starts now, so the training finds a worker ready.
    resources.get_service().start_cluster_soon()
    start_settings()
    data_ui()
    dataset = model_choice.chosen_dataset()
    config = settings_ui(dataset)
    if dataset.note:
        st.caption(dataset.note)
    if network_table(config):
        training_ui(config, dataset)
    architecture_view.experiments_ui()


st.markdown(
    "Choose the network's layers and how long it learns. The table shows what your choice does to each layer's "
    "size and to the number of learnt parameters **before** you train. Training runs on the server: switch pages "
    "freely."
)
train_demo()
