"""What a filter looks for: the picture each filter, dense unit or output digit responds to most."""

import numpy as np
import streamlit as st

from cnnlab.app import model_choice
from cnnlab.app.cached_pictures import cached_picture, keyed_result, per_network, show_picture
from cnnlab.lens.activations import conv_filters, predict_proba
from cnnlab.lens.patterns import preferred_inputs, receptive_field, unit_count, usual_unit_values
from cnnlab.lens.scores import scored_layer_names
from cnnlab.pictures.images import enlarge, framed, pattern_mosaic

# What the page says while it works out the pictures that excite a layer's units most.
CLIMBING = "Climbing towards each unit's favourite picture…"
# Enough test digits for a steady median and maximum of a unit's values, few enough to take a fraction of a second.
USUAL_DIGITS = 1000


def usual_values(job, layer_name: str) -> tuple:
    """Each unit's median and highest value over the model's first USUAL_DIGITS test digits, once per model and
    layer (named by them: hashing a thousand digits on every run would cost more than the page)."""
    return keyed_result((job.key, layer_name), usual_unit_values, job.result.network, layer_name,
                        job.dataset.x_test[:USUAL_DIGITS], spinner="Passing test digits through the network…")


def conv_section(result, layer_name: str) -> None:
    """What the layer's units see and look for, then every filter's pattern, cut to the pixels its unit sees; conv1's
    beside its own kernel."""
    network = result.network
    top, left, size = receptive_field(network, layer_name)
    names = [layer.name for layer in network.layers]
    if layer_name == "conv1":
        kernel = network.layer("conv1").window
        st.subheader("conv1: edges and strokes")
        st.markdown(f"Each conv1 unit sees a {kernel}×{kernel} square of the digit. Its favourite picture puts white "
                    "ink where the filter's weights are positive and leaves black where they are negative: the "
                    "filter *is* the pattern it looks for.")
    else:
        before = names[names.index(layer_name) - 1]
        number = int(layer_name.removeprefix("conv"))
        path = " and pooling" if before.startswith("pool") else ""
        st.subheader(f"{layer_name}: combinations")
        st.markdown(f"A {layer_name} unit sees a {size}×{size} square of the digit through conv{number - 1}{path}, "
                    f"so it looks for combinations of conv{number - 1}'s patterns: "
                    + ("corners, curves, crossings." if number == 2 else "whole parts of digits, loops and bars."))
    patterns = per_network(preferred_inputs, network, layer_name, spinner=CLIMBING)
    crops = patterns.images[:, top : top + size, left : left + size]
    if layer_name == "conv1":
        kernels = conv_filters(network, 0)[:, :, 0, :]
        show_picture(cached_picture(pattern_mosaic, crops, kernels, scale=8, gap=16, frame=1),
                     alt="Each conv1 filter's favourite picture beside its weights",
                 caption=f"Filters 1–{len(crops)}, left to right: the {size}×{size} picture that excites the filter "
                 "most (white ink on black) beside the filter's weights (blue positive, red negative).")
    else:
        show_picture(cached_picture(pattern_mosaic, crops, scale=max(2, 50 // size), frame=1),
                     alt=f"Each {layer_name} filter's favourite picture",
                 caption=f"Filters 1–{len(crops)}: the {size}×{size} pixels that one {layer_name} unit sees, painted "
                 "to excite it most.")


def dense_section(job) -> None:
    """A chosen dense unit's picture, its value there against its values for real digits, or the ten output digits'
    pictures."""
    network = job.result.network
    layers = scored_layer_names(network, dense_only=True)
    left, right = st.columns(2)
    layer_name = left.selectbox("Layer", layers, index=len(layers) - 1, key="patterns_dense_layer",
                                format_func=lambda name: "output (the ten digits)" if name == "output" else name)
    if layer_name == "output":
        patterns = per_network(preferred_inputs, network, "output", spinner=CLIMBING)
        read = per_network(predict_proba, network, patterns.images)
        show_picture(cached_picture(pattern_mosaic, patterns.images, scale=3, gap=8, max_columns=5, frame=1),
                     alt="The picture most like each digit",
                 caption="The pictures the network finds most like 0, 1, 2 … 9 (top row 0–4, bottom row 5–9). It "
                 f"reads them as {', '.join(str(int(digit)) for digit in read.argmax(axis=1))}.")
        return
    unit = right.number_input("Unit", 1, unit_count(network, layer_name), 1, key="patterns_unit")
    patterns = per_network(preferred_inputs, network, layer_name, units=[int(unit) - 1], spinner=CLIMBING)
    probabilities = per_network(predict_proba, network, patterns.images)[0]
    picture, words = st.columns([1, 2])
    show_picture(cached_picture(framed, enlarge(patterns.images[0], 5), 1), where=picture,
                 alt="The unit's favourite picture")
    median, highest = usual_values(job, layer_name)
    digits = min(USUAL_DIGITS, len(job.dataset.x_test))
    words.markdown(f"Unit {unit} of {layer_name} reaches **{max(float(patterns.scores[0]), 0):.2f}** on this picture. "
                   f"For comparison, on {digits:,} test digits it reaches **{median[unit - 1]:.2f}** for a typical "
                   f"one (the median) and **{highest[unit - 1]:.2f}** at most. The network reads this picture as "
                   f"**{int(np.argmax(probabilities))}** ({probabilities.max():.0%} sure).")
    words.caption("A dense unit sees the whole picture, so its favourite picture fills the square.")


def patterns_demo() -> None:
    job = model_choice.current_job()
    result = job.result
    for layer in result.network.layers:
        if layer.kind == "Conv2D":
            conv_section(result, layer.name)
    st.subheader("Dense units and the output digits")
    dense_section(job)


st.markdown(
    "Which picture would make a filter respond most? Start from faint noise and let the gradient change the "
    "pixels, a step at a time, in the direction that raises the filter's value; a little fading and blurring "
    "keep the picture clean, and the pixels stay between black and white. What is left is what the filter "
    "looks for."
)
patterns_demo()
