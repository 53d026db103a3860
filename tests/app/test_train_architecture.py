"""The Train page's architecture settings through AppTest: the table and the output-size formulas follow the
widgets and links, against the summaries worked out by hand (tests/architectures.py); an impossible network is a
sentence and queues nothing; the experiments to try fill in the settings."""

from __future__ import annotations

import re

import pytest
from architectures import ARCHITECTURES, TOTALS
from helpers import APP, APP_TIMEOUT, open_page, page_text
from streamlit.testing.v1 import AppTest

from cnnlab.app import kept_widgets
from cnnlab.lens.architecture import LESSONS

TRAIN = "app_pages/train.py"


def open_train_link(query: dict) -> AppTest:
    """The Train page opened straight from a link carrying `query`."""
    app = AppTest.from_file(APP, default_timeout=APP_TIMEOUT)
    app.switch_page(TRAIN)
    for name, value in query.items():
        app.query_params[name] = value
    return app.run()


def table_rows(app: AppTest) -> list[tuple[str, int]]:
    """(layer, parameters) of the page's network table, the total row last."""
    frame = app.dataframe[0].value
    return list(zip(frame["layer"], (int(value) for value in frame["parameters"]), strict=True))


def set_architecture(app: AppTest, config) -> AppTest:
    """Move the Train page's widgets to `config`'s architecture, as a student would."""
    app.slider(key=kept_widgets.CONV_COUNT_WIDGET).set_value(len(config.conv_layers)).run()
    for (filters_key, kernel_key), (filters, kernel) in zip(kept_widgets.CONV_WIDGETS, config.conv_layers,
                                                            strict=False):
        app.slider(key=filters_key).set_value(filters)
        app.select_slider(key=kernel_key).set_value(kernel)
    for name in ("pooling", "padding", "stride", "activation"):
        app.radio(key=kept_widgets.SETTING_WIDGETS[name]).set_value(getattr(config, name))
    app.selectbox(key=kept_widgets.SETTING_WIDGETS["optimizer"]).set_value(config.optimizer)
    app.selectbox(key=kept_widgets.SETTING_WIDGETS["dense_units"]).set_value(config.dense_units)
    return app.run()


@pytest.mark.parametrize("name", ["three same stride 2", "one 7x7 average tanh",
                                  "even kernels same no pooling sigmoid"])
def test_the_table_and_the_formulas_follow_the_widgets(name, empty_service):
    config, table = ARCHITECTURES[name]
    app = set_architecture(open_page(TRAIN), config)
    assert not app.exception, [item.value for item in app.exception]
    assert table_rows(app) == [(row[0], row[3]) for row in table] + [("total", TOTALS[name])]
    text = page_text(app)
    assert f"In all, **{TOTALS[name]:,} learnt parameters**" in text
    # Each conv and pooling layer's formula, its result the side worked out by hand.
    formulas = dict(re.findall(r"^- \*\*(\w+)\*\*: ⌊.*⌋ \+ 1 = (\d+)$", text, re.MULTILINE))
    assert formulas == {layer_name: str(shape[0]) for layer_name, kind, shape, _ in table
                        if kind in ("Conv2D", "MaxPooling2D", "AveragePooling2D")}
    assert empty_service.unfinished() == []


def test_the_reference_formulas_and_the_padding_of_an_even_kernel_are_written_out(empty_service):
    app = open_page(TRAIN)
    text = page_text(app)
    assert "- **conv1**: ⌊(28 + 2·0 − 5) / 1⌋ + 1 = 24" in text
    assert "- **pool**: ⌊(24 + 2·0 − 2) / 2⌋ + 1 = 12" in text
    assert "- **conv2**: ⌊(12 + 2·0 − 3) / 1⌋ + 1 = 10" in text
    app = set_architecture(app, ARCHITECTURES["even kernels same no pooling sigmoid"][0])
    text = page_text(app)
    # "same" padding around a 4 × 4 kernel: one zero before, two after; 2 × 2: none before, one after.
    assert "- **conv1**: ⌊(28 + 1 + 2 − 4) / 1⌋ + 1 = 28" in text
    assert "- **conv2**: ⌊(28 + 0 + 1 − 2) / 1⌋ + 1 = 28" in text
    app = set_architecture(app, ARCHITECTURES["three same stride 2"][0])
    assert "- **conv1**: ⌊(28 + 0 + 1 − 3) / 2⌋ + 1 = 14" in page_text(app)


def test_every_setting_comes_with_a_sentence_a_student_can_act_on(empty_service):
    text = page_text(open_page(TRAIN))
    for name in ("conv_layers", "kernel_size", "pooling", "padding", "stride", "activation"):
        assert LESSONS[name] in text, name


def test_a_network_that_shrinks_a_digit_to_nothing_is_refused_before_training(empty_service):
    app = open_page(TRAIN)
    app.slider(key=kept_widgets.CONV_COUNT_WIDGET).set_value(3).run()
    for _, kernel_key in kept_widgets.CONV_WIDGETS:
        app.select_slider(key=kernel_key).set_value(7)
    app.run()
    assert not app.exception
    [refusal] = [error.value for error in app.error]
    assert "conv layer 3 would get a 2 × 2 input" in refusal
    assert "a kernel size of at most 2 for conv layer 3" in refusal
    assert not [button for button in app.button if button.key == "train_start"]
    assert not app.dataframe and empty_service.unfinished() == []
    # The same network from a link: the same sentence, nothing queued.
    linked = open_train_link({"conv": "8x7,8x7,8x7"})
    assert not linked.exception and "conv layer 3 would get a 2 × 2 input" in linked.error[0].value
    assert empty_service.unfinished() == []


def test_a_link_opens_its_architecture_on_the_train_page(empty_service):
    app = open_train_link({"conv": "16x3,32x3,64x3", "padding": "same", "activation": "tanh", "optimizer": "adam",
                           "epochs": "1"})
    assert not app.exception, [item.value for item in app.exception]
    assert app.slider(key=kept_widgets.CONV_COUNT_WIDGET).value == 3
    assert [app.slider(key=filters_key).value for filters_key, _ in kept_widgets.CONV_WIDGETS] == [16, 32, 64]
    assert [app.select_slider(key=kernel_key).value for _, kernel_key in kept_widgets.CONV_WIDGETS] == [3, 3, 3]
    assert app.radio(key="train_padding").value == "same" and app.radio(key="train_activation").value == "tanh"
    assert app.selectbox(key="train_optimizer").value == "adam"
    # By hand: conv1 16 × 10, conv2 32 × (9 × 16 + 1), conv3 64 × (9 × 32 + 1) on maps of 28, 14 and 7;
    # dense1 (7 × 7 × 64 + 1) × 128, dense2 129 × 50, output 51 × 10.
    total = 160 + 4640 + 18496 + 3137 * 128 + 6450 + 510
    assert f"In all, **{total:,} learnt parameters**" in page_text(app)
    # A link written before the conv layers could be chosen still opens its model.
    old = open_train_link({"conv1_filters": "4", "conv2_filters": "6"})
    assert not old.exception
    assert [old.slider(key=filters_key).value for filters_key, _ in kept_widgets.CONV_WIDGETS[:2]] == [4, 6]
    assert [old.select_slider(key=kernel_key).value for _, kernel_key in kept_widgets.CONV_WIDGETS[:2]] == [5, 3]


def test_an_experiment_to_try_fills_in_its_settings(empty_service):
    app = open_page(TRAIN)
    text = page_text(app)
    assert "Experiments to try" in text and "*Why did ReLU replace sigmoid?* ReLU against sigmoid" in text
    app.button(key="train_experiment_0_second").click().run()
    assert not app.exception
    assert app.radio(key="train_activation").value == "sigmoid"
    assert app.select_slider(key="train_size").value == 10_000
    app.button(key="train_experiment_2_second").click().run()
    assert app.slider(key=kept_widgets.CONV_COUNT_WIDGET).value == 3
    assert app.radio(key="train_padding").value == "same" and app.radio(key="train_activation").value == "relu"
    assert empty_service.unfinished() == []  # filling in settings trains nothing
