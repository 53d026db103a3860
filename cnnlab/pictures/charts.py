"""Altair charts of CNN Lab's data: probabilities, unit values, accuracy per digit, the class's experiments and the
digit map (line charts are in `curves`, charts of cells in `grids`).

Each function takes plain arrays or lists and returns an `alt.Chart`; the pages only display them.
"""

from __future__ import annotations

import re

import altair as alt
import numpy as np
import pandas as pd

from cnnlab.pictures.palette import (
    CATEGORY_SCHEME,
    DIGIT_SCHEME,
    HIGHLIGHT,
    MUTED,
    NEGATIVE,
    ORDERED_SCHEME,
    ORDERED_SCHEME_END,
    POSITIVE,
)

# Charts fill their column's width, and `height` is the plot's own height: Streamlit's theme otherwise counts the
# title, axes and legend inside the height, which left the training curves' lines in a few pixels.
FIT_WIDTH = alt.AutoSizeParams(type="fit-x", contains="padding")


# A phone is 390 px wide and the page keeps margins: a grid no wider than this never makes a page scroll sideways.
PHONE_CHART_WIDTH = 330


def probability_frame(probabilities: np.ndarray) -> pd.DataFrame:
    """`probability_bars`' data: ten rows (digit as text, probability in [0, 1], "prediction" or "other")."""
    probabilities = np.asarray(probabilities, dtype=float).ravel()
    predicted = int(probabilities.argmax())
    return pd.DataFrame({
        "digit": [str(digit) for digit in range(10)],
        "probability": probabilities,
        "predicted": ["prediction" if digit == predicted else "other" for digit in range(10)],
    })


def probability_bars(probabilities: np.ndarray) -> alt.Chart:
    """Ten bars, one per digit, the predicted digit highlighted; tooltips give exact percentages.
    probabilities: float (10,), summing to 1."""
    return probability_chart(probability_frame(probabilities))


def probability_chart(frame: pd.DataFrame) -> alt.Chart:
    """`probability_bars` drawn from its frame (see `probability_frame`): nothing in its layout depends on the
    probabilities."""
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


def channel_contributions(channel_sums: np.ndarray, kernel_size: int = 3) -> alt.Chart:
    """One bar per input map: how much it adds to (blue) or takes from (red) a conv2 value, whose kernels are
    kernel_size × kernel_size."""
    channel_sums = np.asarray(channel_sums, dtype=float).ravel()
    frame = pd.DataFrame({"input map": np.arange(1, len(channel_sums) + 1), "contribution": channel_sums,
                          "sign": np.where(channel_sums >= 0, "adds", "takes away")})
    return (
        alt.Chart(frame)
        .mark_bar()
        .encode(x=alt.X("input map:O", axis=alt.Axis(labelAngle=0, labels=len(channel_sums) <= 40)),
                y=alt.Y("contribution:Q", title=f"sum of its {kernel_size}×{kernel_size} products"),
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


def accuracy_floor(accuracies) -> float:
    """Where an accuracy axis starts: 90 %, or lower in steps of 10 % when a model scored below that. Models a seed
    apart differ by a few tenths of a percent: an axis fitted to them would make that noise fill the chart."""
    lowest = float(np.nanmin(accuracies)) if len(accuracies) else 1.0
    return min(0.9, np.floor(lowest * 10) / 10)


def ordered_values(values: pd.Series) -> list:
    """A column's distinct values in a reader's order: numbers by size, words that hold numbers ("1,000", "128 → 50",
    "no hidden layers") by the sum of those numbers with "all" last, other words alphabetically."""
    def order(value) -> tuple:
        if isinstance(value, (int, float, np.number)):
            return (0, float(value), "")
        text = str(value)
        numbers = [float(number.replace(",", "")) for number in re.findall(r"\d[\d,]*(?:\.\d+)?", text)]
        if text == "all":
            return (0, float("inf"), text)
        if numbers or text.startswith("no "):
            return (0, sum(numbers), text)
        return (1, 0.0, text)

    return sorted(pd.unique(values), key=order)


def value_label(value) -> str:
    """A setting's value as a legend writes it: 30, 0.001, 0.2, "128 → 50" (never "30.000000")."""
    if isinstance(value, (float, np.floating)):
        return f"{float(value):g}"
    if isinstance(value, (int, np.integer)):
        return f"{int(value):,}"
    return str(value)


# Settings whose values have no order worth a colour ramp: the ramp would suggest one.
UNORDERED_COLOURS = ("seed", "augmentation", "yours", "data")


def experiments_scatter(frame: pd.DataFrame, x: str, colour: str, log_x: bool = False,
                        name: str = "model") -> alt.Chart:
    """Test accuracy against `x` ("parameters" or "training seconds") for the models of an experiments table
    (`cnnlab.lens.experiments.experiments_table`, or some of its rows), coloured by the setting `colour`; clicking a
    point selects it (the selection holds its "row": the frame's index).

    The colours are categories written as the table writes them: ordered values (filters, epochs, dropout …) on a
    dark-to-light ramp that stops short of white, the others (seed, augmentation) in distinct hues. The accuracy
    axis starts at `accuracy_floor`, and each axis has a range and number format that a single model fills too.
    """
    data = frame.assign(row=frame.index)
    order = ordered_values(data[colour])
    labels = [value_label(value) for value in order]
    data["colour"] = data[colour].map(dict(zip(order, labels, strict=True)))
    ordered = colour not in UNORDERED_COLOURS and len(order) > 1
    scheme = alt.SchemeParams(name=ORDERED_SCHEME, extent=[0, ORDERED_SCHEME_END]) if ordered else CATEGORY_SCHEME
    low, high = float(data[x].min()), float(data[x].max())
    if log_x:
        x_scale = alt.Scale(type="log", domain=[low / 1.5, high * 1.5], nice=False)
    else:
        x_scale = alt.Scale(domain=[0, high * 1.1 or 1.0], nice=False)
    # Whole numbers, but tenths on a short axis (a few seconds), whose whole-number ticks would repeat ("0 0 1 1").
    x_format = ",.0f" if log_x or high >= 20 else ",.1f"
    pick = alt.selection_point(name=name, fields=["row"], on="click")
    return (
        alt.Chart(data)
        .mark_circle(size=90, opacity=0.85, stroke="#333", strokeWidth=0.5)
        .encode(
            x=alt.X(x, type="quantitative", scale=x_scale, title=x + (" (log scale)" if log_x else ""),
                    axis=alt.Axis(format=x_format, labelOverlap=True)),
            y=alt.Y("test accuracy", type="quantitative",
                    scale=alt.Scale(domain=[accuracy_floor(data["test accuracy"]), 1.0], nice=False),
                    axis=alt.Axis(format=".0%"), title="test accuracy"),
            color=alt.Color("colour", type="ordinal" if ordered else "nominal", title=colour,
                            scale=alt.Scale(domain=labels, scheme=scheme),
                            legend=alt.Legend(orient="bottom", title=colour)),
            tooltip=["model", "settings", alt.Tooltip("parameters", format=","),
                     alt.Tooltip("training seconds", format=",.1f"), alt.Tooltip("test accuracy", format=".2%")],
        )
        .add_params(pick)
        .properties(height=280, autosize=FIT_WIDTH)
    )


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
