"""Compare two models: the same digit through two trained networks, side by side."""

import streamlit as st

from cnnlab.app import digit_input, model_choice, resources
from cnnlab.app.cached_pictures import chart_spec, per_network, probability_spec, show_maps
from cnnlab.lens.activations import conv_filters, layer_activations
from cnnlab.lens.comparison import compare_answers, config_differences
from cnnlab.pictures.grids import kernel_grid
from cnnlab.pictures.images import grid_shape
from cnnlab.words import describe_config, short_name


def model_label(job, own: frozenset) -> str:
    """A picker's line for a model: what sets it apart from the reference model, its accuracy, and whether it is
    this tab's ("seed 123 · 98.93 % · yours")."""
    data = "" if job.dataset.source == "mnist" else f" · {job.dataset.name}"
    return (f"{short_name(job.config)}{data} · {job.result.test_accuracy:.2%}"
            + (" · yours" if job.key in own else ""))


def choose_ui(jobs) -> tuple:
    """Two pickers over the finished models, each named by what sets it apart; returns the two chosen jobs."""
    own = model_choice.own_model_keys()
    labels = [model_label(job, own) for job in jobs]
    left, right = st.columns(2)
    first = left.selectbox("First model", range(len(jobs)), index=0, format_func=labels.__getitem__,
                           key="compare_first")
    second = right.selectbox("Second model", range(len(jobs)), index=1, format_func=labels.__getitem__,
                             key="compare_second")
    return jobs[first], jobs[second]


def differences_text(first, second) -> str:
    changes = config_differences(first.config, second.config)
    if not changes:
        return "These two models have the same settings (they differ in the data they were trained on)."
    return "They differ in " + "; ".join(f"**{name}**: {a} vs {b}" for name, a, b in changes) + "."


def model_column(job, digit, limit: float) -> None:
    """One model's numbers and pictures for the current digit; its filters drawn with `limit` as full colour."""
    result = job.result
    st.metric("Test accuracy", f"{result.test_accuracy:.2%}")
    st.caption(f"{result.network.count_params():,} learnt parameters · data: {job.dataset.name}")
    with st.expander("All its settings"):
        st.markdown(describe_config(job.config))
    layers = {layer.name: layer for layer in per_network(layer_activations, result.network, digit)}
    probabilities = layers["output"].output
    digit_input.show_prediction(probabilities)
    st.vega_lite_chart(spec=probability_spec(probabilities))
    kernels = conv_filters(result.network, 0)
    _, columns = grid_shape(kernels.shape[3])
    st.caption("Its conv1 filters")
    st.vega_lite_chart(spec=chart_spec(kernel_grid, kernels, columns=columns, cell=10, limit=limit))
    st.caption("Its conv1 maps for this digit")
    show_maps(layers["conv1"].output, tile_pixels=48, alt="This model's conv1 maps for the digit")


def answers_text(first, second) -> str:
    if first.dataset.fingerprint != second.dataset.fingerprint:
        return "The two models were tested on different data, so their answers cannot be compared digit by digit."
    counts = compare_answers(resources.evaluation_of(first), resources.evaluation_of(second))
    return (f"On the {counts.total:,} test digits: **{counts.both_right:,}** both read correctly, "
            f"**{counts.only_first_right:,}** only the first, **{counts.only_second_right:,}** only the second, "
            f"and **{counts.both_wrong:,}** neither.")


def compare_demo() -> None:
    jobs = [job for job in resources.get_service().finished_jobs() if job.result is not None]
    if len(jobs) < 2:
        st.info("There is only one trained model so far. Train a second one on the Train page, for example with "
                "4 filters instead of 30, or 1 epoch instead of 3, and come back.")
        st.page_link("app_pages/train.py", label="Go to the Train page", icon=":material/arrow_forward:")
        return
    first, second = choose_ui(jobs)
    if first is second:
        st.warning("Pick two different models to compare.")
        return
    st.markdown(differences_text(first, second))
    st.markdown(answers_text(first, second))
    digit = digit_input.current_digit("compare")
    # One colour scale for both models' filters, so that the same colour is the same weight on either side.
    limit = max(float(abs(conv_filters(job.result.network, 0)).max()) for job in (first, second)) or 1.0
    st.caption(f"Both models' filters share one colour scale: full blue is a weight of {limit:.2f}, full red "
               f"{-limit:.2f}.")
    left, right = st.columns(2)
    with left:
        model_column(first, digit, limit)
    with right:
        model_column(second, digit, limit)


st.markdown(
    "Does a network with more filters, or more epochs, really read digits better, and where? Pick two trained "
    "models: both read the same digit, and both are scored on the same test digits."
)
compare_demo()
