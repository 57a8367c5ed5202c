"""Batch throughput with 1 and 2 local workers on the same recordings; prints frames/s and the speed-up.

Default input: the real video ../shared/data/video/megamind.avi linked under N names (N recordings).
Each run starts from an empty output folder and is timed end to end (pool start-up included); runs with
different worker counts are interleaved and repeated, and the best and median rates are reported, since
other processes on a shared machine take cores away at random moments.
Usage: .venv/bin/python bench/batch_scale.py [--copies 8] [--repeat 3] [--max-frames N] [--workers 1 2] [--video PATH]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from perception.batch import BatchConfig, run_batch  # noqa: E402
from perception.batch.engines import available_cores  # noqa: E402
from perception.pipeline.factory import PipelineOptions  # noqa: E402

DEFAULT_VIDEO = Path(__file__).resolve().parents[2] / "shared" / "data" / "video" / "megamind.avi"


def measure(inputs: list[str], workers: int, max_frames: int | None,
            options: PipelineOptions) -> tuple[int, float, float]:
    """(frames, wall seconds, worker utilisation) of one batch over ``inputs`` into a fresh folder.

    Utilisation is the time workers spent inside recordings over ``workers x wall``: what the engine
    loses to start-up and hand-over, independent of how fast each recording runs.
    """
    with tempfile.TemporaryDirectory(prefix="batch-bench-") as out:
        summary = run_batch(BatchConfig(inputs, out, options, max_frames=max_frames, engine="local", workers=workers))
    if summary.failed:
        raise SystemExit(f"{summary.failed} recording(s) failed: {summary.to_dict()['failures'][0]}")
    busy = sum(r["timings"]["task_s"] for r in summary.records)
    return summary.frames, summary.wall_s, busy / (workers * summary.wall_s)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--video", type=Path, default=DEFAULT_VIDEO, help="video to replicate as recordings")
    ap.add_argument("--copies", type=int, default=8, help="number of recordings (links to the video)")
    ap.add_argument("--max-frames", type=int, help="frames per recording (default: all)")
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="worker counts to compare")
    ap.add_argument("--repeat", type=int, default=3, help="runs per worker count (interleaved)")
    ap.add_argument("--tracker", default="graph")
    ap.add_argument("--segmenter", default="auto")
    ap.add_argument("--no-memory", dest="memory", action="store_false", help="turn the streaming memory off")
    args = ap.parse_args()
    if not args.video.is_file():
        raise SystemExit(f"video not found: {args.video}")
    options = PipelineOptions(segmenter=args.segmenter, tracker=args.tracker, memory=args.memory)
    with tempfile.TemporaryDirectory(prefix="batch-inputs-") as tmp:
        inputs = []
        for k in range(args.copies):
            link = Path(tmp) / f"rec{k:03d}{args.video.suffix}"
            link.symlink_to(args.video.resolve())
            inputs.append(str(link))
        print(f"{args.copies} recordings of {args.video.name}, pipeline segmenter={args.segmenter} "
              f"tracker={args.tracker} memory={args.memory}, {available_cores()} cores available")
        rates: dict[int, list[float]] = {w: [] for w in args.workers}
        for r in range(args.repeat):
            for w in args.workers:
                frames, wall, utilisation = measure(inputs, w, args.max_frames, options)
                rates[w].append(frames / wall)
                print(f"run {r + 1} workers={w}: {frames} frames in {wall:.2f} s -> {frames / wall:.1f} frames/s "
                      f"(worker utilisation {utilisation:.0%}, load average {os.getloadavg()[0]:.1f})")
    base = args.workers[0]
    for w in args.workers:
        print(f"workers={w}: best {max(rates[w]):.1f} frames/s, median {statistics.median(rates[w]):.1f} frames/s")
    for w in args.workers[1:]:
        print(f"speed-up {w} vs {base} workers: best {max(rates[w]) / max(rates[base]):.2f}x, "
              f"median {statistics.median(rates[w]) / statistics.median(rates[base]):.2f}x")


if __name__ == "__main__":
    main()
