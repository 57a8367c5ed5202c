"""Mean per-frame ``update`` time of the graph tracker vs boxmot ByteTrack on the same detections and frames.

Both are timed around ``update`` only (image decoding excluded), in the same run, alternating repeats,
one BLAS/OpenMP thread each. Wall time suffers when other work shares the CPUs, so process CPU time is
printed too; the ratio uses CPU time. Appearance is on for the graph tracker (frames are given).
Run: OMP_NUM_THREADS=1 .venv/bin/python bench/track_speed.py [--repeats 3]
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.track_common import DATA, SEQUENCES, boxmot_available, run_peer  # noqa: E402
from perception.testing.replay import ReplayResult, replay, sequence_info  # noqa: E402
from trackers.registry import build_tracker  # noqa: E402


def _ms(results: list[ReplayResult]) -> tuple[float, float]:
    """Median over repeats of the mean per-frame wall and CPU milliseconds."""
    return (1000 * float(np.median([r.update_s.mean() for r in results])),
            1000 * float(np.median([r.update_cpu_s.mean() for r in results])))


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--tracker", default="graph")
    a = p.parse_args()
    peers = boxmot_available()
    ratios = []
    for seq in SEQUENCES:
        seq_dir = DATA / seq
        info = sequence_info(seq_dir)
        ours, boxes_only, byte = [], [], []
        for _ in range(a.repeats):
            ours.append(replay(build_tracker(a.tracker, fps=info.fps), seq_dir))
            boxes_only.append(replay(build_tracker(a.tracker, fps=info.fps), seq_dir, images=False))
            if peers:
                byte.append(run_peer("bytetrack", seq_dir))
        (w, c), (wb, cb) = _ms(ours), _ms(boxes_only)
        print(f"{seq}: {a.tracker} with appearance {w:.2f} ms wall / {c:.2f} ms CPU per frame; "
              f"boxes only {wb:.2f} / {cb:.2f}")
        if peers:
            bw, bc = _ms(byte)
            ratios.append(c / bc)
            print(f"  boxmot ByteTrack {bw:.2f} ms wall / {bc:.2f} ms CPU per frame; "
                  f"ratio (CPU) {c / bc:.2f}, ratio (wall) {w / bw:.2f}")
    if ratios:
        worst = max(ratios)
        print(f"worst CPU-time ratio {worst:.2f} (goal <= 0.50: {'met' if worst <= 0.5 else 'NOT met'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
