"""Time synthetic scene generation: RGB-D rooms (one core and all cores) and 2D walkers sequences.

Usage: python bench/synthetic_generation.py [--frames 60] [--width 640] [--height 480]
Prints wall seconds per scene and per frame, process CPU seconds (what one free core would need when the
work is single-threaded; wall time grows with the machine's load) and the size on disk.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from perception.synthetic import generate_mot_sequence, generate_rgbd_scene


def _size_mb(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 1e6


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=60)
    ap.add_argument("--width", type=int, default=640)
    ap.add_argument("--height", type=int, default=480)
    ap.add_argument("--walker-frames", type=int, default=150)
    args = ap.parse_args()
    print(f"machine: {os.cpu_count()} logical cores, load average {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory() as tmp:
        for label, kwargs in [("room, 1 ray-casting thread", {"nthreads": 1}),
                              ("room, all cores", {"nthreads": 0}),
                              ("room, heavy occlusion, 1 thread", {"nthreads": 1, "heavy_occlusion": True})]:
            out = Path(tmp) / label.replace(" ", "_").replace(",", "")
            t0, c0 = time.perf_counter(), time.process_time()
            generate_rgbd_scene(out, seed=0, n_frames=args.frames, width=args.width, height=args.height, **kwargs)
            dt, cpu = time.perf_counter() - t0, time.process_time() - c0
            print(f"{label:34s} {args.width}x{args.height}x{args.frames}: wall {dt:6.2f} s "
                  f"({1000 * dt / args.frames:5.1f} ms/frame), CPU {cpu:6.2f} s, {_size_mb(out):6.1f} MB")
        out = Path(tmp) / "walkers"
        t0, c0 = time.perf_counter(), time.process_time()
        generate_mot_sequence(out, seed=0, n_frames=args.walker_frames, width=args.width, height=args.height)
        dt, cpu = time.perf_counter() - t0, time.process_time() - c0
        print(f"{'walkers (2D MOT)':34s} {args.width}x{args.height}x{args.walker_frames}: wall {dt:6.2f} s "
              f"({1000 * dt / args.walker_frames:5.1f} ms/frame), CPU {cpu:6.2f} s, {_size_mb(out):6.1f} MB")


if __name__ == "__main__":
    main()
