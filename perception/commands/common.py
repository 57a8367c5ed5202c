"""Pieces shared by the commands: progress bar, summary printing, summary JSON."""

from __future__ import annotations

import json
import sys

from tqdm import tqdm

from perception.io.atomic import atomic_write_text, check_export_path
from perception.types import FrameResult, SourceInfo


def add_summary_json(parser) -> None:
    """The shared ``--summary-json PATH`` option."""
    parser.add_argument("--summary-json", metavar="PATH",
                        help="write the run summary (frames, fps, per-stage mean/p95 ms) as JSON")


class ProgressBar:
    """A tqdm bar on stderr, sized when the source is known, advanced once per frame."""

    def __init__(self, quiet: bool = False, max_frames: int | None = None):
        self.quiet, self.max_frames = quiet, max_frames
        self._bar: tqdm | None = None

    def start(self, info: SourceInfo) -> None:
        """Open the bar for a source."""
        total = info.length if self.max_frames is None else min(self.max_frames, info.length or self.max_frames)
        self._bar = tqdm(total=total, unit="frame", desc=info.name, disable=self.quiet, file=sys.stderr,
                         dynamic_ncols=True, leave=False)

    def __call__(self, _result: FrameResult) -> None:
        if self._bar is not None:
            self._bar.update(1)

    def close(self) -> None:
        """Remove the bar."""
        if self._bar is not None:
            self._bar.close()


def print_summary(summary: dict) -> dict:
    """Print a run summary (as made by RunStats.summary) to stdout; return it."""
    print(f"frames: {summary['frames']}  fps: {summary['fps']:.1f}  wall: {summary['wall_s']:.1f}s"
          + (f"  dropped: {summary['dropped']}" if summary["dropped"] else ""))
    for name, s in summary["stages"].items():
        print(f"  {name:<12} mean {s['mean_ms']:8.2f} ms   p95 {s['p95_ms']:8.2f} ms")
    if summary["errors"]:
        print(f"stage errors: {summary['errors']} (first: {summary['first_errors'][0]})")
    if summary.get("source_error"):
        print(f"source stopped: {summary['source_error']}")
    return summary


def write_summary_json(path: str | None, summary: dict) -> None:
    """Write the summary atomically when a path was given."""
    if path:
        atomic_write_text(path, json.dumps(summary, indent=2) + "\n")


def check_outputs(*paths: str | None, overwrite: bool = True) -> None:
    """Fail fast, before any work, on output paths that cannot be written."""
    for p in paths:
        if p:
            check_export_path(p, overwrite=overwrite)
