"""How one number is made: one value of conv1, its pooling and conv2 taken apart, with the model's own weights."""

import numpy as np
import streamlit as st

from cnnlab.app import digit_input, model_choice
from cnnlab.app.cached_pictures import cached_picture, chart_spec, per_network, show_picture
from cnnlab.digits.format import to_model_input
from cnnlab.lens.activations import layer_activations
from cnnlab.lens.arithmetic import (
    activation_text,
    conv_arithmetic,
    patch_place_text,
    pool_arithmetic,
    telling_position,
)
from cnnlab.network.forward import POOL_KINDS
from cnnlab.pictures.charts import channel_contributions, selected_point
from cnnlab.pictures.grids import map_picker, number_grid
from cnnlab.pictures.images import outline_square

# The zero padding of "same" padding, drawn around the digit in this shade of grey (0 is the digit's black).
PADDING_SHADE = 96
ACTIVATION_NAMES = {"relu": "a ReLU", "tanh": "a tanh", "sigmoid": "a sigmoid"}


def use_clicked_cell() -> None:
    """A click on the map moves the row and column sliders there (a callback runs before the sliders are drawn)."""
    point = selected_point(st.session_state.get("explorer_map"), "cell")
    if point is not None:
        st.session_state["explorer_row"], st.session_state["explorer_column"] = point["row"], point["column"]


def position_ui(prefix: str, maps, label: str) -> tuple[int, int, int]:
    """A filter and a position in its map (maps: the layer's output, height × width × filters); returns them
    0-based. A first visit opens on a value the ReLU kept, not on a 0 (see `telling_position`)."""
    size, _, filters = maps.shape
    start_filter, start_row, start_column = telling_position(maps)
    left, middle, right = st.columns(3)
    filter_number = (left.slider(f"{label} filter", 1, filters, start_filter + 1, key=f"{prefix}filter")
                     if filters > 1 else 1)
    row = middle.slider("Row", 1, size, start_row + 1, key=f"{prefix}row")
    column = right.slider("Column", 1, size, start_column + 1, key=f"{prefix}column")
    return filter_number - 1, row - 1, column - 1


def agreement(explained: float, model_value: float) -> str:
    verdict = "the same number" if abs(explained - model_value) < 1e-4 else "**different** (please report this)"
    return f"The model's own output at this position is **{model_value:.4f}**: {verdict}."


def conv1_section(result, digit, layers) -> tuple[int, int, int]:
    """The first conv layer: one value from the digit's pixels, with the patch outlined on the digit (and on its
    zero padding, drawn grey, when the layer has some)."""
    step_layer = result.network.layer("conv1")
    size = step_layer.window
    st.subheader(f"1 · A conv1 value: {size * size} multiplications, a sum, a bias, "
                 f"{ACTIVATION_NAMES[step_layer.activation]}")
    conv1 = layers["conv1"]
    filter_index, row, column = position_ui("explorer_", conv1, "conv1")
    step = conv_arithmetic(result.network, "conv1", to_model_input(digit)[0], filter_index, row, column)
    before, after = step.padding
    # The padding drawn grey, so that the student sees where the window reads zeros beyond the digit.
    shown = np.pad(digit, ((before, after), (before, after)), constant_values=PADDING_SHADE)
    picture, chart = st.columns([1, 2])
    show_picture(cached_picture(outline_square, shown, step.top + before, step.left + before, size, scale=4), zoom=2,
                 where=picture, alt="The digit with the filter's square outlined",
                 caption=f"The {size}×{size} patch the filter reads for row {row + 1}, column {column + 1}."
                  + (" The grey border is the zero padding." if before or after else ""))
    with chart:
        st.caption("Filter's whole map. Click a square to explain that one.")
        st.vega_lite_chart(spec=chart_spec(map_picker, conv1[:, :, filter_index], (row, column)), key="explorer_map",
                           on_select=use_clicked_cell, selection_mode="cell", width="content")
    patch, kernel, products = st.columns(3)
    patch.vega_lite_chart(spec=chart_spec(number_grid, step.patch[..., 0], "input patch (pixels / 255)"),
                          width="content")
    kernel.vega_lite_chart(spec=chart_spec(number_grid, step.kernel[..., 0], f"filter {filter_index + 1}'s weights",
                                           centred=True), width="content")
    products.vega_lite_chart(spec=chart_spec(number_grid, step.products[..., 0], "patch × weights", centred=True),
                             width="content")
    if patch_place_text(step):
        st.markdown(patch_place_text(step))
    st.markdown(
        f"Sum of the {size * size} products = **{step.total:.4f}**; plus the bias {step.bias:+.4f} = "
        f"**{step.before_activation:.4f}**; {activation_text(step)}. "
        + agreement(step.value, float(conv1[row, column, filter_index]))
    )
    return filter_index, row, column


def pool_section(result, layers, filter_index: int, row: int, column: int) -> None:
    """The pooling after conv1, when the network has one: the window the picked conv1 value sits in."""
    after_conv1 = result.network.layers[1]
    if after_conv1.kind not in POOL_KINDS:
        st.subheader("2 · No pooling")
        st.markdown("This network has no pooling: the next layer reads conv1's maps as they are, at full size.")
        return
    kind = POOL_KINDS[after_conv1.kind]
    st.subheader("2 · Pooling: the largest of four" if kind == "max" else "2 · Pooling: the mean of four")
    pooled = layers[after_conv1.name]
    if row // 2 >= pooled.shape[0] or column // 2 >= pooled.shape[1]:
        st.markdown(f"The conv1 value you picked is in its last row or column, which has no partner for a 2×2 "
                    f"window: {after_conv1.name} drops it. Pick another position to see a window.")
        return
    step = pool_arithmetic(layers["conv1"], filter_index, row // 2, column // 2, kind=kind)
    grid, text = st.columns([1, 2])
    grid.vega_lite_chart(spec=chart_spec(number_grid, step.window, "2×2 window of conv1",
                                         winner=step.winner if kind == "max" else None, decimals=3, cell=56),
                         width="content")
    winner_row, winner_column = step.top + step.winner[0], step.left + step.winner[1]
    kept = (f"The largest value, **{step.value:.4f}** at conv1 row {winner_row + 1}, column {winner_column + 1} "
            "(outlined), is kept; the other three are dropped. " if kind == "max" else
            f"Their mean, ({' + '.join(f'{value:.4f}' for value in step.window.ravel())}) / 4 = "
            f"**{step.value:.4f}**, is kept: every value counts a quarter. ")
    text.markdown(
        f"The conv1 value you picked sits in the window of rows {step.top + 1}–{step.top + 2} and columns "
        f"{step.left + 1}–{step.left + 2}, which becomes {after_conv1.name}'s row {step.row + 1}, column "
        f"{step.column + 1}. " + kept
        + agreement(step.value, float(pooled[step.row, step.column, filter_index]))
    )


def conv2_section(result, layers) -> None:
    """The second conv layer, when the network has one: one value summed over every map of the layer before."""
    names = [layer.name for layer in result.network.layers]
    if "conv2" not in names:
        st.subheader("3 · The only conv layer")
        st.markdown("This network has one conv layer, so conv1's maps (pooled) go straight on to dropout, flatten "
                    "and the dense layers. With a second conv layer, each of its values would sum a patch of every "
                    "one of these maps.")
        return
    source = names[names.index("conv2") - 1]
    conv2, reads = layers["conv2"], layers[source]
    step_layer = result.network.layer("conv2")
    st.subheader("3 · A conv2 value: a sum over every input map")
    filter_index, row, column = position_ui("explorer_conv2_", conv2, "conv2")
    step = conv_arithmetic(result.network, "conv2", reads, filter_index, row, column)
    size = step_layer.window
    st.markdown(
        f"A conv2 filter reads a {size}×{size} patch of **each** of the {reads.shape[2]} maps of {source}: "
        f"{size * size} products per map, {step.products.size} in all. Each bar is one map's sum of products. "
        + patch_place_text(step)
    )
    st.vega_lite_chart(spec=chart_spec(channel_contributions, step.channel_sums, size))
    st.markdown(
        f"Total of the bars = **{step.total:.4f}**; plus the bias {step.bias:+.4f} = "
        f"**{step.before_activation:.4f}**; {activation_text(step)}. "
        + agreement(step.value, float(conv2[row, column, filter_index]))
    )


def explorer_demo() -> None:
    result = model_choice.current_result()
    digit = digit_input.current_digit("explorer", " · change it on the Activations page.")
    layers = {layer.name: layer.output for layer in per_network(layer_activations, result.network, digit)}
    filter_index, row, column = conv1_section(result, digit, layers)
    pool_section(result, layers, filter_index, row, column)
    conv2_section(result, layers)


st.markdown(
    "Every value in a feature map comes from the same small recipe: multiply a patch of the input by the "
    "filter's weights, add everything up, add the bias, and pass the result through the activation (ReLU keeps it "
    "only if it is positive). Pick a position and check the arithmetic yourself, with your model's own weights and "
    "your own digit."
)
explorer_demo()
