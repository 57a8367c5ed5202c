"""Weight downloads for the window: perception.download (the one verified downloader) run off the GUI thread.

``DownloadJob`` reports progress and the result through Qt signals; ``download`` is the blocking call it runs.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from perception.download import DownloadCancelled, Progress, hash_prefix
from perception.download import download as _download
from perception.segmentation.sam.checkpoints import BASE_URL, OFFICIAL
from perception.segmentation.sam.checkpoints import cache_dir as _sam_cache
from perception.types import InputError

SAM_CHECKPOINTS = {variant: BASE_URL + name for variant, name in OFFICIAL.items()}
__all__ = ["SAM_CHECKPOINTS", "DownloadCancelled", "DownloadJob", "download", "weights_dir"]


def weights_dir() -> Path:
    """Where downloaded SAM checkpoints go: the cache folder the SAM segmenter looks in."""
    return _sam_cache()


def download(url: str, dest: str | os.PathLike[str], progress: Progress | None = None, timeout_s: float = 30.0,
             chunk: int = 1 << 20) -> Path:
    """Fetch ``url`` to ``dest`` (checked against the SHA-256 prefix its name carries); InputError on failure."""
    return _download(url, dest, sha256=hash_prefix(Path(dest).name), progress=progress, timeout_s=timeout_s,
                     chunk=chunk)


class DownloadJob(QObject):
    """One download on a worker thread: ``progress(done, total or None)``, then ``finished(path, error)``."""

    progress = Signal(object, object)
    finished = Signal(str, str)

    def __init__(self, url: str, dest: str | os.PathLike[str], parent: QObject | None = None):
        super().__init__(parent)
        self.url, self.dest = url, Path(dest)
        self._cancel = threading.Event()

    def start(self) -> None:
        """Begin downloading in the background."""
        threading.Thread(target=self._work, name="download", daemon=True).start()

    def cancel(self) -> None:
        """Stop at the next block; ``finished`` then carries the cancel message."""
        self._cancel.set()

    def _work(self) -> None:
        try:
            path = download(self.url, self.dest, lambda done, total: self.progress.emit(done, total)
                            or not self._cancel.is_set())
            self.finished.emit(str(path), "")
        except InputError as exc:
            self.finished.emit("", str(exc))
