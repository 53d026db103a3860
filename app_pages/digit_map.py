"""All digits at once: the test digits on a map of the last hidden layer, by PCA or t-SNE."""

import streamlit as st

from cnnlab.app import digit_input, model_choice
from cnnlab.app.cached_pictures import keyed_chart_spec
from cnnlab.lens.digit_map import DigitMap, digit_map
from cnnlab.pictures.charts import digit_map_chart, selected_point
from cnnlab.pictures.images import png_data_urls

METHODS = {"pca": "PCA (instant)", "tsne": "t-SNE (a few seconds)"}
EXPLANATIONS = {
    "pca": "**PCA** lays the digits along the two directions in which the network's descriptions differ most. It is "
           "exact and distances mean something, but clusters may overlap.",
    "tsne": "**t-SNE** places every digit near the digits the network describes most alike. Clusters separate "
            "clearly, but the distances *between* clusters and the axes mean nothing.",
}


@st.cache_data(max_entries=8, show_spinner="Placing every test digit on the map…")
def map_for(model_key: str, _network, _dataset, method: str) -> tuple[DigitMap, list[str]]:
    """The map and each digit's picture (as a data address for the tooltip), once per model (`model_key`) and
    method."""
    result = digit_map(_network, _dataset.x_test, _dataset.y_test, method)
    return result, png_data_urls(_dataset.x_test[result.indices])


def open_clicked_digit(dataset, chart_state) -> None:
    """A click on a point opens that test digit on the Activations page."""
    point = selected_point(chart_state, "digit")
    if point is not None:
        index = int(point["index"])
        digit_input.set_digit(dataset.x_test[index], f"test digit #{index:,}", int(dataset.y_test[index]))
        st.switch_page("app_pages/activations.py")


def digit_map_demo() -> None:
    job = model_choice.current_job()
    result = job.result
    method = st.segmented_control("Map", list(METHODS), format_func=METHODS.get, default="pca",
                                  key="digit_map_method") or "pca"
    st.markdown(EXPLANATIONS[method])
    mapped, images = map_for(repr(job.key), result.network, job.dataset, method)
    mistakes = int(mapped.mistakes.sum())
    titles = ("", "")
    if mapped.variance_share is not None:
        titles = tuple(f"direction {axis + 1}: {share:.0%} of the variation"
                       for axis, share in enumerate(mapped.variance_share))
    st.caption(f"{len(mapped.indices):,} of the {len(job.dataset.y_test):,} test digits · {mistakes:,} read wrongly "
               "(crosses) · point at a digit to see it, click it to open it in Activations.")
    chart_state = st.vega_lite_chart(
        # The map is named by its model and method: hashing 2,000 points and pictures on every run would cost more.
        spec=keyed_chart_spec(f"{job.key!r} {method}", digit_map_chart, mapped.coordinates, mapped.labels,
                              mapped.predicted, mapped.indices, images, axis_titles=titles),
        key="digit_map_chart", on_select="rerun", selection_mode="digit")
    open_clicked_digit(job.dataset, chart_state)


st.markdown(
    "Just before its answer, the network describes each digit with the numbers of its last hidden layer. Here "
    "every test digit is a point placed by that description: digits the network finds alike sit together. "
    "Colours are the true digits; a cross is a digit the network reads wrongly, often found inside another "
    "digit's cluster."
)
digit_map_demo()
