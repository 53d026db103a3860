"""Filters: the learnt kernels of every conv layer, on a colour scale centred on zero."""

import streamlit as st

from cnnlab.app import model_choice, training_view
from cnnlab.app.cached_pictures import chart_spec
from cnnlab.app.epoch_choice import epoch_slider
from cnnlab.lens.activations import conv_filters
from cnnlab.lens.filter_history import filter_change, kept_epochs, kept_filter_snapshots
from cnnlab.network.result import history_records
from cnnlab.pictures.charts import PHONE_CHART_WIDTH
from cnnlab.pictures.grids import kernel_grid
from cnnlab.pictures.images import grid_shape
from cnnlab.words import short_name

LIVE_REFRESH_SECONDS = 1.0
LAYER_HEADINGS = ("First", "Second", "Third")
THREE_COLUMN_WIDTH = 250  # pixels: a third of the page's width on a desktop, less the gaps between the columns


def kernels_view(kernels, number: int, cell: int, max_width: int = PHONE_CHART_WIDTH) -> None:
    """A conv layer's kernels (size, size, input maps, filters) as a grid, with what they cost in parameters. A layer
    that reads several maps holds a kernel per map in each filter: the student picks which input map's to show."""
    size, _, inputs, count = kernels.shape
    st.subheader(f"{LAYER_HEADINGS[number - 1]} conv layer")
    if inputs == 1:
        st.markdown(
            f"**{count} filters**, each a {size}×{size} grid of weights plus one bias: "
            f"{count} × ({size}×{size} + 1) = **{count * (size * size + 1):,} learnt parameters**. "
            "Each filter slides over the digit and lights up where the picture looks like it: "
            "**blue** weights reward ink under them, **red** weights punish it."
        )
    else:
        st.markdown(
            f"**{count} filters** of {size}×{size}, but each one looks at all **{inputs}** maps of the layer before, "
            f"so it holds {inputs} kernels: {count} × ({inputs} × {size}×{size} + 1) = "
            f"**{count * (inputs * size * size + 1):,} parameters**. Pick which input map's kernels to show."
        )
    # A slider needs two ends; with a single input map there is nothing to choose.
    key = "filters_channel" if number == 2 else f"filters_channel_conv{number}"
    channel = (st.slider(f"Input map (a filter of conv layer {number - 1})", 1, inputs, 1, key=key)
               if inputs > 1 else 1)
    _, columns = grid_shape(count)
    st.vega_lite_chart(spec=chart_spec(kernel_grid, kernels, channel=channel - 1, columns=columns, cell=cell,
                                       max_width=max_width))


def learning_section(job, live: bool) -> None:
    """Replay the first layer's filters epoch by epoch, next to the curves with that epoch marked: those of the
    model in use, or, while this tab's own training runs (`live`), of that training, an epoch more as each ends."""
    st.subheader("Watch the filters learn")
    if live:
        snapshots = kept_filter_snapshots(job.epoch_weights, job.initial_weights)
        epochs, records = kept_epochs(job.epoch_weights, job.initial_weights), job.epochs
    else:
        snapshots = job.result.filter_snapshots
        epochs, records = range(len(snapshots)), history_records(job.result.history)
    if live and not snapshots:
        st.info(f"Your model ({short_name(job.config)}) · {training_view.turn_text(job)}. Its filters appear here "
                "from its random start on, then after each epoch.")
        return
    if not live and len(snapshots) < 2:
        st.info("This model kept no weights from during its training, so its learning cannot be replayed.")
        return
    if live:
        st.caption(f"Your model as it trains ({short_name(job.config)}): each epoch appears here as it ends. The "
                   "filters above are the class's model's until yours is ready.")
    st.markdown(
        "The weights were saved before training (epoch 0: random numbers) and after every epoch. Move the "
        "slider from the random start to the end and watch which weights grow and which fade; the dashed line "
        "marks the same moment on the training curves. Train longer or on more digits and the filters turn "
        "into clearer stroke and edge detectors."
    )
    epoch = epoch_slider("Epoch (0 = before training)", epochs, "filters_epoch", job.key, live)
    kernels = snapshots[epoch - epochs.start]
    changes = filter_change(snapshots)
    if epoch == 0:
        st.caption("Before training: the weights are small random numbers, so the filters look like noise.")
    elif epoch > epochs.start:
        st.caption(f"During epoch {epoch} the weights moved by {changes[epoch - epochs.start - 1]:.0%} of their "
                   "starting size on average.")
    # One colour scale for every epoch, so that a weight growing shows as a colour deepening.
    limit = max(float(abs(snapshot).max()) for snapshot in snapshots)
    _, columns = grid_shape(kernels.shape[3])
    st.vega_lite_chart(spec=chart_spec(kernel_grid, kernels, columns=columns, cell=16, limit=limit))
    training_view.show_training_curves(records, job.config.epochs, chosen_epoch=epoch)


def filters_demo() -> None:
    result = model_choice.current_result()
    # Side by side on a wide screen, one under the other on a phone (each grid fits a phone's width); a network of
    # one conv layer keeps the second column empty, so its filters are not stretched across the page.
    conv_count = len(result.config.conv_layers)
    # Three columns are narrower than a phone: their grids are drawn to fit them.
    width = THREE_COLUMN_WIDTH if conv_count > 2 else PHONE_CHART_WIDTH
    for index, column in enumerate(st.columns(max(conv_count, 2), gap="large")[:conv_count]):
        with column:
            kernels_view(conv_filters(result.network, index), index + 1, cell=16 if index == 0 else 22, max_width=width)
    # This tab's own training, from the moment it is queued, is replayed live: the section reruns itself every
    # LIVE_REFRESH_SECONDS until the training ends, and the whole page then shows the new model.
    own = model_choice.chosen_job()
    live = own is not None and not own.finished

    @st.fragment(run_every=LIVE_REFRESH_SECONDS if live else None)
    def replay() -> None:
        if live and own.finished:
            st.rerun(scope="app")
        learning_section(own if live else model_choice.current_job(), live)

    replay()


filters_demo()
