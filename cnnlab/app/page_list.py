"""Every page of the app, in the sidebar's order: the one list that the navigation, the page headings and the
tests read.

Plain data, with no Streamlit in it, so that tests and scripts can name the pages without starting an app.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

# The browser tab's icon, sent by this server itself: a Material icon there would make every browser fetch it from
# Google's font CDN, which fails on a school network without internet. scripts/make_app_icon.py draws it. It goes
# as a data address, read once: given the file, Streamlit reads it and files it as a media file on every page run.
APP_ICON_FILE = Path(__file__).parent / "assets" / "app_icon.png"
APP_ICON = "data:image/png;base64," + base64.b64encode(APP_ICON_FILE.read_bytes()).decode("ascii")


@dataclass(frozen=True)
class AppPage:
    """One page. file: its script, relative to the app's root; title: its name in the sidebar and, unless
    `heading` says otherwise, its heading; icon: a Material icon name; needs_model: whether it shows a model (it is
    only run once one exists)."""

    file: str
    title: str
    icon: str
    needs_model: bool = True
    heading: str | None = None

    @property
    def url_path(self) -> str:
        """Its address after the app's root: the file's name, "" for Home, the page the app opens on."""
        return "" if self is PAGES[0] else PurePosixPath(self.file).stem

    @property
    def shown_heading(self) -> str:
        return self.heading or self.title


PAGES: tuple[AppPage, ...] = (
    AppPage("app_pages/home.py", "Home", ":material/home:", needs_model=False, heading="CNN Lab"),
    AppPage("app_pages/train.py", "Train", ":material/model_training:", needs_model=False),
    AppPage("app_pages/filters.py", "Filters", ":material/grid_on:"),
    AppPage("app_pages/activations.py", "Activations", ":material/layers:"),
    AppPage("app_pages/prediction.py", "Prediction", ":material/bar_chart:"),
    AppPage("app_pages/watch.py", "Watch your digit learn", ":material/timelapse:"),
    AppPage("app_pages/explorer.py", "How one number is made", ":material/calculate:"),
    AppPage("app_pages/evaluation.py", "Evaluation", ":material/fact_check:"),
    AppPage("app_pages/robustness.py", "What it tolerates", ":material/rotate_right:"),
    AppPage("app_pages/patterns.py", "What a filter looks for", ":material/visibility:"),
    AppPage("app_pages/attack.py", "Fool the network", ":material/theater_comedy:"),
    AppPage("app_pages/digit_map.py", "All digits at once", ":material/scatter_plot:"),
    AppPage("app_pages/compare.py", "Compare two models", ":material/compare:"),
    AppPage("app_pages/experiments.py", "The class's experiments", ":material/insights:", needs_model=False),
    AppPage("app_pages/takeaway.py", "Code to take away", ":material/code:"),
    AppPage("app_pages/share.py", "Share and keep", ":material/share:", needs_model=False),
)
# Only in the navigation of a server that has a teacher's passcode.
TEACHER_PAGE = AppPage("app_pages/teacher.py", "For the teacher", ":material/school:", needs_model=False)


def page_at(url_path: str) -> AppPage:
    """The page with this address path ("" for Home); KeyError for none."""
    for page in (*PAGES, TEACHER_PAGE):
        if page.url_path == url_path:
            return page
    raise KeyError(url_path)
