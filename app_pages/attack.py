"""Fool the network: the smallest change to the current digit that makes the network read another digit."""

import numpy as np
import streamlit as st

from cnnlab.app import digit_input, model_choice
from cnnlab.app.cached_pictures import cached_picture, per_network, show_picture
from cnnlab.lens.activations import predict_proba
from cnnlab.lens.attack import BUDGET_RANGE, DEFAULT_BUDGET, DEFAULT_STEPS, STEPS_RANGE, AttackResult, fool
from cnnlab.pictures.images import enlarge, signed_image

LESSON = (
    "**Why this works.** The network does not see a *shape*; it passes the 784 pixels through {weights:,} learnt "
    "weights, multiplying and adding up, layer after layer. The gradient tells, for every pixel, which way nudges "
    "the sum towards the target digit, and a small nudge on *every* pixel at once adds up to a large change of the "
    "sum, while a person barely notices it. The network was trained only on clean handwritten digits, so nothing "
    "taught it to ignore such faint patterns. This is called an *adversarial example*; the same trick fools "
    "networks that read road signs or faces, and making networks robust to it (for example by training on attacked "
    "digits too) is still an open research question."
)


def settings_ui(predicted: int) -> tuple[int, int, int]:
    """The digit to aim for (never the one the network reads now), the pixel budget and the number of steps."""
    if st.session_state.get("attack_target") == predicted:  # the digit changed and now reads as the old target
        del st.session_state["attack_target"]
    choices = [digit for digit in range(10) if digit != predicted]
    left, middle, right = st.columns(3)
    target = left.selectbox("Make it read as", choices, index=choices.index((predicted + 1) % 10),
                            key="attack_target")
    budget = middle.slider("Largest change per pixel (grey levels of 255)", *BUDGET_RANGE, DEFAULT_BUDGET,
                           key="attack_budget")
    steps = right.slider("Steps", *STEPS_RANGE, DEFAULT_STEPS, key="attack_steps")
    return target, budget, steps


def show_attack(attack: AttackResult) -> None:
    """Original, change and result side by side, each with what the network reads."""
    def read(probabilities) -> str:
        digit = int(np.argmax(probabilities))
        return f"reads {digit} ({probabilities[digit]:.0%})"

    columns = st.columns(3)
    show_picture(cached_picture(enlarge, attack.original, 1), zoom=5, where=columns[0],
                 caption=f"Original: {read(attack.original_probabilities)}", alt="The original digit")
    show_picture(cached_picture(signed_image, attack.change.astype(np.float32), scale=1), zoom=5, where=columns[1],
                 alt="The change made to it",
                 caption=f"Change: up to {attack.largest_change} grey levels on {attack.changed_pixels} pixels "
                     "(blue adds ink, red removes it; strengthened to be seen)")
    show_picture(cached_picture(enlarge, attack.attacked, 1), zoom=5, where=columns[2],
                 caption=f"Result: {read(attack.attacked_probabilities)}", alt="The changed digit")
    (st.success if attack.succeeded else st.warning)(attack.message)


def attack_demo() -> None:
    job = model_choice.current_job()
    result = job.result
    digit = digit_input.current_digit("attack", " · draw or pick another on the Activations page")
    predicted = int(np.argmax(per_network(predict_proba, result.network, digit)[0]))
    target, budget, steps = settings_ui(predicted)
    attack = per_network(fool, result.network, digit, target, budget=budget, steps=steps,
                         spinner="Looking for the smallest change…")
    show_attack(attack)
    # The Prediction page shows the fooled digit's ten probabilities and which pixels decided them. A person still
    # sees the original digit, so its true label (when known) stays.
    if attack.succeeded and st.button("Open the fooled digit in Prediction", key="attack_open"):
        label = st.session_state.get(digit_input.DIGIT_LABEL)
        digit_input.set_digit(attack.attacked, f"your digit changed to read as {target}", label)
        st.switch_page("app_pages/prediction.py")
    st.markdown(LESSON.format(weights=result.network.count_params()))


st.markdown(
    "How much must a digit change before the network reads another one? Pick the digit it should read, and a "
    "gradient-sign attack changes every pixel a little, step by step, in the direction that pushes the answer "
    "towards it, never by more grey levels than you allow."
)
attack_demo()
