"""The input digit the pages share: a random test digit, a drawing on the canvas, or an upload."""

from __future__ import annotations

import numpy as np
import streamlit as st

from cnnlab.app.model_choice import current_job
from cnnlab.app.resources import get_dataset

DIGIT = "digit"  # uint8 (28, 28): the input the Activations and Prediction pages show
DIGIT_ORIGIN = "digit_origin"  # a sentence saying where the digit came from
DIGIT_LABEL = "digit_label"  # the true label when known, else None


def set_digit(image: np.ndarray | None, origin: str, label: int | None = None) -> None:
    """Make `image` (uint8 28×28) the input that the Activations and Prediction pages show."""
    st.session_state[DIGIT] = image
    st.session_state[DIGIT_ORIGIN] = origin
    st.session_state[DIGIT_LABEL] = label


def pick_random_digit() -> None:
    """Make a random test digit of the model's own data set the current input."""
    job = current_job()
    dataset = job.dataset if job is not None else get_dataset("mnist")
    index = int(np.random.default_rng().integers(len(dataset.y_test)))
    set_digit(dataset.x_test[index], f"test digit #{index:,}", int(dataset.y_test[index]))


def random_digit_button(page_key: str, keep_own: bool = True) -> np.ndarray:
    """A "Random digit" button; returns the digit the pages share, uint8 (28, 28).

    A new random test digit replaces it when the button is pressed, on a first visit, and, with `keep_own=False`,
    when it is the student's own drawing or upload (it has no true label)."""
    own = st.session_state.get(DIGIT_LABEL) is None
    if st.button("Random digit", key=f"{page_key}_random") or st.session_state.get(DIGIT) is None or (
            own and not keep_own):
        pick_random_digit()
    return st.session_state[DIGIT]


def current_digit(page_key: str, hint: str = "") -> np.ndarray:
    """The input digit the pages share, with a "Random digit" button and a caption saying where the digit came
    from (plus `hint`). Returns uint8 (28, 28)."""
    digit = random_digit_button(page_key)
    st.caption(digit_origin_text() + hint)
    return digit


def digit_origin_text() -> str:
    """A sentence saying which digit is shown, with its true label when known."""
    origin = st.session_state.get(DIGIT_ORIGIN, "")
    label = st.session_state.get(DIGIT_LABEL)
    return f"Input: {origin}" + (f" · true label: {label}" if label is not None else "")


def show_prediction(probabilities: np.ndarray) -> None:
    """ "Prediction: 7" in large type, with how sure the network is."""
    predicted = int(np.argmax(probabilities))
    st.subheader(f"Prediction: {predicted}")
    st.caption(f"with probability {float(probabilities[predicted]):.1%}")


CANVAS_PIXELS = 280
STROKE_PIXELS = 18  # about MNIST's stroke width once the drawing is scaled into its 20-pixel box


def drawing_canvas(key: str) -> np.ndarray | None:
    """A 280×280 canvas for drawing with white ink on black; returns its RGBA pixels, or None before
    anything was drawn. The canvas's own toolbar offers undo, redo and clear."""
    # Imported on first use, so tests can stand in for the browser-side canvas.
    try:
        import streamlit_drawable_canvas
    except Exception as error:  # noqa: BLE001 - a missing component must not take the page down
        st.warning(f"The drawing canvas could not be loaded ({error}); pick a random digit or upload a "
                   "picture instead.")
        return None
    # The canvas's toolbar (undo, redo, clear) appears above it on hover, over whatever is there: a margin keeps
    # that space empty. (Its Fabric edit tools cannot be turned off: the component draws them in a shadow root.)
    st.html(f"<style>.st-key-{key} {{ margin-top: 2.75rem; }}</style>")
    result = streamlit_drawable_canvas.st_canvas(
        stroke_width=STROKE_PIXELS, stroke_color="#FFFFFF", background_color="#000000",
        height=CANVAS_PIXELS, width=CANVAS_PIXELS, drawing_mode="freedraw", return_image_data=True, key=key,
    )
    return result.image_data
