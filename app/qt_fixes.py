"""A guard for a PySide6 reference-count bug seen with pyside6-essentials 6.12.0 on Python 3.11: every call of a
void Qt method releases one reference to ``None`` it never took, and every ``Signal.emit()`` one to its bool
result (as if ``None``/``True``/``False`` were immortal, which they are only from Python 3.12). A GUI makes
such calls per frame, so a session aborts with "none_dealloc" / "bool_dealloc" within minutes. The guard
detects the leak once and, only if present, gives those three objects a reserve of references.
"""

from __future__ import annotations

import ctypes
import sys

from PySide6.QtCore import QObject, Signal

_RESERVE = 1 << 40  # more calls than a process makes in years


class _Probe(QObject):
    ping = Signal()


def leaks_references(trials: int = 8) -> bool:
    """Whether void Qt calls or signal emits drop references to None / True / False here."""
    probe = _Probe()
    singletons = (None, True, False)
    before = sum(sys.getrefcount(o) for o in singletons)
    for _ in range(trials):
        probe.setObjectName("probe")
        probe.ping.emit()
    return sum(sys.getrefcount(o) for o in singletons) < before - trials


def guard_singleton_refcounts() -> bool:
    """Apply the reserve if this PySide6 leaks (CPython < 3.12 only, where singletons are not immortal)."""
    if sys.version_info >= (3, 12) or sys.implementation.name != "cpython" or not leaks_references():
        return False
    for obj in (None, True, False):
        ctypes.c_ssize_t.from_address(id(obj)).value += _RESERVE  # ob_refcnt is an object's first field
    return True
