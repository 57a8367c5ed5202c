"""Score MOTChallenge tracks against ground truth with TrackEval (MOT15 conventions: no class column).

Inputs are a gt.txt file, a sequence folder (``<seq>/gt/gt.txt``) or a folder of sequence folders, and
a tracks file or a folder of ``<seq>.txt`` files. Both sides are read through perception.io.mot.read_mot
(so bad files fail with one clear message) and rewritten into a scratch TrackEval layout.
"""

from __future__ import annotations

import configparser
import contextlib
import io
import os
import tempfile
from pathlib import Path

import numpy as np

from perception.io.mot import MotTable, read_mot, write_mot
from perception.types import InputError

METRICS = ("HOTA", "DetA", "AssA", "MOTA", "IDF1", "IDsw")

INSTALL_HINT = ("pip install 'perception-studio[evaluate]' && pip install --no-deps trackeval==1.3.0 "
                "(TrackEval's own pins pull opencv-python, whose Qt plugins clash with PySide6)")


def _import_trackeval():
    """The trackeval module, or InputError saying how to install it."""
    try:
        with contextlib.redirect_stdout(io.StringIO()):  # trackeval prints about optional extras on import
            import trackeval
    except ImportError as exc:
        raise InputError(f"evaluation needs TrackEval, which is not installed ({exc.name or exc}): {INSTALL_HINT}") from None
    return trackeval


def _sequences(gt_path: Path) -> dict[str, Path]:
    """Sequence name -> its gt.txt, for a file, a sequence folder or a folder of sequences."""
    if gt_path.is_file():
        name = gt_path.parent.parent.name if gt_path.parent.name == "gt" else gt_path.stem
        return {name: gt_path}
    if not gt_path.is_dir():
        raise InputError(f"ground truth not found: {gt_path}")
    if (gt_path / "gt" / "gt.txt").is_file():
        return {gt_path.name: gt_path / "gt" / "gt.txt"}
    seqs = {p.name: p / "gt" / "gt.txt" for p in sorted(gt_path.iterdir()) if (p / "gt" / "gt.txt").is_file()}
    if not seqs:
        raise InputError(f"no <sequence>/gt/gt.txt found under {gt_path}")
    return seqs


def _track_file(tracks_path: Path, seq: str, single: bool) -> Path:
    if tracks_path.is_file():
        if not single:
            raise InputError(f"{tracks_path} is one file but the ground truth has several sequences; give a folder")
        return tracks_path
    candidate = tracks_path / f"{seq}.txt"
    if not candidate.is_file():
        raise InputError(f"tracks for sequence '{seq}' not found: {candidate}")
    return candidate


def _length(gt_file: Path, gt: MotTable, tracks: MotTable) -> int:
    """The sequence length TrackEval needs: seqLength from seqinfo.ini, but never past the last frame with a box
    (empty trailing frames change no metric, and a seqLength of billions would take TrackEval forever)."""
    last = max([int(t.frames.max()) for t in (gt, tracks) if len(t)], default=1)
    ini = gt_file.parent.parent / "seqinfo.ini"
    if gt_file.parent.name == "gt" and ini.is_file():
        cfg = configparser.ConfigParser(interpolation=None)
        with contextlib.suppress(configparser.Error, UnicodeDecodeError, OSError, KeyError, ValueError):
            cfg.read(ini, encoding="utf-8")
            return max(1, min(int(cfg["Sequence"]["seqLength"]), last))
    return last


def _metrics(res: dict) -> dict[str, float]:
    hota, clear, ident = res["HOTA"], res["CLEAR"], res["Identity"]
    return {"HOTA": float(np.mean(hota["HOTA"])), "DetA": float(np.mean(hota["DetA"])),
            "AssA": float(np.mean(hota["AssA"])), "MOTA": float(clear["MOTA"]), "IDF1": float(ident["IDF1"]),
            "IDsw": int(clear["IDSW"])}


def evaluate_mot(gt_path: str | os.PathLike[str], tracks_path: str | os.PathLike[str]) -> dict:
    """``{"sequences": {name: metrics}, "combined": metrics, "warnings": [...]}``; metrics as in METRICS
    (HOTA, DetA, AssA, MOTA, IDF1 as fractions in [0, 1]; IDsw a count)."""
    trackeval = _import_trackeval()
    gt_path, tracks_path = Path(gt_path), Path(tracks_path)
    if not tracks_path.exists():
        raise InputError(f"tracks not found: {tracks_path}")
    seqs = _sequences(gt_path)
    warnings: list[str] = []
    with tempfile.TemporaryDirectory(prefix="trackeval-") as tmp:
        root = Path(tmp)
        seq_info: dict[str, int] = {}
        for seq, gt_file in seqs.items():
            gt = read_mot(gt_file)
            tr = read_mot(_track_file(tracks_path, seq, len(seqs) == 1))
            warnings += gt.warnings + tr.warnings
            (root / "gt" / seq / "gt").mkdir(parents=True)
            (root / "trackers" / "tracker" / "data").mkdir(parents=True, exist_ok=True)
            write_mot(root / "gt" / seq / "gt" / "gt.txt", gt.frames, gt.ids, gt.xywh, gt.scores)
            write_mot(root / "trackers" / "tracker" / "data" / f"{seq}.txt", tr.frames, tr.ids, tr.xywh, tr.scores)
            seq_info[seq] = _length(gt_file, gt, tr)
        eval_cfg = {"USE_PARALLEL": False, "PRINT_RESULTS": False, "PRINT_CONFIG": False, "TIME_PROGRESS": False,
                    "OUTPUT_SUMMARY": False, "OUTPUT_DETAILED": False, "PLOT_CURVES": False,
                    "OUTPUT_EMPTY_CLASSES": False, "DISPLAY_LESS_PROGRESS": True, "LOG_ON_ERROR": None,
                    "BREAK_ON_ERROR": True, "RETURN_ON_ERROR": False}
        data_cfg = {"GT_FOLDER": str(root / "gt"), "TRACKERS_FOLDER": str(root / "trackers"),
                    "BENCHMARK": "MOT15", "SKIP_SPLIT_FOL": True, "SEQ_INFO": seq_info,
                    "TRACKERS_TO_EVAL": ["tracker"], "PRINT_CONFIG": False, "DO_PREPROC": False}
        metrics = [trackeval.metrics.HOTA({"PRINT_CONFIG": False}),
                   trackeval.metrics.CLEAR({"PRINT_CONFIG": False}),
                   trackeval.metrics.Identity({"PRINT_CONFIG": False})]
        with contextlib.redirect_stdout(io.StringIO()):
            try:
                evaluator = trackeval.Evaluator(eval_cfg)
                dataset = trackeval.datasets.MotChallenge2DBox(data_cfg)
                out, _ = evaluator.evaluate([dataset], metrics)
            except trackeval.utils.TrackEvalException as exc:
                raise InputError(f"TrackEval could not score these files: {' '.join(str(exc).split())}") from None
            except (ValueError, IndexError, KeyError, TypeError, ZeroDivisionError) as exc:
                raise InputError(f"TrackEval failed on these files ({type(exc).__name__}: "
                                 f"{' '.join(str(exc).split())[:200]})") from None
    res = out["MotChallenge2DBox"]["tracker"]
    per_seq = {seq: _metrics(res[seq]["pedestrian"]) for seq in seqs}
    return {"sequences": per_seq, "combined": _metrics(res["COMBINED_SEQ"]["pedestrian"]), "warnings": warnings}


def evaluate_points(gt: list[tuple[np.ndarray, np.ndarray]], tracks: list[tuple[np.ndarray, np.ndarray]],
                    max_distance: float = 0.5) -> dict[str, float]:
    """Metrics (as in METRICS) of 3D tracks: per frame ``(ids (N,), centres (N, 3))`` for truth and tracks.

    TrackEval's HOTA/CLEAR/Identity run on the similarity ``1 - d / (2 max_distance)``, so a match at
    the CLEAR threshold 0.5 means a centre within ``max_distance`` metres."""
    trackeval = _import_trackeval()
    if len(gt) != len(tracks):
        raise InputError(f"ground truth has {len(gt)} frames but tracks have {len(tracks)}")

    def relabel(frames: list[tuple[np.ndarray, np.ndarray]]) -> tuple[list[np.ndarray], int]:
        uniq = np.unique(np.concatenate([np.asarray(f[0], np.int64) for f in frames] + [np.zeros(0, np.int64)]))
        return [np.searchsorted(uniq, np.asarray(f[0], np.int64)) for f in frames], len(uniq)

    gt_ids, n_gt = relabel(gt)
    tr_ids, n_tr = relabel(tracks)
    sims = []
    for (_, g), (_, t) in zip(gt, tracks):
        g, t = np.asarray(g, float).reshape(-1, 3), np.asarray(t, float).reshape(-1, 3)
        d = np.linalg.norm(g[:, None] - t[None], axis=2)
        sims.append(np.clip(1.0 - d / (2 * max_distance), 0.0, 1.0))
    data = {"num_timesteps": len(gt), "num_gt_ids": n_gt, "num_tracker_ids": n_tr,
            "num_gt_dets": int(sum(len(i) for i in gt_ids)), "num_tracker_dets": int(sum(len(i) for i in tr_ids)),
            "gt_ids": gt_ids, "tracker_ids": tr_ids, "similarity_scores": sims}
    res = {}
    with contextlib.redirect_stdout(io.StringIO()):
        for metric in (trackeval.metrics.HOTA(), trackeval.metrics.CLEAR(), trackeval.metrics.Identity()):
            res[metric.get_name()] = metric.eval_sequence(data)
    return _metrics(res)
