"""SAM as a segmenter: automatic ("segment everything" on a point grid) or prompted by boxes."""

from __future__ import annotations

import os

import cv2
import numpy as np

from perception.lifting import paint_labels
from perception.segmentation.base import Segmentation
from perception.segmentation.sam.checkpoints import resolve_checkpoint
from perception.segmentation.sam.model import ARCHS, SamArch, load_sam
from perception.types import Detections, FramePacket, InputError


class SamSegmenter:
    """Segment-anything on each frame it is given; per-mask features are pooled from the image embedding.

    variant: vit_b | vit_l | vit_h (or pass ``arch``); checkpoint: a path, else the cached or downloaded
    official file; mode: "automatic" or "prompted"; points_per_side: automatic grid density;
    pred_iou_thresh / stability_thresh: automatic mask filters; min_area: smallest mask (pixels);
    device: "cpu", "cuda" or None (CUDA when available).
    """

    name = "sam"
    needs_depth = False

    def __init__(self, variant: str = "vit_b", checkpoint: str | os.PathLike[str] | None = None, mode: str = "automatic",
                 points_per_side: int = 16, pred_iou_thresh: float = 0.86, stability_thresh: float = 0.92,
                 min_area: int = 200, device: str | None = None, arch: SamArch | None = None,
                 allow_download: bool = True):
        import torch
        from segment_anything import SamAutomaticMaskGenerator, SamPredictor

        if mode not in ("automatic", "prompted"):
            raise InputError(f"SAM mode must be 'automatic' or 'prompted', got '{mode}'")
        if arch is None and variant not in ARCHS:
            raise InputError(f"unknown SAM variant '{variant}'; choose one of {', '.join(ARCHS)}")
        self.device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        path = resolve_checkpoint(variant, checkpoint, allow_download)
        self.model = load_sam(arch or ARCHS[variant], path, self.device)
        self.mode = mode
        self.min_area = int(min_area)
        self.predictor = SamPredictor(self.model)
        self.generator = SamAutomaticMaskGenerator(
            self.model, points_per_side=points_per_side, pred_iou_thresh=pred_iou_thresh,
            stability_score_thresh=stability_thresh, min_mask_region_area=0)
        self.generator.predictor = self.predictor
        self.prompts: np.ndarray | None = None
        self._embedding = None  # the image encoder's last output (1 x C x g x g), kept by a forward hook
        self.model.image_encoder.register_forward_hook(self._keep_embedding)

    def _keep_embedding(self, _module, _inputs, output) -> None:
        self._embedding = output.detach()

    def set_prompts(self, boxes: np.ndarray | None) -> None:
        """Nx4 XYXY boxes (e.g. from the tracker) used by the prompted mode on the next frames."""
        self.prompts = None if boxes is None else np.asarray(boxes, dtype=np.float64).reshape(-1, 4)

    def segment(self, packet: FramePacket, boxes: np.ndarray | None = None) -> Segmentation:
        """Masks of one frame; ``boxes`` (Nx4 XYXY) override the stored prompts in prompted mode."""
        import torch

        rgb = np.ascontiguousarray(packet.image[:, :, ::-1])
        h, w = rgb.shape[:2]
        with torch.inference_mode():
            if self.mode == "automatic":
                records = self.generator.generate(rgb)
                masks = np.array([r["segmentation"] for r in records], bool).reshape(-1, h, w)
                scores = np.array([r["predicted_iou"] for r in records], float)
            else:
                prompts = self.prompts if boxes is None else boxes
                masks, scores = self._prompted(rgb, np.zeros((0, 4)) if prompts is None else prompts)
            feats = self._pool(masks)
        keep = masks.sum(axis=(1, 2)) >= self.min_area
        masks, scores, feats = masks[keep], scores[keep], feats[keep]
        pooled = self.image_embedding()
        if len(masks) == 0:
            empty = Segmentation.empty(h, w)
            empty.image_embedding = pooled
            return empty
        ys, xs = np.any(masks, 2), np.any(masks, 1)
        boxes_out = np.stack([xs.argmax(1), ys.argmax(1), w - xs[:, ::-1].argmax(1), h - ys[:, ::-1].argmax(1)], 1)
        return Segmentation(Detections(boxes_out, scores=scores, masks=masks, embeddings=feats), paint_labels(masks),
                            pooled)

    def box_masks(self, packet: FramePacket, boxes: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """One mask per box (Nx4 XYXY), in order and unfiltered: (masks NxHxW, SAM's IoU scores, features)."""
        import torch

        with torch.inference_mode():
            masks, scores = self._prompted(np.ascontiguousarray(packet.image[:, :, ::-1]), boxes)
            return masks, scores, self._pool(masks)

    def _prompted(self, rgb: np.ndarray, boxes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """SAM's single best mask and its predicted IoU for each box prompt (call under inference mode)."""
        import torch

        h, w = rgb.shape[:2]
        boxes = np.asarray(boxes, float).reshape(-1, 4)
        self.predictor.set_image(rgb)
        if len(boxes) == 0:
            return np.zeros((0, h, w), bool), np.zeros(0)
        tb = self.predictor.transform.apply_boxes_torch(torch.as_tensor(boxes, device=self.device), (h, w))
        m, iou, _ = self.predictor.predict_torch(None, None, boxes=tb, multimask_output=False)
        return m[:, 0].cpu().numpy(), iou[:, 0].cpu().numpy()

    def image_embedding(self) -> np.ndarray | None:
        """The last image embedding average-pooled over its grid (C,) float32, or None before the first frame."""
        if self._embedding is None:
            return None
        return self._embedding[0].float().mean(dim=(1, 2)).cpu().numpy().astype(np.float32)

    def _pool(self, masks: np.ndarray) -> np.ndarray:
        """Mean image-embedding vector under each mask (unit length), masks mapped into the embedding grid."""
        if len(masks) == 0 or self._embedding is None:
            return np.zeros((len(masks), self.model.prompt_encoder.embed_dim), np.float32)
        feats = self._embedding[0].float().cpu().numpy()  # C x g x g over the padded, resized image
        c, g, _ = feats.shape
        h, w = masks.shape[1:]
        scale = g / max(h, w)
        gh, gw = max(1, round(h * scale)), max(1, round(w * scale))
        out = np.zeros((len(masks), c), np.float32)
        for i, m in enumerate(masks):
            wgt = cv2.resize(m.astype(np.float32), (gw, gh), interpolation=cv2.INTER_AREA)
            total = wgt.sum()
            if total > 0:
                out[i] = np.tensordot(feats[:, :gh, :gw], wgt, axes=([1, 2], [0, 1])) / total
        return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-9)
