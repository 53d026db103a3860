"""How one number is made: one value of conv1, pool and conv2 taken apart, with the model's own weights."""

import streamlit as st

from cnnlab.app import digit_input, model_choice
from cnnlab.digits.format import to_model_input
from cnnlab.lens.activations import layer_activations
from cnnlab.lens.arithmetic import conv_arithmetic, pool_arithmetic, telling_position
from cnnlab.pictures.charts import channel_contributions, selected_point
from cnnlab.pictures.grids import map_picker, number_grid
from cnnlab.pictures.images import outline_square


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
    st.subheader("1 · A conv1 value: 25 multiplications, a sum, a bias, a ReLU")
    conv1 = layers["conv1"]
    filter_index, row, column = position_ui("explorer_", conv1, "conv1")
    step = conv_arithmetic(result.network, "conv1", to_model_input(digit)[0], filter_index, row, column)
    picture, chart = st.columns([1, 2])
    picture.image(outline_square(digit, row, column, 5, scale=8), alt="The digit with the filter's square outlined",
                  caption=f"The 5×5 patch the filter reads for row {row + 1}, column {column + 1}.")
    with chart:
        st.caption("Filter's whole map. Click a square to explain that one.")
        st.altair_chart(map_picker(conv1[:, :, filter_index], (row, column)), key="explorer_map",
                        on_select=use_clicked_cell, selection_mode="cell", width="content")
    patch, kernel, products = st.columns(3)
    patch.altair_chart(number_grid(step.patch[..., 0], "input patch (pixels / 255)"), width="content")
    kernel.altair_chart(number_grid(step.kernel[..., 0], f"filter {filter_index + 1}'s weights", centred=True),
                          width="content")
    products.altair_chart(number_grid(step.products[..., 0], "patch × weights", centred=True), width="content")
    st.markdown(
        f"Sum of the 25 products = **{step.total:.4f}**; plus the bias {step.bias:+.4f} = "
        f"**{step.before_relu:.4f}**; ReLU keeps it if positive, else 0: max({step.before_relu:.4f}, 0) = "
        f"**{step.value:.4f}**. " + agreement(step.value, float(conv1[row, column, filter_index]))
    )
    return filter_index, row, column


def pool_section(layers, filter_index: int, row: int, column: int) -> None:
    st.subheader("2 · Pooling: the largest of four")
    step = pool_arithmetic(layers["conv1"], filter_index, row // 2, column // 2)
    grid, text = st.columns([1, 2])
    grid.altair_chart(number_grid(step.window, "2×2 window of conv1", winner=step.winner, decimals=3, cell=56),
                    width="content")
    winner_row, winner_column = step.top + step.winner[0], step.left + step.winner[1]
    text.markdown(
        f"The conv1 value you picked sits in the window of rows {step.top + 1}–{step.top + 2} and columns "
        f"{step.left + 1}–{step.left + 2}, which becomes pool's row {step.row + 1}, column {step.column + 1}. "
        f"The largest value, **{step.value:.4f}** at conv1 row {winner_row + 1}, column {winner_column + 1} "
        "(outlined), is kept; the other three are dropped. "
        + agreement(step.value, float(layers["pool"][step.row, step.column, filter_index]))
    )


def conv2_section(result, layers) -> None:
    st.subheader("3 · A conv2 value: a sum over every input map")
    conv2, pooled = layers["conv2"], layers["pool"]
    filter_index, row, column = position_ui("explorer_conv2_", conv2, "conv2")
    step = conv_arithmetic(result.network, "conv2", pooled, filter_index, row, column)
    size = step.kernel.shape[0]
    st.markdown(
        f"A conv2 filter reads a {size}×{size} patch of **each** of the {pooled.shape[2]} pooled maps: "
        f"{size * size} products per map, {step.products.size} in all. Each bar is one map's sum of products."
    )
    st.altair_chart(channel_contributions(step.channel_sums))
    st.markdown(
        f"Total of the bars = **{step.total:.4f}**; plus the bias {step.bias:+.4f} = **{step.before_relu:.4f}**; "
        f"after the ReLU: **{step.value:.4f}**. " + agreement(step.value, float(conv2[row, column, filter_index]))
    )


def explorer_demo() -> None:
    result = model_choice.current_result()
    digit = digit_input.current_digit("explorer", " · change it on the Activations page.")
    layers = {layer.name: layer.output for layer in layer_activations(result.network, digit)}
    filter_index, row, column = conv1_section(result, digit, layers)
    pool_section(layers, filter_index, row, column)
    conv2_section(result, layers)


st.title("How one number is made")
st.markdown(
    "Every value in a feature map comes from the same small recipe: multiply a patch of the input by the "
    "filter's weights, add everything up, add the bias, and keep the result only if it is positive (ReLU). "
    "Pick a position and check the arithmetic yourself, with your model's own weights and your own digit."
)
explorer_demo()
