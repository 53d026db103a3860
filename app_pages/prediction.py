"""Prediction: the network's ten probabilities for the current digit."""

import numpy as np
import streamlit as st

from cnnlab.app import digit_input, model_choice
from cnnlab.app.cached_pictures import cached_picture, per_network, probability_spec, show_picture
from cnnlab.lens.activations import predict_proba
from cnnlab.lens.saliency import class_gradient, saliency_map
from cnnlab.lens.sentences import answer_doubts
from cnnlab.pictures.images import enlarge, saliency_overlay, signed_image

GRADIENT_KINDS = {"score": "the raw score", "probability": "the probability"}


def prediction_demo() -> None:
    result = model_choice.current_result()
    digit = digit_input.random_digit_button("prediction")
    probabilities = per_network(predict_proba, result.network, digit)[0]
    order = np.argsort(probabilities)[::-1]
    best, runner_up = int(order[0]), int(order[1])
    left, right = st.columns([1, 3])
    with left:
        show_picture(cached_picture(enlarge, digit, 1), zoom=5, alt="The current digit")
        st.caption(digit_input.digit_origin_text())
        digit_input.show_prediction(probabilities)
        for doubt in answer_doubts(digit, probabilities):
            st.warning(doubt)
        st.markdown(
            f"Runner-up: **{runner_up}** at {probabilities[runner_up]:.1%}, "
            f"{(probabilities[best] - probabilities[runner_up]) * 100:.1f} percentage points behind."
        )
    with right:
        st.vega_lite_chart(spec=probability_spec(probabilities))
    st.caption(
        "The last layer's softmax turns ten scores into probabilities that add up to 100 %. "
        "Draw or pick another digit on the Activations page; it appears here too."
    )
    why_section(result, digit, best)


def why_section(result, digit, predicted: int) -> None:
    """Which pixels the answer depends on: the gradient of a class's score with respect to every pixel."""
    st.subheader("Why this answer?")
    st.markdown(
        "For every pixel, the network can say how much a digit's score would change if that pixel were a little "
        "brighter (its *gradient*). Bright spots in the middle picture are the pixels the answer depends on most; "
        "on the right, **blue** pixels would raise the score with more ink and **red** ones would lower it."
    )
    left, right = st.columns(2)
    target = left.selectbox("Explain the score of", [None, *range(10)], key="prediction_why_digit",
                            format_func=lambda digit: f"the prediction ({predicted})" if digit is None else str(digit))
    kind = right.radio("Gradient of", list(GRADIENT_KINDS), format_func=GRADIENT_KINDS.get, horizontal=True,
                       key="prediction_why_kind")
    target = predicted if target is None else target
    gradient = class_gradient(result.network, digit, target, kind=kind)
    if not gradient.any():
        st.info(f"The {kind} of {target} does not change with any pixel here (every path to it is switched off "
                "by a ReLU), so there is nothing to show.")
        return
    pictures = st.columns(3)
    show_picture(cached_picture(enlarge, digit, 1), zoom=6, where=pictures[0], caption="The input",
                 alt="The input digit")
    show_picture(cached_picture(saliency_overlay, digit, saliency_map(gradient), scale=1), zoom=6, where=pictures[1],
                 alt="Where the score is decided", caption=f"Where the {kind} of {target} is decided")
    show_picture(cached_picture(signed_image, gradient, scale=1), zoom=6, where=pictures[2],
                 caption="More ink here: blue raises it, red lowers it",
                 alt="The gradient of every pixel, blue positive and red negative")


prediction_demo()
