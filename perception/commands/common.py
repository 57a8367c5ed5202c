"""Pieces shared by the commands: progress bar, summary printing, summary JSON."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable

from tqdm import tqdm

from perception.io.atomic import atomic_write_text, check_export_path
from perception.pipeline.runner import RunStats
from perception.types import FrameResult


def add_summary_json(parser) -> None:
    """The shared ``--summary-json PATH`` option."""
    parser.add_argument("--summary-json", metavar="PATH",
                        help="write the run summary (frames, fps, per-stage mean/p95 ms) as JSON")


def progress_callback(total: int | None, quiet: bool, desc: str) -> tuple[Callable[[FrameResult], None], tqdm]:
    """A per-frame callback advancing a progress bar on stderr."""
    bar = tqdm(total=total, unit="frame", desc=desc, disable=quiet, file=sys.stderr, dynamic_ncols=True, leave=False)
    return (lambda _r: bar.update(1)), bar


def print_summary(stats: RunStats, extra: dict | None = None) -> dict:
    """Print a human summary to stdout and return the JSON summary."""
    summary = stats.summary()
    if extra:
        summary.update(extra)
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
