"""Widgets whose values survive a page switch.

Streamlit forgets a widget's value once a run of the app does not draw it, i.e. on any other page. These widgets'
values are copied under KEPT_PREFIX on every run and put back after a page switch, so a student who leaves the
Train page during a training comes back to the same sliders, and so to the same job. (Buttons and file uploaders
cannot be set, so they are not kept.)
"""

from __future__ import annotations

from dataclasses import fields

import streamlit as st

from cnnlab.app.model_choice import DATASET_CHOICE
from cnnlab.config import TrainConfig

KEPT_PREFIX = "kept:"
CURRENT_PAGE = "current_page"  # the page the latest full run drew (its address path)
PAGE_CHANGED = "page_changed"  # whether that run was the first on its page since the student arrived
# The Train page's widget for each setting it offers (every `TrainConfig` field but the validation share), named
# after the page: "train_epochs", …, and "train_size" for the field of that name.
SETTING_WIDGETS = {field.name: field.name if field.name.startswith("train_") else f"train_{field.name}"
                   for field in fields(TrainConfig) if field.name != "validation_fraction"}
KEPT_WIDGET_KEYS = (*SETTING_WIDGETS.values(), DATASET_CHOICE, "activations_input")


def keep_widget_values() -> None:
    """Remember the kept widgets' latest values, and restore any a page switch has cleared.

    Call at the start of every run, before a page draws its widgets (the app's entry point does).
    """
    for key in KEPT_WIDGET_KEYS:
        if key in st.session_state:
            st.session_state[KEPT_PREFIX + key] = st.session_state[key]
        elif KEPT_PREFIX + key in st.session_state:
            st.session_state[key] = st.session_state[KEPT_PREFIX + key]


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
