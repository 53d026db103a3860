"""Pages that follow a tab's own training while it runs, as a class uses them: Train pressed, then straight to Watch
your digit learn, staying there. Only a browser shows these: the page reruns itself (nothing is clicked) from the
moment the training is queued, and the epoch a student moved the slider to stays put while later epochs arrive.

Every wait is for something the page shows; no step depends on how fast the server trains.
"""

from __future__ import annotations

from tests.support.student import TRAINING_TIMEOUT_MS

# Enough epochs of few images that later epochs keep arriving after the student has moved the slider, each in a
# second or two on a shared 2-core machine.
TRAINING = "train?epochs=20&train_size=5000&seed=404"


def epoch_slider(student):
    return student.page.locator('[data-testid="stSlider"]', has_text="Epoch").locator('input[type="range"]').first


def follow_box(student):
    return student.page.locator('[data-testid="stCheckbox"]', has_text="Follow the newest epoch")


def wait_for_newest_epoch_above(student, epoch: int) -> int:
    """Wait until the slider's end passes `epoch` (an epoch ended, or the training did); returns its new end."""
    student.page.wait_for_function(
        """(epoch) => { const slider = [...document.querySelectorAll('[data-testid="stSlider"]')]
                            .find(element => element.innerText.includes('Epoch'));
                        const input = slider && slider.querySelector('input[type="range"]');
                        return input && Number(input.max) > epoch; }""",
        arg=epoch, timeout=TRAINING_TIMEOUT_MS)
    return int(epoch_slider(student).get_attribute("max"))


def test_watch_follows_the_tabs_training_from_the_start_and_keeps_the_students_epoch(student):
    tab = student().open(TRAINING)
    tab.page.locator('[data-testid="stMain"]').get_by_role("button", name="Train", exact=True).click()
    tab.wait_until_idle()
    tab.go_to("Watch your digit learn")
    # From the first view: this tab's training (waiting, starting or at its random start), not the class's model.
    main = tab.page.locator('[data-testid="stMain"]')
    main.get_by_text("Your model", exact=False).first.wait_for()
    assert "After epoch 3" not in main.inner_text()
    # Epochs arrive while the page is left alone; it follows the newest until the student moves the slider.
    newest = wait_for_newest_epoch_above(tab, 1)
    assert int(epoch_slider(tab).get_attribute("value")) == newest
    assert follow_box(tab).locator("input").is_checked()
    slider = epoch_slider(tab)
    slider.focus()
    slider.press("Home")  # back to the random start
    tab.page.locator('[data-testid="stMain"] h3', has_text="After epoch 0").wait_for()
    moved_at = int(epoch_slider(tab).get_attribute("max"))
    wait_for_newest_epoch_above(tab, moved_at)
    assert int(epoch_slider(tab).get_attribute("value")) == 0
    assert tab.page.locator('[data-testid="stMain"] h3', has_text="After epoch").first.inner_text().startswith(
        "After epoch 0:")
    assert not follow_box(tab).locator("input").is_checked()
    # Following the newest epoch again is a choice the student makes.
    follow_box(tab).locator("label").click()
    tab.page.wait_for_function(
        """() => { const slider = [...document.querySelectorAll('[data-testid="stSlider"]')]
                       .find(element => element.innerText.includes('Epoch'));
                   const input = slider && slider.querySelector('input[type="range"]');
                   return input && input.value === input.max && Number(input.max) > 0; }""",
        timeout=TRAINING_TIMEOUT_MS)
    tab.assert_no_exception()


def test_evaluation_left_open_during_the_tabs_training_shows_the_new_model_once_it_exists(student):
    tab = student().open(TRAINING.replace("seed=404", "seed=405").replace("epochs=20", "epochs=2"))
    tab.page.locator('[data-testid="stMain"]').get_by_role("button", name="Train", exact=True).click()
    tab.wait_until_idle()
    tab.go_to("Evaluation")
    shown = tab.page.locator('[data-testid="stMain"] [data-testid="stMetric"]', has_text="Test accuracy")
    before = shown.locator('[data-testid="stMetricValue"]').inner_text()  # the class's model, while it trains
    sidebar = tab.page.locator('[data-testid="stSidebar"]')
    # Nothing is clicked: once the training ends, the page and the sidebar show the new model by themselves.
    sidebar.get_by_text("seed 405", exact=False).wait_for(timeout=TRAINING_TIMEOUT_MS)
    tab.page.wait_for_function(
        """(before) => { const metric = document.querySelector('[data-testid="stMain"] [data-testid="stMetricValue"]');
                          return metric && metric.innerText !== before; }""", arg=before, timeout=TRAINING_TIMEOUT_MS)
    assert "2 epochs" in sidebar.inner_text() and "5,000 training images" in sidebar.inner_text()
    tab.assert_no_exception()


def test_the_evaluation_gallerys_thumbnails_are_all_one_size(student):
    for width, height in ((1280, 800), (390, 844)):
        tab = student(width, height).open("evaluation")
        tab.wait_for_pictures()
        widths = tab.page.evaluate(
            """() => [...document.querySelectorAll('[data-testid="stMain"] img')]
                        .filter(image => image.alt.startsWith('Test digit'))
                        .map(image => Math.round(image.getBoundingClientRect().width))""")
        assert len(widths) >= 2 and len(set(widths)) == 1, (width, widths)
