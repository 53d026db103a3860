"""CNN Lab: see what a convolutional neural network does, one layer at a time.

Run with `streamlit run streamlit_app.py`. This file only sets up the pages and navigation; each page lives in
`app_pages/`.
Not `pages/`: Streamlit treats a folder of that name as its older, automatic navigation, which runs a page
without this file for a student who opens a page's address first.
"""

import time
from pathlib import Path

from cnnlab.digits.datasets import start_loading

# The first visit of a fresh server waits for MNIST (a second to read) and for the app's imports: both at once.
# Streamlit runs this file on every page run; only the first starts anything.
start_loading("mnist")

import streamlit as st  # noqa: E402 - after the digits have started loading

from cnnlab.app import kept_widgets, model_choice, resources, training_view  # noqa: E402
from cnnlab.app.run_times import timed_run  # noqa: E402

# The pages that work without a trained model; every other page is only run once a model exists, so it can
# take `model_choice.current_result()` as given.
NEEDS_NO_MODEL = {"", "train", "experiments", "share", "teacher"}
# The browser tab's icon, sent by this server itself: a Material icon there would make every browser fetch it from
# Google's font CDN, which fails on a school network without internet. scripts/make_app_icon.py draws it.
APP_ICON = Path(__file__).parent / "cnnlab" / "app" / "assets" / "app_icon.png"


def main() -> None:
    started = time.perf_counter()
    st.set_page_config(page_title="CNN Lab", page_icon=APP_ICON, layout="wide")
    pages = [
        st.Page("app_pages/home.py", title="Home", icon=":material/home:", default=True),
        st.Page("app_pages/train.py", title="Train", icon=":material/model_training:"),
        st.Page("app_pages/filters.py", title="Filters", icon=":material/grid_on:"),
        st.Page("app_pages/activations.py", title="Activations", icon=":material/layers:"),
        st.Page("app_pages/prediction.py", title="Prediction", icon=":material/bar_chart:"),
        st.Page("app_pages/watch.py", title="Watch your digit learn", icon=":material/timelapse:"),
        st.Page("app_pages/explorer.py", title="How one number is made", icon=":material/calculate:"),
        st.Page("app_pages/evaluation.py", title="Evaluation", icon=":material/fact_check:"),
        st.Page("app_pages/robustness.py", title="What it tolerates", icon=":material/rotate_right:"),
        st.Page("app_pages/patterns.py", title="What a filter looks for", icon=":material/visibility:"),
        st.Page("app_pages/attack.py", title="Fool the network", icon=":material/theater_comedy:"),
        st.Page("app_pages/digit_map.py", title="All digits at once", icon=":material/scatter_plot:"),
        st.Page("app_pages/compare.py", title="Compare two models", icon=":material/compare:"),
        st.Page("app_pages/experiments.py", title="The class's experiments", icon=":material/insights:"),
        st.Page("app_pages/takeaway.py", title="Code to take away", icon=":material/code:"),
        st.Page("app_pages/share.py", title="Share and keep", icon=":material/share:"),
    ]
    if resources.get_passcode_gate() is not None:  # only a server with a teacher's passcode has the page
        pages.append(st.Page("app_pages/teacher.py", title="For the teacher", icon=":material/school:"))
    kept_widgets.keep_widget_values()
    model_choice.sync_address()
    page = st.navigation(pages)
    with timed_run(page.url_path, started):
        kept_widgets.note_page(page.url_path)
        if page.url_path in NEEDS_NO_MODEL or model_choice.current_result() is not None:
            page.run()
        else:
            # Only when the shipped model is missing and nothing is trained yet: an offer to train one, in its place.
            st.title(page.title)
            training_view.require_model(page.url_path)
        # After the page, so that it shows the model the page's buttons may just have chosen.
        training_view.show_sidebar()


# Streamlit runs this file as "__main__". The embedded cluster's worker processes are started by multiprocessing,
# which imports the main file of the process that starts them under another name: the guard keeps those workers
# from running the app.
if __name__ == "__main__":
    main()
