"""ScanNet-style class-agnostic evaluation of the online map against ground-truth points of any RGB-D folder.

Each ground-truth point takes the instance of the nearest map point within ``radius``; AP at IoU 0.25/0.5 is
computed on those points with predictions ranked by the map's confidence, plus each object's best IoU.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
from scipy.spatial import cKDTree

from perception.map3d.evaluate import instance_ap
from perception.map3d.gt_points import GTFuser, find_label_dir, load_gt_points, read_label_image
from perception.types import InputError

MIN_GT_POINTS = 100


def transfer_labels(gt_xyz: np.ndarray, map_xyz: np.ndarray, map_ids: np.ndarray, radius: float = 0.05) -> np.ndarray:
    """Instance of the nearest map point within ``radius`` of each ground-truth point (0: none)."""
    if len(map_xyz) == 0 or len(gt_xyz) == 0:
        return np.zeros(len(gt_xyz), np.int64)
    dist, idx = cKDTree(map_xyz).query(gt_xyz, distance_upper_bound=radius)
    out = np.zeros(len(gt_xyz), np.int64)
    hit = np.isfinite(dist)
    out[hit] = map_ids[idx[hit]]
    return out


def best_ious(gt: np.ndarray, pred: np.ndarray) -> dict[int, float]:
    """Each ground-truth instance's best IoU with any predicted instance, on the same points."""
    out = {}
    for g in np.unique(gt[gt > 0]).tolist():
        on = gt == g
        ids, inter = np.unique(pred[on & (pred > 0)], return_counts=True)
        if len(ids) == 0:
            out[g] = 0.0
            continue
        sizes = np.array([(pred == i).sum() for i in ids.tolist()])
        out[g] = float(np.max(inter / (on.sum() + sizes - inter)))
    return out


def point_metrics(gt_xyz: np.ndarray, gt_ids: np.ndarray, map_xyz: np.ndarray, map_ids: np.ndarray,
                  scores: dict[int, float], radius: float = 0.05) -> dict:
    """AP25/AP50/AP (mean over IoU 0.5:0.95) and best IoU per object, on the ground-truth points."""
    pred = transfer_labels(gt_xyz, map_xyz, map_ids, radius)
    g_ids, g_n = np.unique(gt_ids[gt_ids > 0], return_counts=True)
    kept = g_ids[g_n >= MIN_GT_POINTS]
    aps = [instance_ap(gt_ids, pred, scores, t, min_gt_points=MIN_GT_POINTS) for t in np.arange(0.5, 0.951, 0.05)]
    ious = best_ious(gt_ids, pred)
    return {"ap": float(np.mean(aps)), "ap50": aps[0],
            "ap25": instance_ap(gt_ids, pred, scores, 0.25, min_gt_points=MIN_GT_POINTS),
            "gt_instances": int(len(kept)), "pred_instances": int(len(np.unique(pred[pred > 0]))),
            "best_iou": {int(g): round(ious[g], 4) for g in kept.tolist()}}


def resolve_gt(folder: Path, gt: str | Path | None) -> tuple[Path, str]:
    """(path, kind) of the ground truth: an npz of points, or a folder of per-frame label images."""
    if gt is not None:
        path = Path(gt).expanduser()
        if path.is_file() and path.suffix == ".npz":
            return path, "points"
        if path.is_dir():
            return path, "labels"
        raise InputError(f"--gt '{gt}' is neither a points .npz nor a folder of label images")
    if (folder / "gt_points.npz").is_file():
        return folder / "gt_points.npz", "points"
    labels = find_label_dir(folder)
    if labels is None:
        raise InputError(f"{folder} has no gt_points.npz, instance-filt/ or instance/ ground truth (give --gt)")
    return labels, "labels"


def evaluate_source(folder: str | Path, segmenter, gt: str | Path | None = None, map_config=None,
                    max_frames: int | None = None, use_odometry: bool = False, radius: float = 0.05) -> dict:
    """Run segmenter + online map over an RGB-D folder and score the final map against its ground truth."""
    from perception.map3d.stage import Map3DStage
    from perception.segmentation.stage import SegmentStage
    from perception.sources import open_source
    from perception.types import FrameResult

    folder = Path(folder).expanduser()
    gt_path, kind = resolve_gt(folder, gt)
    seg_stage, map_stage = SegmentStage(segmenter), Map3DStage(map_config, odometry=True)
    fuser = GTFuser() if kind == "labels" else None
    t_seg = t_map = 0.0
    frames = 0
    with open_source(str(folder)) as src:
        for packet in src:
            if max_frames is not None and frames >= max_frames:
                break
            if fuser is not None and packet.depth is not None and packet.pose is not None:
                lab_file = gt_path / f"{packet.index}.png"
                if lab_file.is_file():
                    fuser.add(read_label_image(lab_file, packet.depth.shape), packet.depth, packet.intrinsics,
                              packet.pose)
            if use_odometry:
                packet.pose = None
            result = FrameResult(packet)
            t0 = time.perf_counter()
            result = seg_stage.process(result)
            t1 = time.perf_counter()
            map_stage.process(result)
            t_seg, t_map, frames = t_seg + t1 - t0, t_map + time.perf_counter() - t1, frames + 1
    gt_xyz, gt_ids = fuser.points() if fuser is not None else load_gt_points(gt_path)
    if not (gt_ids > 0).any():
        raise InputError(f"ground truth {gt_path} labels no object")
    map_stage.settle()  # the map as the run ends: a denoise pass spread over frames finishes first
    m = map_stage.map
    map_xyz, _rgb, map_ids = m.points()
    scores = {i: c["confidence"] for i, c in m.confidences().items()}
    out = point_metrics(gt_xyz, gt_ids, map_xyz.astype(np.float64), map_ids, scores, radius)
    out.update({"frames": frames, "gt": str(gt_path), "voxel": m.voxel, "map_instances": len(m.info),
                "segment_ms": 1e3 * t_seg / max(frames, 1), "map_ms": 1e3 * t_map / max(frames, 1),
                "skipped_frames": map_stage.skipped})
    return out
