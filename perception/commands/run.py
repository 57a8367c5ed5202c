"""`run`: stream a source through the pipeline headlessly, with a progress bar, summary, exports and questions."""

from __future__ import annotations

import argparse
import sys

from perception.commands.common import (
    ProgressBar,
    add_pipeline_options,
    add_summary_json,
    check_outputs,
    options_from_args,
    print_summary,
    write_summary_json,
)
from perception.commands.validate import float_in, frame_count
from perception.io.exports import TRACK_FORMATS, format_for
from perception.io.safe_text import printable
from perception.memory.run import format_answer
from perception.pipeline.session import SessionOutputs, run_session
from perception.types import InputError

MAX_ANSWER_TIMEOUT_S = 3600.0


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `run` command."""
    p = sub.add_parser("run", help="run the pipeline on a source (webcam:N, video file, folder, sample, synthetic:NAME)")
    p.add_argument("--source", default="sample", help="webcam:0 | file.mp4 | image/MOT/RGB-D folder | sample | synthetic:NAME")
    p.add_argument("--max-frames", type=frame_count, metavar="N", help="stop after N frames")
    add_pipeline_options(p)
    p.add_argument("--export-tracks", metavar="PATH", help="write tracks (format from --format or the extension)")
    p.add_argument("--format", choices=TRACK_FORMATS, help="track export format")
    p.add_argument("--export-map", metavar="PATH", help="write the 3D instance map as PLY (xyz, rgb, instance id)")
    p.add_argument("--export-instances", metavar="PATH", help="write the 3D instances as JSON")
    p.add_argument("--export-mesh", metavar="PATH",
                   help="fuse the RGB-D frames into a TSDF and write its triangle mesh as PLY (xyz, rgb, faces)")
    p.add_argument("--ask", action="append", metavar="QUESTION", help="a question answered at the end (repeatable)")
    p.add_argument("--questions", metavar="FILE", help="JSON list of {question, t}: answered online when the stream reaches t")
    p.add_argument("--answers", metavar="PATH", help="write the answers with citations as JSON")
    p.add_argument("--answer-backend", default="builtin",
                   help="builtin | openai | llamacpp | vllm | ollama-openai | ollama | transformers")
    p.add_argument("--answer-url", metavar="URL", help="endpoint base URL (or a local model folder for transformers)")
    p.add_argument("--answer-model", metavar="NAME", help="model name the endpoint serves")
    p.add_argument("--api-key-env", metavar="VAR", help="environment variable holding the endpoint's API key")
    p.add_argument("--answer-timeout", type=float_in(0, MAX_ANSWER_TIMEOUT_S, lo_open=True), default=60.0, metavar="S",
                   help="overall deadline of one answer in seconds (connect and whole reply; default 60)")
    p.add_argument("--realtime", nargs="?", type=float_in(0, 1000, lo_open=True), const=1.0, metavar="SPEED",
                   help="pace file sources at their native fps (x SPEED); default: as fast as possible")
    p.add_argument("--on-error", choices=["continue", "stop"], default="continue",
                   help="when a stage fails on a frame: report and continue (default) or stop")
    p.add_argument("--overwrite", action="store_true", help="replace existing output files")
    p.add_argument("--concurrent", action=argparse.BooleanOptionalAction, default=True,
                   help="run the source and each stage on its own thread (same results; --no-concurrent: one thread)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    add_summary_json(p)
    p.set_defaults(handler=run_command)


def _memory_options(args: argparse.Namespace) -> dict:
    """Questions and answer backend for the memory stage."""
    return {"ask": args.ask, "questions": args.questions, "backend": args.answer_backend, "url": args.answer_url,
            "model": args.answer_model, "api_key_env": args.api_key_env, "timeout_s": args.answer_timeout}


def run_command(args: argparse.Namespace) -> int:
    """Run one session with a progress bar; print and optionally save its summary and answers."""
    if args.export_tracks:
        format_for(args.export_tracks, args.format)
    check_outputs({"--export-tracks": args.export_tracks, "--export-map": args.export_map,
                   "--export-instances": args.export_instances, "--export-mesh": args.export_mesh,
                   "--answers": args.answers, "--summary-json": args.summary_json},
                  inputs=[args.source, args.questions], overwrite=args.overwrite)
    options = options_from_args(args)
    options.mesh = bool(args.export_mesh)
    if (args.ask or args.questions) and not args.memory:
        raise InputError("--ask/--questions need the streaming memory (drop --no-memory)")
    if args.answers and not (args.ask or args.questions):
        raise InputError("--answers needs questions to answer (--ask or --questions)")
    if args.memory:
        options.memory_options = _memory_options(args)
    outputs = SessionOutputs(tracks=args.export_tracks, tracks_format=args.format, map_ply=args.export_map,
                             instances_json=args.export_instances, answers_json=args.answers, mesh_ply=args.export_mesh,
                             overwrite=args.overwrite)
    progress = ProgressBar(args.quiet, args.max_frames)
    try:
        session = run_session(args.source, options, outputs, args.max_frames, progress, args.realtime, progress.start,
                              concurrent=args.concurrent)
    except KeyboardInterrupt:
        if outputs.paths():
            print(f"interrupted: outputs so far written to {', '.join(map(str, outputs.paths()))}", file=sys.stderr)
        raise
    finally:
        progress.close()
    summary = print_summary(session.summary())
    for a in session.answers:
        print(printable(format_answer(a)))
    write_summary_json(args.summary_json, summary)
    for p in session.written:
        print(f"wrote {p}")
    if session.mesh:
        print(f"mesh: {session.mesh['vertices']} vertices, {session.mesh['triangles']} triangles")
    return 1 if session.stats.source_error else 0
