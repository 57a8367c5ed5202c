"""`run`: stream a source through the pipeline headlessly, with a progress bar, summary and exports."""

from __future__ import annotations

import argparse

from perception.commands.common import (add_summary_json, check_outputs, print_summary, progress_callback,
                                        write_summary_json)
from perception.io.exports import TRACK_FORMATS, TrackRecorder, format_for
from perception.pipeline.factory import PipelineOptions, build_pipeline
from perception.pipeline.runner import run_pipeline
from perception.sources import open_source
from perception.types import FrameResult


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
    """Open the source, build the pipeline, stream, export; exports stay valid on Ctrl-C."""
    if args.export_tracks:
        format_for(args.export_tracks, args.format)
    check_outputs(args.export_tracks, args.summary_json, overwrite=args.overwrite)
    options = PipelineOptions(segmenter=args.segmenter, tracker=args.tracker, on_error=args.on_error)
    recorder = TrackRecorder()
    with open_source(args.source) as source:
        pipeline = build_pipeline(options, source.info)
        total = source.info.length if args.max_frames is None else min(args.max_frames, source.info.length or args.max_frames)
        tick, bar = progress_callback(total, args.quiet, source.info.name)

        def on_result(result: FrameResult) -> None:
            recorder.add(result)
            tick(result)

        interrupted = False
        try:
            stats = run_pipeline(source, pipeline, args.max_frames, on_result, pace_speed=args.realtime)
        except KeyboardInterrupt:
            interrupted = True
            raise
        finally:
            bar.close()
            pipeline.close()
            if args.export_tracks:
                recorder.write(args.export_tracks, args.format)
                if interrupted:
                    print(f"interrupted: tracks so far written to {args.export_tracks}")
    summary = print_summary(stats, {"source": source.info.name})
    write_summary_json(args.summary_json, summary)
    if args.export_tracks:
        print(f"tracks: {len(recorder)} rows -> {args.export_tracks}")
    return 0
