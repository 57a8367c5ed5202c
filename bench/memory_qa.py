"""Score the built-in grounded answerer on questions generated from a scripted scene's ground truth.

Streams the scene through the memory stage; each question is asked online when the stream reaches its
time and answered from that moment's snapshot. The last line reads ``accuracy: 0.xxx (k/n)``.

    .venv/bin/python bench/memory_qa.py --seed 3
"""

from __future__ import annotations

import argparse
import collections
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from perception.memory import MemoryStage  # noqa: E402
from perception.testing.memory_qa import QAItem, generate_qa, is_correct  # noqa: E402
from perception.testing.memory_scenes import ScriptedScene  # noqa: E402


def run(seed: int, n: int, duration_s: float, verbose: bool, jitter_px: float = 2.0) -> tuple[int, int]:
    """Stream the scene, ask every question at its time, return (correct, total)."""
    scene = ScriptedScene(seed, duration_s, jitter_px=jitter_px)
    items = generate_qa(scene, n, seed=seed)
    by_frame: dict[int, list[QAItem]] = collections.defaultdict(list)
    for it in items:
        by_frame[it.ask_frame].append(it)
    stage = MemoryStage(narrate=False)
    futures = []
    for i in range(scene.frames):
        stage.process(scene.result(i))
        for it in by_frame.get(i, []):
            futures.append((it, stage.ask(it.question)))
    ok: collections.Counter[str] = collections.Counter()
    total: collections.Counter[str] = collections.Counter()
    old_ok = old_total = 0
    for it, fut in futures:
        ans = fut.result()
        good = is_correct(it, ans.value)
        ok[it.kind] += good
        total[it.kind] += 1
        old_ok += good and it.long_ago
        old_total += it.long_ago
        if verbose and not good:
            print(f"WRONG @{it.ask_frame / scene.fps:.1f}s {it.question!r}: expected {it.expected!r}, got {ans.value!r} -- {ans.text[:160]}")
    stage.close()
    print(f"scene: seed {seed}, {duration_s:.0f} s at {scene.fps:.0f} fps, {len(scene.objects)} objects; "
          f"tracker boxes jittered by {jitter_px:.1f} px; {len(items)} questions, {old_total} about things seen > 60 s before asking")
    for kind in sorted(total):
        print(f"  {kind:18s} {ok[kind]:4d}/{total[kind]:<4d}")
    print(f"  long-ago questions {old_ok}/{old_total}")
    return sum(ok.values()), sum(total.values())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--questions", type=int, default=240)
    ap.add_argument("--duration", type=float, default=400.0, help="scene length in seconds (10 fps)")
    ap.add_argument("--jitter", type=float, default=2.0, help="tracker box noise (pixels, Gaussian sigma)")
    ap.add_argument("--verbose", action="store_true", help="print every wrong answer")
    args = ap.parse_args()
    k, n = run(args.seed, args.questions, args.duration, args.verbose, args.jitter)
    print(f"accuracy: {k / n:.3f} ({k}/{n})")


if __name__ == "__main__":
    main()
