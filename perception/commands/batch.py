"""`batch`: run the pipeline over many recordings, resumably, on a local process pool or a Ray cluster."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from tqdm import tqdm

from perception.batch import ENGINES, BatchConfig, BatchSummary, resolve_inputs, run_batch
from perception.batch.manifest import MANIFEST_NAME, RESERVED_NAMES
from perception.commands.common import add_pipeline_options, check_outputs, options_from_args, write_summary_json
from perception.commands.validate import float_in, frame_count, int_in
from perception.io.exports import TRACK_FORMATS
from perception.io.safe_text import one_line
from perception.types import InputError


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `batch` command."""
    p = sub.add_parser("batch", help="process many recordings into an output folder (resumable; local or Ray)")
    p.add_argument("--inputs", nargs="+", required=True, metavar="INPUT",
                   help="globs ('videos/**/*.mp4'), list files (.txt/.lst, one path a line) or recording paths")
    p.add_argument("--out", required=True, metavar="FOLDER", help="output folder (one subfolder per recording + manifest)")
    p.add_argument("--engine", choices=ENGINES, default="local", help="local process pool (default) or Ray")
    p.add_argument("--ray-address", metavar="ADDR",
                   help="Ray cluster to join: auto | HOST:PORT | ray://HOST:PORT (default: start a local Ray)")
    p.add_argument("--workers", type=int_in(1, 1024), metavar="N",
                   help="parallel recordings (local default: one per core; ray default: as resources allow)")
    p.add_argument("--cpus-per-task", type=float_in(0, 1024, lo_open=True), default=1.0, metavar="C", help="Ray CPU hint per recording")
    p.add_argument("--gpus-per-task", type=float_in(0, 64), default=0.0, metavar="G",
                   help="Ray GPU hint per recording (e.g. 1 or 0.5 with a SAM segmenter)")
    p.add_argument("--max-frames", type=frame_count, metavar="N", help="process at most N frames of each recording")
    add_pipeline_options(p)
    p.add_argument("--format", choices=TRACK_FORMATS, default="mot", help="track file format (default mot)")
    p.add_argument("--on-error", choices=["continue", "stop"], default="continue",
                   help="when a stage fails on a frame: report and continue (default) or fail that recording")
    p.add_argument("--overwrite", action="store_true", help="replace an existing --summary-json file")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.add_argument("--summary-json", metavar="PATH",
                   help="write the batch summary (counts, frames, fps overall, slowest recordings, failures) as JSON")
    p.set_defaults(handler=batch_command)


class BatchProgress:
    """One tqdm bar over the recordings to process, with done/failed/frame counts."""

    def __init__(self, quiet: bool):
        self.quiet = quiet
        self._bar: tqdm | None = None
        self._summary = BatchSummary()

    def plan(self, to_run: int, skipped: int) -> None:
        """Open the bar once the work is known."""
        if skipped:
            print(f"skipping {skipped} finished recording(s)", file=sys.stderr)
        self._bar = tqdm(total=to_run, unit="rec", desc="batch", disable=self.quiet, file=sys.stderr,
                         dynamic_ncols=True)

    def __call__(self, record: dict) -> None:
        if record["status"] == "skipped" or self._bar is None:
            return
        self._summary.add(record)
        self._bar.set_postfix(done=self._summary.done, failed=self._summary.failed, frames=self._summary.frames)
        self._bar.update(1)
        if record["status"] == "failed":
            self._bar.write(f"failed: {one_line(record['input'])}: {one_line(record['error'])}", file=sys.stderr)

    def close(self) -> None:
        """Remove the bar."""
        if self._bar is not None:
            self._bar.close()


def print_batch_summary(summary: BatchSummary) -> dict:
    """Print the batch totals and slowest recordings to stdout; return the summary as a dict."""
    d = summary.to_dict()
    print(f"recordings: {d['done']} done, {d['failed']} failed, {d['skipped']} skipped")
    print(f"frames: {d['frames']}  fps overall: {d['fps']:.1f}  wall: {d['wall_s']:.1f}s")
    if d["slowest"]:
        print("slowest:")
        for r in d["slowest"]:
            print(f"  {r['task_s'] or 0:8.2f} s  {r['frames']:6d} frames  {r['status']:<6}  {one_line(r['input'])}")
    for f in d["failures"]:
        print(f"failed: {one_line(f['input'])}: {one_line(f['error'])}")
    return d


def batch_command(args: argparse.Namespace) -> int:
    """Run the batch; exit 0 when every recording is done or skipped, 1 when any failed."""
    if args.engine == "local" and (args.ray_address or args.gpus_per_task or args.cpus_per_task != 1.0):
        raise InputError("--ray-address, --cpus-per-task and --gpus-per-task need --engine ray")
    _check_tracker(args.tracker)
    inputs = resolve_inputs(args.inputs)
    check_outputs({"--summary-json": args.summary_json}, inputs=inputs, overwrite=args.overwrite)
    if args.sam_checkpoint:  # workers may run in other folders or on other nodes
        args.sam_checkpoint = os.path.abspath(args.sam_checkpoint)
    config = BatchConfig(inputs=inputs, out_dir=args.out, options=options_from_args(args),
                         tracks_format=args.format, max_frames=args.max_frames, engine=args.engine,
                         workers=args.workers, ray_address=args.ray_address, cpus_per_task=args.cpus_per_task,
                         gpus_per_task=args.gpus_per_task)
    _check_summary_place(args.summary_json, config)
    progress = BatchProgress(args.quiet)
    try:
        summary = run_batch(config, progress.plan, progress)
    except KeyboardInterrupt:
        print(f"interrupted: finished recordings are kept; re-run the same command to resume "
              f"(see {args.out}/{MANIFEST_NAME})", file=sys.stderr)
        raise
    finally:
        progress.close()
    write_summary_json(args.summary_json, print_batch_summary(summary))
    print(f"manifest: {args.out}/{MANIFEST_NAME}")
    return 1 if summary.failed else 0


def _check_summary_place(path: str | None, config: BatchConfig) -> None:
    """Refuse a --summary-json that would take the name of the manifest or of a recording's folder in --out."""
    if not path or Path(path).resolve().parent != Path(config.out_dir).resolve():
        return
    taken = {*RESERVED_NAMES, *(task.key for task in config.tasks())}
    if Path(path).name in taken:
        raise InputError(f"--summary-json {path} would take the name of a batch file or recording folder in --out")


def _check_tracker(name: str) -> None:
    """Fail before any work on a tracker name no worker could build."""
    from trackers.registry import TRACKERS

    if name != "none" and name not in TRACKERS:
        raise InputError(f"unknown tracker '{name}'; choose one of: none, {', '.join(sorted(TRACKERS))}")
