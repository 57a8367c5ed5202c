"""`evaluate`: score MOTChallenge tracks against ground truth with TrackEval (MOT15 conventions)."""

from __future__ import annotations

import argparse
import json

from perception.commands.common import check_outputs
from perception.io.atomic import atomic_write_text
from perception.io.safe_text import one_line


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `evaluate` command."""
    p = sub.add_parser("evaluate", help="HOTA, DetA, AssA, MOTA, IDF1, IDsw of tracks against ground truth")
    p.add_argument("--gt", required=True, metavar="PATH",
                   help="gt.txt, a MOT sequence folder, or a folder of sequence folders")
    p.add_argument("--tracks", required=True, metavar="PATH",
                   help="tracks .txt (one sequence) or a folder of <sequence>.txt files")
    p.add_argument("--summary-json", metavar="PATH", help="also write the metrics as JSON")
    p.add_argument("--overwrite", action="store_true", help="replace an existing summary file")
    p.set_defaults(handler=evaluate_command)


def _row(name: str, m: dict) -> str:
    return (f"{one_line(name):<24} {100 * m['HOTA']:6.2f} {100 * m['DetA']:6.2f} {100 * m['AssA']:6.2f} "
            f"{100 * m['MOTA']:6.2f} {100 * m['IDF1']:6.2f} {m['IDsw']:5d}")


def evaluate_command(args: argparse.Namespace) -> int:
    """Print a per-sequence and combined table; write JSON when asked."""
    from trackers.evaluation import evaluate_mot

    check_outputs({"--summary-json": args.summary_json}, inputs=[args.gt, args.tracks], overwrite=args.overwrite)
    res = evaluate_mot(args.gt, args.tracks)
    for w in res["warnings"]:
        print(f"warning: {one_line(w)}")
    print(f"{'sequence':<24} {'HOTA':>6} {'DetA':>6} {'AssA':>6} {'MOTA':>6} {'IDF1':>6} {'IDsw':>5}")
    for seq, m in res["sequences"].items():
        print(_row(seq, m))
    if len(res["sequences"]) > 1:
        print(_row("COMBINED", res["combined"]))
    if args.summary_json:
        atomic_write_text(args.summary_json, json.dumps(res, indent=2) + "\n")
    return 0
