"""Sparse copies of a MOT sequence: a random share of its ground-truth people kept, the others painted over with
the scene's background. The same camera, the same people's sizes and the same light give a less crowded
sequence with exact ground truth: a stand-in for sparse footage of a camera whose one labelled recording is
crowded (PETS09-S2L2).

    .venv/bin/python bench/sparse_copy.py --sequence ../shared/data/mot/PETS09-S2L2 --out /tmp/sparse [--keep 0.35] [--seeds 1 2 3]

The background is each pixel's median over the frames where no ground-truth box (widened by a quarter of its
width) covers it. Each copy is a MOT folder (img1/ JPEGs, gt/gt.txt of the kept people, det/det.txt without the
detections of removed people, seqinfo.ini) that ``bench/detect_video.py --data`` reads. What stays: shadows
reaching past a removed person's widened box, and people the ground truth never labelled. Every frame is held in
memory (1.3 MB each at 768x576), which suits the short labelled sequences this is for.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.detect_video import open_sequence  # noqa: E402
from perception.detection.hog import box_iou  # noqa: E402
from perception.io.atomic import atomic_write_text  # noqa: E402
from perception.io.mot import MotTable, read_mot, write_mot  # noqa: E402
from perception.sources.images import read_seqinfo  # noqa: E402


def read_frames(seq: Path) -> np.ndarray:
    """Every frame of the sequence, stacked (n, h, w, 3) uint8."""
    with open_sequence(seq) as source:
        return np.stack([packet.image for packet in source])


def box_mask(xywh: np.ndarray, shape: tuple[int, int], pad_w: float = 0.25, pad_h: float = 0.08) -> np.ndarray:
    """Pixels under the boxes, each widened by ``pad_w`` of its width and ``pad_h`` of its height on every side."""
    mask = np.zeros(shape, bool)
    for x, y, w, h in xywh:
        x0, x1 = int(max(0, x - pad_w * w)), int(min(shape[1], x + w + pad_w * w))
        y0, y1 = int(max(0, y - pad_h * h)), int(min(shape[0], y + h + pad_h * h))
        mask[y0:y1, x0:x1] = True
    return mask


def background(frames: np.ndarray, gt: MotTable, rows: int = 32) -> np.ndarray:
    """Per-pixel median over the frames where no (generously widened) gt box covers the pixel; the plain median
    where every frame covers it. Float32 (h, w, 3)."""
    n, h, w = frames.shape[:3]
    covered = np.stack([box_mask(gt.xywh[gt.rows_for(f + 1)], (h, w), 0.4, 0.15) for f in range(n)])
    out = np.empty((h, w, 3), np.float32)
    for y in range(0, h, rows):  # a band of rows at a time: all frames of the whole image as float would not fit
        band = frames[:, y:y + rows].astype(np.float32)
        band[covered[:, y:y + rows]] = np.nan
        free = np.isnan(band).all(axis=0)
        band[:, free] = frames[:, y:y + rows][:, free]
        out[y:y + rows] = np.nanmedian(band, axis=0)
    return out


def erase(frame: np.ndarray, bg: np.ndarray, gone: np.ndarray, kept: np.ndarray, rng: np.random.Generator,
          noise: float = 2.0) -> np.ndarray:
    """``frame`` with the ``gone`` boxes (xywh) painted over by the background, never over ``kept`` boxes; the
    paint is feathered, scaled to the frame's brightness and given sensor-like noise."""
    shape = frame.shape[:2]
    paint = box_mask(gone, shape) & ~box_mask(kept, shape, 0.05, 0.02)
    alpha = cv2.GaussianBlur(paint.astype(np.float32), (0, 0), 3)[..., None]
    image = frame.astype(np.float32)
    calm = ~box_mask(np.concatenate([gone, kept]), shape, 0.4, 0.15)
    gain = np.median(image[calm] + 1) / np.median(bg[calm] + 1) if calm.any() else 1.0
    out = image * (1 - alpha) + (bg * gain + rng.normal(0, noise, image.shape).astype(np.float32)) * alpha
    return np.clip(out, 0, 255).astype(np.uint8)


def public_of_kept(det: MotTable, gt: MotTable, keep: set[int]) -> np.ndarray:
    """Detections to keep: those overlapping no gt person by IoU 0.3, or overlapping a kept one best."""
    out = np.ones(len(det.frames), bool)
    det_boxes, gt_boxes = det.xyxy, gt.xyxy
    for f, d in det.split_by_frame().items():
        g = gt.rows_for(f)
        if not len(g):
            continue
        iou = box_iou(det_boxes[d], gt_boxes[g])
        best = iou.argmax(axis=1)
        out[d] = (iou.max(axis=1) < 0.3) | np.isin(gt.ids[g][best], list(keep))
    return out


def make_copy(seq: Path, frames: np.ndarray, bg: np.ndarray, keep_share: float, seed: int, out_root: Path) -> Path:
    """One sparse copy of ``seq`` under ``out_root``; the kept ids are drawn with ``seed``."""
    gt, det, info = read_mot(seq / "gt" / "gt.txt"), read_mot(seq / "det" / "det.txt"), read_seqinfo(seq)
    rng = np.random.default_rng(seed)
    ids = np.unique(gt.ids)
    keep = set(rng.choice(ids, size=max(1, round(keep_share * len(ids))), replace=False).tolist())
    dst = out_root / f"{info.name}-sparse-{seed}"
    for sub in ("img1", "gt", "det"):
        (dst / sub).mkdir(parents=True, exist_ok=True)
    kept_rows = np.isin(gt.ids, list(keep))
    for f, frame in enumerate(frames):
        now = gt.rows_for(f + 1)
        image = erase(frame, bg, gt.xywh[now[~kept_rows[now]]], gt.xywh[now[kept_rows[now]]], rng)
        cv2.imwrite(str(dst / "img1" / f"{f + 1:06d}.jpg"), image, [cv2.IMWRITE_JPEG_QUALITY, 90])
    write_mot(dst / "gt" / "gt.txt", gt.frames[kept_rows], gt.ids[kept_rows], gt.xywh[kept_rows], gt.scores[kept_rows])
    d = public_of_kept(det, gt, keep)
    write_mot(dst / "det" / "det.txt", det.frames[d], det.ids[d], det.xywh[d], det.scores[d])
    atomic_write_text(dst / "seqinfo.ini", f"[Sequence]\nname={dst.name}\nimDir=img1\nframeRate={info.fps:g}\n"
                                           f"seqLength={len(frames)}\nimWidth={info.width}\nimHeight={info.height}\nimExt=.jpg\n")
    print(f"{dst}: {len(keep)} of {len(ids)} people kept, {kept_rows.sum() / len(frames):.1f} per frame")
    return dst


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sequence", type=Path, required=True, help="MOT folder with gt/gt.txt and det/det.txt")
    ap.add_argument("--out", type=Path, required=True, help="folder the copies are written under")
    ap.add_argument("--keep", type=float, default=0.35, help="share of the gt people kept")
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3], help="one copy per seed")
    args = ap.parse_args()
    if not (args.sequence / "gt" / "gt.txt").is_file():
        ap.error(f"no gt/gt.txt in {args.sequence}")
    frames = read_frames(args.sequence)
    bg = background(frames, read_mot(args.sequence / "gt" / "gt.txt"))
    for seed in args.seeds:
        make_copy(args.sequence, frames, bg, args.keep, seed, args.out)


if __name__ == "__main__":
    main()
