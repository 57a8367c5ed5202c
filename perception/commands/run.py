"""`run`: stream a source through the pipeline headlessly, with a progress bar, summary and exports."""

from __future__ import annotations

import argparse
import sys

from perception.commands.common import ProgressBar, add_summary_json, check_outputs, print_summary, write_summary_json
from perception.io.exports import TRACK_FORMATS
from perception.pipeline.factory import PipelineOptions
from perception.pipeline.session import SessionOutputs, run_session


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `run` command."""
    p = sub.add_parser("run", help="run the pipeline on a source (webcam:N, video file, folder, sample, synthetic:NAME)")
    p.add_argument("--source", default="sample", help="webcam:0 | file.mp4 | image/MOT/RGB-D folder | sample | synthetic:NAME")
    p.add_argument("--max-frames", type=int, metavar="N", help="stop after N frames")
    p.add_argument("--tracker", default="graph", help="tracker name, or 'none'")
    p.add_argument("--segmenter", default="auto", help="segmenter name, 'auto' (by source) or 'none'")
    p.add_argument("--export-tracks", metavar="PATH", help="write tracks (format from --format or the extension)")
    p.add_argument("--format", choices=TRACK_FORMATS, help="track export format")
    p.add_argument("--realtime", nargs="?", type=float, const=1.0, metavar="SPEED",
                   help="pace file sources at their native fps (x SPEED); default: as fast as possible")
    p.add_argument("--on-error", choices=["continue", "stop"], default="continue",
                   help="when a stage fails on a frame: report and continue (default) or stop")
    p.add_argument("--overwrite", action="store_true", help="replace existing output files")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    add_summary_json(p)
    p.set_defaults(handler=run_command)


def run_command(args: argparse.Namespace) -> int:
    """Run one session with a progress bar; print and optionally save its summary."""
    check_outputs(args.summary_json, overwrite=args.overwrite)
    options = PipelineOptions(segmenter=args.segmenter, tracker=args.tracker, on_error=args.on_error)
    outputs = SessionOutputs(tracks=args.export_tracks, tracks_format=args.format, overwrite=args.overwrite)
    progress = ProgressBar(args.quiet, args.max_frames)
    try:
        session = run_session(args.source, options, outputs, args.max_frames, progress, args.realtime, progress.start)
    except KeyboardInterrupt:
        if outputs.paths():
            print(f"interrupted: outputs so far written to {', '.join(map(str, outputs.paths()))}", file=sys.stderr)
        raise
    finally:
        progress.close()
    summary = print_summary(session.summary())
    write_summary_json(args.summary_json, summary)
    for p in session.written:
        print(f"wrote {p}")
    return 0
