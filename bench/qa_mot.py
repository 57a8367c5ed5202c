"""Question answering on real pedestrian video: public detections -> graph tracker -> memory, questions in
varied human phrasings asked at several moments, truth computed from the sequence's gt/gt.txt only.

Definitions (MOT gt): a person is in view at frame f when gt has a box for them there; an entry is the
start of a gt visibility segment after the first frame, an exit the end of one before the moment asked;
distinct people are distinct gt ids. Counts must be exact, times within 2 s. Per-kind accuracy and the
answer latency are printed; the last line reads ``accuracy: 0.xxx (k/n)``.

    .venv/bin/python bench/qa_mot.py                      # the shared MOT sequences
    .venv/bin/python bench/qa_mot.py --walkers 2          # plus synthetic walkers sequences (longer)
"""

from __future__ import annotations

import argparse
import collections
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from perception.io.mot import read_mot  # noqa: E402
from perception.memory import GroundedAnswerer, MemoryStage  # noqa: E402
from perception.pipeline.runner import Pipeline, run_pipeline  # noqa: E402
from perception.public_detections import PublicDetectionsStage  # noqa: E402
from perception.sources.images import ImageFolderSource, read_seqinfo  # noqa: E402
from perception.sources.video import VideoFileSource  # noqa: E402
from trackers.registry import build_tracker  # noqa: E402
from trackers.scores import normalise_scores  # noqa: E402
from trackers.stage import TrackerStage  # noqa: E402

DATA = next((p / "shared" / "data" / "mot" for p in Path(__file__).resolve().parents if (p / "shared" / "data" / "mot").is_dir()), Path("shared/data/mot"))
WORDS = {2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 8: "eight", 10: "ten", 12: "twelve", 15: "fifteen", 20: "twenty", 30: "thirty"}

# Phrasings as people type them: several per kind, with {n} a number of seconds (digits or words)
PHRASES: dict[str, tuple[str, ...]] = {
    "count_now": ("How many people are visible right now?", "how many pedestrians can you see at the moment",
                  "What's the current headcount?", "Number of people in the picture now?", "how many ppl are in view",
                  "Count the people on screen.", "How many folks are walking around in the scene currently?"),
    "count_distinct": ("How many unique persons have shown up so far?", "How many different people have you seen in total?",
                       "What's the total number of individuals that appeared in the video until now?",
                       "how many distinct pedestrians overall", "Since the start, how many separate people were there?"),
    "count_entered": ("Over the last {n} seconds, how many newcomers showed up?", "How many people entered in the past {n} s?",
                      "In the last {n} seconds how many new people came into view?", "how many arrivals during the previous {n} seconds",
                      "Number of people who walked into the frame in the last {n} sec?"),
    "count_left": ("How many people left in the last {n} seconds?", "how many walked out of view over the past {n} s",
                   "In the previous {n} seconds, how many pedestrians exited the scene?", "Count departures in the last {n} seconds.",
                   "How many people disappeared from the picture during the last {n} secs?"),
    "presence_region": ("Is anyone in the {side} half of the picture?", "Is there somebody on the {side} side right now?",
                        "any pedestrians on the {side}?", "Can you see a person in the {side} half of the image?",
                        "Is the {side} side of the frame empty?"),
    "compare": ("Is it more crowded now than {n} seconds ago?", "Are there fewer people now than {n} seconds ago?",
                "Has the number of people gone up compared to {n} s ago?", "Compared with {n} seconds ago, is the scene busier?",
                "Did the crowd shrink over the last {n} seconds?"),
    "when_first": ("How long ago did the most recent newcomer appear?", "When did the latest person come into view? (how long ago)",
                   "How many seconds ago did someone last arrive?", "how long since the newest pedestrian showed up"),
    "when_last": ("How long ago did someone last leave?", "How many seconds ago did the most recent person exit?",
                  "how long since somebody walked out of view", "How long ago did the last pedestrian disappear?"),
    "count_region": ("How many people are in the {side} half right now?", "how many pedestrians on the {side} side currently",
                     "Number of people in the {side} half of the frame?"),
}


@dataclass
class Truth:
    """Per-frame gt ids, centres, and visibility segments (0-based frames)."""

    fps: float
    width: int
    height: int
    frames: list[dict[int, tuple[float, float]]]
    segments: list[tuple[int, int, int]]  # (id, first frame, last frame)

    @classmethod
    def load(cls, seq: Path) -> Truth:
        info = read_seqinfo(seq)
        gt = read_mot(seq / "gt" / "gt.txt")
        frames: list[dict[int, tuple[float, float]]] = [{} for _ in range(info.length)]
        for f, i, (x, y, w, h) in zip(gt.frames.tolist(), gt.ids.tolist(), gt.xywh.tolist()):
            if 1 <= f <= info.length:
                frames[f - 1][int(i)] = (x + w / 2, y + h / 2)
        segs: list[tuple[int, int, int]] = []
        open_: dict[int, int] = {}
        for f, ids in enumerate(frames + [{}]):
            for i in list(open_):
                if i not in ids:
                    segs.append((i, open_.pop(i), f - 1))
            for i in ids:
                open_.setdefault(i, f)
        return cls(info.fps, info.width, info.height, frames, segs)

    def count(self, f: int, side: str | None = None) -> int:
        return sum(1 for x, _ in self.frames[f].values() if side is None or (x < self.width / 2) == (side == "left"))

    def stable(self, f: int, margin: int = 2, side: str | None = None) -> bool:
        return len({self.count(k, side) for k in range(max(0, f - margin), min(len(self.frames), f + margin + 1))}) == 1

    def entries(self, f1: int, f2: int) -> list[int]:
        return [s[1] for s in self.segments if s[1] > 0 and f1 <= s[1] <= f2]

    def exits(self, f1: int, f2: int, now: int) -> list[int]:
        return [s[2] for s in self.segments if f1 <= s[2] <= f2 and s[2] < now]

    def near_edge(self, frames: list[int], f1: int, f2: int, margin: int) -> bool:
        return any(min(abs(x - f1), abs(x - f2)) <= margin for x in frames)


@dataclass
class Item:
    """A question, the frame it is asked at, its kind, expected value and tolerance."""

    frame: int
    question: str
    kind: str
    expected: Any
    tolerance: float = 0.0


def make_items(tr: Truth, rng: np.random.Generator, asks: list[int]) -> list[Item]:
    """Questions whose truth is clear (not within a couple of frames of a change or a window edge)."""
    items: list[Item] = []
    fps = tr.fps
    for f in asks:
        now = f / fps
        for kind, phrases in PHRASES.items():
            q = str(rng.choice(phrases))
            n = int(rng.choice([k for k in (2, 3, 5, 10, 15, 20, 30) if k <= max(2.0, 0.9 * now)]))
            nf = int(round(n * fps))
            side = str(rng.choice(["left", "right"]))
            text = q.format(n=WORDS.get(n, n) if rng.random() < 0.5 else n, side=side)
            if kind == "count_now" and tr.stable(f):
                items.append(Item(f, text, kind, tr.count(f)))
            elif kind == "count_region" and tr.stable(f, side=side):
                items.append(Item(f, text, kind, tr.count(f, side)))
            elif kind == "count_distinct":
                ids = {i for fr in tr.frames[: f + 1] for i in fr}
                items.append(Item(f, text, kind, len(ids)))
            elif kind in ("count_entered", "count_left"):
                f1 = f - nf
                ev = tr.entries(0, f) if kind == "count_entered" else tr.exits(0, f, f)
                if f1 >= 0 and not tr.near_edge(ev, f1, f, 1):
                    got = tr.entries(f1, f) if kind == "count_entered" else tr.exits(f1, f, f)
                    items.append(Item(f, text, kind, len(got)))
            elif kind == "presence_region" and tr.stable(f, side=side):
                yes = tr.count(f, side) > 0
                items.append(Item(f, text, kind, (not yes) if "empty" in text else yes))
            elif kind == "compare" and f - nf >= 0 and tr.stable(f) and tr.stable(f - nf):
                a, b = tr.count(f), tr.count(f - nf)
                fewer = any(w in text for w in ("fewer", "shrink"))
                items.append(Item(f, text, kind, a < b if fewer else a > b))
            elif kind == "when_first":
                starts = tr.entries(0, f)
                if starts:
                    items.append(Item(f, text, kind, (f - max(starts)) / fps, 2.0))
            elif kind == "when_last":
                ends = tr.exits(0, f, f)
                if ends:
                    items.append(Item(f, text, kind, (f - max(ends)) / fps, 2.0))
    return items


def correct(it: Item, value: Any) -> bool:
    """Typed comparison: bools exactly, ints exactly, seconds within the tolerance."""
    if value is None:
        return False
    if isinstance(it.expected, bool):
        return isinstance(value, bool) and value == it.expected
    if isinstance(it.expected, float):
        return isinstance(value, (int, float)) and not isinstance(value, bool) and abs(float(value) - it.expected) <= it.tolerance
    return isinstance(value, int) and not isinstance(value, bool) and value == it.expected


def run_sequence(seq: Path, asks_n: int, rng: np.random.Generator, tracker: str) -> list[tuple[Item, Any, str, float]]:
    """Track the sequence, snapshot the memory at the ask frames, answer; (item, value, text, ms) per question."""
    info = read_seqinfo(seq)
    tr = Truth.load(seq)
    video = next(iter(seq.glob("*.avi")), None)
    source = ImageFolderSource(seq) if (seq / "img1").is_dir() else VideoFileSource(video)
    table = read_mot(seq / "det" / "det.txt")
    memory = MemoryStage(narrate=False)
    pipeline = Pipeline([PublicDetectionsStage(table, normalise_scores(table.scores)),
                         TrackerStage(build_tracker(tracker, fps=info.fps)), memory])
    asks = sorted({int(x) for x in np.linspace(0.35 * info.length, info.length - 1, asks_n)})
    snaps = {}

    def on_result(result) -> None:
        if result.index in asks:
            snaps[result.index] = memory.snapshot()

    with source:
        run_pipeline(source, pipeline, on_result=on_result)
    memory.close()
    items = make_items(tr, rng, asks)
    answerer = GroundedAnswerer()
    out = []
    for it in items:
        t0 = time.perf_counter()
        chunks = list(answerer.answer(snaps[it.frame], it.question))
        ms = (time.perf_counter() - t0) * 1e3
        value = next((c.value for c in reversed(chunks) if c.value is not None), None)
        out.append((it, value, "".join(c.text for c in chunks), ms))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sequences", nargs="*", default=["TUD-Campus", "PETS-S3-MF1", "PETS09-S2L2"])
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--asks", type=int, default=8, help="moments per sequence at which every kind is asked")
    ap.add_argument("--walkers", type=int, default=0, help="also run this many synthetic walkers sequences (40 s each)")
    ap.add_argument("--tracker", default="graph")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--verbose", action="store_true", help="print every wrong answer")
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)
    seqs = [args.data / s for s in args.sequences if (args.data / s).is_dir()]
    if args.walkers:
        from perception.synthetic import cache, generate_mot_sequence

        for k in range(args.walkers):
            name = f"qa-walkers-{k}"
            seqs.append(cache.cached_scene(name, lambda out, ow, k=k: generate_mot_sequence(
                out, seed=100 + k, n_frames=400, fps=10.0, n_walkers=18, overwrite=ow)))
    ok: collections.Counter[str] = collections.Counter()
    total: collections.Counter[str] = collections.Counter()
    latency: list[float] = []
    for seq in seqs:
        res = run_sequence(seq, args.asks, rng, args.tracker)
        k = sum(correct(it, v) for it, v, _, _ in res)
        print(f"{seq.name}: {k}/{len(res)}")
        for it, v, text, ms in res:
            good = correct(it, v)
            ok[it.kind] += good
            total[it.kind] += 1
            latency.append(ms)
            if args.verbose and not good:
                print(f"  WRONG {seq.name} @{it.frame}: {it.question!r} expected {it.expected!r}, got {v!r} -- {text[:150]}")
    for kind in sorted(total):
        print(f"  {kind:16s} {ok[kind]:3d}/{total[kind]:<3d} {ok[kind] / total[kind]:.2f}")
    lat = np.array(latency)
    print(f"answer latency: median {np.median(lat):.1f} ms, p95 {np.percentile(lat, 95):.1f} ms, max {lat.max():.1f} ms "
          "(shared CPU)")
    print(f"accuracy: {sum(ok.values()) / sum(total.values()):.3f} ({sum(ok.values())}/{sum(total.values())})")


if __name__ == "__main__":
    main()
