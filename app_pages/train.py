"""Train: choose the network's settings and data, see its size, and train it in the background."""

from dataclasses import replace

import streamlit as st

from cnnlab import ui
from cnnlab.config import FILTERS_RANGE, TrainConfig
from cnnlab.data import Dataset, dataset_from_csv
from cnnlab.estimate import describe_duration
from cnnlab.jobs.service import JobState
from cnnlab.model import summary_table
from cnnlab.share import QUERY_FIELDS, config_from_query

BATCH_SIZES = [16, 32, 50, 64, 100, 128, 200, 256, 512]
LEARNING_RATES = [0.0001, 0.0003, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0]
# "all" is every training image of the chosen data: 60,000 for MNIST.
TRAIN_SIZES = [1000, 2000, 5000, 10000, 20000, 30000, "all"]
# Hidden dense layers between Flatten and the 10 outputs; () goes straight from the maps to the answer.
DENSE_CHOICES = [(), (16,), (32,), (64,), (128,), (64, 32), (128, 50), (256, 128), (256, 128, 64)]
DATA_CHOICES = {
    "mnist": "MNIST: 70,000 handwritten digits that come with CNN Lab",
    "upload": "My own CSV file of digits (Kaggle “Digit Recognizer” format)",
}
MNIST_CREDIT = ("MNIST is by Yann LeCun, Corinna Cortes and Christopher J. C. Burges (CC BY-SA 3.0): 60,000 digits "
                "to learn from and 10,000 kept aside to test the network on digits it has never seen.")


def apply_link_settings() -> None:
    """A shared link's settings (…/train?conv1_filters=4&epochs=1) set the sliders, once per tab and link."""
    query = {name: value for name, value in st.query_params.to_dict().items() if name in QUERY_FIELDS}
    if not query or st.session_state.get("train_link") == query:
        return
    st.session_state["train_link"] = query
    try:
        config = config_from_query(query)
    except ValueError as error:
        st.error(f"{error} The link's settings are ignored.")
        return
    train_size = "all" if config.train_size is None else config.train_size
    wanted = {
        "train_epochs": config.epochs, "train_conv1_filters": config.conv1_filters,
        "train_conv2_filters": config.conv2_filters, "train_dropout": config.dropout,
        "train_batch_size": config.batch_size, "train_learning_rate": config.learning_rate,
        "train_size": train_size, "train_seed": config.seed, "train_dense_units": config.dense_units,
        "train_augment": config.augment,
    }
    # The sliders offer a fixed choice of values; a link made elsewhere may ask for one they do not have.
    offered = {"train_epochs": range(1, 31), "train_batch_size": BATCH_SIZES, "train_learning_rate": LEARNING_RATES,
               "train_size": TRAIN_SIZES, "train_dense_units": DENSE_CHOICES}
    skipped = [key for key, value in wanted.items() if key in offered and value not in offered[key]]
    for key, value in wanted.items():
        if key not in skipped:
            st.session_state[key] = value
    if skipped:
        st.warning("This page cannot offer some of the link's settings (" + ", ".join(skipped) + "); "
                   "the Share and keep page trains exactly what the link asks for.")


def settings_ui(dataset: Dataset) -> TrainConfig:
    """The training sliders, with the time each choice of training images takes; returns the chosen settings."""
    left, middle, right = st.columns(3)
    epochs = left.slider("Epochs", 1, 30, 3, key="train_epochs",
                         help="How many times the network sees every training image.")
    conv1 = middle.slider("Filters in conv layer 1", *FILTERS_RANGE, 30, key="train_conv1_filters")
    conv2 = right.slider("Filters in conv layer 2", *FILTERS_RANGE, 15, key="train_conv2_filters")
    train_size = st.select_slider(
        "Training images", TRAIN_SIZES, "all", key="train_size",
        format_func=lambda size: f"all {dataset.train_size:,}" if size == "all" else f"{size:,}",
        help="Fewer images train faster; more images make a network that reads new digits better.")
    # Filled in below, once the advanced settings (which change the times too) are known.
    times = st.empty()
    with st.expander("Advanced"):
        left, middle, right = st.columns(3)
        dropout = left.slider("Dropout", 0.0, 0.9, 0.2, 0.05, key="train_dropout")
        batch_size = middle.select_slider("Batch size", BATCH_SIZES, 100, key="train_batch_size")
        learning_rate = right.select_slider("Learning rate", LEARNING_RATES, 0.001, key="train_learning_rate")
        seed = left.number_input("Seed", 0, 2**31 - 1, 0, key="train_seed",
                                 help="The same seed and settings always give the same model.")
        dense_units = middle.selectbox(
            "Hidden dense layers", DENSE_CHOICES, index=DENSE_CHOICES.index((128, 50)), key="train_dense_units",
            format_func=lambda units: " → ".join(map(str, units)) + " units" if units else "none",
            help="The fully connected layers after Flatten; each number is one layer's size.")
        augment = right.checkbox("Augment (random small shifts, turns and zooms)", key="train_augment",
                                 help="Helps the network read hand-drawn digits, which are never as tidy as MNIST's.")
    config = TrainConfig(conv1_filters=conv1, conv2_filters=conv2, dropout=dropout, dense_units=dense_units,
                         epochs=epochs, batch_size=batch_size, learning_rate=learning_rate, seed=int(seed),
                         augment=augment, train_size=None if train_size == "all" else train_size)
    times.caption(training_times_text(config, dataset))
    return config


def training_times_text(config: TrainConfig, dataset: Dataset) -> str:
    """One line with the estimated training time of every "Training images" choice, the chosen one in bold."""
    parts = []
    for size in TRAIN_SIZES:
        choice = replace(config, train_size=None if size == "all" else size)
        seconds = ui.get_service().estimated_seconds(choice, dataset)
        label = f"all {dataset.train_size:,}" if size == "all" else f"{size:,}"
        text = f"{label}: {describe_duration(seconds)}"
        parts.append(f"**{text}**" if choice.train_size == config.train_size else text)
    return "Time to train, roughly, by number of training images: " + " · ".join(parts)


def data_ui() -> None:
    """The data choice; an uploaded CSV is checked here and kept in the session only if it is sound."""
    choice = st.radio("Training data", list(DATA_CHOICES), format_func=DATA_CHOICES.get,
                      key=ui.DATASET_CHOICE)
    if choice != "upload":
        st.caption(MNIST_CREDIT)
        return
    upload = st.file_uploader("Kaggle train.csv (label,pixel0,…,pixel783)", type=["csv"], key="train_csv")
    if upload is None:
        if st.session_state.get(ui.UPLOADED_DATASET) is None:
            st.info("Until a CSV is uploaded, the network learns from MNIST.")
        return
    try:
        st.session_state[ui.UPLOADED_DATASET] = load_upload(upload.getvalue(), upload.name)
    except ValueError as error:
        st.error(f"{upload.name} was not used: {error}")


@st.cache_resource(show_spinner="Reading the CSV…", max_entries=2)
def load_upload(content: bytes, name: str):
    """An uploaded CSV as a dataset, parsed once per distinct file."""
    return dataset_from_csv(content, name=f"Uploaded CSV: {name}")


def train_demo() -> None:
    apply_link_settings()
    data_ui()
    dataset = ui.chosen_dataset()
    config = settings_ui(dataset)
    if dataset.note:
        st.caption(dataset.note)
    st.subheader("The network these settings build")
    table = summary_table(config)
    st.dataframe(table, hide_index=True, column_config={
        "parameters": st.column_config.NumberColumn(format="localized")})
    st.markdown(f"In all, **{int(table['parameters'].iloc[-1]):,} learnt parameters**: every one a number the "
                "training adjusts.")
    service = ui.get_service()
    if st.button("Train", type="primary", key="train_start"):
        job = service.submit(config, dataset)
        ui.use_job(job)
        if job.state is JobState.DONE:
            st.success("A model with exactly these settings was already trained; it is now in use.")
    job = service.find(config, dataset)
    if job is None:
        return
    if not job.finished:
        ui.use_job(job)
        if st.button("Cancel training", key="train_cancel"):
            service.cancel(job)
            st.rerun()
        ui.follow_job(job)
    elif job.state is JobState.DONE:
        result = job.result
        left, right = st.columns(2)
        left.metric("Test accuracy", f"{result.test_accuracy:.2%}")
        right.metric("Time taken", f"{result.seconds:.1f} s")
        ui.show_training_curves(job.epochs, config.epochs)
    else:
        st.error(job.error)


st.title("Train")
st.markdown(
    "Choose the network's size and how long it learns. The table shows what your choice does to the number "
    "of learnt parameters **before** you train. Training runs on the server: switch pages freely."
)
ui.show_sidebar()
train_demo()
