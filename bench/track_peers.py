"""Graph tracker vs boxmot ByteTrack and OC-SORT on the real MOT15 sequences with public detections.

Every tracker gets the same detections, frames and [0, 1] scores (trackers.scores.normalise_scores);
all are scored by TrackEval with MOT15 conventions. Run: .venv/bin/python bench/track_peers.py
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.track_common import DATA, SEQUENCES, boxmot_available, fmt, run_peer, score  # noqa: E402
from perception.testing.replay import replay, sequence_info  # noqa: E402
from trackers.registry import build_tracker  # noqa: E402

PEERS = ("bytetrack", "ocsort")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--tracker", default="graph")
    p.add_argument("--no-images", action="store_true", help="boxes only (no appearance)")
    a = p.parse_args()
    peers = PEERS if boxmot_available() else ()
    verdict = True
    for seq in SEQUENCES:
        seq_dir = DATA / seq
        info = sequence_info(seq_dir)
        ours = score(replay(build_tracker(a.tracker, fps=info.fps), seq_dir, images=not a.no_images), seq_dir)
        print(f"{seq} ({info.length} frames, {info.fps:g} fps)")
        print(fmt(a.tracker, ours))
        for peer in peers:
            m = score(run_peer(peer, seq_dir), seq_dir)
            print(fmt(f"boxmot {peer}", m))
            ok = ours["HOTA"] >= m["HOTA"] and ours["IDF1"] >= m["IDF1"]
            verdict &= ok
            print(f"    {a.tracker} >= {peer} on HOTA and IDF1: {'yes' if ok else 'NO'}")
    if peers:
        print(f"overall: {a.tracker} at least matches every peer on HOTA and IDF1: {'yes' if verdict else 'NO'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
