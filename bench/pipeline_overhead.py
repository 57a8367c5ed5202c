"""Runner overhead per frame (empty Pipeline through run_pipeline vs a bare loop) and source decode rates.

Run: .venv/bin/python bench/pipeline_overhead.py [--frames N] [--repeats R]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from perception.pipeline.runner import Pipeline, run_pipeline  # noqa: E402
from perception.sources import ImageFolderSource, MemorySource, RGBDFolderSource, VideoFileSource  # noqa: E402

DATA = ROOT.parent / "shared" / "data"


def best_of(repeats: int, fn: Callable[[], int]) -> tuple[float, int]:
    """Smallest wall time of ``repeats`` calls, and the frame count the call returned."""
    best, frames = float("inf"), 0
    for _ in range(repeats):
        t0 = time.perf_counter()
        frames = fn()
        best = min(best, time.perf_counter() - t0)
    return best, frames


def runner_overhead(n: int, repeats: int) -> None:
    """Per-frame cost of run_pipeline with no stages, over and above iterating the same in-memory source."""
    images = [np.zeros((480, 640, 3), np.uint8)] * n
    pipeline = Pipeline([])

    def bare() -> int:
        return sum(1 for _ in MemorySource(images))

    def runner() -> int:
        return run_pipeline(MemorySource(images), pipeline).frames

    t_bare, f_bare = best_of(repeats, bare)
    t_run, f_run = best_of(repeats, runner)
    assert f_bare == f_run == n
    print(f"runner: {n} frames, bare loop {t_bare / n * 1e6:.1f} us/frame, run_pipeline (no stages) "
          f"{t_run / n * 1e6:.1f} us/frame -> overhead {(t_run - t_bare) / n * 1e6:.1f} us/frame "
          f"({t_run / t_bare:.2f}x the bare loop)")


def decode_rate(name: str, open_source: Callable[[], object], repeats: int) -> None:
    """Frames per second of reading a whole source (decode included)."""
    def read_all() -> int:
        with open_source() as src:
            return sum(1 for _ in src)
    t, frames = best_of(repeats, read_all)
    print(f"decode: {name}: {frames} frames in {t:.3f} s -> {frames / t:.1f} fps")


def seek_cost(path: Path, repeats: int) -> None:
    """Mean time of a frame-exact seek plus one read, at spread-out targets of the video."""
    with VideoFileSource(path) as src:
        targets = np.random.default_rng(0).integers(0, len(src), 20)

        def seeks() -> int:
            for k in targets:
                src.seek(int(k))
                src.read()
            return len(targets)
        t, n = best_of(repeats, seeks)
    print(f"seek: {path.name}: {t / n * 1e3:.1f} ms per random seek + read ({n} targets)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=20000, help="frames for the runner overhead measurement")
    ap.add_argument("--repeats", type=int, default=3, help="best of this many runs")
    args = ap.parse_args()
    runner_overhead(args.frames, args.repeats)
    if not DATA.is_dir():
        print(f"shared data not found at {DATA}; skipping decode rates")
        return
    video = DATA / "video" / "megamind.avi"
    decode_rate("megamind.avi (XviD 720x528)", lambda: VideoFileSource(video), args.repeats)
    decode_rate("TUD-Campus (JPEG 640x480)", lambda: ImageFolderSource(DATA / "mot" / "TUD-Campus"), args.repeats)
    decode_rate("7-Scenes (JPEG + 16-bit PNG depth + pose, 640x480)",
                lambda: RGBDFolderSource(DATA / "rgbd" / "7scenes-a"), args.repeats)
    seek_cost(video, args.repeats)


if __name__ == "__main__":
    main()
