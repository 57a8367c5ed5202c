"""Pieces shared by the commands: progress bar, summary printing, summary JSON."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterable, Mapping

from tqdm import tqdm

from perception.io.atomic import atomic_write_text
from perception.io.paths import check_output_paths
from perception.io.safe_text import one_line
from perception.pipeline.factory import PipelineOptions
from perception.types import FrameResult, InputError, SourceInfo


def add_pipeline_options(parser: argparse.ArgumentParser) -> None:
    """The pipeline flags shared by `run` and `batch` (read back by ``options_from_args``)."""
    parser.add_argument("--detector", default="auto", metavar="NAME",
                        help="auto | none | motion | people | torchvision:MODEL | onnx:PATH | file:PATH (auto: cached torchvision "
                             "weights, else a MOT folder's det/det.txt, else people; none with depth)")
    parser.add_argument("--classes", metavar="A,B", help="keep only detections of these class names (e.g. person,car)")
    parser.add_argument("--labels", metavar="FILE", help="class names, one per line (onnx: and file: detectors)")
    parser.add_argument("--segmenter", default="auto",
                        help="auto (geometric with depth; rgb without, unless a detector runs) | geometric | rgb | sam "
                             "(prompted by the detector's boxes when one runs) | none")
    parser.add_argument("--sam-checkpoint", metavar="PATH", help="SAM checkpoint file (with --segmenter sam)")
    parser.add_argument("--sam-model", default="vit_b", choices=["vit_b", "vit_l", "vit_h"], help="SAM model type")
    parser.add_argument("--tracker", default="graph", help="2D tracker: graph | iou | none")
    parser.add_argument("--tracker-opt", metavar="KEY=VALUE", action="append", default=[],
                        help="a 2D tracker setting (repeatable), e.g. high_score=0.4; an unknown key lists them all")
    parser.add_argument("--map3d", dest="map3d", action="store_true", default=None, help="force the 3D map on")
    parser.add_argument("--no-3d", dest="map3d", action="store_false", help="turn the 3D map off")
    parser.add_argument("--no-memory", dest="memory", action="store_false", help="turn the streaming memory off")
    parser.add_argument("--map-every-frame", action="store_true",
                        help="fuse every frame into the 3D map and segment every frame (default: keyframes only, "
                             "and segments reused while the view is unchanged)")


def options_from_args(args: argparse.Namespace) -> PipelineOptions:
    """Pipeline options from the flags of ``add_pipeline_options`` (and ``--on-error``)."""
    segmenter_options = {}
    if args.segmenter == "sam":
        segmenter_options = {"checkpoint": args.sam_checkpoint, "variant": args.sam_model}
    return PipelineOptions(detector=_absolute_detector(args.detector), detector_options=_detector_options(args),
                           segmenter=args.segmenter, segmenter_options=segmenter_options, tracker=args.tracker,
                           tracker_options=tracker_options(args.tracker, args.tracker_opt),
                           map3d=args.map3d, memory=args.memory, on_error=args.on_error,
                           **({"keyframes": None, "segment_reuse": None} if args.map_every_frame else {}))



def tracker_options(tracker: str, pairs: list[str]) -> dict[str, object]:
    """``KEY=VALUE`` strings as the tracker's config fields, checked against its config now (before any work)."""
    from trackers.registry import CONFIGS

    options: dict[str, object] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise InputError(f"--tracker-opt takes KEY=VALUE, got {pair!r}")
        options[key.strip()] = value.strip()
    if not options or tracker == "none":
        return {}
    if tracker not in CONFIGS:
        raise InputError(f"unknown tracker '{tracker}'; choose one of: none, {', '.join(sorted(set(CONFIGS) - {'graph3d'}))}")
    config = CONFIGS[tracker].from_options(options)
    return {k: getattr(config, k) for k in options}


def _absolute_detector(name: str) -> str:
    """``onnx:``/``file:`` paths made absolute (batch workers may run elsewhere)."""
    kind, sep, arg = name.partition(":")
    return f"{kind}:{os.path.abspath(os.path.expanduser(arg))}" if sep and kind in ("onnx", "file") else name


def _detector_options(args: argparse.Namespace) -> dict:
    """``classes`` and ``labels`` for build_detector, from --classes and --labels."""
    options: dict = {}
    if args.classes:
        options["classes"] = [c.strip() for c in args.classes.split(",") if c.strip()]
    if args.labels:
        options["labels"] = os.path.abspath(args.labels)
    return options


def add_summary_json(parser) -> None:
    """The shared ``--summary-json PATH`` option."""
    parser.add_argument("--summary-json", metavar="PATH",
                        help="write the run summary (frames, fps, per-stage mean/p95 ms) as JSON")


class ProgressBar:
    """A tqdm bar on stderr, sized when the source is known, advanced once per frame."""

    def __init__(self, quiet: bool = False, max_frames: int | None = None):
        self.quiet, self.max_frames = quiet, max_frames
        self._bar: tqdm | None = None

    def start(self, info: SourceInfo) -> None:
        """Open the bar for a source."""
        total = info.length if self.max_frames is None else min(self.max_frames, info.length or self.max_frames)
        self._bar = tqdm(total=total, unit="frame", desc=info.name, disable=self.quiet, file=sys.stderr,
                         dynamic_ncols=True, leave=False)

    def __call__(self, _result: FrameResult) -> None:
        if self._bar is not None:
            self._bar.update(1)

    def close(self) -> None:
        """Remove the bar."""
        if self._bar is not None:
            self._bar.close()


def print_summary(summary: dict) -> dict:
    """Print a run summary (as made by RunStats.summary) to stdout; return it."""
    print(f"frames: {summary['frames']}  fps: {summary['fps']:.1f}  wall: {summary['wall_s']:.1f}s"
          + (f"  dropped: {summary['dropped']}" if summary["dropped"] else ""))
    if "detector" in summary:
        print(f"detector: {summary['detector']}")
    for name, s in summary["stages"].items():
        print(f"  {name:<12} mean {s['mean_ms']:8.2f} ms   p95 {s['p95_ms']:8.2f} ms")
    if summary.get("quality_changes"):
        print(f"quality under load: {summary['quality']} ({summary['quality_changes']} changes)")
    if summary.get("map_frames"):
        print(f"keyframes integrated: {summary['keyframes_integrated']} of {summary['map_frames']} frames")
    if summary["errors"]:
        print(f"stage errors: {summary['errors']} (first: {one_line(summary['first_errors'][0])})")
    if summary.get("source_error"):
        print(f"source stopped: {one_line(summary['source_error'])}")
    if summary.get("worker_error"):
        print(f"worker stopped: {one_line(summary['worker_error'])}")
    return summary


def write_summary_json(path: str | None, summary: dict) -> None:
    """Write the summary atomically when a path was given."""
    if path:
        atomic_write_text(path, json.dumps(summary, indent=2) + "\n")


def check_outputs(outputs: Mapping[str, str | None], inputs: Iterable[str | None] = (), overwrite: bool = False) -> None:
    """Fail fast, before any work, on the command's outputs (flag -> path) taken together: unwritable, existing
    without --overwrite, two flags on one file, or an output that is one of ``inputs``."""
    check_output_paths(outputs, inputs, overwrite)
