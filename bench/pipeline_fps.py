"""Where the time goes: full default pipeline FPS, per-stage mean/p95, arrival-to-result latency, decode-only FPS.

For each source, in one process: decode only, then the default pipeline sequentially (one thread) and
concurrently (the source and each stage on its own thread), alternating, best run of each kept; with
``--every-frame`` also with the 3D map fusing every frame (no keyframe selection) for comparison.
Latency is from the moment the source hands a frame over to the moment its result arrives: in the unpaced runs
it includes waiting in the queues; the paced run hands frames over at the source's own rate, as a camera does, and
like a live camera drops a frame still waiting for the first stage when the next one arrives (newest frame wins).

Run: .venv/bin/python bench/pipeline_fps.py [--frames N] [--repeats R] [--sources sample 7scenes video]
     [--data DIR (default $PERCEPTION_DATA, else ../shared/data)] [--every-frame]
Goals (issue #18): RGB-D 640x480 >= 25 FPS, video 768x576 >= 30 FPS, latency p95 <= 100 ms.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from perception.pipeline.factory import PipelineOptions, build_pipeline  # noqa: E402
from perception.pipeline.runner import RunStats, paced, run_pipeline  # noqa: E402
from perception.sources import open_source  # noqa: E402

DATA = Path(os.environ.get("PERCEPTION_DATA", ROOT.parent / "shared" / "data"))
SOURCES = {"sample": "sample", "7scenes": "rgbd/7scenes-a", "video": "mot/PETS09-S2L2/PETS09-S2L2.avi"}


class _Stamped:
    """Wraps a source (paced at ``pace`` x its own rate, or as fast as it decodes): remembers when each frame
    was handed over."""

    def __init__(self, source, pace: float | None = None):
        self.source, self.info, self.handed, self.pace = source, source.info, {}, pace

    def __iter__(self):
        for packet in self.source if self.pace is None else paced(self.source, self.pace):
            self.handed[packet.index] = time.perf_counter()
            yield packet


def decode_fps(spec: str, frames: int) -> float:
    """Frames per second of reading the source alone."""
    with open_source(spec) as src:
        t0, n = time.perf_counter(), 0
        for _ in src:
            n += 1
            if n >= frames:
                break
        return n / (time.perf_counter() - t0)


def pipeline_run(spec: str, frames: int, concurrent: bool, pace: float | None = None,
                 options: PipelineOptions | None = None) -> tuple[RunStats, np.ndarray]:
    """One run of the pipeline (default ``options``; ``pace``: frames handed over at that multiple of the source's
    own rate, as a camera would); returns its stats and per-frame latencies (ms)."""
    with open_source(spec) as src:
        stamped = _Stamped(src, pace)
        pipeline = build_pipeline(options or PipelineOptions(), src.info)
        latency: list[float] = []
        try:
            stats = run_pipeline(stamped, pipeline, max_frames=frames, concurrent=concurrent, drop_stale=pace is not None,
                                 on_result=lambda r: latency.append((time.perf_counter() - stamped.handed[r.index]) * 1e3))
        finally:
            pipeline.close()
    return stats, np.array(latency)


def report(name: str, spec: str, frames: int, repeats: int, every_frame: bool) -> None:
    decode = max(decode_fps(spec, frames) for _ in range(repeats))
    print(f"\n{name}: {spec}\n  decode only: {decode:6.1f} fps")
    configs = {"": PipelineOptions()}
    if every_frame:
        configs["every frame, "] = PipelineOptions(keyframes=None)
    best: dict[tuple[str, bool], tuple[RunStats, np.ndarray]] = {}
    for _ in range(repeats):
        for label, options in configs.items():
            for concurrent in (False, True):
                stats, lat = pipeline_run(spec, frames, concurrent, options=options)
                key = (label, concurrent)
                if key not in best or stats.fps > best[key][0].fps:
                    best[key] = (stats, lat)
    for (label, concurrent), (stats, lat) in best.items():
        mode = label + ("concurrent" if concurrent else "sequential")
        keyframes = f", keyframes integrated {stats.keyframes}/{stats.map_frames}" if stats.map_frames else ""
        print(f"  {mode:<10}: {stats.fps:6.1f} fps ({stats.fps / decode:.2f}x decode-only), {stats.frames} frames, "
              f"latency p50 {np.percentile(lat, 50):6.1f} ms p95 {np.percentile(lat, 95):6.1f} ms{keyframes}")
        for stage, t in stats.summary()["stages"].items():
            print(f"      {stage:<10} mean {t['mean_ms']:7.2f} ms  p95 {t['p95_ms']:7.2f} ms")
    for label in configs:
        ratio = best[(label, True)][0].fps / best[(label, False)][0].fps
        print(f"  {label}concurrent / sequential FPS: {ratio:.2f}x")
    for label, options in configs.items():
        stats, lat = pipeline_run(spec, frames, True, pace=1.0, options=options)
        print(f"  {label}paced at the source's own rate (concurrent, stale frames dropped as from a camera): "
              f"{stats.fps:.1f} fps achieved, {stats.dropped} of {stats.frames + stats.dropped} frames dropped, "
              f"latency p50 {np.percentile(lat, 50):6.1f} ms p95 {np.percentile(lat, 95):6.1f} ms")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=90)
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--sources", nargs="+", default=list(SOURCES), choices=list(SOURCES))
    ap.add_argument("--data", type=Path, default=DATA, help="the shared data folder")
    ap.add_argument("--every-frame", action="store_true", help="also run with the map fusing every frame")
    a = ap.parse_args()
    for name in a.sources:
        spec = SOURCES[name] if name == "sample" else str(a.data / SOURCES[name])
        if name != "sample" and not Path(spec).exists():
            print(f"\n{name}: skipped ({spec} not found)")
            continue
        report(name, spec, a.frames, a.repeats, a.every_frame)
    return 0


if __name__ == "__main__":
    sys.exit(main())
