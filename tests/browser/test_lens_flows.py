"""The four pages that look into a trained network, used as a student uses them: a real server, a real Chromium.

The tests run in file order against one server whose model store starts empty (when this file runs alone): the
first trains the default model from a lens page's own button; the others use it. Each page is saved as a screenshot
under artifacts/ at desktop and phone width.
"""

from __future__ import annotations

import re

import nbformat

TRAINING_TIMEOUT_MS = 600_000  # the first training imports TensorFlow; a busy shared machine needs minutes


def main(student):
    return student.page.locator('[data-testid="stMain"]')


def test_a_lens_page_trains_the_default_model_from_its_own_button(student):
    takeaway = student().open("takeaway")
    if "needs a trained model" in takeaway.main_text():
        main(takeaway).get_by_role("button", name="Train the default model").click()
    main(takeaway).get_by_role("button", name="Jupyter notebook (.ipynb)").wait_for(timeout=TRAINING_TIMEOUT_MS)
    takeaway.wait_until_idle()
    takeaway.assert_no_exception()


def test_takeaway_downloads_a_valid_notebook_and_the_script(student, tmp_path):
    takeaway = student().open("takeaway")
    assert "203,933 parameters" in takeaway.main_text()
    with takeaway.page.expect_download() as notebook_download:
        main(takeaway).get_by_role("button", name="Jupyter notebook (.ipynb)").click()
    path = tmp_path / notebook_download.value.suggested_filename
    notebook_download.value.save_as(path)
    assert path.name == "cnnlab-30-15-3epochs.ipynb"
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    assert any("keras.Sequential(" in cell.source for cell in notebook.cells if cell.cell_type == "code")
    with takeaway.page.expect_download() as script_download:
        main(takeaway).get_by_role("button", name="Python script (.py)").click()
    script = tmp_path / script_download.value.suggested_filename
    script_download.value.save_as(script)
    assert "# ((30, 5), (15, 3)), max pooling, hidden dense layers (128, 50).\n" in script.read_text()
    compile(script.read_text(), script.name, "exec")
    takeaway.assert_no_exception()


def opened_with_pictures(student, path: str):
    """A new tab on the page at `path`, once its pictures have loaded, and the page's main text."""
    tab = student().open(path)
    tab.wait_for_pictures()
    return tab, tab.main_text()


def test_patterns_shows_each_filters_favourite_picture(student):
    patterns, text = opened_with_pictures(student, "patterns")
    assert "Filters 1–30, left to right: the 5×5 picture" in text
    assert "Filters 1–15: the 10×10 pixels" in text
    assert re.search(r"It reads them as \d(, \d){9}\.", text)
    patterns.assert_no_exception()


def test_fool_the_network_misleads_it_and_opens_the_fooled_digit(student):
    attack, text = opened_with_pictures(student, "attack")
    assert "adversarial example" in text
    if "did not make the network read" in text:  # a digit too hard for the default budget: the sentence says so
        main(attack).get_by_role("button", name="Random digit").click()
        attack.wait_until_idle()
    success = main(attack).locator('[data-testid="stAlertContentSuccess"]')
    if success.count():
        target = re.search(r"the network reads (\d)", success.inner_text()).group(1)
        main(attack).get_by_role("button", name="Open the fooled digit in Prediction").click()
        attack.page.wait_for_selector('h1:has-text("Prediction")')
        attack.wait_until_idle()
        assert f"Prediction: {target}" in attack.main_text()
        assert "Input: your digit changed to read as" in attack.main_text()
    attack.assert_no_exception()


def test_the_digit_map_shows_a_digit_on_hover_and_opens_it_on_click(student):
    digit_map = student().open("digit_map")
    digit_map.wait_for_pictures()
    assert re.search(r"[\d,]+ of the [\d,]+ test digits · [\d,]+ read wrongly", digit_map.main_text())
    chart = main(digit_map).locator('[data-testid="stVegaLiteChart"]').first
    box = chart.bounding_box()
    tooltip = digit_map.page.locator("#vg-tooltip-element")
    # Move over the plot until the pointer is on a digit and the tooltip shows it.
    found = None
    for row in range(8, 60, 4):
        for column in range(10, 90, 4):
            x, y = box["x"] + box["width"] * column / 100, box["y"] + box["height"] * row / 100
            digit_map.page.mouse.move(x, y)
            digit_map.page.wait_for_timeout(30)
            if tooltip.count() and tooltip.is_visible() and tooltip.locator("img").count():
                found = (x, y)
                break
        if found:
            break
    assert found is not None, "no digit's tooltip appeared over the map"
    index = re.search(r"test digit #\s*([\d,]+)", tooltip.inner_text()).group(1)
    digit_map.screenshot("digit_map-hover-desktop")
    digit_map.page.mouse.click(*found)
    digit_map.page.wait_for_selector('h1:has-text("Activations")')
    digit_map.wait_until_idle()
    assert f"Input: test digit #{index} · true label:" in digit_map.main_text()
    digit_map.assert_no_exception()
