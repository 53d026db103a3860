"""Altair charts of CNN Lab's data: training curves, kernels, probabilities, dense activations.

Each function takes plain arrays or lists and returns an `alt.Chart`; the pages only display them.
"""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import numpy as np
import pandas as pd

from cnnlab.pictures.palette import (
    COUNT_SCHEME,
    CURVE_COLOURS,
    DIGIT_SCHEME,
    HIGHLIGHT,
    INK_STOPS,
    MARKER,
    MUTED,
    NEGATIVE,
    OUTLINE,
    POSITIVE,
    SIGNED_STOPS,
    STRENGTH_STOPS,
)
from cnnlab.words import number_text

# Charts fill their column's width, and `height` is the plot's own height: Streamlit's theme otherwise counts the
# title, axes and legend inside the height, which left the training curves' lines in a few pixels.
FIT_WIDTH = alt.AutoSizeParams(type="fit-x", contains="padding")



def history_frame(epochs: Sequence[dict]) -> pd.DataFrame:
    """Long table of per-epoch metrics: columns epoch, metric ("loss"/"accuracy"), data ("training"/
    "validation"), value. `epochs` holds {"epoch": k, "loss": …, "accuracy": …, "val_loss": …, …}."""
    rows = []
    for record in epochs:
        for key, value in record.items():
            if key == "epoch":
                continue
            metric = key.removeprefix("val_")
            data = "validation" if key.startswith("val_") else "training"
            rows.append({"epoch": record["epoch"], "metric": metric, "data": data, "value": float(value)})
    return pd.DataFrame(rows, columns=["epoch", "metric", "data", "value"])


# Title, subtitle and number format of each curve chart's y axis.
CURVES = {"loss": ("Loss", "lower is better", ".2f"), "accuracy": ("Accuracy", "higher is better", ".0%")}
CURVE_HEIGHT = 220


def curve_domain(values: Sequence[float], metric: str) -> list[float]:
    """The y range a curve is drawn on: its values with a margin of a tenth of their spread on each side (0.01 for a
    single value), kept within 0–1 for accuracy and above 0 for loss, so the lines fill the chart however close
    together they are."""
    values = [float(value) for value in values]
    if not values:
        return [0.0, 1.0] if metric == "accuracy" else [0.0, 2.5]
    low, high = min(values), max(values)
    margin = 0.1 * (high - low) if high > low else 0.01
    low, high = max(0.0, low - margin), high + margin
    if metric == "accuracy":
        high = min(1.0, high)
    return [low, high]


def training_curves(epochs: Sequence[dict], total_epochs: int, chosen_epoch: int | None = None,
                    batches: Sequence[dict] = ()) -> tuple[alt.LayerChart, alt.LayerChart]:
    """Loss and accuracy per epoch, training against validation: two charts, each as wide as its container,
    so a page can put them side by side on a wide screen and one under the other on a phone.

    epochs: {"epoch": k, "loss", "accuracy", "val_loss", "val_accuracy"} per finished epoch. batches: the running
    values during a training ({"epoch": fractional epochs done, "loss", "accuracy"}), drawn as a lighter line so
    the curve moves before the first epoch ends. The x axis spans all `total_epochs`, so the curves grow into
    place; it starts at 0 ("before training") when there are batches or a `chosen_epoch`, which a dashed rule
    marks. Each y axis fits its data (see `curve_domain`).
    """
    frame = history_frame(epochs)
    if batches:
        batch_frame = pd.DataFrame([{"epoch": point["epoch"], "metric": metric, "data": "training, during the epoch",
                                     "value": float(point[metric])}
                                    for point in batches for metric in CURVES if metric in point])
        frame = pd.concat([batch_frame, frame], ignore_index=True)
    first_epoch = 0 if chosen_epoch is not None or batches else 1
    x = alt.X("epoch:Q", title="epoch", scale=alt.Scale(domain=[first_epoch, max(total_epochs, first_epoch + 1)]),
              axis=alt.Axis(tickMinStep=1, format="d"))
    shown = [data for data in CURVE_COLOURS if data in set(frame["data"])]
    colour = alt.Color("data:N", title=None, scale=alt.Scale(domain=shown, range=[CURVE_COLOURS[d] for d in shown]),
                       legend=alt.Legend(orient="bottom", direction="horizontal"))
    charts = []
    for metric, (title, subtitle, number_format) in CURVES.items():
        data = frame[frame["metric"] == metric]
        y = alt.Y("value:Q", title=None, scale=alt.Scale(domain=curve_domain(data["value"], metric), nice=False),
                  axis=alt.Axis(format=number_format, tickCount=5))
        chart = (
            alt.Chart(data, title=alt.Title(title, subtitle=subtitle, anchor="start"))
            .mark_line(point=alt.OverlayMarkDef(size=30), clip=True)
            .encode(x=x, y=y, color=colour, detail="data:N",
                    tooltip=[alt.Tooltip("epoch:Q", format=".2f"), "data",
                             alt.Tooltip("value:Q", title=title.lower(), format=".4f")])
        )
        layers = [chart]
        if chosen_epoch is not None:
            marker = pd.DataFrame({"epoch": [chosen_epoch]})
            layers.append(alt.Chart(marker).mark_rule(color=MARKER, strokeDash=[4, 3], strokeWidth=2)
                          .encode(x=x))
        charts.append(alt.layer(*layers).properties(width="container", height=CURVE_HEIGHT, autosize=FIT_WIDTH))
    return charts[0], charts[1]


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


# A phone is 390 px wide and the page keeps margins: a grid no wider than this never makes a page scroll sideways.
PHONE_CHART_WIDTH = 330
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
                            scale=alt.Scale(domain=[-limit, 0, limit], range=SIGNED_STOPS),
                            legend=alt.Legend(orient="bottom", direction="horizontal", gradientLength=160)),
            tooltip=["filter", "row", "column", alt.Tooltip("weight:Q", format=".3f")],
        )
        .properties(width=size * cell, height=size * cell)
        .facet(facet=alt.Facet("filter:O", title=None, header=alt.Header(labelFontSize=11)),
               columns=columns, spacing=KERNEL_SPACING)
    )


def probability_bars(probabilities: np.ndarray) -> alt.Chart:
    """Ten bars, one per digit, the predicted digit highlighted; tooltips give exact percentages."""
    probabilities = np.asarray(probabilities, dtype=float).ravel()
    predicted = int(probabilities.argmax())
    frame = pd.DataFrame({
        "digit": [str(digit) for digit in range(10)],
        "probability": probabilities,
        "predicted": ["prediction" if digit == predicted else "other" for digit in range(10)],
    })
    return (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            x=alt.X("digit:N", title="digit", sort=None, axis=alt.Axis(labelAngle=0)),
            y=alt.Y("probability:Q", title="probability", scale=alt.Scale(domain=[0, 1]),
                    axis=alt.Axis(format="%")),
            color=alt.Color("predicted:N", legend=None,
                            scale=alt.Scale(domain=["prediction", "other"], range=[HIGHLIGHT, MUTED])),
            tooltip=["digit", alt.Tooltip("probability:Q", format=".2%")],
        )
        .properties(height=260, autosize=FIT_WIDTH)
    )


def unit_bars(values: np.ndarray, title: str) -> alt.Chart:
    """A dense layer's units as bars (unit number → activation)."""
    values = np.asarray(values, dtype=float).ravel()
    frame = pd.DataFrame({"unit": np.arange(1, len(values) + 1), "activation": values})
    return (
        alt.Chart(frame, title=title)
        .mark_bar()
        .encode(x=alt.X("unit:O", axis=alt.Axis(labels=len(values) <= 50, ticks=False)),
                y=alt.Y("activation:Q"), tooltip=["unit", alt.Tooltip("activation:Q", format=".3f")])
        .properties(height=140, autosize=FIT_WIDTH)
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
        scale = alt.Scale(domain=[-limit, 0, limit], range=SIGNED_STOPS)
        # White text where the square is dark enough that black would disappear.
        frame["dark"] = np.abs(frame["value"]) > 0.6 * limit
    else:
        low, high = float(values.min()), float(values.max())
        high = high if high > low else low + 1.0
        # Reversed so that ink is white on black, as in the digit itself.
        scale = alt.Scale(domain=[low, high], range=INK_STOPS)
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
        .encode(x=x, y=y, color=alt.Color("value:Q", scale=alt.Scale(range=STRENGTH_STOPS), title="value",
                                          legend=alt.Legend(orient="bottom")),
                tooltip=["row", "column", alt.Tooltip("value:Q", format=".4f")])
        .add_params(picked)
    )
    chosen = frame[(frame["row"] == selected[0] + 1) & (frame["column"] == selected[1] + 1)]
    outline = alt.Chart(chosen).mark_rect(fill=None, stroke=OUTLINE, strokeWidth=3).encode(x=x, y=y)
    return (heatmap + outline).properties(width=values.shape[1] * cell, height=values.shape[0] * cell,
                                          autosize=alt.AutoSizeParams(type="pad"))


def channel_contributions(channel_sums: np.ndarray) -> alt.Chart:
    """One bar per input map: how much it adds to (blue) or takes from (red) a conv2 value."""
    channel_sums = np.asarray(channel_sums, dtype=float).ravel()
    frame = pd.DataFrame({"input map": np.arange(1, len(channel_sums) + 1), "contribution": channel_sums,
                          "sign": np.where(channel_sums >= 0, "adds", "takes away")})
    return (
        alt.Chart(frame)
        .mark_bar()
        .encode(x=alt.X("input map:O", axis=alt.Axis(labelAngle=0, labels=len(channel_sums) <= 40)),
                y=alt.Y("contribution:Q", title="sum of its 3×3 products"),
                color=alt.Color("sign:N", scale=alt.Scale(domain=["adds", "takes away"],
                                                          range=[POSITIVE, NEGATIVE]), title=None),
                tooltip=["input map", alt.Tooltip("contribution:Q", format=".4f")])
        .properties(height=200, autosize=FIT_WIDTH)
    )


def selected_point(chart_state, name: str) -> dict | None:
    """The first point a student clicked in a chart drawn with `on_select`, or None.

    chart_state: what Streamlit returns or keeps for such a chart, {"selection": {name: [{field: value}, …]}}
    (a plain dict works too). Returns {field: value} of the first selected point.
    """
    if not chart_state:
        return None
    points = (chart_state.get("selection") or {}).get(name) or []
    return dict(points[0]) if isinstance(points, list) and points else None


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


def per_class_bars(per_class: np.ndarray) -> alt.Chart:
    """One bar per digit: the share of its test digits the model reads correctly (0–100 %)."""
    per_class = np.asarray(per_class, dtype=float).ravel()
    frame = pd.DataFrame({"digit": [str(digit) for digit in range(len(per_class))], "accuracy": per_class})
    worst = int(np.nanargmin(per_class)) if np.isfinite(per_class).any() else -1
    frame["worst"] = ["hardest" if digit == worst else "other" for digit in range(len(per_class))]
    return (
        alt.Chart(frame.dropna())
        .mark_bar()
        .encode(x=alt.X("digit:N", sort=None, axis=alt.Axis(labelAngle=0)),
                y=alt.Y("accuracy:Q", scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format="%")),
                color=alt.Color("worst:N", legend=None,
                                scale=alt.Scale(domain=["hardest", "other"], range=[HIGHLIGHT, MUTED])),
                tooltip=["digit", alt.Tooltip("accuracy:Q", format=".1%")])
        .properties(height=220, autosize=FIT_WIDTH)
    )


def sweep_chart(angles: np.ndarray, probabilities: np.ndarray, digit: int, current: float) -> alt.LayerChart:
    """How sure the model stays of `digit` as the picture turns: probability per angle, `current` marked.

    angles: float (n,) degrees; probabilities: float (n,) in [0, 1], the probability of `digit` at each angle.
    """
    frame = pd.DataFrame({"angle": np.asarray(angles, dtype=float),
                          "probability": np.asarray(probabilities, dtype=float)})
    x = alt.X("angle:Q", title="rotation (degrees, anticlockwise)",
              scale=alt.Scale(domain=[float(frame["angle"].min()), float(frame["angle"].max())], nice=False))
    line = (
        alt.Chart(frame, title=f"Probability of {digit} as the digit turns")
        .mark_line(point=alt.OverlayMarkDef(color=HIGHLIGHT), color=HIGHLIGHT)
        .encode(x=x, y=alt.Y("probability:Q", scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format="%")),
                tooltip=[alt.Tooltip("angle:Q", format=".0f"), alt.Tooltip("probability:Q", format=".1%")])
    )
    rule = alt.Chart(pd.DataFrame({"angle": [float(current)]})).mark_rule(
        color=MARKER, strokeDash=[4, 3], strokeWidth=2).encode(x=x)
    return (line + rule).properties(height=220, autosize=FIT_WIDTH)


def experiments_scatter(frame: pd.DataFrame, x: str, colour: str, log_x: bool = False,
                        name: str = "model") -> alt.Chart:
    """Test accuracy against `x` ("parameters" or "training seconds") for every model in an experiments table
    (`cnnlab.lens.experiments.experiments_table`), coloured by the setting `colour`; clicking a point selects its row
    (the selection holds the row's "row" number)."""
    data = frame.reset_index(drop=True).assign(row=lambda table: table.index)
    numeric = pd.api.types.is_numeric_dtype(data[colour])
    pick = alt.selection_point(name=name, fields=["row"], on="click")
    return (
        alt.Chart(data)
        .mark_circle(size=90, opacity=0.85, stroke="#333", strokeWidth=0.5)
        .encode(
            x=alt.X(x, type="quantitative", scale=alt.Scale(type="log") if log_x else alt.Scale(zero=False),
                    title=x + (" (log scale)" if log_x else "")),
            y=alt.Y("test accuracy", type="quantitative", scale=alt.Scale(zero=False),
                    axis=alt.Axis(format="%"), title="test accuracy"),
            color=alt.Color(colour, type="quantitative" if numeric else "nominal",
                            legend=alt.Legend(orient="bottom", title=colour)),
            tooltip=["model", alt.Tooltip("parameters", format=","), "training seconds",
                     alt.Tooltip("test accuracy", format=".2%")],
        )
        .add_params(pick)
        .properties(height=280, autosize=FIT_WIDTH)
    )


def epoch_probabilities(probabilities: np.ndarray, digits: Sequence[int], current: int) -> alt.LayerChart:
    """How sure the network was of some digits after each epoch: one line per digit in `digits`.

    probabilities: float (epochs + 1, 10), row k after k epochs (row 0: random weights); current: the epoch the
    page shows, marked by a rule.
    """
    probabilities = np.asarray(probabilities, dtype=float)
    frame = pd.DataFrame([
        {"epoch": epoch, "digit": str(digit), "probability": probabilities[epoch, digit]}
        for epoch in range(len(probabilities)) for digit in dict.fromkeys(digits)
    ])
    lines = (
        alt.Chart(frame)
        .mark_line(point=True)
        .encode(
            x=alt.X("epoch:Q", title="epoch", axis=alt.Axis(tickMinStep=1, format="d")),
            y=alt.Y("probability:Q", title="probability", scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format="%")),
            color=alt.Color("digit:N", title="digit", legend=alt.Legend(orient="bottom")),
            tooltip=["epoch", "digit", alt.Tooltip("probability:Q", format=".1%")],
        )
    )
    rule = alt.Chart(pd.DataFrame({"epoch": [current]})).mark_rule(color=MUTED, strokeDash=[4, 3]).encode(x="epoch:Q")
    return (lines + rule).properties(height=240, autosize=FIT_WIDTH)


def digit_map_chart(coordinates: np.ndarray, labels: np.ndarray, predicted: np.ndarray, indices: np.ndarray,
                    images: list[str], name: str = "digit", axis_titles: tuple[str, str] = ("", "")) -> alt.Chart:
    """Digits as points on a plane, coloured by their true label; the model's mistakes drawn as larger crosses.

    coordinates: float (n, 2); labels, predicted, indices: int (n,) (indices: each digit's row in the test split);
    images: n "data:image/png…" addresses, shown in the tooltip (Vega's tooltip draws a field called "image" as a
    picture). A click is a point selection called `name` over the field "index".
    """
    labels, predicted = np.asarray(labels), np.asarray(predicted)
    frame = pd.DataFrame({
        "x": np.asarray(coordinates, dtype=float)[:, 0], "y": np.asarray(coordinates, dtype=float)[:, 1],
        "index": np.asarray(indices), "digit": labels.astype(str), "read as": predicted,
        "answer": np.where(labels == predicted, "right", "mistake"), "image": list(images),
    })
    picked = alt.selection_point(name=name, fields=["index"], on="click", clear=False)
    return (
        alt.Chart(frame)
        .mark_point(filled=True, opacity=0.75)
        .encode(
            x=alt.X("x:Q", title=axis_titles[0], axis=alt.Axis(labels=False, ticks=False)),
            y=alt.Y("y:Q", title=axis_titles[1], axis=alt.Axis(labels=False, ticks=False)),
            color=alt.Color("digit:N", title="true digit", scale=alt.Scale(scheme=DIGIT_SCHEME),
                            legend=alt.Legend(orient="bottom", columns=10, symbolType="circle")),
            shape=alt.Shape("answer:N", scale=alt.Scale(domain=["right", "mistake"], range=["circle", "cross"]),
                            legend=alt.Legend(orient="bottom", title=None)),
            size=alt.Size("answer:N", scale=alt.Scale(domain=["right", "mistake"], range=[18, 90]), legend=None),
            tooltip=["image", alt.Tooltip("index:Q", title="test digit #", format=","),
                     alt.Tooltip("digit:N", title="true digit"), alt.Tooltip("read as:Q")],
        )
        .add_params(picked)
        .properties(height=460, autosize=FIT_WIDTH)
    )
