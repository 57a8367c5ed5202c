"""Where the time goes: full default pipeline FPS, per-stage mean/p95, arrival-to-result latency, decode-only FPS.

For each source, in one process: decode only, then the default pipeline sequentially (one thread) and
concurrently (the source and each stage on its own thread), alternating, best run of each kept.
Latency is from the moment the source hands a frame over to the moment its result arrives: in the unpaced runs
it includes waiting in the queues; the paced run hands frames over at the source's own rate, as a camera does.

Run: .venv/bin/python bench/pipeline_fps.py [--frames N] [--repeats R] [--sources sample 7scenes video]
Goals (issue #18): RGB-D 640x480 >= 25 FPS, video 768x576 >= 30 FPS, latency p95 <= 100 ms.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from perception.pipeline.factory import PipelineOptions, build_pipeline  # noqa: E402
from perception.pipeline.runner import RunStats, paced, run_pipeline  # noqa: E402
from perception.sources import open_source  # noqa: E402

DATA = ROOT.parent / "shared" / "data"
SOURCES = {
    "sample": "sample",
    "7scenes": str(DATA / "rgbd" / "7scenes-a"),
    "video": str(DATA / "mot" / "PETS09-S2L2" / "PETS09-S2L2.avi"),
}


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


def pipeline_run(spec: str, frames: int, concurrent: bool, pace: float | None = None) -> tuple[RunStats, np.ndarray]:
    """One run of the default pipeline (``pace``: frames handed over at that multiple of the source's own rate,
    as a camera would); returns its stats and per-frame latencies (ms)."""
    with open_source(spec) as src:
        stamped = _Stamped(src, pace)
        pipeline = build_pipeline(PipelineOptions(), src.info)
        latency: list[float] = []
        try:
            stats = run_pipeline(stamped, pipeline, max_frames=frames, concurrent=concurrent,
                                 on_result=lambda r: latency.append((time.perf_counter() - stamped.handed[r.index]) * 1e3))
        finally:
            pipeline.close()
    return stats, np.array(latency)


def report(name: str, spec: str, frames: int, repeats: int) -> None:
    decode = max(decode_fps(spec, frames) for _ in range(repeats))
    print(f"\n{name}: {spec}\n  decode only: {decode:6.1f} fps")
    best: dict[bool, tuple[RunStats, np.ndarray]] = {}
    for _ in range(repeats):
        for concurrent in (False, True):
            stats, lat = pipeline_run(spec, frames, concurrent)
            if concurrent not in best or stats.fps > best[concurrent][0].fps:
                best[concurrent] = (stats, lat)
    for concurrent in (False, True):
        stats, lat = best[concurrent]
        mode = "concurrent" if concurrent else "sequential"
        print(f"  {mode:<10}: {stats.fps:6.1f} fps ({stats.fps / decode:.2f}x decode-only), {stats.frames} frames, "
              f"latency p50 {np.percentile(lat, 50):6.1f} ms p95 {np.percentile(lat, 95):6.1f} ms")
        for stage, t in stats.summary()["stages"].items():
            print(f"      {stage:<10} mean {t['mean_ms']:7.2f} ms  p95 {t['p95_ms']:7.2f} ms")
    ratio = best[True][0].fps / best[False][0].fps
    print(f"  concurrent / sequential FPS: {ratio:.2f}x")
    stats, lat = pipeline_run(spec, frames, True, pace=1.0)
    print(f"  paced at the source's own rate (concurrent): {stats.fps:.1f} fps achieved, latency p50 "
          f"{np.percentile(lat, 50):6.1f} ms p95 {np.percentile(lat, 95):6.1f} ms")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=90)
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--sources", nargs="+", default=list(SOURCES), choices=list(SOURCES))
    a = ap.parse_args()
    for name in a.sources:
        spec = SOURCES[name]
        if name != "sample" and not Path(spec).exists():
            print(f"\n{name}: skipped ({spec} not found)")
            continue
        report(name, spec, a.frames, a.repeats)
    return 0


if __name__ == "__main__":
    sys.exit(main())
