"""What the studio remembers between runs (QSettings): pipeline and answer choices, recent sources, folders."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

from PySide6.QtCore import QSettings

from app.answers import AnswerSettings
from perception.pipeline.factory import PipelineOptions

MAX_RECENT = 8
_MAP3D = {"auto": None, "on": True, "off": False}
BUILTIN_SPECS = ("sample",)


class StudioSettings:
    """Typed access to the studio's QSettings."""

    def __init__(self, settings: QSettings | None = None):
        self.q = settings or QSettings("perception-studio", "studio")

    def pipeline_options(self) -> PipelineOptions:
        """The saved pipeline choices (defaults where none were saved)."""
        s, opts = self.q, PipelineOptions()
        opts.detector = str(s.value("pipeline/detector", opts.detector))
        classes = [c.strip() for c in str(s.value("pipeline/classes", "")).split(",") if c.strip()]
        if classes:
            opts.detector_options = {"classes": classes}
        opts.segmenter = str(s.value("pipeline/segmenter", opts.segmenter))
        opts.tracker = str(s.value("pipeline/tracker", opts.tracker))
        opts.map3d = _MAP3D.get(str(s.value("pipeline/map3d", "auto")))
        opts.memory = s.value("pipeline/memory", opts.memory, type=bool)
        return opts

    def save_pipeline_options(self, o: PipelineOptions) -> None:
        """Remember the pipeline choices."""
        self.q.setValue("pipeline/detector", o.detector)
        self.q.setValue("pipeline/classes", ",".join(o.detector_options.get("classes", ())))
        self.q.setValue("pipeline/segmenter", o.segmenter)
        self.q.setValue("pipeline/tracker", o.tracker)
        self.q.setValue("pipeline/map3d", next(k for k, v in _MAP3D.items() if v == o.map3d))
        self.q.setValue("pipeline/memory", bool(o.memory))

    def answer_settings(self) -> AnswerSettings:
        """The chat's saved backend settings."""
        v = lambda key: str(self.q.value(f"answer/{key}", ""))  # noqa: E731
        return AnswerSettings(v("backend") or "builtin", v("endpoint"), v("model"), v("api_key_env"))

    def save_answer_settings(self, a: AnswerSettings) -> None:
        """Remember the chat's backend settings (the API key itself is never stored, only its variable's name)."""
        for key, value in dataclasses.asdict(a).items():
            self.q.setValue(f"answer/{key}", value)

    def recent_sources(self) -> list[str]:
        """Recently opened source specs, newest first."""
        value = self.q.value("recent", [])
        return [value] if isinstance(value, str) else list(value or [])

    def remember_source(self, spec: str) -> None:
        """Put ``spec`` first in the recent list."""
        recent = [spec] + [r for r in self.recent_sources() if r != spec]
        self.q.setValue("recent", recent[:MAX_RECENT])

    def folder(self, purpose: str) -> str:
        """The folder last used for ``purpose`` ('open', 'export', 'record'), if it still exists, else home."""
        path = str(self.q.value(f"dirs/{purpose}", ""))
        return path if path and os.path.isdir(path) else str(Path.home())

    def remember_folder(self, purpose: str, path: str) -> None:
        """Remember the folder of ``path`` (a file or a folder) for ``purpose``."""
        p = Path(path)
        self.q.setValue(f"dirs/{purpose}", str(p if p.is_dir() else p.parent))

    def value(self, key: str, default=None, type=None):  # noqa: A002 - QSettings' name
        """A raw value."""
        return self.q.value(key, default) if type is None else self.q.value(key, default, type=type)

    def set_value(self, key: str, value) -> None:
        """Store a raw value."""
        self.q.setValue(key, value)

    def sync(self) -> None:
        """Write to disk."""
        self.q.sync()


def source_missing(spec: str) -> bool:
    """Whether a recent source names a file or folder that no longer exists (cameras and built-ins never are)."""
    if spec in BUILTIN_SPECS or spec.startswith(("webcam", "realsense", "synthetic")) or spec.isdigit():
        return False
    return not Path(spec).expanduser().exists()
