"""Share and keep: a link that opens the same settings, the trained model as a file, pictures as PNG files."""

import streamlit as st

from cnnlab import ui
from cnnlab.compare import describe_config
from cnnlab.inspect import conv_filters, layer_activations
from cnnlab.jobs.service import JobState
from cnnlab.render import feature_mosaic, kernel_mosaic
from cnnlab.share import QUERY_FIELDS, config_from_query, config_to_query, model_to_bytes, png_bytes


def link_config():
    """The settings the page's address carries, None when it carries none; a broken link is a sentence."""
    query = {name: value for name, value in st.query_params.to_dict().items() if name in QUERY_FIELDS}
    if not query:
        return None
    try:
        return config_from_query(query)
    except ValueError as error:
        st.error(f"{error} The link's settings are ignored.")
        return None


def link_section(job) -> bool:
    """Offer the settings a link carries; otherwise put the model in use's settings into the address bar.

    Returns True when the link asked for other settings than the model in use's."""
    st.subheader("Share the settings")
    wanted = link_config()
    if wanted is None or (job is not None and wanted == job.config):
        if job is None:
            st.caption("Once a model is trained, the address of this page will carry its settings.")
            return False
        query = config_to_query(job.config)
        st.query_params.from_dict(query)
        address = (st.context.url or "this page") + ("?" if query else "")
        st.markdown("The address bar now holds a link to the model in use: send it, and it opens these "
                    f"settings (**{describe_config(job.config)}**) for whoever follows it.")
        st.code(address + "&".join(f"{name}={value}" for name, value in query.items()), language=None)
        return False
    st.info(f"This link asks for a model with **{describe_config(wanted)}**.")
    service = ui.get_service()
    if st.button("Use these settings", key="share_use_link", type="primary"):
        ui.use_job(service.submit(wanted, ui.chosen_dataset()))
    pending = service.find(wanted, ui.chosen_dataset())
    if pending is not None and not pending.finished:
        ui.follow_job(pending)
    elif pending is not None and pending.state is JobState.DONE:
        ui.use_job(pending)
        st.success("A model with these settings is ready and now in use on every page.")
    return True


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
    digit = st.session_state.get(ui.DIGIT)
    if digit is not None:
        maps = feature_mosaic(layer_activations(result.network, digit)[0].output, scale=4)
        right.download_button("conv1 maps of the current digit (PNG)", data=png_bytes(maps),
                              file_name="conv1-maps.png", mime="image/png", key="share_maps_png", on_click="ignore")
    st.image(filters, caption="The conv1 filters as saved in the PNG: blue positive, red negative weights.")
    st.caption("Load the model in Python with `keras.models.load_model(\"….keras\")`; it expects digits as "
               "float32 (n, 28, 28, 1) with pixels / 255.")


def share_demo() -> None:
    job = ui.current_job()
    if link_section(job):
        return
    if job is None:
        ui.require_model("share")
    elif job.state is JobState.DONE:
        keep_section(job)


st.title("Share and keep")
st.markdown(
    "Send a class the exact network you used: this page's address carries the model's settings. "
    "Keep the trained model itself as a `.keras` file, and the pictures as PNG files."
)
ui.show_sidebar()
share_demo()
