"""What it tolerates: shift, turn, resize or partly erase the current digit and watch the prediction."""

import numpy as np
import streamlit as st

from cnnlab.app import digit_input, model_choice
from cnnlab.app.cached_pictures import cached_picture, filled_spec, per_network, probability_spec, show_picture
from cnnlab.digits.format import IMAGE_SIZE
from cnnlab.digits.transform import ROTATION_RANGE, SCALE_RANGE, SHIFT_RANGE, Distortion, distort, rotation_sweep
from cnnlab.lens.activations import predict_proba
from cnnlab.pictures.curves import sweep_frames, sweep_layout
from cnnlab.pictures.images import enlarge

SWEEP_ANGLES = np.arange(ROTATION_RANGE[0], ROTATION_RANGE[1] + 1, 5)
# "No change", the sliders' first values and what Reset puts back.
DEFAULTS = {"robustness_shift_right": 0, "robustness_shift_down": 0, "robustness_rotation": 0,
            "robustness_scale": 1.0, "robustness_erase_on": False}


def reset() -> None:
    """Put every slider back to "no change" (a callback, so it runs before the sliders are drawn)."""
    st.session_state.update(DEFAULTS)


def distortion_ui() -> Distortion:
    """The sliders; returns the chosen changes."""
    left, right = st.columns(2)
    shift_right = left.slider("Shift right (pixels)", *SHIFT_RANGE, DEFAULTS["robustness_shift_right"],
                              key="robustness_shift_right")
    shift_down = right.slider("Shift down (pixels)", *SHIFT_RANGE, DEFAULTS["robustness_shift_down"],
                              key="robustness_shift_down")
    rotation = left.slider("Rotate (degrees, anticlockwise)", *ROTATION_RANGE, DEFAULTS["robustness_rotation"],
                           key="robustness_rotation")
    scale = right.slider("Scale", *SCALE_RANGE, DEFAULTS["robustness_scale"], 0.05, key="robustness_scale")
    erase = None
    direction = "rows"
    if left.checkbox("Erase a band", key="robustness_erase_on"):
        direction = right.radio("Band of", ["rows", "columns"], horizontal=True, key="robustness_erase_direction")
        erase = left.slider(f"Erased {direction}", 0, IMAGE_SIZE - 1, (12, 15), key="robustness_erase")
    st.button("Reset", key="robustness_reset", on_click=reset)
    return Distortion(shift_right, shift_down, rotation, scale, erase, direction)


def verdict(before: int, after: int, probability: float) -> str:
    if after == before:
        return f"Still read as **{after}** ({probability:.0%} sure)."
    return f"Now read as **{after}** ({probability:.0%} sure) instead of {before}."


def sweep_probabilities(network, digit: np.ndarray, distortion: Distortion) -> np.ndarray:
    """The ten probabilities for the digit, changed as chosen, turned to each of SWEEP_ANGLES: (angles, 10)."""
    return predict_proba(network, rotation_sweep(digit, SWEEP_ANGLES, distortion))


def robustness_demo() -> None:
    result = model_choice.current_result()
    digit = digit_input.current_digit("robustness", " · draw your own on the Activations page.")

    # Only this part reruns while the sliders move, so the prediction follows them without redrawing the page.
    @st.fragment
    def live() -> None:
        distortion = distortion_ui()
        changed = distort(digit, distortion)
        original, now = per_network(predict_proba, result.network, np.stack([digit, changed]))
        before, after = int(original.argmax()), int(now.argmax())
        left, middle, right = st.columns([1, 1, 2])
        show_picture(cached_picture(enlarge, digit, 1), zoom=5, where=left, caption=f"Original: read as {before}",
                     alt="The original digit")
        show_picture(cached_picture(enlarge, changed, 1), zoom=5, where=middle, caption="Changed",
                     alt="The changed digit")
        middle.markdown(verdict(before, after, float(now[after])))
        right.vega_lite_chart(spec=probability_spec(now))
        sweep = per_network(sweep_probabilities, result.network, digit, distortion)[:, before]
        frames = sweep_frames(SWEEP_ANGLES, sweep, distortion.rotation)
        st.vega_lite_chart(spec=filled_spec(sweep_layout, frames, before, ROTATION_RANGE))

    live()


st.markdown(
    "A person reads a 7 whether it is small, tilted or off-centre. Does the network? Move, turn, shrink or "
    "partly erase the digit and watch its answer. The network only ever saw MNIST's centred, upright digits "
    "(unless it was trained with *Augment*), so some changes fool it quickly."
)
robustness_demo()
