"""The Train page's architecture: the widgets of the conv layers, pooling, padding, stride and activation, the
output-size formula with the network's own numbers, and experiments to try."""

from __future__ import annotations

import streamlit as st

from cnnlab.app import kept_widgets
from cnnlab.config import (
    ACTIVATIONS,
    CONV_LAYERS_RANGE,
    FILTERS_RANGE,
    KERNEL_SIZE_RANGE,
    PADDINGS,
    POOLINGS,
    STRIDES,
    TrainConfig,
)
from cnnlab.lens.architecture import EXPERIMENTS, LESSONS, SIZE_FORMULA, experiment_settings, size_formulas
from cnnlab.words import setting_text


def conv_layers_ui() -> None:
    """How many conv layers, and each one's filters and kernel size, side by side, with what they change."""
    count = st.slider("Conv layers", *CONV_LAYERS_RANGE, key=kept_widgets.CONV_COUNT_WIDGET,
                      help="How many convolutional layers the digit goes through before the dense layers.")
    st.caption(LESSONS["conv_layers"])
    sizes = list(range(KERNEL_SIZE_RANGE[0], KERNEL_SIZE_RANGE[1] + 1))
    # Always as many columns as the most layers, so a layer's sliders keep their place when another is added.
    for number, column, (filters_key, kernel_key) in zip(range(1, count + 1), st.columns(CONV_LAYERS_RANGE[1]),
                                                         kept_widgets.CONV_WIDGETS, strict=False):
        column.slider(f"Filters in conv layer {number}", *FILTERS_RANGE, key=filters_key)
        column.select_slider(f"Kernel size of conv layer {number}", sizes, key=kernel_key,
                             format_func=lambda size: f"{size} × {size}")
    st.caption(LESSONS["kernel_size"])


def layer_choices_ui() -> None:
    """Pooling, padding, stride and the activation, each with a sentence on what it changes."""
    keys = kept_widgets.SETTING_WIDGETS
    choices = {"pooling": ("Pooling", POOLINGS), "padding": ("Padding", PADDINGS), "stride": ("Stride", STRIDES),
               "activation": ("Activation", ACTIVATIONS)}
    for column, (name, (label, options)) in zip(st.columns(len(choices)), choices.items(), strict=True):
        column.radio(label, options, key=keys[name], horizontal=True,
                     format_func=lambda value, name=name: setting_text(name, value))
        column.caption(LESSONS[name])


def size_formulas_ui(config: TrainConfig) -> None:
    """Each conv and pooling layer's output side worked out with the formula, under the table."""
    lines = "\n".join(f"- **{name}**: {formula}" for name, formula in size_formulas(config))
    st.markdown("**Where the sizes come from.** Along each side, a conv or pooling layer gives "
                f"{SIZE_FORMULA} values: *in* is its input's side, *pad* the zeros added on each side (none without "
                "“same” padding), and a 2 × 2 pooling is a kernel of 2 with stride 2. For these settings:\n\n"
                + lines)


def experiments_ui() -> None:
    """Three pairs of settings to train one after the other and compare on the Compare page, a click each."""
    with st.container(border=True):
        st.markdown("**Experiments to try.** Train both settings of a pair (a button puts them in the settings "
                    "above; then press Train), and open **Compare two models** to see them side by side.")
        for index, experiment in enumerate(EXPERIMENTS):
            first, second = experiment_settings(experiment)
            first_name = experiment.first_name[0].upper() + experiment.first_name[1:]  # "ReLU" stays "ReLU"
            st.markdown(f"{index + 1}. *{experiment.question}* {first_name} against "
                        f"{experiment.second_name}, on {first.train_size:,} training images: watch how "
                        f"{experiment.watch}")
            left, right = st.columns(2)
            left.button(f"Use: {experiment.first_name}", key=f"train_experiment_{index}_first",
                        on_click=kept_widgets.show_settings, args=(first,))
            right.button(f"Use: {experiment.second_name}", key=f"train_experiment_{index}_second",
                         on_click=kept_widgets.show_settings, args=(second,))
