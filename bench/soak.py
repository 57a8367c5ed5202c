"""Soak test: the full weight-free pipeline (segmentation, 2D tracking, 3D map, 3D tracking, memory) on a long stream.

A synthetic RGB-D room is rendered once at reduced resolution and replayed in a loop with advancing timestamps, so
the soak measures the pipeline, not the renderer. Every interval it prints RSS, open file descriptors, threads, fps
and per-stage milliseconds; the last line says whether RSS grew more than 5% after warm-up.

    .venv/bin/python bench/soak.py                      # 100,000 frames at 160x120
    .venv/bin/python bench/soak.py --frames 3000        # a short check
    .venv/bin/python bench/soak.py --video --frames 15000   # a long video file, tracker + JSON track export on

The ``--video`` mode writes a long walkers video (new people keep entering: 300-frame scenes of changing seeds,
MJPG in an .avi), runs it as ``run --export-tracks tracks.json`` would (RGB segmenter, graph tracker, memory,
export with RLE masks), and reports the RSS slope after warm-up in MB per 1000 frames (goal < 1).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, replace
from pathlib import Path

import cv2
import numpy as np
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from perception.pipeline.factory import PipelineOptions, build_pipeline  # noqa: E402
from perception.pipeline.runner import run_pipeline  # noqa: E402
from perception.pipeline.session import SessionOutputs, run_session  # noqa: E402
from perception.sources.base import FrameSource  # noqa: E402
from perception.synthetic import open_synthetic  # noqa: E402
from perception.types import FramePacket, FrameResult  # noqa: E402

MAX_RSS_GROWTH = 0.05


class LoopSource(FrameSource):
    """Frames rendered once, replayed ``length`` times over with index and timestamp advancing (camera jumps back each loop)."""

    def __init__(self, frames: list[FramePacket], length: int):
        first = frames[0]
        self.frames = frames
        self.info = replace(first.source, name=f"loop({first.source.name})", length=length)
        self._next = 0

    def read(self) -> FramePacket | None:
        """The next replayed frame, or None after ``length`` frames."""
        i = self._next
        if i >= self.info.length:
            return None
        self._next += 1
        f = self.frames[i % len(self.frames)]
        return FramePacket(i, i / self.info.fps, f.image, self.info, depth=f.depth, intrinsics=f.intrinsics, pose=f.pose)


@dataclass
class Sample:
    """Process resources after ``frame`` frames."""

    frame: int
    rss_mib: float
    fds: int
    threads: int


class Monitor:
    """Collects per-stage times and prints a resource line every ``every`` frames."""

    def __init__(self, every: int):
        self.every = every
        self.proc = psutil.Process()
        self.samples: list[Sample] = []
        self._ms: dict[str, float] = defaultdict(float)
        self._n = 0
        self._t = time.perf_counter()

    def sample(self, frame: int) -> Sample:
        """Measure the process now."""
        s = Sample(frame, self.proc.memory_info().rss / 2**20, self.proc.num_fds(), self.proc.num_threads())
        self.samples.append(s)
        return s

    def __call__(self, result: FrameResult) -> None:
        for stage, ms in result.timings_ms.items():
            self._ms[stage] += ms
        self._n += 1
        frame = result.index + 1
        if frame % self.every == 0:
            now = time.perf_counter()
            s = self.sample(frame)
            stages = "  ".join(f"{k} {v / self._n:.2f}" for k, v in self._ms.items())
            print(f"frame {frame:>7}  rss {s.rss_mib:7.1f} MiB  fds {s.fds:3d}  threads {s.threads:3d}  "
                  f"fps {self._n / (now - self._t):6.1f}  ms/frame: {stages}  errors {len(result.errors)}", flush=True)
            self._ms.clear()
            self._n = 0
            self._t = now


def render_loop(spec: str, loop_frames: int, width: int, height: int) -> list[FramePacket]:
    """Render (or load from the cache) a synthetic room once and keep its frames in memory."""
    with open_synthetic(spec, n_frames=loop_frames, width=width, height=height) as source:
        return list(source)


SCENE_FRAMES = 300
MAX_MB_PER_1000 = 1.0


def write_walkers_video(path: Path, frames: int, width: int, height: int) -> None:
    """A ``frames``-long MJPG video of walkers scenes, a new seed every SCENE_FRAMES frames."""
    from perception.synthetic.walkers import WalkersConfig, make_walkers, render_walkers

    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 25.0, (width, height))
    written = 0
    for seed in range(frames // SCENE_FRAMES + 1):
        cfg = WalkersConfig(seed=seed, n_frames=SCENE_FRAMES, width=width, height=height)
        walkers, pillars, background = make_walkers(cfg)
        for k in range(min(SCENE_FRAMES, frames - written)):
            writer.write(render_walkers(walkers, pillars, background, k)[0])
            written += 1
    writer.release()


def mb_per_1000(samples: list[Sample], after: int) -> float:
    """Least-squares RSS slope over the samples after frame ``after``, in MB (10^6 bytes) per 1000 frames."""
    pts = np.array([(s.frame, s.rss_mib * 2**20 / 1e6) for s in samples if s.frame >= after])
    if len(pts) < 2:
        return float("nan")
    return float(np.polyfit(pts[:, 0], pts[:, 1], 1)[0] * 1000)


def video_soak(args: argparse.Namespace, every: int, warmup: int) -> int:
    """The long-video mode: one session with the tracker and a JSON track export; RSS slope after warm-up."""
    with tempfile.TemporaryDirectory(prefix="soak-") as tmp:
        video = Path(tmp) / "walkers.avi"
        t0 = time.perf_counter()
        write_walkers_video(video, args.frames, args.width, args.height)
        print(f"wrote a {args.frames}-frame {args.width}x{args.height} walkers video "
              f"({video.stat().st_size / 1e6:.1f} MB) in {time.perf_counter() - t0:.1f} s", flush=True)
        options = PipelineOptions(segmenter="rgb", tracker="graph", map3d=False, memory=True)
        outputs = SessionOutputs(tracks=Path(tmp) / "tracks.json")
        monitor = Monitor(every)
        start = monitor.sample(0)
        session = run_session(str(video), options, outputs, on_result=monitor)
        export_mb = (Path(tmp) / "tracks.json").stat().st_size / 1e6
    summary = session.summary()
    slope = mb_per_1000(monitor.samples, warmup)
    end = monitor.samples[-1]
    base = next((s for s in monitor.samples if s.frame >= warmup), end)
    print(f"frames {summary['frames']}  wall {summary['wall_s']:.1f} s  fps {summary['fps']:.1f}  "
          f"track rows {summary['track_rows']}  export {export_mb:.1f} MB")
    print(f"start: rss {start.rss_mib:.1f} MiB; after warm-up (frame {base.frame}) {base.rss_mib:.1f} MiB; "
          f"end (frame {end.frame}) {end.rss_mib:.1f} MiB")
    ok = slope < MAX_MB_PER_1000
    print(f"RSS slope after warm-up: {slope:.3f} MB per 1000 frames "
          f"({'within' if ok else 'ABOVE'} the {MAX_MB_PER_1000:g} MB goal)")
    return 0 if ok else 1


def main(argv: list[str] | None = None) -> int:
    """Run the soak and print the verdict; exit 1 if RSS, descriptors or threads grew after warm-up."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--frames", type=int, default=100_000, help="frames to process (default 100000)")
    p.add_argument("--scene", default="synthetic:room-3", help="synthetic room spec (default synthetic:room-3)")
    p.add_argument("--loop-frames", type=int, default=60, help="frames rendered once and replayed (default 60)")
    p.add_argument("--width", type=int, default=160)
    p.add_argument("--height", type=int, default=120)
    p.add_argument("--every", type=int, help="frames between resource lines (default frames/25)")
    p.add_argument("--warmup", type=int, help="frames before the baseline is taken (default 10%% of --frames)")
    p.add_argument("--video", action="store_true",
                   help="long walkers video with the tracker and a JSON track export (default size 320x240)")
    args = p.parse_args(argv)
    every = args.every or max(100, args.frames // 25)
    warmup = args.warmup if args.warmup is not None else max(every, args.frames // 10)
    warmup = max(every, (warmup // every) * every)  # the baseline is a sampled frame
    if args.video:
        if "--width" not in (argv or sys.argv):
            args.width, args.height = 320, 240
        return video_soak(args, every, warmup)

    t0 = time.perf_counter()
    frames = render_loop(args.scene, args.loop_frames, args.width, args.height)
    print(f"rendered {len(frames)} frames of {args.scene} at {args.width}x{args.height} in "
          f"{time.perf_counter() - t0:.1f} s; replaying {args.frames} frames", flush=True)
    source = LoopSource(frames, args.frames)
    options = PipelineOptions(segmenter="auto", tracker="graph", map3d=True, tracker3d="graph3d", memory=True)
    pipeline = build_pipeline(options, source.info)
    print(f"stages: {', '.join(s.name for s in pipeline.stages)}; warm-up {warmup} frames; "
          f"python threads {threading.active_count()}", flush=True)
    monitor = Monitor(every)
    start = monitor.sample(0)
    try:
        stats = run_pipeline(source, pipeline, on_result=monitor)
    finally:
        pipeline.close()
    by_frame = {s.frame: s for s in monitor.samples}
    base = by_frame.get(warmup) or monitor.samples[-1]
    end = monitor.samples[-1]
    peak = max(s.rss_mib for s in monitor.samples if s.frame >= base.frame)
    growth = (end.rss_mib - base.rss_mib) / base.rss_mib
    summary = stats.summary()
    print(f"frames {summary['frames']}  wall {summary['wall_s']:.1f} s  fps {summary['fps']:.1f}  "
          f"stage errors {summary['errors']}")
    for name, s in summary["stages"].items():
        print(f"  {name:<10} mean {s['mean_ms']:7.2f} ms  p95 {s['p95_ms']:7.2f} ms")
    print(f"start: rss {start.rss_mib:.1f} MiB fds {start.fds} threads {start.threads}")
    print(f"file descriptors after warm-up (frame {base.frame}): {base.fds} -> {end.fds} at frame {end.frame} "
          f"({'no growth' if end.fds <= base.fds else f'GREW by {end.fds - base.fds}'})")
    print(f"threads after warm-up: {base.threads} -> {end.threads} "
          f"({'no growth' if end.threads <= base.threads else f'GREW by {end.threads - base.threads}'})")
    flat = growth <= MAX_RSS_GROWTH
    print(f"RSS after warm-up: {base.rss_mib:.1f} MiB at frame {base.frame} -> {end.rss_mib:.1f} MiB at frame "
          f"{end.frame} (peak {peak:.1f}): {growth:+.1%}, {'flat' if flat else 'GREW'} "
          f"({'within' if flat else 'more than'} {MAX_RSS_GROWTH:.0%})")
    return 0 if flat and end.fds <= base.fds and end.threads <= base.threads else 1


if __name__ == "__main__":
    sys.exit(main())
