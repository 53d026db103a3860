"""Line charts over time and angle: the training curves, a digit's answers epoch by epoch, a rotation sweep.

Each function takes plain arrays or lists and returns an Altair chart; the pages only display them.
"""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import numpy as np
import pandas as pd

from cnnlab.pictures.charts import FIT_WIDTH
from cnnlab.pictures.palette import CURVE_COLOURS, HIGHLIGHT, MARKER, MUTED


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


def epoch_probabilities(probabilities: np.ndarray, digits: Sequence[int], current: int,
                        first_epoch: int = 0) -> alt.LayerChart:
    """How sure the network was of some digits after each epoch: one line per digit in `digits`.

    probabilities: float (epochs, 10), row k after `first_epoch` + k epochs (epoch 0: random weights); current: the
    epoch the page shows, marked by a rule.
    """
    probabilities = np.asarray(probabilities, dtype=float)
    frame = pd.DataFrame([
        {"epoch": first_epoch + row, "digit": str(digit), "probability": probabilities[row, digit]}
        for row in range(len(probabilities)) for digit in dict.fromkeys(digits)
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
