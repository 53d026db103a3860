"""Activations: one digit passed through the network, every layer's output shown in order."""

import numpy as np
import streamlit as st

from cnnlab.app import digit_input, kept_widgets, model_choice
from cnnlab.app.cached_pictures import cached_picture, per_network, probability_spec, show_maps, show_picture
from cnnlab.digits.preprocess import UPLOAD_EXTENSIONS, canvas_to_mnist, image_to_mnist
from cnnlab.lens.activations import layer_activations
from cnnlab.lens.sentences import answer_doubts, dropout_training_view, layer_sentence
from cnnlab.pictures.images import enlarge, strip
from cnnlab.words import shape_text

# Short labels, so that the three fit side by side on a phone.
INPUTS = {"random": "Test digit", "draw": "Draw", "upload": "Upload"}
# Flatten's one row is 1,500 values squeezed to the page's width; this many pixel rows make it a visible band.
FLATTEN_ROW_HEIGHT = 40


def input_ui() -> np.ndarray | None:
    """Where the digit comes from; returns the digit this choice gives (also stored for the Prediction page),
    or None while the chosen input has none yet (a blank canvas, no upload)."""
    kept_widgets.prepare_widget("activations_input", "random")
    choice = st.segmented_control("Input", list(INPUTS), format_func=INPUTS.get, key="activations_input") or "random"
    if choice == "random":
        return digit_input.random_digit_button("activations", keep_own=False)
    if choice == "draw":
        return draw_ui()
    return upload_ui()


def draw_ui() -> np.ndarray | None:
    """The drawing canvas: white ink on black, like MNIST. Every finished stroke updates the digit."""
    image_data = digit_input.drawing_canvas("activations_canvas")
    digit = canvas_to_mnist(image_data) if image_data is not None else None
    if digit is None:
        st.caption("Draw one digit, large or small, anywhere on the black square. The toolbar that appears "
                   "over the square undoes a stroke or clears it.")
        return None
    digit_input.set_digit(digit, "your drawing")
    return digit


def upload_ui() -> np.ndarray | None:
    """A photo or scan of one digit, turned into MNIST's format; a bad file is a sentence, not an error."""
    # Any file is taken, and one CNN Lab cannot read gets a sentence: with `type=` set, the browser would refuse it
    # with a red mark whose reason shows only on hover.
    upload = st.file_uploader(f"A photo or scan of one digit ({', '.join(UPLOAD_EXTENSIONS).upper()})",
                              key="activations_upload")
    if upload is None:
        return None
    try:
        digit = image_to_mnist(upload.getvalue())
    except ValueError as error:
        st.error(str(error))
        return None
    if digit is None:
        st.warning("No digit could be found in that picture: it looks empty.")
        return None
    digit_input.set_digit(digit, f"your picture {upload.name}")
    return digit


def flatten_band(values: np.ndarray) -> np.ndarray:
    """Flatten's values as one coloured row of pixels, FLATTEN_ROW_HEIGHT tall."""
    return np.repeat(strip(values, scale=1, max_width=len(values)), FLATTEN_ROW_HEIGHT, axis=0)


def seen_view(digit: np.ndarray, layers: list) -> None:
    """The 28 × 28 image the network reads, where it came from, and what it answers."""
    show_picture(cached_picture(enlarge, digit, 1), zoom=6, caption="What the network sees: 28 × 28 pixels",
                 alt="The input digit, 28 by 28 pixels, white ink on black")
    st.caption(digit_input.digit_origin_text())
    digit_input.show_prediction(layers[-1].output)
    for doubt in answer_doubts(digit, layers[-1].output):
        st.warning(doubt)


def layers_view(result, layers: list) -> None:
    """Every layer's output in order, each with a sentence built from this model's numbers."""
    previous = None
    for layer in layers:
        st.markdown(f"#### {layer.name} · {layer.kind} · {shape_text(layer.shape)} values")
        st.caption(layer_sentence(layer, previous, result.train_images, result.config.dropout,
                                  result.network.layer(layer.name)))
        if layer.output.ndim == 3:
            if layer.kind == "Dropout" and st.toggle("Show training mode", key="activations_dropout_training"):
                dropped = dropout_training_view(layer.output, result.config.dropout, seed=result.config.seed)
                inference, training = st.columns(2)
                inference.caption("Prediction time: values pass through unchanged.")
                show_maps(layer.output, where=inference, alt="Dropout's maps at prediction time")
                training.caption(f"Training mode (one seeded draw): {float((dropped == 0).mean()):.0%} of "
                                 "values are 0, the rest scaled up.")
                show_maps(dropped, where=training, alt="Dropout's maps in training mode, some values zeroed")
            else:
                show_maps(layer.output, alt=f"The feature maps of {layer.name}",
                          caption=f"The {layer.shape[-1]} maps of {layer.name}, each {shape_text(layer.shape[:2])}; "
                          "brighter is larger.")
        elif layer.name == "output":
            st.vega_lite_chart(spec=probability_spec(layer.output))
        elif layer.kind == "Flatten":
            # One long row, squeezed to the page's width: the point is that the maps became a single line.
            show_picture(cached_picture(flatten_band, layer.output), width="stretch",
                         caption=f"All {layer.shape[0]:,} numbers in one row.",
                         alt="Flatten's values as one long coloured row")
        else:
            show_picture(cached_picture(strip, layer.output, scale=1, max_width=50),
                         zoom=8 if layer.shape[0] <= 128 else 5, alt=f"The units of {layer.name}",
                         caption=f"The {layer.shape[0]:,} units of {layer.name}; brighter is larger.")
        previous = layer


def activations_demo() -> None:
    result = model_choice.current_result()
    st.markdown("This model: **" + " → ".join(layer.name for layer in result.network.layers) + "**.")

    # Only this part reruns when the student draws, so the rest of the page stays put.
    @st.fragment
    def digit_and_layers() -> None:
        source, seen = st.columns(2)
        with source:
            digit = input_ui()
        if digit is None:
            return
        layers = per_network(layer_activations, result.network, digit)
        with seen:
            seen_view(digit, layers)
        layers_view(result, layers)

    digit_and_layers()


st.markdown(
    "Follow one digit through the network, layer by layer. Each picture shows a layer's output; brighter means a "
    "larger value."
)
activations_demo()
