"""Mean per-frame ``update`` time of the graph tracker vs boxmot ByteTrack on the same detections and frames.

Both are timed around ``update`` only (image decoding excluded), in the same run, alternating
repeats so machine load hits both alike. Appearance is on for the graph tracker (frames are given).
Run: .venv/bin/python bench/track_speed.py [--repeats 3]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.track_common import DATA, SEQUENCES, boxmot_available, run_peer  # noqa: E402
from trackers.registry import build_tracker  # noqa: E402
from trackers.replay import replay, sequence_info  # noqa: E402


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
        ours, ours_boxes, byte = [], [], []
        for _ in range(a.repeats):
            ours.append(replay(build_tracker(a.tracker, fps=info.fps), seq_dir).update_s.mean())
            ours_boxes.append(replay(build_tracker(a.tracker, fps=info.fps), seq_dir, images=False).update_s.mean())
            if peers:
                byte.append(run_peer("bytetrack", seq_dir).update_s.mean())
        ms = 1000 * float(np.median(ours))
        line = (f"{seq}: {a.tracker} {ms:.3f} ms/frame with appearance, "
                f"{1000 * float(np.median(ours_boxes)):.3f} ms/frame boxes only")
        if peers:
            b = 1000 * float(np.median(byte))
            ratios.append(ms / b)
            line += f"; boxmot ByteTrack {b:.3f} ms/frame; ratio {ms / b:.2f}"
        print(line)
    if ratios:
        worst = max(ratios)
        print(f"worst ratio {worst:.2f} (goal <= 0.50: {'met' if worst <= 0.5 else 'NOT met'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
