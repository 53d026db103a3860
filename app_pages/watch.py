"""Watch your digit learn: the pinned digit through the network as it was after each epoch of its training."""

import numpy as np
import streamlit as st

from cnnlab.app import digit_input, model_choice, training_view
from cnnlab.app.cached_pictures import (
    cached_picture,
    data_chart_spec,
    keyed_result,
    probability_spec,
    show_maps,
    show_picture,
)
from cnnlab.app.epoch_choice import epoch_slider
from cnnlab.app.shared_cache import content_key
from cnnlab.lens.filter_history import digit_through_epochs, kept_epochs
from cnnlab.pictures.curves import epoch_probability_chart, epoch_probability_frames
from cnnlab.pictures.images import enlarge
from cnnlab.words import short_name

# The layers whose maps are drawn: every conv and pooling layer, whatever the architecture.
MAP_KINDS = ("Conv2D", "MaxPooling2D", "AveragePooling2D")
LIVE_REFRESH_SECONDS = 1.0


def epoch_choice(job, epochs: range, live: bool) -> int:
    """The epoch slider over the kept epochs (see `epoch_choice.epoch_slider`), and a sentence on what is to come."""
    if epochs.start == 1 and not live:
        st.caption("This model was stored before CNN Lab kept the random weights a training starts from, so here "
                   "its story begins after epoch 1.")
    epoch = epoch_slider("Epoch (0 = random weights, before any training)", epochs, "watch_epoch", job.key, live)
    if live:
        st.caption(f"Waiting for epoch {epochs[-1] + 1} of {job.config.epochs}: it appears here as soon as it ends.")
    return epoch


def epoch_view(job, epoch_weights, initial_weights, final_weights, digit: np.ndarray, live: bool) -> None:
    """The epoch choice, the prediction then, how sure the network was at each epoch, and the maps then."""
    epochs = kept_epochs(epoch_weights, initial_weights)
    epoch = epoch_choice(job, epochs, live)
    # Named by the training, how much of it is kept and the digit: hashing every epoch's weights on each run would
    # cost more than the page.
    key = (job.key, final_weights is not None, len(epoch_weights), initial_weights is not None, content_key(digit))
    by_epoch = keyed_result(key, digit_through_epochs, job.config, epoch_weights, digit,
                            initial_weights=initial_weights, final_weights=final_weights,
                            spinner="Reading the digit with every epoch's network…")
    layers = by_epoch[epoch]
    probabilities = np.array([outputs[-1].output for outputs in by_epoch.values()])
    answer = int(probabilities[-1].argmax())
    label = st.session_state.get(digit_input.DIGIT_LABEL)
    left, right = st.columns(2)
    with left:
        show_picture(cached_picture(enlarge, digit, 1), zoom=5, caption="The pinned digit", alt="The pinned digit")
        predicted = int(layers[-1].output.argmax())
        st.subheader(f"After epoch {epoch}: {predicted}")
        st.caption(f"with probability {float(layers[-1].output[predicted]):.1%}"
                   + (" · training goes on" if live else ""))
        st.vega_lite_chart(spec=probability_spec(layers[-1].output))
    with right:
        st.markdown("**How sure it was, epoch by epoch**")
        shown = [answer] + ([label] if label is not None and label != answer else [])
        st.vega_lite_chart(spec=data_chart_spec(epoch_probability_chart, epoch_probability_frames, probabilities,
                                                 shown, epoch, epochs.start))
        st.caption(f"Lines: the digit it answers at the end ({answer})"
                   + (f" and the true label ({label})." if len(shown) > 1 else "."))
    for layer in layers:
        if layer.kind in MAP_KINDS:
            st.markdown(f"#### {layer.name} after epoch {epoch}")
            show_maps(layer.output, alt=f"The maps of {layer.name} after epoch {epoch}")


def waiting_text(job) -> str:
    """What a tab's training is doing before it has kept any network: waiting for its turn, or starting."""
    return (f"Your model ({short_name(job.config)}) · {training_view.turn_text(job)}. Its random start (epoch 0) "
            "appears here once a worker has built the network, then each epoch as it ends.")


def watch_demo() -> None:
    digit = digit_input.current_digit("watch", hint=" · draw or upload one on the Activations page to pin it here")
    # This tab's own training, from the moment it is queued: the page then follows it, rerunning itself every
    # LIVE_REFRESH_SECONDS until it ends, and shows the class's model only when the tab has no training unfinished.
    job = model_choice.chosen_job()
    live = job is not None and not job.finished
    if not live:
        job = model_choice.current_job()

    @st.fragment(run_every=LIVE_REFRESH_SECONDS if live else None)
    def view() -> None:
        if live and job.finished:
            st.rerun(scope="app")  # every page changes once the model exists (or the training failed)
        kept = job if live else job.result
        epoch_weights, initial_weights = kept.epoch_weights, kept.initial_weights
        if live and not kept_epochs(epoch_weights, initial_weights):
            st.info(waiting_text(job))
            return
        if not kept_epochs(epoch_weights, initial_weights):
            st.info("This model did not keep its weights after each epoch (a network this large, trained this "
                    "long, would need too much memory). Train a smaller one, or fewer epochs, to watch it learn.")
            return
        if live:
            st.caption(f"Your model as it trains: {short_name(job.config)}. Until it is ready, the other pages show "
                       "the class's model.")
        epoch_view(job, epoch_weights, initial_weights, None if live else job.result.weights, digit, live)

    view()


st.markdown(
    "The same digit, read by the network as it was **after each epoch** of its training: at epoch 0 its weights "
    "are random and its answer a guess; move the slider to see the maps sharpen and the answer settle. While a "
    "model you started trains, new epochs appear here as they finish."
)
watch_demo()
