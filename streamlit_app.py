"""CNN Lab: see what a convolutional neural network does, one layer at a time.

Run with `streamlit run streamlit_app.py`. This file only sets up the pages and navigation; each page lives in
`app_pages/`.
Not `pages/`: Streamlit treats a folder of that name as its older, automatic navigation, which runs a page
without this file for a student who opens a page's address first.
"""

import time

from cnnlab.digits.datasets import start_loading

# The first visit of a fresh server waits for MNIST (a second to read) and for the app's imports: both at once.
# Streamlit runs this file on every page run; only the first starts anything.
start_loading("mnist")

import streamlit as st  # noqa: E402 - after the digits have started loading

from cnnlab.app import kept_widgets, model_choice, resources, training_view  # noqa: E402
from cnnlab.app.cached_pictures import PICTURE_STYLE  # noqa: E402
from cnnlab.app.page_list import APP_ICON, PAGES, TEACHER_PAGE, AppPage, page_at  # noqa: E402
from cnnlab.app.run_times import timed_run  # noqa: E402

# Streamlit runs this file anew on every page run: what is made once lives in `cnnlab.app`'s modules.
NAVIGATION_PAGES = "_navigation_pages"  # this session's (pages shown, their st.Page objects)


def navigation_pages(shown: tuple[AppPage, ...]) -> list:
    """The `st.Page`s of `shown`, made once per session: each resolves its file on the disk, which had been a tenth
    of a page run. Kept per session, not per server, because `st.navigation` marks the page a run may call on the
    page object itself, and two sessions on one object could each find it used up by the other."""
    kept = st.session_state.get(NAVIGATION_PAGES)
    if kept is None or kept[0] != shown:
        kept = (shown, [st.Page(page.file, title=page.title, icon=page.icon, default=page is PAGES[0])
                        for page in shown])
        st.session_state[NAVIGATION_PAGES] = kept
    return kept[1]


def main() -> None:
    started = time.perf_counter()
    st.set_page_config(page_title="CNN Lab", page_icon=APP_ICON, layout="wide")
    st.html(PICTURE_STYLE)
    shown = (*PAGES, TEACHER_PAGE) if resources.get_passcode_gate() is not None else PAGES
    pages = navigation_pages(shown)
    kept_widgets.keep_widget_values()
    model_choice.sync_address()
    page = st.navigation(pages)
    with timed_run(page.url_path, started):
        kept_widgets.note_page(page.url_path)
        shown_page = page_at(page.url_path)
        st.title(shown_page.shown_heading)
        # A page that shows a model runs only once one exists, so it can take `model_choice.current_result()` as given.
        if not shown_page.needs_model or model_choice.current_result() is not None:
            page.run()
        else:
            # Only when the shipped model is missing and nothing is trained yet: an offer to train one, in its place.
            training_view.require_model(page.url_path)
        # After the page, so that it shows the model the page's buttons may just have chosen.
        training_view.show_sidebar()


# Streamlit runs this file as "__main__". The embedded cluster's worker processes are started by multiprocessing,
# which imports the main file of the process that starts them under another name: the guard keeps those workers
# from running the app.
if __name__ == "__main__":
    main()
