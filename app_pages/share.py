"""Share and keep: a link that opens the same settings, the trained model as a file, pictures as PNG files."""

import streamlit as st

from cnnlab.app import digit_input, model_choice, training_view
from cnnlab.jobs.model_file import model_to_bytes
from cnnlab.lens.activations import conv_filters, layer_activations
from cnnlab.pictures.images import feature_mosaic, kernel_mosaic, png_bytes
from cnnlab.pictures.links import config_to_query
from cnnlab.words import describe_config


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


def keep_section(job) -> None:
    """Downloads: the model itself and the pictures of its filters and of the current digit's maps."""
    st.subheader("Keep your work")
    result = job.result
    name = "-".join(["cnnlab", *(f"{setting}{value}" for setting, value in config_to_query(job.config).items())])
    left, middle, right = st.columns(3)
    # A callable is only run when the button is pressed, so the model is not written out on every rerun.
    left.download_button("Trained model (.keras)", data=lambda: model_to_bytes(result.model),
                         file_name=f"{name}.keras", mime="application/octet-stream",
                         key="share_model", on_click="ignore")
    filters = kernel_mosaic(conv_filters(result.network, 0))
    middle.download_button("conv1 filters (PNG)", data=png_bytes(filters), file_name="conv1-filters.png",
                           mime="image/png", key="share_filters_png", on_click="ignore")
    digit = st.session_state.get(digit_input.DIGIT)
    if digit is not None:
        maps = feature_mosaic(layer_activations(result.network, digit)[0].output, scale=4)
        right.download_button("conv1 maps of the current digit (PNG)", data=png_bytes(maps),
                              file_name="conv1-maps.png", mime="image/png", key="share_maps_png", on_click="ignore")
    st.image(filters, caption="The conv1 filters as saved in the PNG: blue positive, red negative weights.",
             alt="The conv1 filters")
    st.caption("Load the model in Python with `keras.models.load_model(\"….keras\")`; it expects digits as "
               "float32 (n, 28, 28, 1) with pixels / 255.")


def share_demo() -> None:
    link_section()
    if training_view.require_model("share") is not None:
        keep_section(model_choice.current_job())


st.title("Share and keep")
st.markdown(
    "Send a class the exact network you used: this page's address carries the model's settings. "
    "Keep the trained model itself as a `.keras` file, and the pictures as PNG files."
)
share_demo()
