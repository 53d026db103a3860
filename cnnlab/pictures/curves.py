"""Line charts over time and angle: the training curves, a digit's answers epoch by epoch, a rotation sweep.

Each function takes plain arrays or lists and returns an Altair chart; the pages only display them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

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


@dataclass(frozen=True)
class CurveLayout:
    """What a training curve chart's layout depends on, besides its y range. metric: "loss" or "accuracy"; x_range:
    the epochs the x axis spans; shown: the data drawn ("training", …), in `CURVE_COLOURS`' order; marked: whether
    a chosen epoch is marked by a rule."""

    metric: str
    x_range: tuple[int, int]
    shown: tuple[str, ...]
    marked: bool


CurvePart = tuple[CurveLayout, tuple[pd.DataFrame, ...], list[float]]  # (layout, frames, y range) of one chart


def training_curve_parts(epochs: Sequence[dict], total_epochs: int, chosen_epoch: int | None = None,
                         batches: Sequence[dict] = ()) -> list[CurvePart]:
    """Each of `training_curves`' two charts as (layout, frames, y range): the frames are its data (the metric's rows
    of `history_frame` plus the running batches, then the chosen epoch's one row when one is marked) and the y range
    fits them (`curve_domain`). Arguments as for `training_curves`."""
    frame = history_frame(epochs)
    if batches:
        batch_frame = pd.DataFrame([{"epoch": point["epoch"], "metric": metric, "data": "training, during the epoch",
                                     "value": float(point[metric])}
                                    for point in batches for metric in CURVES if metric in point])
        frame = pd.concat([batch_frame, frame], ignore_index=True)
    first_epoch = 0 if chosen_epoch is not None or batches else 1
    x_range = (first_epoch, max(total_epochs, first_epoch + 1))
    shown = tuple(data for data in CURVE_COLOURS if data in set(frame["data"]))
    marker = () if chosen_epoch is None else (pd.DataFrame({"epoch": [chosen_epoch]}),)
    parts = []
    for metric in CURVES:
        data = frame[frame["metric"] == metric]
        layout = CurveLayout(metric, x_range, shown, chosen_epoch is not None)
        parts.append((layout, (data, *marker), curve_domain(data["value"], metric)))
    return parts


def curve_chart(data: pd.DataFrame, *marker: pd.DataFrame, layout: CurveLayout,
                y_domain: Sequence[float] = (0.0, 1.0)) -> alt.LayerChart:
    """One training curve chart drawn from its frames (see `training_curve_parts`): the metric's lines, and a dashed
    rule at the epoch in `marker`'s one row when there is one; the y axis spans `y_domain`."""
    title, subtitle, number_format = CURVES[layout.metric]
    x = alt.X("epoch:Q", title="epoch", scale=alt.Scale(domain=list(layout.x_range)),
              axis=alt.Axis(tickMinStep=1, format="d"))
    colour = alt.Color("data:N", title=None,
                       scale=alt.Scale(domain=list(layout.shown), range=[CURVE_COLOURS[d] for d in layout.shown]),
                       legend=alt.Legend(orient="bottom", direction="horizontal"))
    y = alt.Y("value:Q", title=None, scale=alt.Scale(domain=list(y_domain), nice=False),
              axis=alt.Axis(format=number_format, tickCount=5))
    lines = (
        alt.Chart(data, title=alt.Title(title, subtitle=subtitle, anchor="start"))
        .mark_line(point=alt.OverlayMarkDef(size=30), clip=True)
        .encode(x=x, y=y, color=colour, detail="data:N",
                tooltip=[alt.Tooltip("epoch:Q", format=".2f"), alt.Tooltip("data:N"),
                         alt.Tooltip("value:Q", title=title.lower(), format=".4f")])
    )
    layers = [lines, *(alt.Chart(rows).mark_rule(color=MARKER, strokeDash=[4, 3], strokeWidth=2).encode(x=x)
                       for rows in marker)]
    return alt.layer(*layers).properties(width="container", height=CURVE_HEIGHT, autosize=FIT_WIDTH)


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
    loss, accuracy = (curve_chart(*frames, layout=layout, y_domain=domain)
                      for layout, frames, domain in training_curve_parts(epochs, total_epochs, chosen_epoch, batches))
    return loss, accuracy


def epoch_probability_frames(probabilities: np.ndarray, digits: Sequence[int], current: int,
                             first_epoch: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """`epoch_probabilities`' data: (lines: one row per epoch and digit, with columns epoch, digit as text and
    probability in [0, 1]; rule: one row, the epoch shown). Arguments as for `epoch_probabilities`."""
    probabilities = np.asarray(probabilities, dtype=float)
    digits = list(dict.fromkeys(digits))
    epochs = np.arange(first_epoch, first_epoch + len(probabilities))
    lines = pd.DataFrame({"epoch": np.repeat(epochs, len(digits)),
                          "digit": [str(digit) for _ in epochs for digit in digits],
                          "probability": probabilities[:, digits].ravel()})
    return lines, pd.DataFrame({"epoch": [current]})


def epoch_probability_chart(lines: pd.DataFrame, rule: pd.DataFrame) -> alt.LayerChart:
    """`epoch_probabilities` drawn from its two frames (see `epoch_probability_frames`): nothing in its layout
    depends on their values."""
    drawn = (
        alt.Chart(lines)
        .mark_line(point=True)
        .encode(
            x=alt.X("epoch:Q", title="epoch", axis=alt.Axis(tickMinStep=1, format="d")),
            y=alt.Y("probability:Q", title="probability", scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format="%")),
            color=alt.Color("digit:N", title="digit", legend=alt.Legend(orient="bottom")),
            tooltip=[alt.Tooltip("epoch:Q"), alt.Tooltip("digit:N"), alt.Tooltip("probability:Q", format=".1%")],
        )
    )
    marker = alt.Chart(rule).mark_rule(color=MUTED, strokeDash=[4, 3]).encode(x="epoch:Q")
    return (drawn + marker).properties(height=240, autosize=FIT_WIDTH)


def epoch_probabilities(probabilities: np.ndarray, digits: Sequence[int], current: int,
                        first_epoch: int = 0) -> alt.LayerChart:
    """How sure the network was of some digits after each epoch: one line per digit in `digits`.

    probabilities: float (epochs, 10), row k after `first_epoch` + k epochs (epoch 0: random weights); current: the
    epoch the page shows, marked by a rule.
    """
    return epoch_probability_chart(*epoch_probability_frames(probabilities, digits, current, first_epoch))


def sweep_frames(angles: np.ndarray, probabilities: np.ndarray,
                 current: float) -> tuple[pd.DataFrame, pd.DataFrame]:
    """`sweep_chart`'s data: (line: angle, probability per angle; rule: one row, the current angle)."""
    line = pd.DataFrame({"angle": np.asarray(angles, dtype=float),
                         "probability": np.asarray(probabilities, dtype=float)})
    return line, pd.DataFrame({"angle": [float(current)]})


def sweep_layout(line: pd.DataFrame, rule: pd.DataFrame, digit: int,
                 angle_range: tuple[float, float]) -> alt.LayerChart:
    """`sweep_chart` drawn from its two frames (see `sweep_frames`); `angle_range` (degrees) spans the x axis."""
    x = alt.X("angle:Q", title="rotation (degrees, anticlockwise)",
              scale=alt.Scale(domain=[float(angle_range[0]), float(angle_range[1])], nice=False))
    drawn = (
        alt.Chart(line, title=f"Probability of {digit} as the digit turns")
        .mark_line(point=alt.OverlayMarkDef(color=HIGHLIGHT), color=HIGHLIGHT)
        .encode(x=x, y=alt.Y("probability:Q", scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format="%")),
                tooltip=[alt.Tooltip("angle:Q", format=".0f"), alt.Tooltip("probability:Q", format=".1%")])
    )
    marker = alt.Chart(rule).mark_rule(color=MARKER, strokeDash=[4, 3], strokeWidth=2).encode(x=x)
    return (drawn + marker).properties(height=220, autosize=FIT_WIDTH)


def sweep_chart(angles: np.ndarray, probabilities: np.ndarray, digit: int, current: float) -> alt.LayerChart:
    """How sure the model stays of `digit` as the picture turns: probability per angle, `current` marked.

    angles: float (n,) degrees; probabilities: float (n,) in [0, 1], the probability of `digit` at each angle.
    """
    angles = np.asarray(angles, dtype=float)
    return sweep_layout(*sweep_frames(angles, probabilities, current), digit, (angles.min(), angles.max()))
