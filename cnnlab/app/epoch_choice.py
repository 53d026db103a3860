"""The epoch slider of the pages that replay a training (Watch your digit learn, Filters), which keeps a student's
epoch while a running training adds epochs to it.

Streamlit gives a slider a new identity when its maximum changes, and a new slider starts at its default value: a
slider whose default is the newest epoch would jump there at every epoch that ends. Here the student's choice is kept
in the session instead, per model: the epoch they moved to, or "the newest" until they move the slider (and again
once they tick "Follow the newest epoch"), and the slider is given that value before it is drawn.

A move is told from the slider's value itself, not from `on_change`: the slider and the checkbox are set on every
run, and while a page reruns itself every second, a browser's reply can carry a value set a run before, which
Streamlit would report as a change. A value that differs from the one this module set last is the student's.
"""

from __future__ import annotations

import streamlit as st

CHOSEN_SUFFIX = "_chosen"  # session state: (model key, epoch), or (model key, None) to follow the newest epoch
SET_SUFFIX = "_set"  # session state: (model key, epoch, newest epoch, following) as the last run set them
FOLLOW_SUFFIX = "_follow"  # the "Follow the newest epoch" checkbox


def note_moves(key: str, model_key: tuple) -> None:
    """Record what the student did since the last run: moved the slider (to the newest epoch: follow it; elsewhere:
    stay there), or ticked or cleared the checkbox (follow, or stay on the epoch shown)."""
    last = st.session_state.get(key + SET_SUFFIX)
    if last is None or last[0] != model_key:
        return
    _, epoch, newest, following = last
    chosen = key + CHOSEN_SUFFIX
    if st.session_state.get(key, epoch) != epoch:
        moved = st.session_state[key]
        st.session_state[chosen] = (model_key, None if moved == newest else moved)
    elif st.session_state.get(key + FOLLOW_SUFFIX, following) != following:
        st.session_state[chosen] = (model_key, None if st.session_state[key + FOLLOW_SUFFIX] else epoch)


def chosen_epoch(key: str, model_key: tuple, epochs: range) -> int | None:
    """The epoch the student chose for this model, within `epochs`; None while they follow the newest."""
    kept = st.session_state.get(key + CHOSEN_SUFFIX)
    if kept is None or kept[0] != model_key or kept[1] is None:
        return None
    return min(max(kept[1], epochs.start), epochs[-1])


def epoch_slider(label: str, epochs: range, key: str, model_key: tuple, live: bool) -> int:
    """The epoch to show of a training that kept `epochs` (a range of at least one epoch): a slider over them, at
    the epoch the student chose, or at the newest until they choose one. While the training runs (`live`), a
    checkbox "Follow the newest epoch" says which, and can be ticked to follow again.

    key: the slider's widget key, named after the page ("watch_epoch"); model_key: the job's key, so that a choice
    made for one model does not carry over to another.
    """
    note_moves(key, model_key)
    last = st.session_state.get(key + SET_SUFFIX)
    newest = epochs[-1]
    chosen = chosen_epoch(key, model_key, epochs)
    epoch = newest if chosen is None else chosen
    st.session_state[key + SET_SUFFIX] = (model_key, epoch, newest, chosen is None)
    if len(epochs) < 2:
        return epoch
    # Set before the slider is drawn when it must change: after a new epoch the slider is a new widget, which would
    # otherwise start at its default. Only then: a value sent with every run would undo a move the student makes
    # while the page reruns itself.
    setting = st.session_state.get(key) != epoch or last is None or last[2] != newest
    if setting:
        st.session_state[key] = epoch
    # Otherwise the epoch goes as the slider's default (which does not move a drawn slider), so that every run's
    # slider names the epoch it stands at.
    epoch = st.slider(label, epochs.start, newest, None if setting else epoch, key=key)
    if live:
        if st.session_state.get(key + FOLLOW_SUFFIX) != (chosen is None):
            st.session_state[key + FOLLOW_SUFFIX] = chosen is None
        st.checkbox("Follow the newest epoch", key=key + FOLLOW_SUFFIX,
                    help="Ticked, the slider moves to each epoch as it ends; moving the slider clears it.")
    return epoch
