"""Writing a file whole: a reader sees the old bytes or the new ones, never part of either, and a write that fails
leaves the old file as it was and no temporary file behind.

References: the bytes read back with plain `open`, and the folder's listing.
"""

from __future__ import annotations

import errno
import os
import threading
from pathlib import Path

import pytest
from helpers import fill_the_disk_while_writing

from cnnlab.jobs.files import TEMPORARY_PREFIX, TEMPORARY_SUFFIX, write_atomically

OLD = b"old " * 1000
NEW = b"new " * 3000


def test_the_file_holds_the_new_bytes_and_nothing_else_is_left(tmp_path):
    path = tmp_path / "board.json"
    write_atomically(path, OLD)
    write_atomically(path, NEW)
    assert path.read_bytes() == NEW
    assert [entry.name for entry in tmp_path.iterdir()] == ["board.json"]


def test_the_new_bytes_are_whole_in_the_same_folder_before_they_replace_the_old(tmp_path, monkeypatch):
    path = tmp_path / "board.json"
    path.write_bytes(OLD)
    seen = []
    real_replace = os.replace

    def watched_replace(source, destination):
        # What a reader would find at this moment: the old file at `path`, the whole new one beside it.
        seen.append((Path(source), Path(source).read_bytes(), Path(destination).read_bytes()))
        real_replace(source, destination)

    monkeypatch.setattr(os, "replace", watched_replace)
    write_atomically(path, NEW)
    [(temporary, temporary_bytes, target_bytes)] = seen
    assert temporary.parent == tmp_path  # one file system, so the rename is atomic
    assert temporary.name.startswith(TEMPORARY_PREFIX) and temporary.name.endswith(TEMPORARY_SUFFIX)
    assert temporary_bytes == NEW and target_bytes == OLD
    assert path.read_bytes() == NEW and not temporary.exists()


def fail_writing_half(monkeypatch):
    fill_the_disk_while_writing(monkeypatch, 1 / 2)


def fail_fsync(monkeypatch):
    def fsync_on_a_full_disk(descriptor):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", fsync_on_a_full_disk)


def fail_replace(monkeypatch):
    def replace_on_a_read_only_folder(source, destination):
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(os, "replace", replace_on_a_read_only_folder)


@pytest.mark.parametrize("fail", [fail_writing_half, fail_fsync, fail_replace])
def test_a_failed_write_raises_and_leaves_the_old_file_whole_and_no_temporary_file(tmp_path, monkeypatch, fail):
    path = tmp_path / "pace.json"
    path.write_bytes(OLD)
    with monkeypatch.context() as patch:
        fail(patch)
        with pytest.raises(OSError):
            write_atomically(path, NEW)
    assert path.read_bytes() == OLD
    assert [entry.name for entry in tmp_path.iterdir()] == ["pace.json"]


def test_a_missing_folder_is_an_os_error_and_writes_nothing(tmp_path):
    with pytest.raises(OSError):
        write_atomically(tmp_path / "gone" / "pace.json", NEW)
    assert list(tmp_path.iterdir()) == []


def test_a_reader_running_beside_the_writer_only_ever_reads_a_whole_file(tmp_path):
    path = tmp_path / "address.json"
    write_atomically(path, OLD)
    done, read = threading.Event(), []

    def reader():
        while not done.is_set():
            read.append(path.read_bytes())

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        for round_number in range(30):
            write_atomically(path, NEW if round_number % 2 == 0 else OLD)
    finally:
        done.set()
        thread.join()
    assert read and set(read) <= {OLD, NEW}
