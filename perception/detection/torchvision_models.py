"""COCO detectors from torchvision (boxes, class names, and masks for Mask R-CNN) with weights from the one cache.

Weights are fetched by perception.download into ``$PERCEPTION_STUDIO_CACHE/torchvision`` (never torch.hub's
cache); torch is imported only when a detector is built, never at module import.
"""

from __future__ import annotations

import numpy as np

from perception.detection.classes import name_of
from perception.download import cached_download
from perception.paths import cache_dir
from perception.types import Detections, FramePacket, InputError

WEIGHT_BASE = "https://download.pytorch.org/models/"
# model -> its COCO_V1 weights file (torchvision 0.29's weights API; tests check the table against it)
MODELS = {
    "fasterrcnn_mobilenet_v3_large_fpn": "fasterrcnn_mobilenet_v3_large_fpn-fb6a3cc7.pth",
    "ssdlite320_mobilenet_v3_large": "ssdlite320_mobilenet_v3_large_coco-a79551df.pth",
    "retinanet_resnet50_fpn_v2": "retinanet_resnet50_fpn_v2_coco-5905b1c5.pth",
    "maskrcnn_resnet50_fpn_v2": "maskrcnn_resnet50_fpn_v2_coco-73cbd019.pth",
}
_HIDDEN = ("__background__", "N/A")  # placeholders in torchvision's COCO category list, never issued


def weights_folder(create: bool = True):
    """The cache folder of torchvision weights."""
    return cache_dir("torchvision", create)


def cached_models() -> list[str]:
    """The models whose pretrained weights are already in the cache (in MODELS order)."""
    folder = weights_folder(create=False)
    return [m for m, f in MODELS.items() if (folder / f).is_file()]


class TorchvisionDetector:
    """One torchvision detection model run on each frame.

    model: a key of MODELS; score_threshold: lowest score kept; device: "cpu", "cuda" or None (CUDA when
    available); pretrained: load the COCO weights (False: random weights, for tests); allow_download: fetch
    missing weights (else a missing file is an InputError naming its URL and where to put it);
    ``model_options`` go to the torchvision builder (e.g. ``min_size``, ``box_score_thresh``).
    """

    def __init__(self, model: str, score_threshold: float = 0.5, device: str | None = None, pretrained: bool = True,
                 allow_download: bool = True, mask_threshold: float = 0.5, **model_options):
        if model not in MODELS:
            raise InputError(f"unknown torchvision detector '{model}'; choose one of {', '.join(MODELS)}")
        import torch
        from torchvision.models import get_model, get_model_weights

        self.name = f"torchvision:{model}"
        weights = get_model_weights(model).COCO_V1
        self._categories = tuple(weights.meta["categories"])
        self._issued = np.array([c not in _HIDDEN for c in self._categories])
        self.class_names = tuple(c for c in self._categories if c not in _HIDDEN)
        self.score_threshold, self.mask_threshold = float(score_threshold), float(mask_threshold)
        self.device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        net = get_model(model, weights=None, weights_backbone=None, num_classes=len(self._categories), **model_options)
        if pretrained:
            path = cached_download(WEIGHT_BASE + MODELS[model], weights_folder(), allow_download,
                                   what=f"the weights of torchvision:{model}")
            try:
                net.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
            except Exception as exc:  # truncated or foreign files fail in many ways
                raise InputError(f"cannot load {path} into {model}: {str(exc).splitlines()[0][:160]}") from None
        self.model = net.to(self.device).eval()

    def detect(self, packet: FramePacket) -> Detections:
        """Boxes, scores and class names above the threshold (and masks for Mask R-CNN)."""
        import torch

        rgb = np.ascontiguousarray(packet.image[:, :, ::-1])
        x = torch.from_numpy(rgb).to(self.device).permute(2, 0, 1).float().div_(255.0)
        with torch.inference_mode():
            out = self.model([x])[0]
        out = {k: v.cpu().numpy() for k, v in out.items()}
        ids = out["labels"].astype(np.int64)
        keep = (out["scores"] >= self.score_threshold) & self._issued[np.clip(ids, 0, len(self._issued) - 1)]
        masks = None if "masks" not in out else out["masks"][keep][:, 0] >= self.mask_threshold
        return Detections(out["boxes"][keep], out["scores"][keep], ids[keep], masks,
                          labels=name_of(ids[keep], self._categories))

    def reset(self) -> None:
        """Stateless between frames."""
