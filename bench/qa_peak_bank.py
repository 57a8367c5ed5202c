"""Build bench/qa_peak_questions.json: 'the most (fewest) people in view at once' and 'when was it busiest', asked at
several times of each MOT sequence, truth from its gt/; run it with ``bench/qa_real.py --bank``.

    .venv/bin/python bench/qa_peak_bank.py [--data ../shared/data/mot] [--out bench/qa_peak_questions.json]
    .venv/bin/python bench/qa_real.py --bank bench/qa_peak_questions.json --detector-row people

The phrasings are questions written by helpers who never read the question reader (stop 41), kept as written but
for the number of seconds in a window ({n}) and person words only (the truth counts gt people); places named in
them ('the plaza') were left out. Counts are the gt ids with a box in the image (``SequenceTruth.counts``).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.qa_real_truth import SequenceTruth
from perception.io.atomic import atomic_write_text

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data" / "mot"
BANK = REPO / "bench" / "qa_peak_questions.json"
ASK_AT = (0.5, 0.75, 1.0)  # shares of the sequence's length at which each phrasing is asked

PHRASINGS: dict[str, list[str]] = {
    "most": ["What's the highest number of people that were on screen at the same time?", "max people at once",
             "how much people was there in same time maximum?", "how many ppl at most together in view",
             "What's the most people you've seen in the shot at one time so far?",
             "How many people were there when it was most crowded?", "Count of people at the peak moment"],
    "most_window": ["I need the peak simultaneous count of pedestrians for the last {n} seconds.",
                    "In the past {n} seconds, what was the highest number of people in frame together?"],
    "fewest": ["What was the fewest number of people visible at the same time?", "min people at once",
               "lowest pedestrian count at any moment"],
    "when_most": ["whens the busiest moment been so far, like most ppl at once",
                  "When did the high-water mark for persons on the platform occur?",
                  "Please tell at what time maximum persons were present in the lobby simultaneously."],
}
KIND = {"most": "count_peak", "most_window": "count_peak", "fewest": "count_peak", "when_most": "when_peak"}


def items_for(seq: SequenceTruth, name: str) -> list[dict]:
    """Every phrasing at every ask time whose truth is well defined there."""
    out = []
    last = seq.length - 1
    for share in ASK_AT:
        i = round(share * last)
        t = round(seq.time(i), 6)
        counts = seq.counts[: i + 1]
        n = max(1, round(t / 2))  # a window of half the time so far
        w = max(0, i - round(n * seq.fps))
        truths = {"most": (int(counts.max()), "the largest gt count over frames 1.."),
                  "most_window": (int(counts[w:].max()), f"the largest gt count over the last {n} s, frames {w + 1}.."),
                  "fewest": (int(counts.min()), "the smallest gt count over frames 1..")}
        peak = np.flatnonzero(counts == counts.max())
        if peak[-1] - peak[0] == len(peak) - 1:  # one stretch at the most: 'when' has one answer
            truths["when_most"] = (round(seq.time(int(peak[0])), 3), "the first time of the largest gt count over frames 1..")
        for key, (truth, definition) in truths.items():
            for phrasing in PHRASINGS[key]:
                out.append({"sequence": name, "t": t, "question": phrasing.format(n=n), "kind": f"{KIND[key]}_{key}",
                            "type": "seconds" if key == "when_most" else "count", "truth": truth, "frame": i + 1,
                            "definition": f"{definition}{i + 1} (t={t:.2f} s)"})
    return out


def build(data: Path) -> list[dict]:
    """The bank: every sequence with gt under ``data``."""
    names = sorted(p.name for p in data.iterdir() if (p / "gt" / "gt.txt").is_file())
    return [it for name in names for it in items_for(SequenceTruth(data / name), name)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DATA, help="folder holding the MOT sequences")
    ap.add_argument("--out", type=Path, default=BANK)
    args = ap.parse_args()
    items = build(args.data)
    about = ("Most / fewest people in view at once, and when the most were, with truth from gt/gt.txt by "
             "bench/qa_peak_bank.py. t: stream seconds; frame: the 1-based gt frame the truth is computed at. "
             "Counts exact, seconds within 2 s.")
    atomic_write_text(args.out, json.dumps({"about": about, "items": items}, indent=1) + "\n")
    print(f"wrote {len(items)} questions on {len({it['sequence'] for it in items})} sequences to {args.out}")


if __name__ == "__main__":
    main()
