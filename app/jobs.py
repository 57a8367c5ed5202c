"""Background jobs for the window: run work off the GUI thread, report progress and results as signals."""

from __future__ import annotations

import threading
from collections.abc import Callable

from PySide6.QtCore import QObject, Signal

from perception.types import InputError


class Job(QObject):
    """One background job; ``progress(done, total or 0)`` and ``finished(result, error)`` arrive on the GUI thread."""

    progress = Signal(object, object)
    finished = Signal(object, str)

    def __init__(self, title: str, parent: QObject | None = None):
        super().__init__(parent)
        self.title = title
        self.cancelled = threading.Event()
        self.thread: threading.Thread | None = None

    def report(self, done: int, total: int | None) -> bool:
        """Call from the work: post progress; returns False once the user cancelled."""
        self.progress.emit(done, total or 0)
        return not self.cancelled.is_set()


class JobRunner(QObject):
    """Starts jobs on daemon threads and keeps them so the window can wait for them when it closes."""

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.jobs: list[Job] = []

    def start(self, title: str, work: Callable[[Job], object],
              on_finished: Callable[[object, str], None] | None = None,
              on_progress: Callable[[object, object], None] | None = None) -> Job:
        """Run ``work(job)``; InputError becomes its message, any other error its type and message.

        The handlers are connected before the work starts, so a job that ends at once is not missed.
        """
        job = Job(title, self)
        if on_finished is not None:
            job.finished.connect(on_finished)
        if on_progress is not None:
            job.progress.connect(on_progress)

        def run() -> None:
            try:
                job.finished.emit(work(job), "")
            except InputError as exc:
                job.finished.emit(None, str(exc))
            except Exception as exc:
                job.finished.emit(None, f"{type(exc).__name__}: {exc}")

        job.thread = threading.Thread(target=run, name=f"job-{title}", daemon=True)
        self.jobs = [j for j in self.jobs if j.thread is not None and j.thread.is_alive()] + [job]
        job.thread.start()
        return job

    def wait(self, timeout_s: float = 10.0) -> None:
        """Wait for running jobs (the window is closing)."""
        for job in self.jobs:
            if job.thread is not None:
                job.thread.join(timeout_s)
