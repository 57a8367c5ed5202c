"""Per-frame cost of the geometric segmenter and per-keyframe cost of lifting + association + merge at 640x480
with 10/30/50 masks, on one core, and the map's memory after 1k and 10k frames of a camera circling a synthetic room (it should stay flat).

Usage: python bench/lift_merge.py [--frames 1000 10000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")

import cv2  # noqa: E402
import numpy as np  # noqa: E402

from perception.lifting import LiftConfig  # noqa: E402
from perception.map3d import InstanceMap, MapConfig  # noqa: E402
from perception.segmentation.geometric import GeometricSegmenter  # noqa: E402
from perception.sources import open_source  # noqa: E402
from perception.synthetic.rgbd_scene import generate_rgbd_scene  # noqa: E402


def voronoi_labels(h: int, w: int, n: int, seed: int) -> np.ndarray:
    """An HxW label image of ``n`` compact regions (Voronoi cells of random seeds) standing in for n masks."""
    rng = np.random.default_rng(seed)
    pts = rng.uniform([0, 0], [w, h], (n, 2))
    yy, xx = np.mgrid[0:h:4, 0:w:4]
    d = (xx[..., None] - pts[:, 0]) ** 2 + (yy[..., None] - pts[:, 1]) ** 2
    return cv2.resize(np.argmin(d, axis=2).astype(np.int32), (w, h), interpolation=cv2.INTER_NEAREST)


def frames(width: int, height: int, n: int, out: str) -> list:
    scene = generate_rgbd_scene(os.path.join(out, f"room{width}"), seed=11, n_frames=n, width=width, height=height)
    with open_source(str(scene)) as src:
        return list(src)


def time_masks(packets: list, n_masks: int, repeats: int, voxel: float = 0.025) -> tuple[float, float, float]:
    """Median and p95 wall milliseconds and median CPU milliseconds of InstanceMap.integrate per keyframe
    (after a warm-up pass); CPU time is what a shared, noisy machine disturbs least."""
    labels = [voronoi_labels(p.depth.shape[0], p.depth.shape[1], n_masks, i) for i, p in enumerate(packets)]
    times, cpu = [], []
    for rep in range(repeats + 1):
        m = InstanceMap(MapConfig(lift=LiftConfig(voxel=voxel)))
        for i, (p, lab) in enumerate(zip(packets, labels)):
            t0, c0 = time.perf_counter(), time.process_time()
            m.integrate(i, p.depth, p.image, p.intrinsics, p.pose, labels=lab, n_segments=n_masks)
            if rep:
                times.append((time.perf_counter() - t0) * 1e3)
                cpu.append((time.process_time() - c0) * 1e3)
    return float(np.median(times)), float(np.percentile(times, 95)), float(np.median(cpu))


def time_denoise_pass(packets: list, n_masks: int, voxel: float) -> float:
    """Milliseconds of one maintenance pass with DBSCAN denoising and the planar merge (every ``denoise_every``
    frames) on the map of all frames."""
    labels = [voronoi_labels(p.depth.shape[0], p.depth.shape[1], n_masks, i) for i, p in enumerate(packets)]
    m = InstanceMap(MapConfig(lift=LiftConfig(voxel=voxel), maintain_every=0))
    for i, (p, lab) in enumerate(zip(packets, labels)):
        m.integrate(i, p.depth, p.image, p.intrinsics, p.pose, labels=lab, n_segments=n_masks)
    t0 = time.perf_counter()
    m.maintain(len(packets), denoise=True)
    return (time.perf_counter() - t0) * 1e3


def time_segmenter(packets: list, repeats: int) -> tuple[float, float]:
    """Median and p95 milliseconds of GeometricSegmenter.segment per frame (after a warm-up pass)."""
    seg = GeometricSegmenter()
    times = []
    for rep in range(repeats + 1):
        for p in packets:
            t0 = time.perf_counter()
            seg.segment(p)
            if rep:
                times.append((time.perf_counter() - t0) * 1e3)
    return float(np.median(times)), float(np.percentile(times, 95))


def memory_run(packets: list, checkpoints: list[int]) -> dict[int, int]:
    """Map bytes after each checkpoint frame count, cycling through the room's frames."""
    m = InstanceMap(MapConfig(maintain_every=10, denoise_every=0))
    labels = [voronoi_labels(p.depth.shape[0], p.depth.shape[1], 20, i) for i, p in enumerate(packets)]
    out = {}
    for f in range(max(checkpoints)):
        p = packets[f % len(packets)]
        m.integrate(f, p.depth, p.image, p.intrinsics, p.pose, labels=labels[f % len(packets)], n_segments=20)
        if f + 1 in checkpoints:
            out[f + 1] = m.nbytes
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, nargs="+", default=[1000, 10000])
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    cv2.setNumThreads(1)
    with tempfile.TemporaryDirectory() as tmp:
        big = frames(640, 480, 10, tmp)
        med, p95 = time_segmenter(big, args.repeats)
        print(f"geometric segmenter, 640x480, one core: median {med:6.1f} ms   p95 {p95:6.1f} ms   (goal <= 15 ms)")
        print("lift + associate + merge per keyframe, 640x480, one core:")
        for n in (10, 30, 50):
            med, p95, cpu = time_masks(big, n, args.repeats)
            print(f"  {n:2d} masks: median {med:6.1f} ms   p95 {p95:6.1f} ms   median CPU {cpu:6.1f} ms   "
                  "(goal <= 20 ms at 50 masks)")
        med, p95, cpu = time_masks(big, 50, args.repeats, voxel=0.01)
        print(f"  50 masks, 1 cm voxels (tabletop size): median {med:6.1f} ms   p95 {p95:6.1f} ms   median CPU {cpu:6.1f} ms")
        for voxel in (0.025, 0.01):
            print(f"  maintenance with DBSCAN denoising + planar merge (every 30th frame), 50 masks, "
                  f"{100 * voxel:.1f} cm voxels: {time_denoise_pass(big, 50, voxel):6.1f} ms")
        small = frames(160, 120, 30, tmp)
        mem = memory_run(small, sorted(args.frames))
        base = mem[min(mem)]
        print("map memory while circling the same room (160x120 frames):")
        for n, b in mem.items():
            print(f"  after {n:6d} frames: {b / 1e6:7.3f} MB   ratio to first {b / base:5.3f} (goal within 5%)")


if __name__ == "__main__":
    main()
