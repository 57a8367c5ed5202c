"""Score the trackers on synthetic scenes with long occlusions (trackers/simulation.py):

    .venv/bin/python bench/track_synthetic.py   # graph vs boxmot ByteTrack (IDF1), graph3d (MOTA, IDsw)
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from perception.testing.tracking_scenes import Scene3D, make_2d_sequence, make_3d_sequence  # noqa: E402


def run_3d(scene: Scene3D, **options) -> dict:
    """Score graph3d on one scene."""
    from trackers.evaluation import evaluate_points
    from trackers.registry import build_tracker3d
    from trackers.stage import instance_embeddings

    tracker = build_tracker3d("graph3d", fps=scene.fps, **options)
    out = []
    for result in scene.frames:
        t = tracker.update(result.instances, result.packet.timestamp, instance_embeddings(result, result.instances))
        out.append((t.ids, t.centers))
    return evaluate_points(scene.truth, out, max_distance=0.3)


def main() -> int:
    from bench.track_common import boxmot_available, fmt, run_peer, score
    from perception.testing.replay import replay, sequence_info
    from trackers.registry import build_tracker

    have_peers = boxmot_available()
    print("2D synthetic sequences with long occlusions (two pillars), 150 frames at 15 fps:")
    wins = 0
    seeds = range(3)
    for seed in seeds:
        with tempfile.TemporaryDirectory(prefix="synth2d-") as tmp:
            seq = Path(tmp) / f"synth-{seed}"
            events = make_2d_sequence(seq, seed=seed)
            ours = score(replay(build_tracker("graph", fps=sequence_info(seq).fps), seq), seq)
            print(f"seed {seed}: {events} occlusion events")
            print(fmt("graph", ours))
            if have_peers:
                peer = score(run_peer("bytetrack", seq), seq)
                print(fmt("boxmot bytetrack", peer))
                wins += ours["IDF1"] > peer["IDF1"]
    if have_peers:
        print(f"graph IDF1 > ByteTrack IDF1 on {wins}/{len(seeds)} sequences")
    print("3D synthetic scenes (8 objects, 150 frames at 15 fps, match radius 0.3 m):")
    for seed in seeds:
        scene = make_3d_sequence(seed=seed)
        m = run_3d(scene)
        ok = m["MOTA"] >= 0.9 and m["IDsw"] <= scene.occlusion_events
        print(f"  seed {seed}: MOTA {100 * m['MOTA']:.1f}  HOTA {100 * m['HOTA']:.1f}  IDF1 {100 * m['IDF1']:.1f}  "
              f"IDsw {m['IDsw']}  occlusion events {scene.occlusion_events}  "
              f"(MOTA >= 90 and IDsw <= events: {'yes' if ok else 'NO'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
