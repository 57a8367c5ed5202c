"""Detectors for plain video, side by side through the same graph tracker on every shared MOT sequence.

Rows: "rgb" (the colour segmenter's regions as detections, the old default), "motion" (MotionDetector),
"people" (PeopleDetector: motion fused with OpenCV's HOG people detector and the bundled person network, the
default for video), "people-hog" (the same without the network: what a checkout without the model file runs) and "public"
(the sequence's det/det.txt, scores normalised as for every tracker). Each run is the whole pipeline
(frame decoding + detection + graph tracker), inline, one frame at a time; FPS is frames / wall time of that run
(wall time on a shared machine is pessimistic); "det ms" and "dec ms" are the detector's and the frame decoder's
mean time per frame in that same run. Tracks are scored against gt/ with TrackEval (MOT15 conventions).
Run: OMP_NUM_THREADS=1 .venv/bin/python bench/detect_video.py [--methods rgb motion people people-hog public]
[--sequences ...]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from perception.detection.base import DetectStage  # noqa: E402
from perception.detection.motion import MotionDetector  # noqa: E402
from perception.detection.people import PeopleDetector  # noqa: E402
from perception.io.mot import read_mot, write_mot  # noqa: E402
from perception.pipeline.runner import Pipeline, run_pipeline  # noqa: E402
from perception.public_detections import PublicDetectionsStage  # noqa: E402
from perception.segmentation import SegmentStage, build_segmenter  # noqa: E402
from perception.sources import FrameSource, ImageFolderSource, VideoFileSource  # noqa: E402
from perception.testing.replay import sequence_info  # noqa: E402
from perception.types import FrameResult  # noqa: E402
from trackers.evaluation import evaluate_mot  # noqa: E402
from trackers.registry import build_tracker  # noqa: E402
from trackers.scores import normalise_scores  # noqa: E402
from trackers.stage import TrackerStage  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
# the shared data beside the repository (or beside the folder of git worktrees the repository sits in)
DATA = next((p for p in (REPO.parent / "shared/data/mot", REPO.parent.parent / "shared/data/mot") if p.is_dir()),
            REPO.parent / "shared/data/mot")
METHODS = ("rgb", "motion", "people", "people-hog", "public")
DEFAULT_METHODS = ("motion", "people", "people-hog", "public")


def shared_sequences(root: Path = DATA) -> list[Path]:
    """Every sequence folder under ``root`` with ground truth."""
    return sorted(p for p in root.iterdir() if (p / "gt" / "gt.txt").is_file()) if root.is_dir() else []


def open_sequence(seq_dir: Path) -> FrameSource:
    """The frames of a MOT sequence: its img1/ folder, or the video that seqinfo.ini names with ``video=``."""
    import configparser

    cfg = configparser.ConfigParser()
    cfg.read(seq_dir / "seqinfo.ini")
    video = cfg["Sequence"].get("video")
    if video:
        return VideoFileSource(seq_dir / video, fps=float(cfg["Sequence"]["frameRate"]))
    return ImageFolderSource(seq_dir)


def detection_stage(method: str, seq_dir: Path, **options):
    """The stage that fills ``result.detections`` for ``method``."""
    if method == "rgb":
        return SegmentStage(build_segmenter("rgb"))
    if method == "motion":
        return DetectStage(MotionDetector(**options))
    if method == "people":
        return DetectStage(PeopleDetector(**options))
    if method == "people-hog":
        return DetectStage(PeopleDetector(network=False, **options))
    if method == "public":
        table = read_mot(seq_dir / "det" / "det.txt")
        return PublicDetectionsStage(table, normalise_scores(table.scores))
    raise ValueError(f"unknown method {method!r}; choose from {METHODS}")


def run_method(method: str, seq_dir: Path, out_file: Path, detector_options: dict | None = None,
               tracker_options: dict | None = None) -> dict:
    """Run one method over one sequence, write its tracks to ``out_file``; frames, fps and detect ms."""
    fps = sequence_info(seq_dir).fps
    stage = detection_stage(method, seq_dir, **(detector_options or {}))
    pipe = Pipeline([stage, TrackerStage(build_tracker("graph", fps=fps, **(tracker_options or {})))])
    rows: list[tuple] = []
    moving = 0

    def collect(result: FrameResult) -> None:
        nonlocal moving
        t = result.tracks
        moving += bool(getattr(getattr(stage, "detector", None), "camera_moving", False))
        for box, tid, sc in zip(t.xyxy, t.ids, t.scores):
            rows.append((result.index + 1, int(tid), box[0], box[1], box[2] - box[0], box[3] - box[1], float(sc)))

    with open_sequence(seq_dir) as source:
        stats = run_pipeline(source, pipe, on_result=collect)
    pipe.close()
    arr = np.array(rows, dtype=float).reshape(-1, 7)
    write_mot(out_file, arr[:, 0].astype(int), arr[:, 1].astype(int), arr[:, 2:6], arr[:, 6])
    stages = stats.times.summary()
    det_ms = next((v["mean_ms"] for k, v in stages.items() if k != "tracker"), 0.0)
    trk_ms = stages.get("tracker", {}).get("mean_ms", 0.0)
    rest_ms = 1000.0 * stats.wall_s / max(stats.frames, 1) - det_ms - trk_ms
    return {"frames": stats.frames, "fps": stats.fps, "detect_ms": det_ms, "tracker_ms": trk_ms,
            "decode_ms": rest_ms, "camera_moving_frames": moving}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--methods", nargs="+", default=list(DEFAULT_METHODS), choices=METHODS)
    p.add_argument("--sequences", nargs="+", help="sequence names (default: every shared sequence)")
    p.add_argument("--data", type=Path, default=DATA, help="folder of MOT sequence folders")
    a = p.parse_args()
    seqs = [s for s in shared_sequences(a.data) if not a.sequences or s.name in a.sequences]
    if not seqs:
        print(f"no MOT sequences with gt/ under {a.data}")
        return 1
    print("Detectors for plain video through the graph tracker (same tracker defaults for every row).")
    print("FPS = frames / wall time of the whole inline pipeline (decode + detect + track), shared CPUs.")
    print("dec ms = wall time per frame not spent in detection or tracking: frame decoding and loop overhead.")
    print(f"{'sequence':<14} {'method':<10} {'HOTA':>6} {'DetA':>6} {'AssA':>6} {'MOTA':>7} {'IDF1':>6} {'IDsw':>5} "
          f"{'FPS':>6} {'det ms':>7} {'dec ms':>7} {'trk ms':>7}")
    with tempfile.TemporaryDirectory(prefix="detect-video-") as tmp:
        for method in a.methods:
            out = Path(tmp) / method
            out.mkdir()
            runs = {s.name: run_method(method, s, out / f"{s.name}.txt") for s in seqs}
            with tempfile.TemporaryDirectory(prefix="gt-") as gt_tmp:  # score only the sequences that were run
                for s in seqs:
                    os.symlink(s, Path(gt_tmp) / s.name)
                res = evaluate_mot(gt_tmp, out)
            for name, m in res["sequences"].items():
                r = runs[name]
                print(f"{name:<14} {method:<10} {100 * m['HOTA']:6.1f} {100 * m['DetA']:6.1f} {100 * m['AssA']:6.1f} "
                      f"{100 * m['MOTA']:7.1f} {100 * m['IDF1']:6.1f} {m['IDsw']:5d} {r['fps']:6.1f} "
                      f"{r['detect_ms']:7.1f} {r['decode_ms']:7.1f} {r['tracker_ms']:7.1f}")
            hota = [100 * m["HOTA"] for m in res["sequences"].values()]
            print(f"{'MEAN':<14} {method:<10} {np.mean(hota):6.1f}   (mean HOTA over the sequences)")
            if len(seqs) > 1:
                m = res["combined"]
                print(f"{'COMBINED':<14} {method:<10} {100 * m['HOTA']:6.1f} {100 * m['DetA']:6.1f} "
                      f"{100 * m['AssA']:6.1f} {100 * m['MOTA']:7.1f} {100 * m['IDF1']:6.1f} {m['IDsw']:5d}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
