"""Filters: the learnt kernels of both conv layers, on a colour scale centred on zero."""

import streamlit as st

from cnnlab import ui
from cnnlab.charts import kernel_grid
from cnnlab.inspect import conv_filters
from cnnlab.render import grid_shape


def filters_demo() -> None:
    result = ui.require_model("filters")
    if result is None:
        return
    first = conv_filters(result.model, 0)
    size, _, _, count = first.shape
    st.markdown(
        f"The first layer has **{count} filters**, each a {size}×{size} grid of weights plus one bias: "
        f"{count} × ({size}×{size} + 1) = **{count * (size * size + 1):,} learnt parameters**. "
        "Each filter slides over the digit and lights up where the picture looks like it: "
        "**blue** weights reward ink under them, **red** weights punish it."
    )
    _, columns = grid_shape(count)
    st.altair_chart(kernel_grid(first, columns=columns, cell=16))

    st.subheader("Second conv layer")
    second = conv_filters(result.model, 1)
    size, _, inputs, count = second.shape
    st.markdown(
        f"The second layer has **{count} filters** of {size}×{size}, but each one looks at all **{inputs}** "
        f"maps of the layer before, so it holds {inputs} kernels: {count} × ({inputs} × {size}×{size} + 1) = "
        f"**{count * (inputs * size * size + 1):,} parameters**. Pick which input map's kernels to show."
    )
    # A slider needs two ends; with a single input map there is nothing to choose.
    channel = st.slider("Input map (a filter of layer 1)", 1, inputs, 1, key="filters_channel") if inputs > 1 else 1
    _, columns = grid_shape(count)
    st.altair_chart(kernel_grid(second, channel=channel - 1, columns=columns, cell=22))


st.title("Filters")
ui.show_sidebar()
filters_demo()
