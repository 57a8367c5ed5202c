"""Crash reports: a fatal error (segfault, abort) writes Python's tracebacks into the cache; the next start shows it.

``arm()`` points faulthandler at ``crash.log`` in the cache folder for the app's lifetime; a clean exit
(``disarm()``) removes the file again, so a report that is still there on the next start is a crash's.
"""

from __future__ import annotations

import faulthandler
import os
import time
from pathlib import Path
from typing import IO

CACHE_ENV = "PERCEPTION_STUDIO_CACHE"
_armed: IO[str] | None = None


def crash_log_path() -> Path:
    """``$PERCEPTION_STUDIO_CACHE/crash.log`` or ``~/.cache/perception-studio/crash.log``."""
    root = os.environ.get(CACHE_ENV)
    return (Path(root).expanduser() if root else Path.home() / ".cache" / "perception-studio") / "crash.log"


def previous_crash() -> str | None:
    """The report a crashed earlier run left (it is moved aside to ``crash.prev.log``), or None."""
    path = crash_log_path()
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return None
    body = text.split("\n", 1)[1] if "\n" in text else ""
    if not body.strip():  # armed but never written: a run killed without a fault (SIGKILL, power loss)
        path.unlink(missing_ok=True)
        return None
    path.replace(path.with_name("crash.prev.log"))
    return text


def arm() -> Path | None:
    """Send faulthandler's output on a fatal signal to the crash log (None if the cache is not writable)."""
    global _armed
    path = crash_log_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        _armed = open(path, "w", encoding="utf-8")  # noqa: SIM115 - stays open until disarm()
    except OSError:
        return None
    _armed.write(f"Perception Studio crash report, started {time.strftime('%Y-%m-%d %H:%M:%S')} pid {os.getpid()}\n")
    _armed.flush()
    faulthandler.enable(file=_armed, all_threads=True)
    return path


def disarm() -> None:
    """A clean exit: stop writing crash reports and remove the empty log."""
    global _armed
    if _armed is None:
        return
    faulthandler.disable()
    _armed.close()
    _armed = None
    crash_log_path().unlink(missing_ok=True)
