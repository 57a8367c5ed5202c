"""`track`: run a tracker on a MOTChallenge sequence's public detections and export the tracks."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from perception.commands.common import ProgressBar, add_summary_json, check_outputs, print_summary, write_summary_json
from perception.io.exports import TRACK_FORMATS, TrackRecorder, format_for
from perception.io.mot import MotTable, read_mot
from perception.io.safe_text import one_line
from perception.pipeline.runner import Pipeline, run_pipeline
from perception.public_detections import PublicDetectionsStage
from perception.sources.base import FrameSource
from perception.sources.blank import BlankSource
from perception.sources.images import ImageFolderSource, read_seqinfo
from perception.sources.video import VideoFileSource
from perception.types import FrameResult, InputError
from trackers.registry import TRACKERS, build_tracker
from trackers.scores import normalise_scores
from trackers.stage import TrackerStage

MAX_BLANK_SIDE = 16384  # larger blank frames would take gigabytes each


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `track` command."""
    p = sub.add_parser("track", help="track a MOTChallenge sequence from its public detections")
    p.add_argument("--mot-seq", required=True, metavar="FOLDER", help="sequence folder with seqinfo.ini and det/det.txt")
    p.add_argument("--out", required=True, metavar="PATH", help="where to write the tracks")
    p.add_argument("--format", choices=TRACK_FORMATS, help="export format (default: from the extension, .txt = mot)")
    p.add_argument("--tracker", default="graph", choices=sorted(TRACKERS), help="tracker to run (default: graph)")
    p.add_argument("--video", metavar="FILE", help="read frames from this video instead of img1/")
    p.add_argument("--det", metavar="FILE", help="detections file (default: <seq>/det/det.txt)")
    p.add_argument("--overwrite", action="store_true", help="replace an existing output file")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    add_summary_json(p)
    p.set_defaults(handler=track_command)


def _frames(seq: Path, video: str | None, table: MotTable) -> FrameSource:
    """Frames from --video, else img1/, else blank frames of the sequence's size up to the last detection
    (boxes-only tracking: frames past it could hold no track, whatever seqLength says)."""
    info = read_seqinfo(seq)
    if video:
        return VideoFileSource(video)
    if info.img_dir.is_dir():
        return ImageFolderSource(seq)
    last = int(table.frames.max()) if len(table) else 0
    if last == 0:
        raise InputError(f"{seq} has no images and its detections are empty: nothing to track")
    if max(info.width, info.height) > MAX_BLANK_SIDE:
        raise InputError(f"{seq}/seqinfo.ini: image size {info.width}x{info.height} is implausible")
    return BlankSource(info.name, info.width, info.height, info.fps, min(info.length, last))


def track_command(args: argparse.Namespace) -> int:
    """Run the tracker over every frame of the sequence and export."""
    seq = Path(args.mot_seq)
    if not seq.is_dir():
        raise InputError(f"MOT sequence folder not found: {seq}")
    format_for(args.out, args.format)
    det_path = Path(args.det) if args.det else seq / "det" / "det.txt"
    check_outputs({"--out": args.out, "--summary-json": args.summary_json},
                  inputs=[det_path, args.video, seq / "seqinfo.ini"], overwrite=args.overwrite)
    table = read_mot(det_path)
    for w in table.warnings:
        print(f"warning: {one_line(w)}", file=sys.stderr)
    with _frames(seq, args.video, table) as source, TrackRecorder(spool_dir=Path(args.out).parent) as recorder:
        tracker = build_tracker(args.tracker, fps=source.info.fps)
        pipeline = Pipeline([PublicDetectionsStage(table, normalise_scores(table.scores)), TrackerStage(tracker)])
        progress = ProgressBar(args.quiet)
        progress.start(source.info)

        def on_result(result: FrameResult) -> None:
            recorder.add(result)
            progress(result)

        try:
            stats = run_pipeline(source, pipeline, on_result=on_result)
        finally:
            progress.close()
            recorder.write(args.out, args.format)
    summary = stats.summary()
    summary.update({"sequence": seq.name, "tracker": args.tracker, "track_rows": len(recorder)})
    print_summary(summary)
    write_summary_json(args.summary_json, summary)
    print(f"tracks: {len(recorder)} rows -> {args.out}")
    return 0
