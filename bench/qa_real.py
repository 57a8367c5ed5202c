"""Question answering on real video: the product's CLI answers the gt-derived bank of bench/qa_real_questions.json.

Each sequence is streamed once per row through ``main.py run --questions`` (every question asked when the stream
reaches its t); rows: the defaults, and public detections (``--detector file:<seq>/det/det.txt``, when the CLI has
that flag), and with ``--ground-truth-row`` the gt/ boxes as detections (an upper bound: detection solved). Prints
per-kind accuracy per row; the last line is the default row's ``accuracy: 0.xxx (k/n)``.

    .venv/bin/python bench/qa_real.py [--sequences TUD-Campus,PETS-S3-MF1] [--limit 20] [--show-wrong] [--ground-truth-row]

Grading: the answer's typed ``value`` when present, else the first number (counts, seconds) or yes/no in its text;
counts exact, yes/no exact, seconds within 2 s. A question the run did not answer counts as wrong.
"""

from __future__ import annotations

import argparse
import collections
import configparser
import itertools
import json
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data" / "mot"
BANK = REPO / "bench" / "qa_real_questions.json"
PYTHON = REPO / ".venv" / "bin" / "python" if (REPO / ".venv" / "bin" / "python").exists() else Path(sys.executable)
SECONDS_TOLERANCE = 2.0
NUMBER_WORDS = {w: i for i, w in enumerate(["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
                                            "ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen",
                                            "seventeen", "eighteen", "nineteen", "twenty"])}
NUMBER = re.compile(r"-?\d+(?:\.\d+)?|\b(?:" + "|".join(NUMBER_WORDS) + r")\b", re.IGNORECASE)
YES_NO = re.compile(r"\b(yes|no)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Row:
    """One pipeline configuration: a name and the extra CLI flags for a sequence folder (None: skipped, with why)."""

    name: str
    flags: list[str] | None
    why_skipped: str = ""


def source_of(seq: Path) -> Path:
    """What ``--source`` gets: the sequence folder, or the video its seqinfo.ini names when it has no image folder."""
    ini = configparser.ConfigParser()
    ini.read(seq / "seqinfo.ini", encoding="utf-8")
    sec = ini["Sequence"]
    if (seq / sec.get("imDir", "img1")).is_dir() or "video" not in sec:
        return seq
    return seq / sec["video"]


def rows(seq_flag: bool) -> list[Row]:
    """The default row, and the public-detections row when ``run`` has ``--detector``."""
    public = Row("public detections", ["--detector", "file:{seq}/det/det.txt"]) if seq_flag else \
        Row("public detections", None, "`main.py run --help` lists no --detector flag")
    return [Row("default", []), public]


def ground_truth_row(data: Path, names: list[str], folder: Path) -> Row:
    """The upper-bound row: each sequence's gt/ boxes given to the pipeline as its detections (detection solved;
    what is left wrong is tracking, memory and reading the question)."""
    for name in names:
        with open(data / name / "gt" / "gt.txt", encoding="utf-8") as f:
            rows_in = [line.split(",") for line in f if line.strip()]
        (folder / name).mkdir(parents=True, exist_ok=True)
        lines = [f"{r[0]},-1,{r[2]},{r[3]},{r[4]},{r[5]},1,-1,-1,-1" for r in rows_in if float(r[6]) != 0]  # 0: ignored
        (folder / name / "det.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return Row("ground-truth boxes", ["--detector", f"file:{folder}/{{seq.name}}/det.txt"])


def has_detector_flag() -> bool:
    """Whether ``main.py run --help`` lists ``--detector``."""
    out = subprocess.run([str(PYTHON), "main.py", "run", "--help"], cwd=REPO, capture_output=True, text=True, timeout=300, check=False)
    return "--detector" in out.stdout


def run_sequence(seq: Path, items: list[dict], flags: list[str], timeout_s: float) -> tuple[dict, float, str]:
    """Stream ``seq`` through the CLI asking ``items``; ({(question, t): answer}, wall seconds, error or "")."""
    with tempfile.TemporaryDirectory(prefix="qa-real-") as tmp:
        q, a = Path(tmp) / "q.json", Path(tmp) / "a.json"
        q.write_text(json.dumps([{"question": it["question"], "t": it["t"]} for it in items]), encoding="utf-8")
        cmd = [str(PYTHON), "main.py", "run", "--source", str(source_of(seq)), "--questions", str(q), "--answers", str(a),
               "-q", "--overwrite"] + [f.format(seq=seq) for f in flags]
        t0 = time.perf_counter()
        try:
            proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=timeout_s, check=False)
        except subprocess.TimeoutExpired:
            return {}, time.perf_counter() - t0, f"timed out after {timeout_s:.0f} s"
        wall = time.perf_counter() - t0
        if proc.returncode != 0 or not a.is_file():
            lines = (proc.stderr.strip() or proc.stdout.strip() or "no output").splitlines()
            return {}, wall, f"exit {proc.returncode}: {lines[-1]}"
        answers = json.loads(a.read_text(encoding="utf-8")).get("answers", [])
    return {(ans.get("question"), _key_t(ans.get("t"))): ans for ans in answers}, wall, ""


def _key_t(t: object) -> float | None:
    return round(float(t), 6) if isinstance(t, (int, float)) else None


def answer_text(ans: dict) -> str:
    """The answer's text (``text``, or ``answer`` as the answers file calls it today)."""
    return str(ans.get("text") or ans.get("answer") or "")


def extract(ans: dict, kind_type: str) -> object:
    """What is graded: the typed value when present, else the first number or yes/no in the text (None: nothing)."""
    value = ans.get("value")
    if value is not None:
        return value
    text = answer_text(ans)
    if kind_type == "bool":
        m = YES_NO.search(text)
        return None if m is None else m.group(1).lower() == "yes"
    m = NUMBER.search(text)
    if m is None:
        return None
    word = m.group(0).lower()
    return NUMBER_WORDS[word] if word in NUMBER_WORDS else float(word)


def is_correct(got: object, truth: object, kind_type: str) -> bool:
    """Counts exact, yes/no exact, seconds within SECONDS_TOLERANCE."""
    if kind_type == "bool":
        if isinstance(got, str) and got.strip().lower() in ("yes", "no"):
            got = got.strip().lower() == "yes"
        return isinstance(got, bool) and got == truth
    if isinstance(got, bool) or not isinstance(got, (int, float)):
        return False
    if kind_type == "count":
        return float(got).is_integer() and int(got) == truth
    return abs(float(got) - float(truth)) <= SECONDS_TOLERANCE  # type: ignore[arg-type]


def select(bank: list[dict], sequences: list[str], limit: int | None) -> dict[str, list[dict]]:
    """Bank items per sequence; ``limit`` keeps N per sequence, taken from each kind in turn (bank order within a kind)."""
    out: dict[str, list[dict]] = {}
    for name in sequences:
        by_kind: dict[str, list[dict]] = collections.defaultdict(list)
        for it in bank:
            if it["sequence"] == name:
                by_kind[it["kind"]].append(it)
        turns = [it for group in itertools.zip_longest(*by_kind.values()) for it in group if it is not None]
        out[name] = turns[:limit] if limit is not None else turns
    return out


def score_row(row: Row, data: Path, chosen: dict[str, list[dict]], timeout_s: float, show_wrong: bool) -> tuple[int, int]:
    """Run and grade one row on every chosen sequence; print per-sequence and per-kind results; (correct, total)."""
    ok: collections.Counter[str] = collections.Counter()
    total: collections.Counter[str] = collections.Counter()
    print(f"== row: {row.name} ({' '.join(row.flags) or 'default flags'})")
    for name, items in chosen.items():
        if not items:
            continue
        answers, wall, error = run_sequence(data / name, items, row.flags or [], timeout_s)
        seq_ok = 0
        for it in items:
            ans = answers.get((it["question"], _key_t(it["t"])))
            got = extract(ans, it["type"]) if ans is not None else None
            good = ans is not None and is_correct(got, it["truth"], it["type"])
            ok[it["kind"]] += good
            total[it["kind"]] += 1
            seq_ok += good
            if show_wrong and not good:
                text = "(no answer)" if ans is None else answer_text(ans)[:140].replace("\n", " ")
                print(f"  WRONG {name} @{it['t']:g}s [{it['kind']}] {it['question']!r}: truth {it['truth']!r}, got {got!r} -- {text}")
        note = f"; run failed: {error}" if error else ""
        print(f"  {name:12s} {seq_ok:4d}/{len(items):<4d} questions, run wall {wall:.1f} s{note}")
    for kind in sorted(total):
        print(f"  {kind:15s} {ok[kind]:4d}/{total[kind]:<4d} {ok[kind] / total[kind]:.3f}")
    k, n = sum(ok.values()), sum(total.values())
    print(f"  {row.name}: {k}/{n} = {k / max(n, 1):.3f}")
    return k, n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DATA, help="folder holding the MOT sequences")
    ap.add_argument("--bank", type=Path, default=BANK)
    ap.add_argument("--sequences", default="", help="comma-separated sequence names (default: every one in the bank)")
    ap.add_argument("--limit", type=int, default=None, help="ask at most N questions per sequence, spread over the kinds")
    ap.add_argument("--show-wrong", action="store_true", help="print every wrong answer")
    ap.add_argument("--timeout", type=float, default=1800.0, help="seconds allowed for one run of one sequence")
    ap.add_argument("--ground-truth-row", action="store_true",
                    help="add an upper-bound row with the gt/ boxes as detections (how much is left once detection is solved)")
    ap.add_argument("--detector-row", metavar="NAME", action="append", default=[],
                    help="add a row with --detector NAME on every sequence (e.g. people: what a user with only the "
                         "video gets, since the default row uses each MOT folder's det/det.txt)")
    args = ap.parse_args()
    bank = json.loads(args.bank.read_text(encoding="utf-8"))["items"]
    names = [s for s in args.sequences.split(",") if s] or list(dict.fromkeys(it["sequence"] for it in bank))
    missing = [s for s in names if not (args.data / s / "gt" / "gt.txt").is_file()]
    if missing:
        sys.exit(f"sequences not found under {args.data}: {', '.join(missing)} (pass --data)")
    chosen = select(bank, names, args.limit)
    print(f"{sum(map(len, chosen.values()))} questions on {', '.join(f'{s} ({len(v)})' for s, v in chosen.items())}")
    t0 = time.perf_counter()
    default = (0, 0)
    with tempfile.TemporaryDirectory(prefix="qa-real-gt-") as gt_dir:
        table = rows(has_detector_flag())
        if args.ground_truth_row and table[-1].flags is not None:
            table.append(ground_truth_row(args.data, names, Path(gt_dir)))
        table += [Row(f"detector {name}", ["--detector", name]) for name in args.detector_row if table[-1].flags is not None]
        for row in table:
            if row.flags is None:
                print(f"== row: {row.name}: skipped ({row.why_skipped})")
                continue
            result = score_row(row, args.data, chosen, args.timeout, args.show_wrong)
            default = result if row.name == "default" else default
    print(f"total wall {time.perf_counter() - t0:.1f} s")
    k, n = default
    print(f"accuracy: {k / max(n, 1):.3f} ({k}/{n})")


if __name__ == "__main__":
    main()
