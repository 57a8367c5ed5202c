"""Class-agnostic 3D instance evaluation: ScanNet-style AP on map points, and per-object ID stability.

The reference map is built from the ground-truth instance images with the same lifting, voting and
free-space carving as the predicted map, so both describe the same voxels (moving objects included).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


def instance_ap(gt: np.ndarray, pred: np.ndarray, scores: dict[int, float], threshold: float,
                min_gt_points: int = 10, void_share: float = 0.5) -> float:
    """AP at one IoU threshold from per-point GT and predicted instance ids (0 = none).

    Predictions are matched greedily by descending score to the unmatched GT instance of highest
    IoU >= threshold. GT instances under ``min_gt_points`` points are ignored, as are predictions with
    more than ``void_share`` of their points on unlabelled or ignored GT (ScanNet convention).
    """
    g_ids, g_sizes = np.unique(gt[gt > 0], return_counts=True)
    ignored = set(g_ids[g_sizes < min_gt_points].tolist())
    g_sizes = dict(zip(g_ids.tolist(), g_sizes.tolist()))
    p_ids, p_sizes = np.unique(pred[pred > 0], return_counts=True)
    p_sizes = dict(zip(p_ids.tolist(), p_sizes.tolist()))
    both = (gt > 0) & (pred > 0)
    pairs, inter = np.unique(np.stack([pred[both], gt[both]], 1), axis=0, return_counts=True)
    overlaps: dict[int, list[tuple[int, float]]] = {}
    covered: dict[int, int] = {}
    for (p, g), c in zip(pairs.tolist(), inter.tolist()):
        if g in ignored:
            continue
        covered[p] = covered.get(p, 0) + c
        overlaps.setdefault(p, []).append((g, c / (p_sizes[p] + g_sizes[g] - c)))
    n_gt = len(g_sizes) - len(ignored)
    if n_gt == 0:
        return float("nan")
    matched: set[int] = set()
    tp: list[float] = []
    for p in sorted(p_sizes, key=lambda i: -scores.get(i, 0.0)):
        if covered.get(p, 0) < (1 - void_share) * p_sizes[p]:
            continue
        cands = [(iou, g) for g, iou in overlaps.get(p, []) if iou >= threshold and g not in matched]
        if cands:
            matched.add(max(cands)[1])
            tp.append(1.0)
        else:
            tp.append(0.0)
    if not tp:
        return 0.0
    tp_a = np.asarray(tp)
    tps = np.cumsum(tp_a)
    precision = tps / np.arange(1, len(tp_a) + 1)
    recall = tps / n_gt
    envelope = np.maximum.accumulate(precision[::-1])[::-1]
    steps = np.diff(np.concatenate([[0.0], recall]))
    return float(np.sum(envelope * steps))


@dataclass
class IdStability:
    """Counts, per ground-truth object, how often the map instance covering it changes over a sequence."""

    min_pixels: int = 400
    last: dict[int, int] = field(default_factory=dict)
    changes: dict[int, int] = field(default_factory=dict)

    def update(self, gt_ids: np.ndarray, pred_ids: np.ndarray) -> None:
        """One frame: HxW GT ids (0 none) and HxW predicted instance ids (<= 0 none)."""
        sel = (gt_ids > 0) & (pred_ids > 0)
        if not sel.any():
            return
        keys, counts = np.unique(gt_ids[sel].astype(np.int64) << 32 | pred_ids[sel].astype(np.int64), return_counts=True)
        g_counts = np.bincount(gt_ids[gt_ids > 0].ravel())
        g_total = {int(g): int(g_counts[g]) for g in np.flatnonzero(g_counts)}
        best: dict[int, tuple[int, int]] = {}
        for (g, p), c in zip(zip((keys >> 32).tolist(), (keys & 0xFFFFFFFF).tolist()), counts.tolist()):
            if c > best.get(g, (0, 0))[0]:
                best[g] = (c, p)
        for g, (c, p) in best.items():
            if g_total[g] < self.min_pixels or c < 0.5 * g_total[g]:
                continue
            if g in self.last and self.last[g] != p:
                self.changes[g] = self.changes.get(g, 0) + 1
            self.changes.setdefault(g, 0)
            self.last[g] = p

    def mean_changes(self, only: set[int] | None = None) -> float:
        """Average number of ID changes per tracked GT object (optionally only the ids in ``only``)."""
        vals = [v for k, v in self.changes.items() if only is None or k in only]
        return float(np.mean(vals)) if vals else float("nan")


def evaluate_rgbd_folder(folder, segmenter, use_odometry: bool = False, max_frames: int | None = None,
                         voxel: float | None = 0.025) -> dict:
    """Run segmenter + map over an RGB-D folder with ``instance/N.png`` ground truth; return the metrics.

    ``voxel`` None sizes both maps to the scene from the first frame (``lifting.scene_voxel``)."""
    import time
    from pathlib import Path

    import cv2

    from perception.lifting import LiftConfig
    from perception.map3d.instance_map import InstanceMap, MapConfig
    from perception.map3d.point_eval import best_ious
    from perception.map3d.stage import Map3DStage
    from perception.odometry import ate_rmse
    from perception.segmentation.stage import SegmentStage
    from perception.sources import open_source
    from perception.types import FrameResult, InputError

    folder = Path(folder)
    if voxel is None:
        from perception.lifting import scene_voxel

        with open_source(str(folder)) as src:
            first = src.read()
        voxel = scene_voxel(first.depth) if first is not None and first.depth is not None else 0.025
    cfg = MapConfig(lift=LiftConfig(voxel=voxel))
    seg_stage, map_stage = SegmentStage(segmenter), Map3DStage(cfg, odometry=True, instance_images=True)
    gt_map = InstanceMap(MapConfig(lift=LiftConfig(voxel=voxel)))
    stability = IdStability()
    est, ref = [], []
    t_seg = t_map = 0.0
    frames = 0
    with open_source(str(folder)) as src:
        for packet in src:
            if max_frames is not None and frames >= max_frames:
                break
            gt_img = cv2.imread(str(folder / "instance" / f"{packet.index}.png"), cv2.IMREAD_UNCHANGED)
            if gt_img is None:
                raise InputError(f"{folder} has no ground truth instance/{packet.index}.png")
            gt_pose = packet.pose
            if use_odometry:
                packet.pose = None
            result = FrameResult(packet)
            t0 = time.perf_counter()
            result = seg_stage.process(result)
            t1 = time.perf_counter()
            result = map_stage.process(result)
            t2 = time.perf_counter()
            t_seg, t_map = t_seg + t1 - t0, t_map + t2 - t1
            gt_lab = gt_img.astype(np.int32)
            gt_map.integrate(packet.index, packet.depth, packet.image, packet.intrinsics, gt_pose,
                             labels=gt_lab, n_segments=int(gt_lab.max()) + 1, assign=np.arange(int(gt_lab.max()) + 1))
            if result.instance_image is not None:
                stability.update(gt_lab, result.instance_image)
            if result.camera is not None and result.camera.pose is not None:
                est.append(result.camera.pose)
                ref.append(gt_pose)
            frames += 1
    map_stage.settle()  # the map as the run ends: a denoise pass spread over frames finishes first
    pred_map = map_stage.map
    keys = np.union1d(gt_map.store.keys[gt_map.store.label > 0], pred_map.store.keys[pred_map.store.label > 0])
    gt, pred = gt_map.label_of(keys), pred_map.label_of(keys)
    scores = {i: c["confidence"] for i, c in pred_map.confidences().items()}
    aps = [instance_ap(gt, pred, scores, t) for t in np.arange(0.5, 0.951, 0.05)]
    out = {"frames": frames, "ap25": instance_ap(gt, pred, scores, 0.25), "ap50": aps[0], "ap": float(np.mean(aps)),
           "id_changes_per_object": stability.mean_changes(),
           "id_changes_per_thing": stability.mean_changes(_things(folder)),
           "id_changes": {int(k): int(v) for k, v in stability.changes.items()}, "gt_instances": int(len(np.unique(gt[gt > 0]))),
           "pred_instances": int(len(np.unique(pred[pred > 0]))), "segment_ms": 1e3 * t_seg / max(frames, 1),
           "map_ms": 1e3 * t_map / max(frames, 1), "skipped_frames": map_stage.skipped, "voxel": voxel,
           "best_iou": {int(g): round(v, 4) for g, v in best_ious(gt, pred).items()}}
    if use_odometry and len(est) >= 3:
        out["ate_rmse_m"] = ate_rmse(np.stack(est), np.stack(ref))
    return out


def _things(folder) -> set[int] | None:
    """GT ids that are not room structure (floor, ceiling, walls), from gt_instances.json when present."""
    import json
    from pathlib import Path

    path = Path(folder) / "gt_instances.json"
    if not path.is_file():
        return None
    return {int(r["id"]) for r in json.loads(path.read_text())["instances"] if not r.get("structure", False)}
