"""Evaluation: test accuracy, per digit, and a confusion matrix whose squares open a gallery of those digits."""

import streamlit as st

from cnnlab.app import digit_input, model_choice, resources
from cnnlab.app.cached_pictures import cached_picture, chart_spec, show_picture
from cnnlab.lens.evaluation import Evaluation
from cnnlab.pictures.charts import per_class_bars, selected_point
from cnnlab.pictures.grids import confusion_chart
from cnnlab.pictures.images import enlarge

GALLERY_SIZE = 12
GALLERY_COLUMNS = 6
DIGITS = list(range(10))


def use_clicked_square() -> None:
    """A click on the matrix sets the two digit pickers (a callback runs before they are drawn)."""
    point = selected_point(st.session_state.get("evaluation_matrix"), "cell")
    if point is not None:
        st.session_state["evaluation_true"] = int(point["true"])
        st.session_state["evaluation_predicted"] = int(point["predicted"])


def cell_ui(evaluation: Evaluation) -> tuple[int, int]:
    """Which square of the matrix to look into; starts on the most frequent mistake."""
    true_default, predicted_default = evaluation.most_confused() or (0, 0)
    left, right = st.columns(2)
    true = left.selectbox("True digit", DIGITS, index=true_default, key="evaluation_true")
    predicted = right.selectbox("Read as", DIGITS, index=predicted_default, key="evaluation_predicted")
    return true, predicted


def gallery(dataset, evaluation: Evaluation, true: int, predicted: int) -> None:
    """The digits in one square, most confident first, each with a button that opens it in Activations."""
    indices = evaluation.cell_indices(true, predicted)
    what = "read correctly" if true == predicted else f"read as {predicted}"
    if len(indices) == 0:
        st.info(f"No test digit {true} was {what}.")
        return
    shown = indices[:GALLERY_SIZE]
    if len(indices) == 1:
        st.markdown(f"**1** test digit {true} was {what}:")
    elif len(indices) == len(shown):
        st.markdown(f"**{len(indices):,}** test digits {true} were {what}; here they all are, the surest first.")
    else:
        st.markdown(f"**{len(indices):,}** test digits {true} were {what}; here are the {len(shown)} the model was "
                    "surest about.")
    columns = st.columns(GALLERY_COLUMNS)
    for position, index in enumerate(shown):
        with columns[position % GALLERY_COLUMNS]:
            # The caption under the picture, not in it: an image's caption widens the picture to its own width,
            # so thumbnails with longer captions were drawn larger.
            show_picture(cached_picture(enlarge, dataset.x_test[index], 1), zoom=3, alt=f"Test digit {index:,}")
            st.caption(f"#{index:,} · {evaluation.confidence[index]:.0%} sure")
            if st.button("Open", key=f"evaluation_open_{index}", icon=":material/layers:",
                         help="Open this digit on the Activations page"):
                digit_input.set_digit(dataset.x_test[index], f"test digit #{index:,}", int(dataset.y_test[index]))
                st.switch_page("app_pages/activations.py")


def evaluation_demo() -> None:
    job = model_choice.current_job()
    dataset = job.dataset
    evaluation = resources.evaluation_of(job)
    left, middle, right = st.columns(3)
    left.metric("Test accuracy", f"{evaluation.accuracy:.2%}")
    middle.metric("Test digits", f"{len(evaluation.labels):,}")
    right.metric("Mistakes", f"{int(evaluation.confusion.sum() - evaluation.confusion.trace()):,}")
    st.subheader("Accuracy per digit")
    st.vega_lite_chart(spec=chart_spec(per_class_bars, evaluation.per_class_accuracy))
    st.subheader("Which digits it mistakes for which")
    st.markdown("Each row is a true digit, each column the model's answer; the diagonal holds the right answers. "
                "Click a square, or pick it below, to see those digits.")
    true, predicted = cell_ui(evaluation)
    st.vega_lite_chart(spec=chart_spec(confusion_chart, evaluation.confusion, (true, predicted)),
                       key="evaluation_matrix", on_select=use_clicked_square, selection_mode="cell", width="content")
    gallery(dataset, evaluation, true, predicted)


st.markdown(
    "How good is the model on digits it never trained on? The test digits were kept apart during training, "
    "so they show what the network has really learnt, and where it still fails."
)
evaluation_demo()
