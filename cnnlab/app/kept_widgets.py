"""Widgets whose values survive a page switch.

Streamlit forgets a widget's value once a run of the app does not draw it, i.e. on any other page. These widgets'
values are copied under KEPT_PREFIX on every run and put back after a page switch, so a student who leaves the
Train page during a training comes back to the same sliders, and so to the same job. (Buttons and file uploaders
cannot be set, so they are not kept.)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields, replace

import streamlit as st

from cnnlab.app.model_choice import DATASET_CHOICE
from cnnlab.config import CONV_LAYERS_RANGE, REFERENCE_CONV_LAYERS, TrainConfig

KEPT_PREFIX = "kept:"
CURRENT_PAGE = "current_page"  # the page the latest full run drew (its address path)
PAGE_CHANGED = "page_changed"  # whether that run was the first on its page since the student arrived
# The Train page's widget for each setting it offers (every `TrainConfig` field but the validation share and the
# conv layers), named after the page: "train_epochs", …, and "train_size" for the field of that name.
SETTING_WIDGETS = {field.name: field.name if field.name.startswith("train_") else f"train_{field.name}"
                   for field in fields(TrainConfig) if field.name not in ("validation_fraction", "conv_layers")}
# The conv layers take several widgets: how many layers, and each possible layer's filters and kernel size. A layer
# the settings leave out keeps its widgets' values, so a student who takes a layer away and back finds it as it was;
# one never chosen starts as the reference model's (a third layer: 32 filters of 3 × 3).
CONV_COUNT_WIDGET = "train_conv_count"
CONV_WIDGETS = [(f"train_conv{number}_filters", f"train_conv{number}_kernel")
                for number in range(1, CONV_LAYERS_RANGE[1] + 1)]
UNCHOSEN_CONV_LAYERS = (*REFERENCE_CONV_LAYERS, (32, 3))
KEPT_WIDGET_KEYS = (*SETTING_WIDGETS.values(), CONV_COUNT_WIDGET, *(key for pair in CONV_WIDGETS for key in pair),
                    DATASET_CHOICE, "activations_input")


def keep_widget_values() -> None:
    """Remember the kept widgets' latest values, and restore any a page switch has cleared.

    Call at the start of every run, before a page draws its widgets (the app's entry point does).
    """
    for key in KEPT_WIDGET_KEYS:
        if key in st.session_state:
            st.session_state[KEPT_PREFIX + key] = st.session_state[key]
        elif KEPT_PREFIX + key in st.session_state:
            st.session_state[key] = st.session_state[KEPT_PREFIX + key]


def setting_widget_values(config: TrainConfig) -> dict:
    """{widget key: value} that shows `config` in the Train page's setting widgets; the widgets of conv layers it
    does not have are left out."""
    values = {key: getattr(config, name) for name, key in SETTING_WIDGETS.items()}
    values[CONV_COUNT_WIDGET] = len(config.conv_layers)
    for (filters_key, kernel_key), (filters, kernel) in zip(CONV_WIDGETS, config.conv_layers, strict=False):
        values[filters_key], values[kernel_key] = filters, kernel
    return values


def unchosen_conv_values() -> dict:
    """{widget key: value} of every conv layer's widgets as they start, before a student or a link sets them."""
    return {key: value for keys, layer in zip(CONV_WIDGETS, UNCHOSEN_CONV_LAYERS, strict=True)
            for key, value in zip(keys, layer, strict=True)}


def config_from_widgets(values: Mapping, base: TrainConfig) -> TrainConfig:
    """The settings the Train page's widgets hold (`values`: the session state), on top of `base` for the settings
    they do not show. Raises ValueError, as `TrainConfig` does, for values it refuses."""
    count = values[CONV_COUNT_WIDGET]
    conv_layers = tuple((values[filters_key], values[kernel_key]) for filters_key, kernel_key in CONV_WIDGETS[:count])
    return replace(base, conv_layers=conv_layers, **{name: values[key] for name, key in SETTING_WIDGETS.items()})


def show_settings(config: TrainConfig) -> None:
    """Put `config`'s values in the Train page's setting widgets (as a button's callback, which runs before the
    widgets are drawn)."""
    for key, value in setting_widget_values(config).items():
        st.session_state[key] = value


def note_page(url_path: str) -> None:
    """Record which page this run draws, so `prepare_widget` knows whether the student has just arrived on it.

    Call once per full run, before the page runs (the app's entry point does).
    """
    st.session_state[PAGE_CHANGED] = st.session_state.get(CURRENT_PAGE) != url_path
    st.session_state[CURRENT_PAGE] = url_path


def prepare_widget(key: str, default) -> None:
    """Give a kept widget its value just before the page draws it: `default` when it has none, and its own again
    on the first run after the student arrives on the page.

    Assigned again then, although it holds that value already: the browser forgets a page's widgets when the
    student leaves it, and draws them at their defaults unless the run that draws them sets their values. Only
    then: a value set on every run would undo a slider move the student made while the run was going.
    """
    if key not in st.session_state:
        st.session_state[key] = default
    elif st.session_state.get(PAGE_CHANGED, True):
        st.session_state[key] = st.session_state[key]
