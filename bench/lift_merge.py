"""Per-frame cost of the geometric segmenter and per-keyframe cost of lifting + association + merge at 640x480
with 10/30/50 masks, on one core, the cost of the map's denoise pass, the distribution of the map's cost per frame
over a run (mean, p99, max; maintenance frames included) with the pass spread over frames and at once, and the map's
memory after 1k and 10k frames of a camera circling a synthetic room (it should stay flat).

Usage: python bench/lift_merge.py [--frames 1000 10000] [--repeats 3] [--run-frames 100]
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

SCHEDULES: dict[str, dict] = {"spread": {}, "at once": {"spread_frames": 0}}  # the denoise pass, see MapConfig


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


def time_denoise_pass(packets: list, n_masks: int, voxel: float) -> tuple[float, float, int]:
    """Milliseconds of one maintenance pass with DBSCAN denoising and the planar merge (every ``denoise_every``
    frames) on the map of all frames, run whole, and of the largest of the steps it is spread over
    (``MapConfig.spread_frames``) when they run back to back on the same map; and how many steps."""
    labels = [voronoi_labels(p.depth.shape[0], p.depth.shape[1], n_masks, i) for i, p in enumerate(packets)]
    times = []
    for spread in (0, MapConfig().spread_frames):
        m = InstanceMap(MapConfig(lift=LiftConfig(voxel=voxel), maintain_every=0, spread_frames=spread))
        for i, (p, lab) in enumerate(zip(packets, labels)):
            m.integrate(i, p.depth, p.image, p.intrinsics, p.pose, labels=lab, n_segments=n_masks)
        if spread == 0:
            t0 = time.perf_counter()
            m.maintain(len(packets), denoise=True)
            whole = (time.perf_counter() - t0) * 1e3
            continue
        m.maintain(len(packets))
        m._pending = m._plan()  # what integrate plans on the frame the pass is due on
        steps = len(m._pending)
        while m._pending:
            t0 = time.perf_counter()
            m._run_step(*m._pending.pop(0))
            times.append((time.perf_counter() - t0) * 1e3)
    return whole, max(times), steps


def segmented_run(n: int, out: str) -> tuple[list, list]:
    """``n`` frames of the synthetic room at 640x480 with the sensor model and the geometric segmenter's output for
    each (computed once, so the run times the map alone)."""
    scene = generate_rgbd_scene(os.path.join(out, f"run{n}"), seed=11, n_frames=n, sensor=True)
    seg = GeometricSegmenter()
    with open_source(str(scene)) as src:
        packets = list(src)
    return packets, [seg.segment(p) for p in packets]


def per_frame_costs(packets: list, segs: list, **options) -> tuple[np.ndarray, np.ndarray]:
    """Wall and CPU milliseconds of every InstanceMap.integrate call, maintenance frames included, over one run of a
    map with the default options and ``options`` (after a warm-up run). End the run where no denoise pass is due or
    pending, so both schedules have done the same passes (100 frames: due on 30, 60 and 90, spread over 31-39,
    61-69 and 91-99)."""
    wall, cpu = [], []
    for rep in range(2):
        m = InstanceMap(MapConfig(**options))
        for p, s in zip(packets, segs):
            t0, c0 = time.perf_counter(), time.process_time()
            m.integrate(p.index, p.depth, p.image, p.intrinsics, p.pose, labels=s.labels,
                        embeddings=s.detections.embeddings, n_segments=len(s.detections), thin=s.thin)
            if rep:
                wall.append((time.perf_counter() - t0) * 1e3)
                cpu.append((time.process_time() - c0) * 1e3)
    return np.array(wall), np.array(cpu)


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
    ap.add_argument("--run-frames", type=int, default=100, help="frames of the per-call cost run")
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
            whole, step, n = time_denoise_pass(big, 50, voxel)
            print(f"  maintenance with DBSCAN denoising + planar merge (every 30th frame), 50 masks, "
                  f"{100 * voxel:.1f} cm voxels: {whole:6.1f} ms at once, largest of its {n} spread steps {step:6.1f} ms")
        packets, segs = segmented_run(args.run_frames, tmp)
        print(f"map cost per integrate call over a {len(packets)}-frame run of the room (640x480, sensor model, geometric "
              "segmenter, 2.5 cm voxels), maintenance frames included, one core; the denoise pass:")
        stats = {}
        for name, opts in SCHEDULES.items():
            wall, cpu = per_frame_costs(packets, segs, **opts)
            stats[name] = [f(x) for x in (wall, cpu) for f in (np.mean, lambda a: np.percentile(a, 99), np.max)]
            print(f"  {name:8s} wall mean {wall.mean():6.1f} p99 {np.percentile(wall, 99):6.1f} max {wall.max():6.1f} ms"
                  f"   CPU mean {cpu.mean():6.1f} p99 {np.percentile(cpu, 99):6.1f} max {cpu.max():6.1f} ms"
                  f"   CPU max / median {cpu.max() / np.median(cpu):4.1f}x")
        new, old = stats.values()
        print("  spread / at once:" + "".join(f" {n} {a / b:5.2f}" for n, a, b in zip(
            ("wall mean", "p99", "max", "  CPU mean", "p99", "max"), new, old)))
        small = frames(160, 120, 30, tmp)
        mem = memory_run(small, sorted(args.frames))
        base = mem[min(mem)]
        print("map memory while circling the same room (160x120 frames):")
        for n, b in mem.items():
            print(f"  after {n:6d} frames: {b / 1e6:7.3f} MB   ratio to first {b / base:5.3f} (goal within 5%)")


if __name__ == "__main__":
    main()
