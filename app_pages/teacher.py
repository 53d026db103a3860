"""For the teacher: every training on this server, cancel any, set the training budget, tidy the class's board
and pin the class's model. Shown only when the server has a passcode, and opened only with it."""

import streamlit as st

from cnnlab.app import resources
from cnnlab.app.run_times import get_run_times
from cnnlab.jobs.budget import MINUTES_RANGE
from cnnlab.jobs.job import TEACHER_CANCELLED_MESSAGE, Job, JobState
from cnnlab.lens.experiments import experiments_table
from cnnlab.network.estimate import describe_duration
from cnnlab.words import describe_config

UNLOCKED = "teacher_unlocked"
REFRESH_SECONDS = 2.0


def passcode_ui() -> None:
    """The passcode form; a right passcode opens the page for this tab. The field is emptied on every try."""
    gate = resources.get_passcode_gate()
    with st.form("teacher_passcode", clear_on_submit=True):
        attempt = st.text_input("Teacher's passcode", type="password", key="teacher_passcode_input")
        pressed = st.form_submit_button("Open", type="primary")
    if not pressed:
        return
    try:
        right = gate.try_passcode(attempt)
    except ValueError as wait:
        st.error(str(wait))
        return
    if right:
        st.session_state[UNLOCKED] = True
        st.rerun()
    st.error("That passcode is not right. Each wrong try makes the next one wait longer.")


def job_text(job: Job) -> str:
    """One training in words: its settings, how far it got, time left, how long it waited; never who asked."""
    service = resources.get_service()
    asked = f"asked for by {len(job.owners)} tabs" if len(job.owners) > 1 else "asked for by one tab"
    if job.state is JobState.RUNNING:
        where = (f"**training**: {job.progress:.0%} done, {describe_duration(service.seconds_left(job))} left, "
                 f"running for {describe_duration(job.running_seconds())}")
    else:
        where = (f"**waiting**: number {service.queue_position(job)} in the queue, waiting for "
                 f"{describe_duration(job.waited_seconds())}")
    return f"{where} · {asked} · {describe_config(job.config)}"


@st.fragment(run_every=REFRESH_SECONDS)
def jobs_ui() -> None:
    """Every queued or running training, with a Cancel button each; refreshed every few seconds."""
    st.subheader("Trainings on this server")
    jobs = resources.get_service().unfinished()
    if not jobs:
        st.caption("Nothing is training or waiting.")
    for job in jobs:
        text, button = st.columns([6, 1], vertical_alignment="center")
        text.markdown(job_text(job))
        if button.button("Cancel", key=f"teacher_cancel_{job.id}"):
            resources.get_service().cancel(job, reason=TEACHER_CANCELLED_MESSAGE)
            st.success("Cancelled: the student's page says that you cancelled it.")


def budget_ui() -> None:
    """The longest a training may take on this server, changed at once for every new and running training."""
    service = resources.get_service()
    st.subheader("Training budget")
    minutes = st.number_input("Longest training, in minutes", *MINUTES_RANGE, value=service.budget_seconds / 60,
                              step=1.0, key="teacher_budget")
    if st.button("Set the budget", key="teacher_set_budget"):
        service.set_budget_minutes(minutes)
        st.success(f"A training may now take at most {describe_duration(service.budget_seconds)}; longer ones are "
                   "refused, and a running one that passes it is stopped.")


def board_ui() -> None:
    """The class's board: take a model off it, clear it, or pin a model as the class's model."""
    service = resources.get_service()
    st.subheader("The class's models")
    records = service.records(include_hidden=True)
    if not records:
        st.caption("No model has been trained on this server yet.")
        return
    table = experiments_table(records)
    pinned = service.board.pinned
    table["on the board"] = [not service.board.is_hidden((r.config, r.fingerprint)) for r in records]
    table["class's model"] = [(r.config, r.fingerprint) == pinned for r in records]
    st.dataframe(table[["model", "test accuracy", "on the board", "class's model"]], hide_index=True,
                 column_config={"test accuracy": st.column_config.NumberColumn(format="percent")})
    row = st.selectbox("Model", range(len(records)), format_func=lambda index: table["model"][index],
                       key="teacher_model")
    key = (records[row].config, records[row].fingerprint)
    left, middle, right, last = st.columns(4)
    if left.button("Take it off the board", key="teacher_hide"):
        service.board.hide([key])
        st.rerun()
    if middle.button("Pin as the class's model", key="teacher_pin",
                     help="The model every tab shows until it trains or picks one of its own."):
        service.board.pin(key)
        st.rerun()
    if right.button("Clear the board", key="teacher_clear"):
        service.board.hide([(record.config, record.fingerprint) for record in records])
        st.rerun()
    if last.button("Back to the reference model", key="teacher_unpin", disabled=pinned is None):
        service.board.pin(None)
        st.rerun()


def server_ui() -> None:
    """How long the server takes over each page, so a teacher sees whether it keeps up with the class."""
    st.subheader("How quickly this server answers")
    rows = get_run_times().summary()
    if not rows:
        st.caption("No page has been opened yet.")
        return
    st.caption("The server's time for one page, over the latest page runs of every student (a page feels instant "
               "under about 300 ms).")
    st.dataframe(rows, hide_index=True)


def teacher_demo() -> None:
    if not st.session_state.get(UNLOCKED):
        passcode_ui()
        return
    jobs_ui()
    budget_ui()
    board_ui()
    server_ui()
    if st.button("Lock this page", key="teacher_lock"):
        st.session_state.pop(UNLOCKED, None)
        st.rerun()


st.markdown(
    "Every training on this server, as students see it in words (no names are kept). Cancel any of them, set how "
    "long a training may take, and choose what the class's experiments board shows."
)
teacher_demo()
