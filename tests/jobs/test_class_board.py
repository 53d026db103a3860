"""The class board: hidden models and the pinned class model, kept across a restart in the model folder."""

from __future__ import annotations

import json

from cnnlab.config import TrainConfig
from cnnlab.jobs.class_board import BOARD_FILE_NAME, ClassBoard

FIRST = (TrainConfig(epochs=1, dense_units=(64,)), "fingerprint-a")
SECOND = (TrainConfig(seed=7), "fingerprint-b")


def test_hidden_and_pinned_models_survive_a_restart(tmp_path):
    board = ClassBoard(tmp_path)
    board.hide([FIRST])
    board.pin(SECOND)
    again = ClassBoard(tmp_path)  # as in a new server process
    assert again.is_hidden(FIRST) and not again.is_hidden(SECOND)
    assert again.pinned == SECOND
    again.pin(None)
    assert ClassBoard(tmp_path).pinned is None


def test_the_file_names_no_student_and_a_damaged_file_starts_an_empty_board(tmp_path, caplog):
    ClassBoard(tmp_path).hide([FIRST, SECOND])
    saved = json.loads((tmp_path / BOARD_FILE_NAME).read_text())
    assert set(saved) == {"hidden", "pinned"} and len(saved["hidden"]) == 2
    (tmp_path / BOARD_FILE_NAME).write_text("{not json")
    board = ClassBoard(tmp_path)
    assert not board.is_hidden(FIRST) and board.pinned is None
    assert "could not be read" in caplog.text


def test_a_board_without_a_folder_keeps_its_choices_in_memory():
    board = ClassBoard(None)
    board.hide([FIRST])
    assert board.is_hidden(FIRST)
