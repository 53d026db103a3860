"""CNN Lab used exactly as a student uses it: a real `streamlit run` server, a real Chromium, mouse and keys.

The tests run in file order against one server whose model store starts empty: on the first visit the server
puts the reference model that ships with CNN Lab into it, and that model serves every page at once. Trainings
use a small choice of training images, so that each takes seconds. Each page is
also saved as a screenshot under artifacts/, at desktop and at phone size.
"""

from __future__ import annotations

import math
import re

import pytest

from tests.support.student import PAGE_HEADINGS, TRAINING_TIMEOUT_MS

DESKTOP = (1280, 800)
PHONE = (390, 844)
PAGE_TITLES = ("Home", "Train", "Filters", "Activations", "Prediction")
# Every page's address (as st.navigation derives it from the file name) and its title.

def slider(student, label: str):
    """A slider's range input (Streamlit draws the thumb; the input holds the value and takes the keys); the
    first on the page with that label."""
    return student.page.locator('[data-testid="stSlider"]', has_text=label).locator('input[type="range"]').first


def set_slider(student, label: str, value: int) -> None:
    """Move a slider with the keyboard, as a student can: Home to its minimum, then right arrows."""
    thumb = slider(student, label)
    thumb.focus()
    minimum = int(thumb.get_attribute("min"))
    thumb.press("Home")
    for _ in range(value - minimum):
        thumb.press("ArrowRight")
    student.page.wait_for_function(
        "([element, value]) => Number(element.value) === value", arg=[thumb.element_handle(), value]
    )
    student.wait_until_idle()


def choose_training_images(student, choice: str) -> None:
    """Pick a "Training images" choice ("1,000", "2,000", …) with the keyboard: Home, then right arrows."""
    choices = ["1,000", "2,000", "5,000", "10,000", "20,000", "30,000"]
    set_slider(student, "Training images", choices.index(choice))


def press_train(student) -> None:
    student.page.locator('[data-testid="stMain"]').get_by_role("button", name="Train", exact=True).click()


def wait_for_test_accuracy(student) -> str:
    """Wait for the trained model's test accuracy on the Train page; returns it as shown ("93.70%")."""
    metric = student.page.locator('[data-testid="stMain"] [data-testid="stMetric"]', has_text="Test accuracy")
    metric.wait_for(timeout=TRAINING_TIMEOUT_MS)
    return metric.locator('[data-testid="stMetricValue"]').inner_text()


def time_taken(student) -> str:
    metric = student.page.locator('[data-testid="stMain"] [data-testid="stMetric"]', has_text="Time taken")
    return metric.locator('[data-testid="stMetricValue"]').inner_text()


def draw(student, points: list[tuple[float, float]]) -> None:
    """One stroke with the mouse through `points`, in canvas pixels (0–280)."""
    box = student.page.locator("canvas.upper-canvas").bounding_box()
    mouse = student.page.mouse
    mouse.move(box["x"] + points[0][0], box["y"] + points[0][1])
    mouse.down()
    for x, y in points[1:]:
        mouse.move(box["x"] + x, box["y"] + y, steps=3)
    mouse.up()


def prediction_text(student) -> str:
    return student.page.locator('[data-testid="stMain"] h3', has_text="Prediction:").first.inner_text()


def drawn_charts(student, min_width: int, min_height: int):
    """The page's charts, once the first is drawn; it must have a real size on screen (Altair draws into a canvas or
    an SVG, either way)."""
    charts = student.page.locator('[data-testid="stMain"] [data-testid="stVegaLiteChart"]')
    charts.first.wait_for()
    box = charts.first.bounding_box()
    assert box["width"] > min_width and box["height"] > min_height, box
    return charts


def wait_for_prediction(student, digit: int, timeout_ms: int = 30_000) -> None:
    """Wait until the page says "Prediction: <digit>"."""
    student.page.locator('[data-testid="stMain"] h3', has_text=f"Prediction: {digit}").wait_for(timeout=timeout_ms)


def saved_models(directory) -> set:
    """The trained models a server's store holds (see cnnlab/jobs/store.py's MODEL_SUFFIX)."""
    from cnnlab.jobs.store import MODEL_SUFFIX

    return set(directory.glob(f"*{MODEL_SUFFIX}"))


def test_first_visit_opens_on_any_page_with_the_apps_navigation(student):
    # A fresh server whose first visitor arrives through a page's own address (a link from a teacher).
    filters = student().open("filters")
    navigation = filters.page.locator('[data-testid="stSidebarNav"]').inner_text()
    for title in PAGE_TITLES:
        assert title in navigation
    # The shipped reference model is in use at once: no Train click, no waiting for a training.
    filters.page.locator('[data-testid="stMain"] [data-testid="stVegaLiteChart"]').first.wait_for()
    assert "needs a trained model" not in filters.main_text()
    assert "780 learnt parameters" in filters.main_text()
    filters.assert_no_exception()

    home = student().open()
    assert "CNN Lab" in home.page.locator("h1").first.inner_text()
    assert "convolutional neural network" in home.main_text()
    home.assert_no_exception()
    home.screenshot("home-desktop")


def test_training_reuses_the_shipped_default_model_and_shows_progress_on_fewer_images(student):
    train = student().open("train")
    assert "203,933 learnt parameters" in train.main_text()  # the reference model's parameter count, before training
    assert "Time to train, roughly" in train.main_text()
    press_train(train)  # the default settings: the shipped model is reused, nothing is trained
    train.page.get_by_text("already trained", exact=False).wait_for()
    assert float(wait_for_test_accuracy(train).rstrip("%")) >= 98.5
    choose_training_images(train, "2,000")
    press_train(train)
    bar = train.page.locator('[data-testid="stMain"] [data-testid="stProgress"] [role="progressbar"]')
    bar.wait_for(timeout=60_000)
    first = float(bar.get_attribute("aria-valuenow") or 0)
    train.page.wait_for_function(
        """([selector, first]) => { const bar = document.querySelector(selector);
               return !bar || Number(bar.getAttribute('aria-valuenow')) > first; }""",
        arg=['[data-testid="stMain"] [data-testid="stProgress"] [role="progressbar"]', first],
        timeout=TRAINING_TIMEOUT_MS,
    )
    accuracy = wait_for_test_accuracy(train)
    assert float(accuracy.rstrip("%")) > 80.0
    train.wait_until_idle()
    assert train.page.locator('[data-testid="stMain"] [data-testid="stVegaLiteChart"]').count() >= 1  # curves
    train.assert_no_exception()
    train.screenshot("train-desktop")


def test_filters_page_shows_the_learnt_filter_grid(student):
    filters = student().open("filters")
    charts = drawn_charts(filters, min_width=300, min_height=200)
    assert charts.count() >= 2  # the first layer's grid and the second layer's kernels
    assert "780 learnt parameters" in filters.main_text()
    filters.assert_no_exception()
    filters.screenshot("filters-desktop")


def test_activations_reads_a_drawn_one_and_zero_and_a_random_digit(student):
    activations = student().open("activations")
    activations.page.get_by_text("Draw", exact=True).click()
    activations.page.locator("canvas.upper-canvas").wait_for()
    activations.wait_until_idle()
    assert "Draw one digit" in activations.main_text()

    draw(activations, [(140, 40), (138, 120), (140, 240)])
    wait_for_prediction(activations, 1)
    activations.wait_until_idle()
    assert "Input: your drawing" in activations.main_text()
    activations.screenshot("activations-drawn-one-desktop")

    activations.page.locator("canvas.upper-canvas").hover()
    activations.page.get_by_role("button", name="Reset canvas & history").click()
    activations.wait_until_idle()
    # An oval, once round and a little more, as a "0" is written.
    loop = [(140 + 70 * math.sin(turn), 140 - 95 * math.cos(turn)) for turn in
            (step / 24 * 2 * math.pi for step in range(26))]
    draw(activations, loop)
    wait_for_prediction(activations, 0)
    activations.wait_until_idle()

    activations.page.get_by_text("Test digit", exact=True).click()
    activations.wait_until_idle()
    activations.page.get_by_role("button", name="Random digit").click()
    activations.wait_until_idle()
    text = activations.main_text()
    assert re.search(r"Input: test digit #[\d,]+ · true label: \d", text)
    assert re.search(r"Prediction: \d", text)
    for layer in ("conv1", "pool", "conv2", "dropout", "flatten", "dense1", "dense2", "output"):
        assert f"{layer} ·" in text
    # The server sends pictures at their own pixels; the browser enlarges them, each pixel a sharp square.
    pictures = activations.pictures()
    seen = pictures["The input digit, 28 by 28 pixels, white ink on black"]
    assert (seen["natural"], seen["shown"], seen["rendering"]) == (28, 168, "pixelated")
    conv1 = pictures["The feature maps of conv1"]
    assert conv1["shown"] == 2 * conv1["natural"] == 6 * 96 + 5 * 2
    activations.assert_no_exception()
    activations.screenshot("activations-desktop")


def test_prediction_page_charts_the_current_digit(student):
    prediction = student().open("activations")
    prediction.go_to("Prediction")
    drawn_charts(prediction, min_width=200, min_height=150)
    assert re.search(r"Prediction: \d", prediction.main_text())
    assert "Runner-up" in prediction.main_text()
    prediction.assert_no_exception()
    prediction.screenshot("prediction-desktop")


def test_a_training_goes_on_while_the_student_visits_other_pages(student):
    train = student().open("train")
    set_slider(train, "Epochs", 2)
    set_slider(train, "Filters in conv layer 1", 8)
    choose_training_images(train, "1,000")
    press_train(train)
    # The main area's bar (the sidebar has one too while the tab's own model trains).
    train.page.locator('[data-testid="stMain"] [data-testid="stProgress"]').wait_for(timeout=60_000)

    train.go_to("Home")  # each switch waits for the page's heading: the training goes on meanwhile
    train.go_to("Filters")
    train.go_to("Train")
    # Back on the Train page, the sliders are as the student left them, so it shows the same training.
    assert slider(train, "Epochs").input_value() == "2"
    assert slider(train, "Filters in conv layer 1").input_value() == "8"
    wait_for_test_accuracy(train)
    sidebar = train.page.locator('[data-testid="stSidebar"]').inner_text()
    assert "8 + 15 filters" in sidebar and "· 2 epochs ·" in sidebar
    train.assert_no_exception()


def test_two_students_share_one_training_while_a_third_switches_pages_and_draws(student, server_model_directory):
    first, second, third = student(), student(), student()
    for tab in (first, second):
        tab.open("train")
        set_slider(tab, "Filters in conv layer 1", 4)
        set_slider(tab, "Filters in conv layer 2", 4)
        set_slider(tab, "Epochs", 3)
        choose_training_images(tab, "2,000")
    third.open("filters")
    models_before = saved_models(server_model_directory)
    # Playwright's sync API drives the tabs from this one thread: the two clicks land back to back.
    press_train(first)
    press_train(second)
    first.page.locator('[data-testid="stMain"] [data-testid="stProgress"]').first.wait_for(timeout=TRAINING_TIMEOUT_MS)
    # Meanwhile a third student goes on working with the model already there: pages and a drawn digit, twice.
    # (How fast is for scripts/load_test.py and scripts/load_class.py to measure, with budgets.)
    for _ in range(2):
        third.go_to("Activations")
        if not third.page.locator("canvas.upper-canvas").is_visible():  # the tab remembers its choice of input
            third.page.get_by_text("Draw", exact=True).click()
        third.page.locator("canvas.upper-canvas").wait_for()
        third.wait_until_idle()
        third.page.locator("canvas.upper-canvas").hover()
        third.page.get_by_role("button", name="Reset canvas & history").click()
        third.wait_until_idle()
        draw(third, [(140, 40), (138, 120), (140, 240)])
        wait_for_prediction(third, 1)
        third.go_to("Filters")
    third.assert_no_exception()
    accuracies = [wait_for_test_accuracy(tab) for tab in (first, second)]
    assert accuracies[0] == accuracies[1]
    # One training, shared: both tabs show the very same run, down to its time to a tenth of a second.
    assert time_taken(first) == time_taken(second)
    # The model arrived in the server's store once: one new file. The service stores a model before it calls the
    # training done, so with the accuracy on both pages every file there will be is there.
    new_models = saved_models(server_model_directory) - models_before
    assert len(new_models) == 1, new_models


def test_a_malformed_csv_is_refused_with_a_sentence_and_the_page_keeps_working(student):
    train = student().open("train")
    train.page.get_by_text("My own CSV", exact=False).click()
    train.wait_until_idle()
    bad = b"label,pixel0,pixel1\n3,0,0\n"  # two pixel columns where a digit needs 784
    train.page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(
        files=[{"name": "broken.csv", "mimeType": "text/csv", "buffer": bad}]
    )
    error = train.page.locator('[data-testid="stMain"] [data-testid="stAlertContentError"]')
    error.wait_for()
    assert "broken.csv was not used" in error.inner_text()
    assert "784" in error.inner_text()
    train.assert_no_exception()
    set_slider(train, "Filters in conv layer 1", 10)
    # By hand: conv1 10 × (25 + 1), conv2 15 × (10 × 9 + 1), dense 128 × 1,501, 50 × 129, output 10 × 51.
    total = 10 * 26 + 15 * 91 + 128 * 1501 + 50 * 129 + 10 * 51
    train.page.get_by_text(f"{total:,} learnt parameters").wait_for()
    train.assert_no_exception()


def test_the_explorer_takes_one_activation_apart_and_agrees_with_the_model(student):
    explorer = student().open("activations")
    explorer.go_to("How one number is made")
    explorer.wait_for_pictures()
    text = explorer.main_text()
    assert "Sum of the 25 products" in text
    assert "the same number" in text and "different" not in text
    # Another position, chosen with the keyboard: the arithmetic follows and still matches the model.
    set_slider(explorer, "Row", 5)
    # The keys send 1 (Home) and then 2…5; wait for the run that reads 5 (the column is the page's own opening pick).
    explorer.page.get_by_text(re.compile(r"row 5, column \d+")).first.wait_for()
    explorer.wait_until_idle()
    text = explorer.main_text()
    assert "the same number" in text and "different" not in text
    # A click on the map picks the square under the mouse: top-left quarter, so a row and column below 12.
    chart = explorer.page.locator('[data-testid="stMain"] [data-testid="stVegaLiteChart"]').first
    box = chart.bounding_box()
    explorer.page.mouse.click(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.3)
    explorer.page.wait_for_function(
        "(element) => Number(element.value) !== 5", arg=slider(explorer, "Row").element_handle())
    explorer.wait_until_idle()
    assert "the same number" in explorer.main_text()
    explorer.assert_no_exception()
    explorer.screenshot("explorer-desktop")


def test_the_confusion_gallery_opens_a_digit_in_activations(student):
    evaluation = student().open("activations")
    evaluation.go_to("Evaluation")
    evaluation.wait_for_pictures()
    assert "Test accuracy" in evaluation.main_text()
    # Each thumbnail's caption sits under it, as its own text (an image's caption would widen the thumbnail).
    caption = evaluation.page.locator('[data-testid="stMain"] [data-testid="stCaptionContainer"]',
                                      has_text=re.compile(r"^#[\d,]+ · ")).first
    caption.scroll_into_view_if_needed()
    index = re.match(r"#([\d,]+)", caption.inner_text()).group(1)
    # The gallery's heading names the square: "… test digits 4 were read as 9 …".
    true_digit = re.search(r"test digits? (\d) (?:was|were) ", evaluation.main_text()).group(1)
    evaluation.page.locator('[data-testid="stMain"] [class*="st-key-evaluation_open_"] button').first.click()
    evaluation.page.wait_for_selector('h1:has-text("Activations")')
    evaluation.wait_until_idle()
    assert f"Input: test digit #{index} · true label: {true_digit}" in evaluation.main_text()
    evaluation.assert_no_exception()


def test_watching_a_digit_learn_from_random_weights_to_the_trained_model(student):
    watch = student().open("watch")
    watch.page.get_by_text("After epoch 3:", exact=False).first.wait_for()  # the shipped model's last epoch
    final = watch.main_text()
    thumb = slider(watch, "Epoch")
    assert (thumb.get_attribute("min"), thumb.get_attribute("max")) == ("0", "3")
    thumb.focus()
    thumb.press("Home")
    watch.page.get_by_text("After epoch 0:", exact=False).first.wait_for()
    watch.wait_until_idle()
    assert "conv1 after epoch 0" in watch.main_text() and watch.main_text() != final
    watch.assert_no_exception()
    watch.screenshot("watch-epoch-0-desktop")


def test_the_class_experiments_chart_every_model_and_one_can_be_picked(student):
    experiments = student().open("experiments")
    assert re.search(r"\d+ models? so far", experiments.main_text())
    experiments.wait_for_pictures()
    # The table's first row (the selection marker at the left of the grid), as a teacher clicks it.
    grid = experiments.page.locator('[data-testid="stDataFrame"]').first
    grid.scroll_into_view_if_needed()  # below the two charts: a click outside the window reaches nothing
    box = grid.bounding_box()
    experiments.page.mouse.click(box["x"] + 12, box["y"] + 35 + 17)
    experiments.page.get_by_text("Picked:", exact=False).wait_for()
    experiments.page.get_by_role("button", name="Use this model on every page").click()
    experiments.page.get_by_text("is now the one your pages use").wait_for()
    experiments.assert_no_exception()
    experiments.screenshot("experiments-desktop")


@pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_every_page_renders_at_desktop_and_phone_width(student, size):
    tab = student(*size)
    for path, title in PAGE_HEADINGS.items():
        tab.open(path)
        assert title in tab.page.locator("h1").first.inner_text()
        tab.wait_for_pictures()
        tab.assert_no_exception()
        overflow = tab.overflow_pixels()
        assert overflow <= 1, f"{title} is {overflow} px wider than the screen"
        tab.screenshot(f"{path or 'home'}-{'phone' if size == PHONE else 'desktop'}")
