"""Another architecture, as a student builds it from a shared link: three conv layers of 3 × 3 with "same" padding,
tanh and Adam, trained for one epoch in the browser, then every page visited with it; and a network too small to
exist, refused on the Train page in a sentence before anything trains."""

from __future__ import annotations

import re

from tests.support.student import TRAINING_TIMEOUT_MS
from tests.support.tour import CODE_PAGES, PAGE_TITLES, developer_words

LINK = "train?conv=8x3,16x3,32x3&padding=same&activation=tanh&optimizer=adam&epochs=1&train_size=1000"
# By hand: conv1 8 × (9 + 1) on 28 × 28, pooled to 14; conv2 16 × (9 × 8 + 1), pooled to 7; conv3 32 × (9 × 16 + 1)
# on 7 × 7, so 7 × 7 × 32 = 1,568 values reach dense1 (1,569 × 128), then dense2 (129 × 50) and the output (51 × 10).
PARAMETERS = 8 * 10 + 16 * 73 + 32 * 145 + 1569 * 128 + 129 * 50 + 51 * 10
# 28 → 22 → pooled 11 → 5 → pooled 2, too small for a third 7 × 7 kernel.
TOO_SMALL = "train?conv=8x7,8x7,8x7"


def test_a_linked_architecture_trains_and_every_page_shows_it(student):
    tab = student().open(LINK)
    tab.assert_no_exception()
    main = tab.page.locator('[data-testid="stMain"]')
    text = main.inner_text()
    assert f"In all, {PARAMETERS:,} learnt parameters" in text
    assert re.search(r"conv3\s*:\s*⌊\(7 \+ 2·1 − 3\) / 1⌋ \+ 1 = 7", text), text
    main.get_by_role("button", name="Train", exact=True).click()
    main.locator('[data-testid="stMetric"]', has_text="Test accuracy").wait_for(timeout=TRAINING_TIMEOUT_MS)
    # The sidebar changes with the run the finished training asks for, which may come just after the main area's.
    tab.page.locator('[data-testid="stSidebar"]').get_by_text(
        "8 + 16 + 32 filters of 3×3 · padding same · tanh · Adam", exact=False).first.wait_for()
    tab.wait_until_idle()
    for title in PAGE_TITLES:
        tab.go_to(title)
        tab.assert_no_exception()
        errors = tab.page.locator('[data-testid="stMain"] [data-testid="stAlertContentError"]')
        assert errors.count() == 0, f"{title}: {errors.first.inner_text()}"
        # Code to take away shows Python, and Share and keep the link, whose settings are named as links name them.
        if title not in (*CODE_PAGES, "Share and keep"):
            assert developer_words(tab.main_text()) == [], title
        if title == "Filters":
            assert "Third conv layer" in tab.main_text()
        if title == "What a filter looks for":
            assert "conv3: combinations" in tab.main_text()


def test_a_network_too_small_to_exist_is_refused_before_it_trains(student):
    tab = student().open(TOO_SMALL)
    tab.assert_no_exception()
    refusal = tab.page.locator('[data-testid="stMain"] [data-testid="stAlertContentError"]').inner_text()
    assert "conv layer 3 would get a 2 × 2 input" in refusal
    assert tab.page.locator('[data-testid="stMain"]').get_by_role("button", name="Train", exact=True).count() == 0
