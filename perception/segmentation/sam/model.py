"""Build SAM from segment_anything.modeling classes and load checkpoints on our terms (CPU map, weights only)."""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from perception.types import InputError


@dataclass(frozen=True)
class SamArch:
    """Architecture of one SAM variant (image encoder ViT plus the fixed-size prompt encoder and decoder)."""

    embed_dim: int
    depth: int
    num_heads: int
    global_attn: tuple[int, ...]
    img_size: int = 1024
    patch_size: int = 16
    prompt_dim: int = 256
    window_size: int = 14
    decoder_depth: int = 2
    decoder_mlp_dim: int = 2048


ARCHS: dict[str, SamArch] = {
    "vit_b": SamArch(768, 12, 12, (2, 5, 8, 11)),
    "vit_l": SamArch(1024, 24, 16, (5, 11, 17, 23)),
    "vit_h": SamArch(1280, 32, 16, (7, 15, 23, 31)),
}


def build_sam_model(arch: SamArch):
    """An untrained ``segment_anything.modeling.Sam`` of the given architecture."""
    import torch
    from segment_anything.modeling import ImageEncoderViT, MaskDecoder, PromptEncoder, Sam, TwoWayTransformer

    grid = arch.img_size // arch.patch_size
    return Sam(
        image_encoder=ImageEncoderViT(
            depth=arch.depth, embed_dim=arch.embed_dim, img_size=arch.img_size, mlp_ratio=4,
            norm_layer=partial(torch.nn.LayerNorm, eps=1e-6), num_heads=arch.num_heads, patch_size=arch.patch_size,
            qkv_bias=True, use_rel_pos=True, global_attn_indexes=arch.global_attn, window_size=arch.window_size,
            out_chans=arch.prompt_dim),
        prompt_encoder=PromptEncoder(embed_dim=arch.prompt_dim, image_embedding_size=(grid, grid),
                                     input_image_size=(arch.img_size, arch.img_size), mask_in_chans=16),
        mask_decoder=MaskDecoder(
            num_multimask_outputs=3,
            transformer=TwoWayTransformer(depth=arch.decoder_depth, embedding_dim=arch.prompt_dim,
                                          mlp_dim=arch.decoder_mlp_dim, num_heads=8),
            transformer_dim=arch.prompt_dim, iou_head_depth=3, iou_head_hidden_dim=256),
    )


def arch_name(arch: SamArch) -> str:
    """The registry name of an architecture (or 'custom')."""
    return next((name for name, a in ARCHS.items() if a == arch), "custom")


def _variant_in(state: object) -> str | None:
    """The SAM variant a state dict holds, from its image-encoder width (None if unknown)."""
    pos = state.get("image_encoder.pos_embed") if isinstance(state, dict) else None
    width = int(pos.shape[-1]) if getattr(pos, "ndim", 0) else None
    return next((name for name, a in ARCHS.items() if a.embed_dim == width), None)


def load_sam(arch: SamArch, checkpoint: str | os.PathLike[str], device: str = "cpu"):
    """Build the model and load ``checkpoint`` with ``map_location='cpu'`` and ``weights_only=True``, then move it."""
    import torch

    path = Path(checkpoint)
    if not path.is_file():
        raise InputError(f"SAM checkpoint {path} does not exist")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # unpickling errors come in many types, with multi-line explanations
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError(f"cannot read SAM checkpoint {path}: not a PyTorch weights file, truncated, or holding "
                         f"objects other than tensors ({first[:160]})") from None
    if isinstance(state, dict) and "model" in state and isinstance(state["model"], dict):
        state = state["model"]
    model = build_sam_model(arch)
    try:
        model.load_state_dict(state)
    except (RuntimeError, TypeError) as exc:
        held = _variant_in(state)
        found = f"it holds {held}" if held else str(exc).splitlines()[0]
        raise InputError(f"SAM checkpoint {path} does not fit the {arch_name(arch)} model asked for: {found}") from None
    return model.to(device).eval()
