"""Trainings as the pages show them: the sidebar's model, a live view of a running job, and the curves."""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

from cnnlab.app.cached_pictures import training_curve_specs
from cnnlab.app.model_choice import (
    ADDRESS_PROBLEM,
    MODEL_KEY,
    chosen_job,
    class_job,
    current_job,
    current_result,
    tab_id,
    use_job,
)
from cnnlab.app.resources import get_dataset, get_service
from cnnlab.config import TRAIN_SIZES, TrainConfig
from cnnlab.digits.datasets import Dataset
from cnnlab.jobs.job import Job, JobState
from cnnlab.network.estimate import describe_duration
from cnnlab.network.result import TrainResult
from cnnlab.words import describe_config

PROGRESS_REFRESH_SECONDS = 1.0
# Why the first epoch's training loss sits well above its validation loss, which puzzles a class every time.
CURVES_NOTE = ("Why is the training loss higher than the validation loss at first? The training loss is the average "
               "over the whole epoch, while the network was still learning, and with dropout switching a share of "
               "its values off; the validation loss is measured once, at the end of the epoch, with the whole "
               "network.")


def show_sidebar() -> None:
    """The model in use, on every page (settings, data, test accuracy), and how this tab's own training is doing.

    The entry point draws it after the page, so it shows the model a page's buttons have just chosen.
    """
    with st.sidebar:
        if st.session_state.get(ADDRESS_PROBLEM):
            st.warning(st.session_state[ADDRESS_PROBLEM])
        st.subheader("Model in use")
        job = current_job()
        if job is None:
            st.caption("No model trained yet. The Train page makes one; so does the button on any page.")
        else:
            st.metric("Test accuracy", f"{job.result.test_accuracy:.1%}")
            st.caption(describe_config(job.config))
            st.caption(images_text(job.result.train_images, job.result.validation_images) + f" · data: "
                       f"{job.dataset.name}")
            if job.dataset.note:
                st.caption(job.dataset.note)
        own_training_status()
        key = st.session_state.get(MODEL_KEY)
        others = [running for running in get_service().running() if running.key != key]
        if others:
            st.caption(f"Other trainings running on this server: {len(others)}.")


def own_training_status() -> None:
    """Where this tab's chosen model stands when it is not ready, refreshed every second while it trains."""
    key = st.session_state.get(MODEL_KEY)
    job = chosen_job()
    if key is None or (job is not None and job.state is JobState.DONE):
        return
    unfinished = job is not None and not job.finished
    fallback = "Until it is ready, the pages show the class's model." if class_job() else ""

    @st.fragment(run_every=PROGRESS_REFRESH_SECONDS if unfinished else None)
    def status() -> None:
        if job is None:
            st.info(f"Your settings ({describe_config(key[0])}) are not trained on this server yet: the Train page "
                    f"trains them. {fallback}")
        elif job.state is JobState.QUEUED:
            st.info(f"Your model · {turn_text(job)}. {fallback}")
        elif job.state is JobState.RUNNING:
            st.progress(job.progress, text=f"Your model is training: {job.progress:.0%} done.")
            st.caption(fallback)
        elif not unfinished:
            st.warning(f"Your model did not finish: {job.error} {fallback}")
        if unfinished and job.finished:
            st.rerun(scope="app")  # every page changes once the model exists

    status()


def require_model(page_key: str) -> TrainResult | None:
    """The model in use, or — on a first visit — an offer to train the default model in one click.

    Returns None while there is no model; the page should then stop drawing.
    """
    # `current_job` already finds a finished default model, also one saved before a server restart.
    result = current_result()
    if result is not None:
        return result
    service = get_service()
    dataset = get_dataset("mnist")
    pending = service.find(TrainConfig(), dataset)  # queued, running, failed, cancelled or interrupted
    if pending is not None and not pending.finished:
        st.info("The default model is being trained; this page fills in as soon as it is ready.")
        follow_job(pending)
        return None
    st.info("This page needs a trained model, and there is none yet.")
    if st.button("Train the default model", key=f"{page_key}_train_default", type="primary"):
        try:
            job = service.submit(TrainConfig(), dataset, owner=tab_id())
        except ValueError as refusal:  # this tab's own training waits, or the budget is set below the default's
            st.error(str(refusal))
            return None
        use_job(job)
        st.rerun()
    if pending is not None and pending.state is not JobState.DONE:  # it may have finished a moment ago
        st.error(pending.error)
    return None


def follow_job(job: Job) -> None:
    """A live view of a job: queue position or progress bar, and the curves, refreshed twice a second.

    Runs as a fragment, so only this part of the page reruns while the rest stays as it is.
    """

    finished_before = job.finished

    @st.fragment(run_every=None if finished_before else PROGRESS_REFRESH_SECONDS)
    def live_view() -> None:
        service = get_service()
        time_left = time_left_text(service.seconds_left(job))
        if job.state is JobState.QUEUED:
            st.info(f"{turn_text(job)}{time_left}.")
        elif job.state is JobState.RUNNING and not job.batches_per_epoch:
            st.progress(0.0, text="Starting: the worker is building the network and reading the digits…")
        elif job.state is JobState.RUNNING:
            st.progress(job.progress, text=(f"Epoch {max(job.epoch, 1)} of {job.config.epochs} · "
                                            f"batch {job.batch} of {job.batches_per_epoch}{time_left}"))
        if job.note:
            st.caption(job.note)
        if job.epochs or job.batch_points:
            show_training_curves(job.epochs, job.config.epochs, batches=job.batch_points)
        if job.finished and not finished_before:
            # The whole page, not just this fragment, changes once a model exists (or failed).
            st.rerun(scope="app")

    live_view()


def turn_text(job: Job) -> str:
    """Where a job that has not begun to train stands: "Waiting for its turn: number 2 in the queue", or, with
    nothing ahead of it (a worker has it, or one is free), "Starting: …"."""
    service = get_service()
    if job.state is JobState.RUNNING:
        return "Starting: the worker is building the network and reading the digits"
    position = service.queue_position(job)
    if job.sent or (position <= 1 and not service.running()):
        return "Starting: a worker is taking it on"
    return f"Waiting for its turn: number {position} in the queue"


def time_left_text(seconds: float | None) -> str:
    """ " · about 40 s left" for an estimate in seconds, or "" when there is none."""
    if seconds is None or seconds <= 0:
        return ""
    return f" · {describe_duration(seconds)} left"


def show_training_curves(epochs, total_epochs: int, chosen_epoch: int | None = None, batches=()) -> None:
    """The loss and accuracy curves side by side (stacked on a phone); see `curves.training_curves`."""
    specs = training_curve_specs(epochs, total_epochs, chosen_epoch, batches)
    for column, spec in zip(st.columns(2), specs, strict=True):
        column.vega_lite_chart(spec=spec)
    if epochs:
        st.caption(CURVES_NOTE)


def images_text(trained: int, validation: int) -> str:
    """ "54,000 training images (6,000 more kept aside to validate)": the images a model learnt from, and those it
    was checked on after each epoch (0 for a model stored before that was recorded)."""
    return f"{trained:,} training images" + (f" ({validation:,} more kept aside to validate)" if validation else "")


def training_times_text(config: TrainConfig, dataset: Dataset) -> str:
    """One line with the estimated training time of every "Training images" choice, the chosen one in bold: "ready"
    for settings a model is already trained with here, and a word on the images kept aside to validate."""
    service = get_service()
    trained = {job.key for job in service.finished_jobs()}
    parts = []
    for size in TRAIN_SIZES:
        choice = replace(config, train_size=size)
        label = f"all {dataset.train_size:,}" if size is None else f"{size:,}"
        if (choice, dataset.fingerprint) in trained:
            text = f"{label}: ready"
        else:
            text = f"{label}: {describe_duration(service.estimated_seconds(choice, dataset))}"
        parts.append(f"**{text}**" if choice.train_size == config.train_size else text)
    learnt, validation = config.image_split(dataset.train_size)
    return ("Time to train, roughly, by number of training images: " + " · ".join(parts)
            + " (at the pace of this server's latest training; before its first, a guess from the computer CNN Lab "
            f"was measured on). Of the images chosen, {config.validation_fraction:.0%} are kept aside to check the "
            f"network after each epoch: here it learns from {learnt:,} and is checked on {validation:,}.")
