"""The finished models kept in memory: a bounded cache that drops the least recently used model first.

A page switching between a few models finds them here at once; older ones are read back from the store on disk
(`cnnlab.jobs.recall`). The cache holds no lock of its own: the registry changes it under its lock.
"""

from __future__ import annotations

from collections import OrderedDict

from cnnlab.jobs.job import Job, JobKey

# Finished models kept loaded for quick switching (the store on disk keeps more, see `store.MODELS_ON_DISK`).
MODELS_IN_MEMORY = 8


class ModelCache:
    """Finished jobs by key, at most `max_models` of them; adding one more drops the least recently used."""

    def __init__(self, max_models: int = MODELS_IN_MEMORY):
        if max_models < 1:
            raise ValueError("The service must keep at least one finished model.")
        self._max_models = max_models
        self._jobs: OrderedDict[JobKey, Job] = OrderedDict()  # least recently used first

    def __len__(self) -> int:
        return len(self._jobs)

    def get(self, key: JobKey) -> Job | None:
        """The job for `key`, if kept, without counting this look as a use."""
        return self._jobs.get(key)

    def use(self, key: JobKey) -> Job | None:
        """The job for `key`, if kept, which becomes the most recently used."""
        if key not in self._jobs:
            return None
        self._jobs.move_to_end(key)
        return self._jobs[key]

    def put(self, key: JobKey, job: Job) -> None:
        """Keep `job` as the most recently used, dropping the least recently used beyond `max_models`."""
        self._jobs[key] = job
        self._jobs.move_to_end(key)
        while len(self._jobs) > self._max_models:
            self._jobs.popitem(last=False)

    def jobs(self) -> list[Job]:
        """The kept jobs, most recently used first."""
        return list(reversed(self._jobs.values()))
