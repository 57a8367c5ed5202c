"""Memory write time per frame, built-in answer latency, and memory size at 1k and 100k frames.

Streams a scripted scene of moving boxes (perfect tracks) into the memory. Write time counts only
``VideoMemory.update`` (rendering the synthetic frames is excluded); answer latency is the built-in
answerer over a fixed mix of question types, from a fresh snapshot each time.

    .venv/bin/python bench/memory_speed.py                 # 1k and 100k frames at 320x240
    .venv/bin/python bench/memory_speed.py --frames 1000 --size 640x480
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from perception.memory import GroundedAnswerer, VideoMemory  # noqa: E402
from perception.memory.answer import collect  # noqa: E402
from perception.testing.memory_scenes import ScriptedScene  # noqa: E402

QUESTIONS = ["How many objects are visible now?", "How many objects were visible at {t1:.1f} s?",
             "How many distinct objects have been seen so far?", "When was object {old} first seen?",
             "When was object {old} last seen?", "Where was object {old} at {told:.1f} s?", "What colour is object {old}?",
             "How big is object {old}?", "What happened between {t1:.1f} s and {t2:.1f} s?", "How long was object {old} visible?",
             "Where is the red object now?", "How many people came into view in the last 10 seconds?",
             "How many people left the view in the last 20 seconds?", "Are there more people now than 10 seconds ago?",
             "When did the most recent newcomer appear?", "How many people left since {t1:.1f} s?",
             "What was the most objects in view at once?", "When was it busiest?"]


def answer_latency(mem: VideoMemory, scene: ScriptedScene, repeats: int = 5) -> tuple[float, float, float]:
    """(mean ms to build a snapshot, mean ms per built-in answer, p95 ms per answer)."""
    answerer = GroundedAnswerer()
    now = mem.snapshot().time
    snap_ms, ans_ms = [], []
    old = next((o for o in scene.objects if o.death < now - 60), scene.objects[0])
    fill = {"t1": now / 3, "t2": now / 3 + 20, "old": old.id, "told": (old.birth + old.death) / 2}
    for _ in range(repeats):
        mem._snap = None  # as after a new frame: the snapshot is rebuilt
        t0 = time.perf_counter()
        snap = mem.snapshot()
        snap_ms.append((time.perf_counter() - t0) * 1e3)
        for q in QUESTIONS:
            q = q.format(**fill)
            t0 = time.perf_counter()
            collect(q, snap, answerer.answer(snap, q), "builtin")
            ans_ms.append((time.perf_counter() - t0) * 1e3)
    return float(np.mean(snap_ms)), float(np.mean(ans_ms)), float(np.percentile(ans_ms, 95))


def run(frames: int, width: int, height: int, seed: int) -> None:
    """Stream ``frames`` frames and print timings and sizes."""
    fps = 10.0
    scene = ScriptedScene(seed, frames / fps, fps, width, height)
    mem = VideoMemory()
    proc = psutil.Process(os.getpid())
    write = np.zeros(frames)
    cpu = np.zeros(frames)
    checkpoints = sorted({min(frames, 1000), *(frames * k // 8 for k in range(1, 9))})
    rss0 = None
    print(f"--- {frames} frames at {width}x{height} ({frames / fps:.0f} s of stream, {len(scene.objects)} objects)")
    for i in range(frames):
        r = scene.result(i)
        t0, c0 = time.perf_counter(), time.thread_time()
        mem.update(r)
        write[i], cpu[i] = time.perf_counter() - t0, time.thread_time() - c0
        if i + 1 in checkpoints:
            rss = proc.memory_info().rss / 2**20
            rss0 = rss if rss0 is None else rss0
            s = mem.sizes()
            print(f"  at {i + 1:>6} frames: records {s['spatial_records']}, clusters {s['clusters']}, jpeg {s['jpeg_bytes'] / 1e3:.0f} kB, "
                  f"tracks {s['tracks']}, events {s['events']}, timeline {s['timeline_lines']}, "
                  f"count changes {s['count_changes']}, RSS {rss:.1f} MiB (+{rss - rss0:.1f} since {checkpoints[0]})")
    w = write * 1e3
    snap_ms, ans_ms, ans_p95 = answer_latency(mem, scene)
    print(f"  write per frame: mean {w.mean():.2f} ms, p95 {np.percentile(w, 95):.2f} ms, max {w.max():.1f} ms wall "
          f"(goal <= 5 ms); CPU of the writing thread {cpu.mean() * 1e3:.2f} ms/frame; load average {os.getloadavg()[0]:.1f} "
          f"on {os.cpu_count()} cores")
    print(f"  snapshot build: {snap_ms:.2f} ms; built-in answer: mean {ans_ms:.2f} ms, p95 {ans_p95:.2f} ms (goal <= 50 ms)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, nargs="+", default=[1000, 100_000])
    ap.add_argument("--size", default="320x240", help="frame size WxH")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    w, h = (int(v) for v in args.size.lower().split("x"))
    for n in args.frames:
        run(n, w, h, args.seed)


if __name__ == "__main__":
    main()
