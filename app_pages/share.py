"""Share and keep: a link that opens the same settings, the trained model as a file, pictures as PNG files."""

import streamlit as st

from cnnlab.app import digit_input, model_choice, training_view
from cnnlab.app.cached_pictures import cached_png, per_network
from cnnlab.lens.activations import conv_filters, layer_activations
from cnnlab.network.keras_file import keras_file_bytes
from cnnlab.pictures.images import feature_mosaic, kernel_mosaic
from cnnlab.pictures.links import config_to_query
from cnnlab.words import describe_config

KERAS_ASKED = "share_keras_asked"  # the model whose .keras file this tab asked for


@st.cache_data(max_entries=16, show_spinner="Keras is writing the model as a .keras file…")
def keras_download(model_key: tuple, _config, _weights) -> bytes:
    """The trained model `model_key` names as a .keras file; written once per model for the whole server, by Keras
    in a process of its own, since this server never imports TensorFlow. A failure is not kept, so it is retried."""
    return keras_file_bytes(_config, _weights)


def link_section() -> None:
    """The address of this tab's model, which opens the same model (or training) for whoever follows it."""
    st.subheader("Share the settings")
    config = model_choice.chosen_config()
    address = model_choice.model_address(st.context.url or "")
    st.markdown("The address bar always holds a link to the model you chose, on every page: send it, and it opens "
                f"these settings (**{describe_config(config)}**) for whoever follows it.")
    st.code(address, language=None)
    # The tab's chosen model, or the reference model when it chose none.
    known = model_choice.chosen_job() if st.session_state.get(model_choice.MODEL_KEY) else model_choice.class_job()
    if known is None:
        st.caption("These settings are not trained on this server yet: whoever follows the link can train them on "
                   "the Train page, where the sliders will already be set.")


def keras_section(column, job, file_name: str) -> None:
    """The model as a .keras file: written when first asked for, then offered for download."""
    if st.session_state.get(KERAS_ASKED) != job.key and not column.button(
            "Prepare the trained model (.keras)", key="share_prepare_model",
            help="Keras writes the file in a process of its own, which takes a few seconds the first time."):
        return
    st.session_state[KERAS_ASKED] = job.key
    try:
        data = keras_download(job.key, job.config, job.result.weights)
    except ValueError as error:
        del st.session_state[KERAS_ASKED]  # asked again only when the button is pressed again
        column.error(str(error))
        return
    column.download_button("Trained model (.keras)", data=data, file_name=file_name,
                           mime="application/octet-stream", key="share_model", on_click="ignore")


def keep_section(job) -> None:
    """Downloads: the model itself and the pictures of its filters and of the current digit's maps."""
    st.subheader("Keep your work")
    result = job.result
    name = "-".join(["cnnlab", *(f"{setting}{value}" for setting, value in config_to_query(job.config).items())])
    left, middle, right = st.columns(3)
    keras_section(left, job, f"{name}.keras")
    filters = cached_png(kernel_mosaic, conv_filters(result.network, 0))
    middle.download_button("conv1 filters (PNG)", data=filters, file_name="conv1-filters.png",
                           mime="image/png", key="share_filters_png", on_click="ignore")
    if st.session_state.get(digit_input.DIGIT) is None:
        digit_input.pick_random_digit()  # as every page that shows a digit does on a first visit
    digit = st.session_state[digit_input.DIGIT]
    maps = cached_png(feature_mosaic, per_network(layer_activations, result.network, digit)[0].output, scale=4)
    right.download_button("conv1 maps of the current digit (PNG)", data=maps,
                          file_name="conv1-maps.png", mime="image/png", key="share_maps_png", on_click="ignore")
    right.caption(digit_input.digit_origin_text() + " · pick another on the Activations page")
    st.image(filters, output_format="PNG", alt="The conv1 filters",
             caption="The conv1 filters as saved in the PNG: blue positive, red negative weights.")
    st.caption("Load the model in Python with `keras.models.load_model(\"….keras\")`; it expects digits as "
               "float32 (n, 28, 28, 1) with pixels / 255.")


def share_demo() -> None:
    link_section()
    if training_view.require_model("share") is not None:
        keep_section(model_choice.current_job())


st.markdown(
    "Send a class the exact network you used: this page's address carries the model's settings. "
    "Keep the trained model itself as a `.keras` file, and the pictures as PNG files."
)
share_demo()
