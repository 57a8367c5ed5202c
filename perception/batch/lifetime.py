"""Worker processes that end with the batch driver, even when it is killed with SIGKILL."""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import sys
import threading
import time

PR_SET_PDEATHSIG = 1
WATCH_INTERVAL_S = 0.5


def driver_alive(pid: int) -> bool:
    """Whether process ``pid`` runs (a zombie, killed but not yet reaped, counts as dead)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            return f.read().rsplit(b")", 1)[1].split()[0] != b"Z"
    except (OSError, IndexError):
        return True  # no /proc: trust kill()


def _kill_me_with_parent() -> None:
    """Linux: ask the kernel for SIGKILL when this process's parent ends."""
    if not sys.platform.startswith("linux"):
        return
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def _watch(driver_pid: int) -> None:
    while driver_alive(driver_pid):
        time.sleep(WATCH_INTERVAL_S)
    os._exit(1)  # the driver is gone: nobody reads this worker's results, so stop writing into --out


def die_with(driver_pid: int) -> None:
    """Make this worker end when ``driver_pid`` ends: a parent-death signal plus a watchdog thread on the driver
    (pool workers may be children of a fork server rather than of the driver itself)."""
    _kill_me_with_parent()
    if not driver_alive(driver_pid):
        os._exit(1)
    threading.Thread(target=_watch, args=(driver_pid,), name="driver-watchdog", daemon=True).start()
