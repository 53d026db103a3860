"""scripts/load_class.py and its protocol helper: Streamlit's messages read as the front end reads them (checked
against messages built here with Streamlit's own protobuf classes), the budgets, and two students going round every
model page of a real `streamlit run` server."""

from __future__ import annotations

import asyncio

import pytest
from streamlit.proto.Alert_pb2 import Alert
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from scripts import load_class
from tests.support import streamlit_protocol
from tests.support.server import AppServer
from tests.support.streamlit_protocol import MessageCache, PageRun, Tab, decode_forward_msg, rerun_message


def sent(message: ForwardMsg) -> ForwardMsg:
    """The message as the tab receives it: serialized by Streamlit's protobuf class, read back by the helper."""
    return decode_forward_msg(message.SerializeToString())


def finished(status) -> ForwardMsg:
    message = ForwardMsg()
    message.script_finished = status
    return message


def button(label: str, widget_id: str, fragment_id: str = "") -> ForwardMsg:
    message = ForwardMsg()
    message.delta.fragment_id = fragment_id
    message.delta.new_element.button.label = label
    message.delta.new_element.button.id = widget_id
    return message


def exception(text: str) -> ForwardMsg:
    message = ForwardMsg()
    message.delta.new_element.exception.type = "ValueError"
    message.delta.new_element.exception.message = text
    return message


def test_a_run_ends_at_its_script_finished_not_at_an_st_rerun_in_between():
    run = PageRun()
    session = ForwardMsg()
    session.new_session.page_script_hash = "page"
    error_box = ForwardMsg()
    error_box.delta.new_element.alert.format = Alert.ERROR
    error_box.delta.new_element.alert.body = "That file is not a CSV."
    messages = [session, button("Random digit", "$$ID-1-activations_random", "fragment-1"), exception("bad digit"),
                finished(ForwardMsg.FINISHED_EARLY_FOR_RERUN), session, error_box,
                finished(ForwardMsg.FINISHED_SUCCESSFULLY)]
    ended = [run.take(sent(message)) for message in messages]
    assert ended == [False, False, False, False, False, False, True]
    assert run.error_boxes == ["That file is not a CSV."]
    assert run.finished and run.seconds >= 0 and run.status == ForwardMsg.FINISHED_SUCCESSFULLY
    assert run.error is None and run.ok
    assert run.exceptions == ["ValueError: bad digit"]
    assert run.buttons["Random digit"].widget_id == "$$ID-1-activations_random"
    assert run.buttons["Random digit"].fragment_id == "fragment-1"


def test_a_fragment_run_is_a_success_and_a_compile_error_or_a_missing_page_is_not():
    fragment = PageRun()
    assert fragment.take(sent(finished(ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY)))
    assert fragment.ok

    broken = PageRun()
    assert broken.take(sent(finished(ForwardMsg.FINISHED_WITH_COMPILE_ERROR)))
    assert not broken.ok and "FINISHED_WITH_COMPILE_ERROR" in broken.error

    missing = PageRun()
    not_found = ForwardMsg()
    not_found.page_not_found.page_name = "nowhere"
    assert not missing.take(sent(not_found))
    assert missing.take(sent(finished(ForwardMsg.FINISHED_SUCCESSFULLY)))  # Streamlit runs the default page instead
    assert not missing.ok and "page not found" in missing.error


def test_a_text_frame_is_refused():
    with pytest.raises(ValueError, match="binary"):
        decode_forward_msg("not protobuf")


def test_a_button_press_is_a_rerun_with_its_trigger_and_fragment():
    message = BackMsg()
    message.ParseFromString(rerun_message(query_string="epochs=1", page_script_hash="abc",
                                          triggered_widget="$$ID-2-train_start", fragment_id="fragment-2",
                                          cached_message_hashes=["h1"]))
    assert message.WhichOneof("type") == "rerun_script"
    state = message.rerun_script
    assert (state.query_string, state.page_script_hash, state.page_name) == ("epochs=1", "abc", "")
    assert state.fragment_id == "fragment-2" and list(state.cached_message_hashes) == ["h1"]
    [widget] = state.widget_states.widgets
    assert widget.id == "$$ID-2-train_start" and widget.WhichOneof("value") == "trigger_value" and widget.trigger_value


def test_a_first_visit_names_its_page_by_address():
    message = BackMsg()
    message.ParseFromString(rerun_message(page_name="activations"))
    assert message.rerun_script.page_name == "activations" and message.rerun_script.page_script_hash == ""
    assert message.rerun_script.HasField("widget_states") and not message.rerun_script.widget_states.widgets


def test_a_reference_is_read_from_the_cache_until_the_entry_ages_out():
    cache = MessageCache()
    original = button("Train", "$$ID-3-train_start")
    original.hash = "hash-1"
    original.metadata.cacheable = True
    cache.resolve(sent(original))
    reference = ForwardMsg()
    reference.ref_hash = "hash-1"
    reference.metadata.delta_path[:] = [0, 4]
    resolved = cache.resolve(sent(reference))
    assert resolved.delta.new_element.button.label == "Train" and list(resolved.metadata.delta_path) == [0, 4]
    assert cache.hashes() == ["hash-1"]
    for _ in range(cache.max_age + 1):
        cache.note_finished_run()
    assert cache.hashes() == []
    with pytest.raises(KeyError):
        cache.resolve(sent(reference))


class ScriptedServer:
    """Stands in for a websocket to Streamlit: answers each rerun request with the next list of messages given."""

    def __init__(self, answers: list[list[ForwardMsg]]):
        self.answers = answers
        self.requests: list[BackMsg] = []
        self.frames: asyncio.Queue[bytes] = asyncio.Queue()

    async def send(self, data: bytes) -> None:
        self.requests.append(BackMsg.FromString(data))
        for message in self.answers.pop(0) if self.answers else []:
            self.frames.put_nowait(message.SerializeToString())

    def __aiter__(self):
        return self

    async def __anext__(self) -> bytes:
        return await self.frames.get()

    async def close(self) -> None:
        pass


def new_session(fragment_ids=()) -> ForwardMsg:
    message = ForwardMsg()
    message.new_session.page_script_hash = "main"
    message.metadata.run.fragment_ids.extend(fragment_ids)
    return message


def navigation() -> ForwardMsg:
    message = ForwardMsg()
    for title, path, page_hash in [("Home", "", "hash-home"), ("Train", "train", "hash-train")]:
        page = message.navigation.app_pages.add()
        page.page_name, page.url_pathname, page.page_script_hash = title, path, page_hash
    message.navigation.page_script_hash = "hash-train"
    return message


def auto_rerun(fragment_id: str) -> ForwardMsg:
    message = ForwardMsg()
    message.auto_rerun.fragment_id = fragment_id
    message.auto_rerun.interval = 0.01
    return message


def test_a_tab_presses_a_button_and_follows_fragments_until_a_whole_app_run_stops_them(monkeypatch):
    """The Train page: a button press, then two fragments rerun on a timer, until one of them reruns the whole app
    (the training ended), which draws neither: the other must not be rerun, or the server would never answer."""
    monkeypatch.setattr(streamlit_protocol, "RUN_TIMEOUT_SECONDS", 2.0)
    ok = finished(ForwardMsg.FINISHED_SUCCESSFULLY)
    server = ScriptedServer([
        [new_session(), navigation(), button("Train", "$$ID-4-train_start"), ok],
        [new_session(), navigation(), auto_rerun("live"), auto_rerun("sidebar"), ok],
        [new_session(["live"]), finished(ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY)],
        [new_session(["sidebar"]), finished(ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY)],
        [new_session(["live"]), finished(ForwardMsg.FINISHED_EARLY_FOR_RERUN), new_session(), navigation(), ok],
    ])

    async def visit() -> list[list[PageRun]]:
        tab = Tab("http://127.0.0.1:1", server)
        opened = await tab.run_page("train", "epochs=1")
        pressed = await tab.press("Train")
        rounds = [await tab.follow_auto_reruns() for _ in range(3)]
        await tab.close()
        assert tab.pages == {"": "hash-home", "train": "hash-train"} and tab.auto_reruns == {}
        return [[opened, pressed], *rounds]

    [[opened, pressed], first_round, second_round, third_round] = asyncio.run(visit())
    assert opened.ok and pressed.ok and [run.ok for run in first_round] == [True, True]
    assert len(second_round) == 1 and second_round[0].ok and third_round == []
    first, press, *reruns = server.requests
    assert (first.rerun_script.page_name, first.rerun_script.query_string) == ("train", "epochs=1")
    assert press.rerun_script.page_script_hash == "hash-train"
    assert press.rerun_script.widget_states.widgets[0].id == "$$ID-4-train_start"
    assert [(request.rerun_script.fragment_id, request.rerun_script.is_auto_rerun) for request in reruns] == [
        ("live", True), ("sidebar", True), ("live", True)]


def level(students: int, seconds: float, error: str | None = None) -> load_class.LevelResult:
    """A level in which every student's runs took `seconds`, the last one failing with `error` when given."""
    runs = []
    for number in range(students):
        run = PageRun()
        run.end(ForwardMsg.FINISHED_SUCCESSFULLY, error if number == students - 1 else None)
        run.seconds = seconds
        runs.append(run)
    return load_class.LevelResult(students=students, seconds=60, runs={"Activations": runs},
                                  memory_lines=[])


def test_the_budgets():
    assert load_class.missed_budgets(level(30, 0.25)) == []
    assert load_class.missed_budgets(level(30, 0.35)) == ["30 students: p95 0.35 s, budget ≤ 0.30 s"]
    assert load_class.missed_budgets(level(100, 0.9)) == []
    assert load_class.missed_budgets(level(100, 1.2)) == ["100 students: p95 1.20 s, budget ≤ 1.00 s"]
    assert load_class.missed_budgets(level(200, 5.0)) == []  # no time budget for 200, only no errors
    assert load_class.missed_budgets(level(200, 0.1, error="page not found: 'x'")) == [
        "200 students: 1 errors, budget 0"]


def test_percentiles_are_nearest_rank():
    values = [float(number) for number in range(1, 101)]
    assert load_class.percentile(values, 0.95) == 95.0
    assert load_class.percentile(values, 0.5) == 50.0
    assert load_class.percentile([3.0], 0.95) == 3.0
    assert load_class.percentile([], 0.95) is None


@pytest.mark.slow
def test_two_students_go_round_every_model_page_of_a_real_server(tmp_path):
    """A fresh server, the warm-up, then two students for a few seconds with short pauses: every page of the round
    (and the Random digit press) is measured, with no error and no exception shown."""
    printed: list[str] = []
    settings = load_class.ClassSettings(seconds_per_page=0.3, duration=12)
    with AppServer(tmp_path / "server.log", tmp_path / "models") as server:
        [result] = asyncio.run(load_class.run_class(server.url, [2], settings, server.process.pid,
                                                    with_training=False, report=printed.append))
    report = "\n".join(printed)
    assert set(result.runs) == set(load_class.ROW_ORDER), report
    assert result.errors() == [] and result.exceptions() == [], report
    assert all(run.ok and run.seconds > 0 for run in result.all_runs())
    assert len(result.runs[load_class.OPEN_LABEL]) == 2
    assert "all pages" in report and "budgets: met" in report
    assert result.memory_lines[0].startswith(f"server (pid {server.process.pid})")
