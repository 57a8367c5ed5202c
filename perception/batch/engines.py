"""Execution engines: a local process pool or a Ray cluster; both yield manifest records as tasks finish.

Workers are long-lived processes that take task after task, so anything a worker process caches
(imported libraries, loaded model weights) is paid once per worker, not once per recording.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool

from perception.batch.lifetime import die_with
from perception.batch.task import RecordingTask, failed_record, run_task
from perception.types import InputError

ENGINES = ("local", "ray")


def available_cores() -> int:
    """CPU cores this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _pool_context() -> multiprocessing.context.BaseContext:
    """forkserver where available, else spawn: never fork a process that may hold torch/Open3D threads.

    The fork server imports the task module once (NumPy, SciPy, OpenCV: about a second), so each new
    worker starts with it loaded; models are not loaded there, only in the workers.
    """
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload([run_task.__module__])
    return ctx


def _init_worker(driver_pid: int) -> None:
    """Pool initializer: an idle worker ignores Ctrl-C (the driver shuts the pool down) and ends with the driver."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    die_with(driver_pid)


def _run_interruptibly(task: RecordingTask) -> dict:
    """Run a task in a pool worker; Ctrl-C during it aborts the recording, whose folder is then cleared."""
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        return run_task(task)
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)


def run_local(tasks: Sequence[RecordingTask], workers: int | None = None) -> Iterator[dict]:
    """Run tasks on a process pool (``workers`` processes, default one per core), at most one in flight each.

    A worker that dies (e.g. a crash in a native decoder) breaks the pool: a fresh pool takes over and
    the recordings that were in flight are rerun one at a time; one that kills its worker alone failed.
    """
    workers = max(1, min(workers or available_cores(), len(tasks)))
    queue: deque[RecordingTask] = deque(tasks)
    suspects: deque[RecordingTask] = deque()
    while queue or suspects:
        pool = ProcessPoolExecutor(workers, mp_context=_pool_context(), initializer=_init_worker,
                                   initargs=(os.getpid(),))
        running: dict[Future, RecordingTask] = {}
        broken = False
        try:
            while not broken and (queue or suspects or running):
                if suspects and not running:
                    running[pool.submit(_run_interruptibly, suspects[0])] = suspects[0]
                while queue and not suspects and len(running) < workers:
                    task = queue.popleft()
                    running[pool.submit(_run_interruptibly, task)] = task
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in done:
                    task = running.pop(future)
                    alone = bool(suspects) and task is suspects[0]
                    if alone:
                        suspects.popleft()
                    try:
                        yield future.result()
                    except BrokenProcessPool:
                        broken = True
                        if alone:
                            yield failed_record(task, "the worker process died while processing this recording")
                        else:
                            suspects.append(task)
            for future, task in running.items():  # the rest of a broken pool's work: finished, or suspect
                try:
                    yield future.result()
                except BrokenProcessPool:
                    suspects.append(task)
            running.clear()
        finally:
            pool.shutdown(wait=not broken and not running, cancel_futures=True)


def _connect_ray(address: str | None):
    """Import Ray and connect (or start a local instance); returns the module and whether we connected."""
    try:
        import ray
    except ImportError:
        raise InputError("the ray engine needs Ray: pip install 'perception-studio[cluster]'") from None
    if ray.is_initialized():
        return ray, False
    runtime_env = None
    target = address or os.environ.get("RAY_ADDRESS")
    if target:  # an existing cluster: ship our packages so nodes run this code
        import perception
        import trackers
        runtime_env = {"py_modules": [perception, trackers]}
    try:
        ray.init(address=address, runtime_env=runtime_env, logging_level="WARNING", log_to_driver=True)
    except ConnectionError as exc:
        raise InputError(f"cannot connect to Ray at '{target or 'a local instance'}': {exc}") from None
    return ray, True


def run_ray(tasks: Sequence[RecordingTask], workers: int | None = None, address: str | None = None,
            cpus_per_task: float = 1.0, gpus_per_task: float = 0.0) -> Iterator[dict]:
    """Run tasks as Ray tasks with resource hints; ``workers`` caps how many are in flight (default: all).

    Connects to ``address`` ("auto", "HOST:PORT", "ray://HOST:PORT") unless Ray is already initialised;
    with no address a local Ray instance is started. Worker processes are reused across tasks, GPU ones too.
    """
    ray, connected = _connect_ray(address)
    remote = ray.remote(num_cpus=cpus_per_task, num_gpus=gpus_per_task, max_calls=0, max_retries=1)(run_task)
    limit = workers or len(tasks)
    queue = deque(tasks)
    running: dict = {}
    try:
        while queue or running:
            while queue and len(running) < limit:
                task = queue.popleft()
                running[remote.remote(task)] = task
            ready, _ = ray.wait(list(running), num_returns=1)
            for ref in ready:
                task = running.pop(ref)
                try:
                    yield ray.get(ref)
                except ray.exceptions.RayError as exc:
                    yield failed_record(task, f"ray task failed: {str(exc).strip().splitlines()[0]}")
    finally:
        for ref in running:
            ray.cancel(ref, force=True)
        if connected:
            ray.shutdown()
