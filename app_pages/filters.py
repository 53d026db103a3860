"""Filters: the learnt kernels of both conv layers, on a colour scale centred on zero."""

import streamlit as st

from cnnlab.app import model_choice, training_view
from cnnlab.lens.activations import conv_filters
from cnnlab.lens.filter_history import filter_change, filters_at_epoch
from cnnlab.network.training import history_records
from cnnlab.pictures.charts import kernel_grid
from cnnlab.pictures.images import grid_shape


def filters_demo() -> None:
    result = model_choice.current_result()
    # Side by side on a wide screen, one under the other on a phone (each grid fits a phone's width).
    first_column, second_column = st.columns(2, gap="large")
    with first_column:
        first_layer_view(conv_filters(result.network, 0))
    with second_column:
        second_layer_view(conv_filters(result.network, 1))
    learning_section(result)


def first_layer_view(kernels) -> None:
    """The first layer's kernels (5, 5, 1, filters) as a grid, with what they cost in parameters."""
    size, _, _, count = kernels.shape
    st.subheader("First conv layer")
    st.markdown(
        f"**{count} filters**, each a {size}×{size} grid of weights plus one bias: "
        f"{count} × ({size}×{size} + 1) = **{count * (size * size + 1):,} learnt parameters**. "
        "Each filter slides over the digit and lights up where the picture looks like it: "
        "**blue** weights reward ink under them, **red** weights punish it."
    )
    _, columns = grid_shape(count)
    st.altair_chart(kernel_grid(kernels, columns=columns, cell=16))


def second_layer_view(kernels) -> None:
    """The second layer's kernels (3, 3, input maps, filters) for one chosen input map."""
    size, _, inputs, count = kernels.shape
    st.subheader("Second conv layer")
    st.markdown(
        f"**{count} filters** of {size}×{size}, but each one looks at all **{inputs}** maps of the layer before, "
        f"so it holds {inputs} kernels: {count} × ({inputs} × {size}×{size} + 1) = "
        f"**{count * (inputs * size * size + 1):,} parameters**. Pick which input map's kernels to show."
    )
    # A slider needs two ends; with a single input map there is nothing to choose.
    channel = st.slider("Input map (a filter of layer 1)", 1, inputs, 1, key="filters_channel") if inputs > 1 else 1
    _, columns = grid_shape(count)
    st.altair_chart(kernel_grid(kernels, channel=channel - 1, columns=columns, cell=22))


def learning_section(result) -> None:
    """Replay the first layer's filters epoch by epoch, next to the curves with that epoch marked."""
    st.subheader("Watch the filters learn")
    snapshots = result.filter_snapshots
    last = len(snapshots) - 1
    if last < 1:
        st.info("This model kept no weights from during its training, so its learning cannot be replayed.")
        return
    st.markdown(
        "The weights were saved before training (epoch 0: random numbers) and after every epoch. Move the "
        "slider from the random start to the end and watch which weights grow and which fade; the dashed line "
        "marks the same moment on the training curves. Train longer or on more digits and the filters turn "
        "into clearer stroke and edge detectors."
    )
    epoch = st.slider("Epoch (0 = before training)", 0, last, last, key="filters_epoch")
    kernels = filters_at_epoch(snapshots, epoch)
    changes = filter_change(snapshots)
    if epoch == 0:
        st.caption("Before training: the weights are small random numbers, so the filters look like noise.")
    else:
        st.caption(f"During epoch {epoch} the weights moved by {changes[epoch - 1]:.0%} of their starting size "
                   "on average.")
    # One colour scale for every epoch, so that a weight growing shows as a colour deepening.
    limit = max(float(abs(snapshot).max()) for snapshot in snapshots)
    _, columns = grid_shape(kernels.shape[3])
    st.altair_chart(kernel_grid(kernels, columns=columns, cell=16, limit=limit))
    training_view.show_training_curves(history_records(result.history), last, chosen_epoch=epoch)


st.title("Filters")
filters_demo()
