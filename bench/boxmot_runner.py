"""Run one boxmot tracker over prepared detections. Executed ONLY by the separate boxmot venv's Python
(boxmot is AGPL and never a product dependency): bench/track_peers.py and bench/track_speed.py call it.

Input: an .npz with per-row ``frames`` (1-based), ``xyxy``, ``scores`` (already normalised to [0, 1])
plus the sequence folder for images. Output: MOT rows and per-update timings as .npz.
"""

from __future__ import annotations

import argparse
import time

import cv2
import numpy as np


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--tracker", required=True, choices=["bytetrack", "ocsort"])
    p.add_argument("--dets", required=True, help=".npz with frames, xyxy, scores")
    p.add_argument("--seq", required=True, help="MOT sequence folder (img1/)")
    p.add_argument("--fps", type=float, required=True)
    p.add_argument("--length", type=int, required=True)
    p.add_argument("--out", required=True, help=".npz for rows and timings")
    a = p.parse_args()
    import boxmot

    if a.tracker == "bytetrack":
        tracker = boxmot.ByteTrack(frame_rate=int(round(a.fps)))
    else:
        tracker = boxmot.OcSort()
    d = np.load(a.dets)
    rows, times, cpu = [], [], []
    for f in range(1, a.length + 1):
        img = cv2.imread(f"{a.seq}/img1/{f:06d}.jpg")
        sel = d["frames"] == f
        dets = np.concatenate([d["xyxy"][sel], d["scores"][sel, None], np.zeros((sel.sum(), 1))], axis=1)
        t0, c0 = time.perf_counter(), time.process_time()
        out = tracker.update(dets.astype(np.float32), img)
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
        for r in np.asarray(out).reshape(-1, 8):
            rows.append([f, r[4], r[0], r[1], r[2] - r[0], r[3] - r[1], r[5]])
    np.savez(a.out, rows=np.array(rows).reshape(-1, 7), update_s=np.array(times), update_cpu_s=np.array(cpu))


if __name__ == "__main__":
    main()
