"""Every page, visited in one fresh server process with the shipped model and a digit chosen:

- shows the shipped model, and the gradient pages their pictures,
- runs on NumPy alone: the web server never imports TensorFlow or Keras (trainings and the .keras file are made in
  other processes);
- hands `st.image` finished PNGs that it sends as they are: Streamlit encodes an array, or scales down and encodes
  again a picture wider than the page allows, on every run, where a cached PNG is made once.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from cnnlab.app.page_list import PAGES, TEACHER_PAGE

ROOT = Path(__file__).resolve().parents[2]
PAGE_FILES = [page.file for page in (*PAGES, TEACHER_PAGE)]

EVERY_PAGE = """
import sys
from streamlit.elements.lib import image_utils
from streamlit.testing.v1 import AppTest
encode = image_utils._pil_to_bytes
def counted(image, *args, **kwargs):  # what Streamlit calls to encode an array, or a picture it scaled
    print("Streamlit encoded", image.size)
    return encode(image, *args, **kwargs)
image_utils._pil_to_bytes = counted
pages = sys.argv[1:]
app = AppTest.from_file("streamlit_app.py", default_timeout=120)
app.run()
app.switch_page("app_pages/activations.py").run()
print("first visit to Activations:", " | ".join(str(item.value) for item in app.subheader))
app.button(key="activations_random").click().run()  # a digit for the pages that show one
for page in pages:
    app.switch_page(page).run()
    assert not app.exception, (page, [item.value for item in app.exception])
    print("visited", page, "titled", repr([title.value for title in app.title]))
    captions = [caption for element in app.get("image") for caption in element.captions]
    print(page, "shows:", " | ".join([*captions, *(box.value for box in [*app.success, *app.warning])]))
print("tensorflow imported:", "tensorflow" in sys.modules, "keras imported:", "keras" in sys.modules)
"""


@pytest.fixture(scope="module")
def every_page(tmp_path_factory) -> str:
    """What one fresh server process printed while visiting every page. A process of its own, as a fresh server:
    this test process may have imported TensorFlow long ago. The teacher's page is in the navigation because a
    passcode is set."""
    code = (f"import os; os.environ['CNNLAB_MODEL_DIR'] = {str(tmp_path_factory.mktemp('models'))!r}\n"
            "os.environ['CNNLAB_TEACHER_PASSCODE'] = 'a passcode'\n" + EVERY_PAGE)
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    finished = subprocess.run([sys.executable, "-c", code, *PAGE_FILES], cwd=ROOT, env=environment, capture_output=True,
                              text=True, timeout=300)
    assert finished.returncode == 0, finished.stderr[-3000:]
    visited = [line for line in finished.stdout.splitlines() if line.startswith("visited")]
    assert len(visited) == len(PAGE_FILES) >= 17, finished.stdout
    return finished.stdout


def test_every_page_runs_without_importing_tensorflow_or_keras(every_page):
    assert "tensorflow imported: False keras imported: False" in every_page, every_page


def test_a_first_visit_to_activations_shows_the_shipped_models_prediction(every_page):
    assert "first visit to Activations: Prediction:" in every_page, every_page


def test_the_gradient_pages_show_what_they_worked_out(every_page):
    assert "app_pages/prediction.py shows: " in every_page and "is decided" in every_page, every_page
    assert "Filters 1–30, left to right" in every_page and "Filters 1–15: the 10×10 pixels" in every_page
    assert "the network reads" in every_page or "did not make the network read" in every_page, every_page


def test_every_page_shows_its_heading_from_the_page_list(every_page):
    for page in (*PAGES, TEACHER_PAGE):
        assert f"visited {page.file} titled {[page.shown_heading]!r}" in every_page, page


def test_no_page_leaves_a_picture_for_streamlit_to_encode(every_page):
    assert "Streamlit encoded" not in every_page, every_page
