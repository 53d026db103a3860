"""The web server never imports TensorFlow or Keras: every page, visited in one fresh server process with the shipped
model and a digit chosen, runs on NumPy alone (trainings and the .keras file are made in other processes)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PAGES = sorted(path.relative_to(ROOT).as_posix() for path in (ROOT / "app_pages").glob("*.py"))

EVERY_PAGE = """
import sys
from streamlit.testing.v1 import AppTest
pages = sys.argv[1:]
app = AppTest.from_file("streamlit_app.py", default_timeout=120)
app.run()
app.switch_page("app_pages/activations.py").run()
app.button(key="activations_random").click().run()  # a digit for the pages that show one
for page in pages:
    app.switch_page(page).run()
    assert not app.exception, (page, [item.value for item in app.exception])
    print("visited", page, "titled", [title.value for title in app.title])
print("tensorflow imported:", "tensorflow" in sys.modules, "keras imported:", "keras" in sys.modules)
"""


def test_every_page_runs_without_importing_tensorflow_or_keras(earlier_process, tmp_path):
    # A process of its own, as a fresh server: this test process may have imported TensorFlow long ago. The teacher's
    # page is in the navigation because a passcode is set.
    finished = earlier_process(f"import os; os.environ['CNNLAB_MODEL_DIR'] = {str(tmp_path)!r}\n"
                               "os.environ['CNNLAB_TEACHER_PASSCODE'] = 'a passcode'\n" + EVERY_PAGE, *PAGES)
    assert finished.returncode == 0, finished.stderr[-3000:]
    visited = [line for line in finished.stdout.splitlines() if line.startswith("visited")]
    assert len(visited) == len(PAGES) >= 17, finished.stdout
    assert "tensorflow imported: False keras imported: False" in finished.stdout, finished.stdout
