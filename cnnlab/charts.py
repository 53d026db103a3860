"""Altair charts of CNN Lab's data: training curves, kernels, probabilities, dense activations.

Each function takes plain arrays or lists and returns an `alt.Chart`; the pages only display them.
"""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import numpy as np
import pandas as pd

HIGHLIGHT = "#e4572e"
MUTED = "#9aa5b1"


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


def training_curves(epochs: Sequence[dict], total_epochs: int) -> alt.HConcatChart:
    """Loss and accuracy per epoch, training against validation, on an x axis fixed to all epochs so
    the curves grow into place while a training runs."""
    frame = history_frame(epochs)
    x = alt.X("epoch:Q", title="epoch", scale=alt.Scale(domain=[1, max(total_epochs, 2)]),
              axis=alt.Axis(tickMinStep=1, format="d"))
    colour = alt.Color("data:N", title=None, scale=alt.Scale(domain=["training", "validation"],
                                                             range=["#1f77b4", HIGHLIGHT]))
    charts = []
    for metric, title in (("loss", "Loss (lower is better)"), ("accuracy", "Accuracy (higher is better)")):
        charts.append(
            alt.Chart(frame[frame["metric"] == metric], title=title)
            .mark_line(point=True)
            .encode(x=x, y=alt.Y("value:Q", title=metric, scale=alt.Scale(zero=False)), color=colour,
                    tooltip=["epoch", "data", alt.Tooltip("value:Q", format=".4f")])
            .properties(width=260, height=200)
        )
    return alt.hconcat(*charts).resolve_scale(color="shared")


def kernel_frame(kernels: np.ndarray, channel: int = 0) -> pd.DataFrame:
    """Long table of kernel weights for one input channel: columns filter (1-based), row, column, weight.

    kernels: float (k, k, input channels, filters) as `cnnlab.inspect.conv_filters` returns."""
    size, _, _, count = kernels.shape
    rows, columns, filters = np.meshgrid(np.arange(size), np.arange(size), np.arange(count), indexing="ij")
    return pd.DataFrame({
        "filter": filters.ravel() + 1,
        "row": rows.ravel(),
        "column": columns.ravel(),
        "weight": kernels[:, :, channel, :].ravel().astype(float),
    })


def kernel_grid(kernels: np.ndarray, channel: int = 0, columns: int = 6, cell: int = 14) -> alt.FacetChart:
    """Each filter as a small heatmap on a red–blue scale centred on zero (blue positive, red negative)."""
    frame = kernel_frame(kernels, channel)
    limit = float(np.abs(frame["weight"]).max()) or 1.0
    return (
        alt.Chart(frame)
        .mark_rect()
        .encode(
            x=alt.X("column:O", axis=None),
            y=alt.Y("row:O", axis=None),
            color=alt.Color("weight:Q", title="weight",
                            scale=alt.Scale(scheme="redblue", domain=[-limit, limit], domainMid=0)),
            tooltip=["filter", "row", "column", alt.Tooltip("weight:Q", format=".3f")],
        )
        .properties(width=kernels.shape[0] * cell, height=kernels.shape[0] * cell)
        .facet(facet=alt.Facet("filter:O", title=None, header=alt.Header(labelFontSize=11)),
               columns=columns, spacing=6)
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
        .properties(height=260)
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
        .properties(height=140)
    )
