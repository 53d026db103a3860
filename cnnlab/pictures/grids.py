"""Charts of cells: kernels, a grid of numbers, a feature map to click on, the confusion matrix.

Each function takes plain arrays and returns an Altair chart; a click on a cell comes back through
`charts.selected_point`.
"""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from cnnlab.pictures.charts import PHONE_CHART_WIDTH
from cnnlab.pictures.palette import COUNT_SCHEME, HIGHLIGHT, INK_STOPS, MUTED, OUTLINE, SIGNED_STOPS, STRENGTH_STOPS
from cnnlab.words import number_text


def kernel_frame(kernels: np.ndarray, channel: int = 0) -> pd.DataFrame:
    """Long table of kernel weights for one input channel: columns filter (1-based), row, column, weight.

    kernels: float (k, k, input channels, filters) as `cnnlab.lens.activations.conv_filters` returns."""
    size, _, _, count = kernels.shape
    rows, columns, filters = np.meshgrid(np.arange(size), np.arange(size), np.arange(count), indexing="ij")
    return pd.DataFrame({
        "filter": filters.ravel() + 1,
        "row": rows.ravel(),
        "column": columns.ravel(),
        "weight": kernels[:, :, channel, :].ravel().astype(float),
    })


KERNEL_SPACING = 6


def kernel_grid(kernels: np.ndarray, channel: int = 0, columns: int = 6, cell: int = 14,
                limit: float | None = None, max_width: int = PHONE_CHART_WIDTH) -> alt.FacetChart:
    """Each filter as a small heatmap on a red–blue scale centred on zero (blue positive, red negative).

    kernels: (size, size, input channels, filters). cell: pixels per weight, reduced where needed so that
    `columns` kernels side by side stay within `max_width` pixels (the legend sits below the grid).
    limit: the weight drawn at full colour (default: the largest |weight| shown), fixed when pictures of
    different epochs must compare."""
    size = kernels.shape[0]
    cell = max(2, min(cell, (max_width - KERNEL_SPACING * (columns - 1)) // (columns * size)))
    frame = kernel_frame(kernels, channel)
    limit = limit or float(np.abs(frame["weight"]).max()) or 1.0
    return (
        alt.Chart(frame)
        .mark_rect()
        .encode(
            x=alt.X("column:O", axis=None),
            y=alt.Y("row:O", axis=None),
            color=alt.Color("weight:Q", title="weight",
                            scale=alt.Scale(domain=[-limit, 0, limit], range=SIGNED_STOPS, interpolate="rgb"),
                            legend=alt.Legend(orient="bottom", direction="horizontal", gradientLength=160)),
            tooltip=["filter", "row", "column", alt.Tooltip("weight:Q", format=".3f")],
        )
        .properties(width=size * cell, height=size * cell)
        .facet(facet=alt.Facet("filter:O", title=None, header=alt.Header(labelFontSize=11)),
               columns=columns, spacing=KERNEL_SPACING)
    )


def number_grid(values: np.ndarray, title: str, centred: bool = False, decimals: int = 2, cell: int = 36,
                winner: tuple[int, int] | None = None) -> alt.LayerChart:
    """A small 2-D array as coloured squares with each number written in it (a patch, a kernel, products).

    values: float (rows, columns). centred: a red–blue scale centred on zero (weights, products) instead of
    black-to-white (pixels, ink white as in the digit). winner: (row, column) of a cell to outline, e.g. the
    maximum of a pooling window.
    """
    values = np.asarray(values, dtype=float)
    rows, columns = np.meshgrid(np.arange(values.shape[0]), np.arange(values.shape[1]), indexing="ij")
    frame = pd.DataFrame({"row": rows.ravel(), "column": columns.ravel(), "value": values.ravel()})
    frame["label"] = frame["value"].map(lambda value: number_text(value, decimals))
    if centred:
        limit = float(np.abs(values).max()) or 1.0
        scale = alt.Scale(domain=[-limit, 0, limit], range=SIGNED_STOPS, interpolate="rgb")
        # White text where the square is dark enough that black would disappear.
        frame["dark"] = np.abs(frame["value"]) > 0.6 * limit
    else:
        low, high = float(values.min()), float(values.max())
        high = high if high > low else low + 1.0
        # Reversed so that ink is white on black, as in the digit itself.
        scale = alt.Scale(domain=[low, high], range=INK_STOPS, interpolate="rgb")
        frame["dark"] = frame["value"] < low + 0.55 * (high - low)
    frame["winner"] = False
    if winner is not None:
        frame.loc[(frame["row"] == winner[0]) & (frame["column"] == winner[1]), "winner"] = True
    base = alt.Chart(frame, title=title).encode(x=alt.X("column:O", axis=None), y=alt.Y("row:O", axis=None))
    squares = base.mark_rect().encode(
        color=alt.Color("value:Q", scale=scale, legend=None),
        stroke=alt.condition("datum.winner", alt.value(HIGHLIGHT), alt.value(MUTED)),
        strokeWidth=alt.condition("datum.winner", alt.value(4), alt.value(0.5)),
        tooltip=[alt.Tooltip("row:O", title="row (from 0)"), alt.Tooltip("column:O", title="column (from 0)"),
                 alt.Tooltip("value:Q", format=".5f")],
    )
    # At least 12 px: the numbers are what a student reads here.
    labels = base.mark_text(fontSize=max(12, cell // 3)).encode(
        text="label:N", color=alt.condition("datum.dark", alt.value("white"), alt.value("black")))
    # "pad" keeps every square at `cell` pixels; Streamlit's default ("fit") would squeeze them into the column.
    return (squares + labels).properties(width=values.shape[1] * cell, height=values.shape[0] * cell,
                                         autosize=alt.AutoSizeParams(type="pad"))


def map_picker(values: np.ndarray, selected: tuple[int, int], name: str = "cell", cell: int = 11) -> alt.LayerChart:
    """One feature map as a heatmap that a click selects a position in, the `selected` one outlined.

    values: float (rows, columns). Rows and columns are 1-based in the chart, as the page's sliders are.
    The click is an Altair point selection called `name` over the fields "row" and "column".
    """
    values = np.asarray(values, dtype=float)
    rows, columns = np.meshgrid(np.arange(values.shape[0]), np.arange(values.shape[1]), indexing="ij")
    frame = pd.DataFrame({"row": rows.ravel() + 1, "column": columns.ravel() + 1, "value": values.ravel()})
    picked = alt.selection_point(name=name, fields=["row", "column"], on="click", clear=False)
    x = alt.X("column:O", axis=alt.Axis(values=[1, values.shape[1]], labelAngle=0, title="column"))
    y = alt.Y("row:O", axis=alt.Axis(values=[1, values.shape[0]], title="row"))
    heatmap = (
        alt.Chart(frame)
        .mark_rect()
        # The legend goes below the map so that the chart fits a phone's width too.
        .encode(x=x, y=y, color=alt.Color("value:Q", scale=alt.Scale(range=STRENGTH_STOPS, interpolate="rgb"),
                                          title="value", legend=alt.Legend(orient="bottom")),
                tooltip=["row", "column", alt.Tooltip("value:Q", format=".4f")])
        .add_params(picked)
    )
    chosen = frame[(frame["row"] == selected[0] + 1) & (frame["column"] == selected[1] + 1)]
    outline = alt.Chart(chosen).mark_rect(fill=None, stroke=OUTLINE, strokeWidth=3).encode(x=x, y=y)
    return (heatmap + outline).properties(width=values.shape[1] * cell, height=values.shape[0] * cell,
                                          autosize=alt.AutoSizeParams(type="pad"))


# The confusion matrix's side: ten squares plus the y axis's title and labels (about 40 px) within a phone's width.
CONFUSION_CELL = (PHONE_CHART_WIDTH - 40) // 10


def confusion_chart(confusion: np.ndarray, selected: tuple[int, int] | None = None, name: str = "cell",
                    cell: int = CONFUSION_CELL) -> alt.LayerChart:
    """The confusion matrix as a clickable heatmap: rows the true digit, columns the model's answer.

    confusion: int (10, 10), [true, predicted] counts. Counts are written in the squares; the colour scale is
    logarithmic-like (symlog), so a handful of mistakes still shows next to hundreds of right answers.
    The click is an Altair point selection called `name` over the fields "true" and "predicted";
    `selected` (true, predicted) is outlined.
    """
    confusion = np.asarray(confusion)
    true, predicted = np.meshgrid(np.arange(confusion.shape[0]), np.arange(confusion.shape[1]), indexing="ij")
    frame = pd.DataFrame({"true": true.ravel(), "predicted": predicted.ravel(), "count": confusion.ravel()})
    frame["label"] = frame["count"].map(lambda count: f"{count:,}" if count else "")
    frame["right"] = frame["true"] == frame["predicted"]
    picked = alt.selection_point(name=name, fields=["true", "predicted"], on="click", clear=False)
    x = alt.X("predicted:O", title="the model's answer", axis=alt.Axis(labelAngle=0, orient="top"))
    y = alt.Y("true:O", title="true digit")
    squares = (
        alt.Chart(frame)
        .mark_rect()
        .encode(x=x, y=y, color=alt.Color("count:Q", scale=alt.Scale(type="symlog", scheme=COUNT_SCHEME), legend=None),
                tooltip=[alt.Tooltip("true:O", title="true digit"), alt.Tooltip("predicted:O", title="read as"),
                         alt.Tooltip("count:Q", format=",")])
        .add_params(picked)
    )
    limit = float(np.log1p(confusion.max())) if confusion.size else 1.0
    frame["dark"] = np.log1p(frame["count"]) > 0.6 * limit
    labels = alt.Chart(frame).mark_text(fontSize=10).encode(
        x=x, y=y, text="label:N", color=alt.condition("datum.dark", alt.value("white"), alt.value("black")))
    layers = [squares, labels]
    if selected is not None:
        chosen = frame[(frame["true"] == selected[0]) & (frame["predicted"] == selected[1])]
        layers.append(alt.Chart(chosen).mark_rect(fill=None, stroke=HIGHLIGHT, strokeWidth=3).encode(x=x, y=y))
    return alt.layer(*layers).properties(width=confusion.shape[1] * cell, height=confusion.shape[0] * cell,
                                         autosize=alt.AutoSizeParams(type="pad"))
