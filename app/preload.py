"""Load the native libraries that clash with software OpenGL before any OpenGL context exists.

Importing triton (which torch pulls in for SAM, the sentence-embedding model behind free-form chat
questions, and torch.compile) after Mesa's llvmpipe has created an OpenGL context crashes the process:
both bring their own LLVM, and the second one to initialise corrupts the first. Loaded the other way round
they coexist. The window therefore imports them on a background thread at start-up, so the window paints at
once, and creates the 3D view's OpenGL context only when this is done (MainWindow waits on ``done``).
"""

from __future__ import annotations

import importlib
import logging
import threading
import time

log = logging.getLogger(__name__)
MODULES = ("torch", "triton")


class NativePreload:
    """Imports ``MODULES`` once on a daemon thread; ``done`` is set when finished (missing modules are skipped)."""

    def __init__(self, modules: tuple[str, ...] = MODULES):
        self.modules = modules
        self.done = threading.Event()
        self.seconds = 0.0
        self.loaded: list[str] = []
        self._thread = threading.Thread(target=self._run, name="native-preload", daemon=True)

    def start(self) -> NativePreload:
        """Begin importing (idempotent)."""
        if not self._thread.is_alive() and not self.done.is_set():
            self._thread.start()
        return self

    def _run(self) -> None:
        t0 = time.perf_counter()
        try:
            for name in self.modules:
                try:
                    importlib.import_module(name)
                    self.loaded.append(name)
                except Exception as exc:  # not installed or broken: whatever needs it reports that later
                    log.info("preload of %s skipped: %s", name, exc)
        finally:
            self.seconds = time.perf_counter() - t0
            self.done.set()


_shared: NativePreload | None = None


def preload() -> NativePreload:
    """The process-wide preload, started on first call."""
    global _shared
    if _shared is None:
        _shared = NativePreload().start()
    return _shared
