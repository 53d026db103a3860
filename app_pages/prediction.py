"""Prediction: the network's ten probabilities for the current digit."""

import numpy as np
import streamlit as st

from cnnlab import ui
from cnnlab.charts import probability_bars
from cnnlab.inspect import predict_proba
from cnnlab.render import enlarge


def prediction_demo() -> None:
    result = ui.require_model("prediction")
    if result is None:
        return
    if st.session_state.get(ui.DIGIT) is None:
        ui.pick_random_digit()
    if st.button("Random digit", key="prediction_random"):
        ui.pick_random_digit()
    digit = st.session_state[ui.DIGIT]
    probabilities = predict_proba(result.model, digit)[0]
    order = np.argsort(probabilities)[::-1]
    best, runner_up = int(order[0]), int(order[1])
    left, right = st.columns([1, 3])
    with left:
        st.image(enlarge(digit, 5), width=140)
        st.caption(ui.digit_origin_text())
        ui.show_prediction(probabilities)
        st.markdown(
            f"Runner-up: **{runner_up}** at {probabilities[runner_up]:.1%}, "
            f"{(probabilities[best] - probabilities[runner_up]) * 100:.1f} percentage points behind."
        )
    with right:
        st.altair_chart(probability_bars(probabilities))
    st.caption(
        "The last layer's softmax turns ten scores into probabilities that add up to 100 %. "
        "Draw or pick another digit on the Activations page; it appears here too."
    )


st.title("Prediction")
ui.show_sidebar()
prediction_demo()
