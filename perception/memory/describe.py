"""Weight-free frame and object descriptors: embedding, dominant colour, size class, image region, JPEG."""

from __future__ import annotations

import cv2
import numpy as np

COLOURS = ("red", "orange", "yellow", "green", "cyan", "blue", "purple", "pink", "white", "gray", "black")
SIZES = ("small", "medium", "large")
# upper bounds of box area / image area for "small" and "medium"
SIZE_LIMITS = (0.015, 0.06)
_HUE_EDGES = np.array([8, 22, 36, 78, 100, 130, 150, 170])  # OpenCV hue (0..180) bin edges
_HUE_NAMES = np.array([0, 1, 2, 3, 4, 5, 6, 7, 0])         # red wraps around

ROWS = ("top", "middle", "bottom")
COLS = ("left", "center", "right")


def preview(image: np.ndarray, max_side: int = 128) -> np.ndarray:
    """A small area-averaged copy of ``image`` (longest side ``max_side``) that the frame descriptors read."""
    h, w = image.shape[:2]
    scale = max_side / max(h, w)
    if scale >= 1.0:
        return image
    return cv2.resize(image, (max(8, round(w * scale)), max(6, round(h * scale))), interpolation=cv2.INTER_AREA)


def frame_embedding(image: np.ndarray) -> np.ndarray:
    """L2-normalised colour + layout descriptor of an HxWx3 BGR uint8 image (float32, 176-D)."""
    small = cv2.resize(image, (32, 24), interpolation=cv2.INTER_AREA)
    hsv = cv2.cvtColor(small, cv2.COLOR_BGR2HSV)
    hist = cv2.calcHist([hsv], [0, 1, 2], None, [8, 4, 4], [0, 180, 0, 256, 0, 256]).ravel()
    hist = np.sqrt(hist / max(hist.sum(), 1.0))
    gray = cv2.resize(cv2.cvtColor(small, cv2.COLOR_BGR2GRAY), (8, 6), interpolation=cv2.INTER_AREA).astype(np.float32).ravel()
    gray = (gray - gray.mean()) / 255.0
    v = np.concatenate([hist, 2.0 * gray]).astype(np.float32)
    return normalise(v)


def grid_colours(image: np.ndarray) -> np.ndarray:
    """Mean Lab colour of each cell of an 8x6 grid (48x3 float32): the layout scene changes are judged on."""
    small = cv2.resize(image, (8, 6), interpolation=cv2.INTER_AREA)
    return cv2.cvtColor(small, cv2.COLOR_BGR2LAB).reshape(-1, 3).astype(np.float32)


def normalise(v: np.ndarray) -> np.ndarray:
    """Unit-length float32 copy of a 1-D vector (zeros stay zeros)."""
    v = np.asarray(v, dtype=np.float32).ravel()
    n = float(np.linalg.norm(v))
    return v / n if n > 0 else v.copy()


def colour_votes(image: np.ndarray, box: np.ndarray, mask: np.ndarray | None = None,
                 exclude: np.ndarray | None = None) -> np.ndarray:
    """Per-name pixel votes (len(COLOURS)) inside the central part of ``box`` (or inside ``mask``).

    Pixels inside any ``exclude`` box (other objects overlapping this one, Kx4 XYXY) do not vote.
    """
    h, w = image.shape[:2]
    x1, y1, x2, y2 = (float(v) for v in box)
    cx, cy, bw, bh = (x1 + x2) / 2, (y1 + y2) / 2, (x2 - x1) * 0.3, (y2 - y1) * 0.3
    a, b = min(max(int(cx - bw), 0), w - 1), min(max(int(cx + bw + 1), 1), w)
    c, d = min(max(int(cy - bh), 0), h - 1), min(max(int(cy + bh + 1), 1), h)
    if b <= a or d <= c:
        return np.zeros(len(COLOURS))
    step = max(1, max(b - a, d - c) // 16)
    crop = image[c:d:step, a:b:step]
    keep = None
    if mask is not None:
        m = mask[c:d:step, a:b:step]
        keep = m if m.any() else None
    if exclude is not None and len(exclude):
        ys, xs = np.arange(c, d, step), np.arange(a, b, step)
        inside = np.zeros(crop.shape[:2], dtype=bool)
        for ex in exclude:
            if ex[0] < b and ex[2] > a and ex[1] < d and ex[3] > c:
                inside |= ((ys >= ex[1]) & (ys < ex[3]))[:, None] & ((xs >= ex[0]) & (xs < ex[2]))[None, :]
        keep = ~inside if keep is None else keep & ~inside
    pixels = crop.reshape(-1, 3) if keep is None else crop[keep]
    if len(pixels) == 0:
        return np.zeros(len(COLOURS))
    hsv = cv2.cvtColor(np.ascontiguousarray(pixels[None]), cv2.COLOR_BGR2HSV).reshape(-1, 3).astype(np.int32)
    hue, sat, val = hsv[:, 0], hsv[:, 1], hsv[:, 2]
    chroma = (sat >= 70) & (val >= 60)
    names = np.where(chroma, _HUE_NAMES[np.searchsorted(_HUE_EDGES, hue, side="right")],
                     np.where(val < 50, 10, np.where((sat < 40) & (val > 190), 8, 9)))
    return np.bincount(names, minlength=len(COLOURS)).astype(np.float64)


def appearance(image: np.ndarray, box: np.ndarray) -> np.ndarray | None:
    """Colour descriptor of a box: hue-saturation histograms (8 x 4) of its upper and lower halves, each
    square-rooted and unit-length (comparable with ``similarity``); None for a box off the image."""
    h, w = image.shape[:2]
    x1, y1, x2, y2 = (float(v) for v in box)
    bw = x2 - x1
    a, b = int(max(x1 + 0.2 * bw, 0)), int(min(x2 - 0.2 * bw, w))
    c, d = int(max(y1, 0)), int(min(y2, h))
    if b - a < 2 or d - c < 4:
        return None
    step = max(1, max(b - a, d - c) // 48)
    crop = cv2.cvtColor(np.ascontiguousarray(image[c:d:step, a:b:step]), cv2.COLOR_BGR2HSV)
    mid = crop.shape[0] // 2
    parts = []
    for half in (crop[:mid], crop[mid:]):
        hist = cv2.calcHist([half], [0, 1], None, [8, 4], [0, 180, 0, 256]).ravel()
        parts.append(normalise(np.sqrt(hist)))
    return np.concatenate(parts).astype(np.float32) / np.sqrt(2.0)


def similarity(a: np.ndarray | None, b: np.ndarray | None) -> float:
    """Cosine similarity of two appearance descriptors (1.0 when either is unknown: no evidence against)."""
    if a is None or b is None:
        return 1.0
    na, nb = float(np.linalg.norm(a)), float(np.linalg.norm(b))
    return float(a @ b) / (na * nb) if na > 0 and nb > 0 else 1.0


def size_class(box: np.ndarray, width: int, height: int) -> str:
    """'small', 'medium' or 'large' by box area relative to the image."""
    frac = float((box[2] - box[0]) * (box[3] - box[1])) / float(width * height)
    return SIZES[int(np.searchsorted(SIZE_LIMITS, frac, side="right"))]


def region_name(x: float, y: float, width: int, height: int) -> str:
    """Which ninth of the image a point lies in: 'top left' ... 'center' ... 'bottom right'."""
    col = COLS[int(np.clip(3 * x / width, 0, 2.999))]
    row = ROWS[int(np.clip(3 * y / height, 0, 2.999))]
    if row == "middle":
        return "center" if col == "center" else f"middle {col}"
    return f"{row} {col}"


def encode_jpeg(image: np.ndarray, max_side: int, quality: int) -> bytes:
    """JPEG bytes of ``image`` shrunk so its longest side is at most ``max_side``."""
    h, w = image.shape[:2]
    scale = min(1.0, max_side / max(h, w))
    if scale < 1.0:
        image = cv2.resize(image, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA)
    ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
    if not ok:
        raise ValueError("JPEG encoding failed")
    return buf.tobytes()


def shrink_jpeg(data: bytes, quality: int) -> bytes:
    """Re-encode a JPEG at half its size (used when the thumbnail bank is over its byte cap)."""
    img = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    h, w = img.shape[:2]
    return encode_jpeg(img, max(16, max(h, w) // 2), quality)
