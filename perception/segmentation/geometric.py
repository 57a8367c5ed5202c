"""Weight-free RGB-D segmenter: depth and normal discontinuities -> connected components, plus RANSAC planes.

Works on a subsampled organized point cloud (``stride``) and upsamples labels, so 640x480 runs in a few ms.
"""

from __future__ import annotations

import cv2
import numpy as np
from scipy.ndimage import find_objects

from perception.segmentation.base import Segmentation
from perception.segmentation.concave import merge_insides
from perception.segmentation.dark import dark_objects
from perception.segmentation.on_plane import Plane, raised_objects
from perception.types import FramePacket, InputError, Intrinsics

TUNED_FOCAL = 525.0 / 640.0  # focal length per image width the pixel-based defaults were tuned at (63 degrees wide)


class GeometricSegmenter:
    """Segments surfaces bounded by depth jumps or creases; dominant planes become one segment each.

    stride: internal subsampling (default: about 160 pixels across); depth_rel: depth jump threshold, as the second difference of inverse depth
    times depth (zero on any plane, ~relative jump size at a discontinuity);
    normal_deg: crease angle; min_pixels: smallest kept segment (full-resolution pixels);
    max_planes / plane_dist / plane_min_frac: RANSAC planes (at most, inlier distance m, share of pixels at a 63
    degree view; a narrower one needs a larger share: ``plane_share``);
    max_depth: depth beyond this (m) is ignored; concave_only: only concave creases separate segments
    (convex ones, like the edges of a box, stay inside one object); convex_merge: neighbouring pieces that meet
    in 3D at a convex or smooth seam join (an object split by noisy depth or a hole) if, with ``seam_chroma_max``
    set, their mean chromaticities along the seam agree within it (touching objects of other colours stay apart);
    thin_objects: objects too low for the coarse grid lying on a plane (a marker on a table) are found on a finer
    one (``on_plane``);
    concave_merge: the inside of a container seen over its rim joins the outside (``concave``); dark_objects: a dark
    colour region mostly without depth standing off the planes becomes a segment (``dark``).
    A plane takes the pixels of a component partly on it that face its way within ``plane_dist``, and others
    only within 0.8 % of their depth (at least 4 mm), so the lower rim of objects standing on a table stays theirs.
    A plane parallel to an earlier one and at most ``max_raise`` m above it (the tops of flat objects side by side
    on a table) stays with its objects: as a plane it would join them all into one segment.
    """

    name = "geometric"
    needs_depth = True

    def __init__(self, stride: int | None = None, depth_rel: float = 0.04, normal_deg: float = 25.0,
                 min_pixels: int = 400, max_planes: int = 3, plane_dist: float = 0.02, plane_min_frac: float = 0.08,
                 max_depth: float = 10.0, concave_only: bool = True, convex_merge: bool = True, thin_objects: bool = True,
                 concave_merge: bool = True, dark_objects: bool = True, max_raise: float = 0.3,
                 seam_chroma_max: float | None = 0.06, seed: int = 0):
        self.stride = stride
        self.depth_rel = depth_rel
        self.cos_normal = float(np.cos(np.deg2rad(normal_deg)))
        self.min_pixels = int(min_pixels)
        self.max_planes, self.plane_dist, self.plane_min_frac = int(max_planes), plane_dist, plane_min_frac
        self.max_depth = max_depth
        self.concave_only = concave_only
        self.convex_merge = convex_merge
        self.thin_objects = thin_objects
        self.concave_merge = concave_merge
        self.dark_objects = dark_objects
        self.max_raise = max_raise
        self.seam_chroma_max = seam_chroma_max
        self._rng = np.random.default_rng(seed)

    def segment(self, packet: FramePacket) -> Segmentation:
        """Masks of one RGB-D frame (empty when the frame has no valid depth)."""
        if packet.depth is None or packet.intrinsics is None:
            raise InputError("the geometric segmenter needs depth and intrinsics (use --segmenter rgb for colour-only input)")
        k = packet.intrinsics
        s = self.stride or max(1, packet.image.shape[1] // 160)
        d, off = self._low_res_depth(packet.depth, s)
        h, w = d.shape
        valid = d > 0
        uu = (np.arange(w, dtype=np.float32) * s + off - k.cx) / k.fx
        vv = (np.arange(h, dtype=np.float32) * s + off - k.cy) / k.fy
        pts = np.stack([uu[None, :] * d, vv[:, None] * d, d], axis=2)
        edge, normals = self._edges(d, pts, valid)
        n_lab, lab = cv2.connectedComponents((~edge & valid).astype(np.uint8), connectivity=4)
        lab = lab.astype(np.int32) - 1  # background component 0 -> -1
        lab[edge | ~valid] = -1
        lab = self._fill_edges(lab, d, valid)
        lab, planes = self._merge_planes(lab, pts, normals, valid, s, self.plane_share(k))
        if self.convex_merge and valid.any():
            small = cv2.resize(packet.image, (w, h), interpolation=cv2.INTER_AREA) if self.seam_chroma_max else None
            lab = self._merge_convex(lab, pts, normals, planes, s * float(np.median(d[valid])) / k.fx, small)
        if self.concave_merge:
            lab = merge_insides(lab, pts, planes, self.min_pixels // (s * s))
        if self.dark_objects:
            lab = dark_objects(lab, planes, packet.image, packet.depth, k, s, self.min_pixels)
        if self.thin_objects:
            fine = raised_objects(lab, s, planes, packet.depth, packet.image, k, self.min_pixels)
            if fine is not None:
                return Segmentation.from_low_res(fine[0], packet.image, fine[1], small=fine[2], thin=fine[3])
        return Segmentation.from_low_res(lab, packet.image, s, self.min_pixels)

    def plane_share(self, k: Intrinsics) -> float:
        """Smallest share of valid pixels a plane holds: ``plane_min_frac`` times the focal length over the tuned one
        (a narrow view fills more of the frame with one object: a box face at fx 1067 must not pass as a plane)."""
        return self.plane_min_frac * max(1.0, k.fx / (TUNED_FOCAL * k.width))

    def _low_res_depth(self, depth: np.ndarray, s: int) -> tuple[np.ndarray, float]:
        """Depth on the ``s``-pixel grid: the mean of each block's valid pixels (sensor noise drops by ~s), then
        a 3x3 median in inverse depth, where structured-light noise is about constant; also the
        offset of block centres in full-resolution pixels."""
        h, w = -(-depth.shape[0] // s), -(-depth.shape[1] // s)  # the shape of depth[::s, ::s]
        block = np.zeros((h * s, w * s), np.float32)  # zero-padded to whole blocks; NaN, inf and out of range: 0
        np.copyto(block[:depth.shape[0], :depth.shape[1]], depth, where=(depth >= 0) & (depth <= self.max_depth))
        if s == 1:
            return cv2.medianBlur(block, 3), 0.0
        ok = cv2.threshold(block, 0, 1, cv2.THRESH_BINARY)[1]  # 1 where depth > 0
        total = cv2.resize(block, (w, h), interpolation=cv2.INTER_AREA)
        share = cv2.resize(ok, (w, h), interpolation=cv2.INTER_AREA)
        low = np.where(share >= 0.5, total / np.maximum(share, 1e-6), 0).astype(np.float32)
        inv = np.where(low > 0, 1.0 / np.maximum(low, 1e-6), 0).astype(np.float32)
        inv = cv2.medianBlur(inv, 3)
        low = np.where(low > 0, 1.0 / np.maximum(inv, 1e-6), 0).astype(np.float32)
        return low, (s - 1) / 2

    def _edges(self, d: np.ndarray, pts: np.ndarray, valid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Pixels on a depth jump or a surface crease (normal angle above the threshold) or without depth; normals."""
        inv = np.where(valid, 1.0 / np.maximum(d, 1e-6), 0.0).astype(np.float32)
        jump = np.zeros(d.shape, bool)
        jump[:, 1:-1] = np.abs(inv[:, :-2] - 2 * inv[:, 1:-1] + inv[:, 2:]) * d[:, 1:-1] > self.depth_rel
        jump[1:-1] |= np.abs(inv[:-2] - 2 * inv[1:-1] + inv[2:]) * d[1:-1] > self.depth_rel
        x, y, z = pts[..., 0], pts[..., 1], pts[..., 2]
        dxx, dxy, dxz = (_central(c, 1) for c in (x, y, z))  # per-channel planes: much faster than axis-2 ops
        dyx, dyy, dyz = (_central(c, 0) for c in (x, y, z))
        nx, ny, nz = dxy * dyz - dxz * dyy, dxz * dyx - dxx * dyz, dxx * dyy - dxy * dyx
        scale = 1.0 / np.maximum(np.sqrt(nx * nx + ny * ny + nz * nz), 1e-9)
        scale[nx * x + ny * y + nz * z > 0] *= -1  # face the camera
        nx, ny, nz = nx * scale, ny * scale, nz * scale
        crease = np.zeros(d.shape, bool)
        for a, b in (((slice(None), slice(1, None)), (slice(None), slice(None, -1))),
                     ((slice(1, None), slice(None)), (slice(None, -1), slice(None)))):
            bend = nx[a] * nx[b] + ny[a] * ny[b] + nz[a] * nz[b] < self.cos_normal
            if self.concave_only:  # convex edges (box corners) stay inside one object
                bend &= ((nx[a] - nx[b]) * (x[a] - x[b]) + (ny[a] - ny[b]) * (y[a] - y[b])
                         + (nz[a] - nz[b]) * (z[a] - z[b])) < 0
            crease[a] |= bend
        n = np.stack([nx, ny, nz], axis=2)
        thick = cv2.dilate((jump | crease).astype(np.uint8), cv2.getStructuringElement(cv2.MORPH_CROSS, (3, 3))) > 0
        return thick | ~valid, n

    def _fill_edges(self, lab: np.ndarray, d: np.ndarray, valid: np.ndarray, passes: int = 2) -> np.ndarray:
        """Give unlabelled pixels with depth the label of the 4-neighbour closest in depth (if within the jump gate)."""
        pl = np.pad(lab, 1, constant_values=-1).ravel()
        pd = np.pad(d, 1, constant_values=0).ravel()
        pv = np.pad(valid, 1, constant_values=False).ravel()
        step = lab.shape[1] + 2
        offsets = np.array([-step, step, -1, 1])  # up, down, left, right in the padded image
        for _ in range(passes):
            todo = np.flatnonzero((pl < 0) & pv)
            if len(todo) == 0:
                break
            nb = todo[:, None] + offsets
            nl, nd = pl[nb], pd[nb]
            diff = np.where(nl >= 0, np.abs(nd - pd[todo, None]) / np.maximum(nd, 1e-6), np.inf)
            best = np.argmin(diff, axis=1)
            rows = np.arange(len(todo))
            take = diff[rows, best] < 2 * self.depth_rel
            pl[todo[take]] = nl[rows, best][take]
        return pl.reshape(lab.shape[0] + 2, step)[1:-1, 1:-1]

    def _merge_planes(self, lab: np.ndarray, pts: np.ndarray, normals: np.ndarray, valid: np.ndarray,
                      stride: int, min_frac: float) -> tuple[np.ndarray, dict[int, Plane]]:
        """Find up to ``max_planes`` dominant planes (RANSAC) holding ``min_frac`` of the valid pixels or more and
        make each one segment.

        Components lying on a plane but for a few pixels join it whole; components partly on it (a leak
        across a missed crease) give it their pixels close to it, and what is left of them splits into its pieces.
        """
        if self.max_planes <= 0:
            return lab, {}
        flat, nrm = pts.reshape(-1, 3), normals.reshape(-1, 3)
        labf = lab.reshape(-1)
        cand = np.flatnonzero(valid.reshape(-1) & (labf >= 0))
        n_lab = int(lab.max()) + 1
        if len(cand) < 100 or n_lab == 0:
            return lab, {}
        n_valid = valid.sum()
        comp_size = np.bincount(labf[cand], minlength=n_lab)
        out = lab.copy().reshape(-1)
        next_label = n_lab
        planes: dict[int, Plane] = {}
        band = np.clip(0.008 * flat[:, 2], 0.004, self.plane_dist)  # crease pixels further out go back to objects
        loose: list[np.ndarray] = []
        for _ in range(self.max_planes):
            if len(cand) < max(100, min_frac * n_valid):
                break
            sample = cand if len(cand) <= 1000 else cand[self._rng.integers(0, len(cand), 1000)]
            plane = self._fit_plane(flat[sample], nrm[sample])
            if plane is None:
                break
            normal, off = plane
            dist = np.abs(flat @ normal + off)
            near = dist < self.plane_dist
            inl = cand[(near & (np.abs(nrm @ normal) > 0.9))[cand]]
            if len(inl) < min_frac * n_valid:
                break
            if any(_raised(normal, float(off), p, self.max_raise) for p in planes.values()):
                cand = cand[~np.isin(cand, inl)]  # tops of objects standing on a plane are no plane of their own
                continue
            on_plane = np.bincount(labf[inl], minlength=n_lab)
            share = on_plane / np.maximum(comp_size, 1)
            small_rest = (comp_size - on_plane) * stride ** 2 < self.min_pixels
            is_whole = np.append((share >= 0.7) & small_rest, False)  # per label; [-1]: unlabelled
            is_part = (share >= 0.2) & ~is_whole[:-1]
            part = np.flatnonzero(is_part)
            out[is_whole[labf]] = next_label
            out[inl[is_part[labf[inl]]]] = next_label
            # near-plane pixels whose noisy normals kept them out (the crease band) would still link what the
            # plane leaves of a leaking component (objects standing on the floor): the plane takes them too
            crease = cand[near[cand] & is_part[labf[cand]]]
            out[crease] = next_label
            loose.append(crease[dist[crease] >= band[crease]])
            planes[next_label] = (normal, float(off))
            next_label += 1
            cand = cand[(out[cand] < n_lab)]
            out2d = out.reshape(lab.shape)
            boxes = find_objects(out2d + 1, max_label=n_lab) if len(part) else []  # box of component c at c
            for c in part:  # what a plane leaves of a component may fall apart
                if boxes[c] is None:
                    continue
                crop = out2d[boxes[c]]
                k, pieces = cv2.connectedComponents((crop == c).view(np.uint8), connectivity=4)
                if k > 2:
                    sel = pieces > 1
                    crop[sel] = next_label + pieces[sel] - 2
                    next_label += k - 2
        out = self._give_back(out.reshape(lab.shape), np.concatenate(loose) if loose else None, pts[..., 2], planes)
        return out, planes

    def _give_back(self, lab: np.ndarray, loose: np.ndarray | None, d: np.ndarray, planes: dict[int, Plane],
                   passes: int = 12) -> np.ndarray:
        """Crease-band pixels a plane took but that lie clearly off it join the touching non-plane segment,
        growing from it pixel by pixel while depth stays continuous."""
        if loose is None or len(loose) == 0:
            return lab
        grow = lab.copy().ravel()
        grow[np.isin(grow, list(planes))] = -1
        grow[loose] = -1
        pl = np.pad(grow.reshape(lab.shape), 1, constant_values=-1).ravel()
        pd = np.pad(d, 1, constant_values=0).ravel()
        step = lab.shape[1] + 2
        offsets = np.array([-step, step, -1, 1])
        todo = (loose // lab.shape[1] + 1) * step + loose % lab.shape[1] + 1  # positions in the padded image
        for _ in range(passes):
            nb = todo[:, None] + offsets
            nl, nd = pl[nb], pd[nb]
            diff = np.where(nl >= 0, np.abs(nd - pd[todo, None]) / np.maximum(nd, 1e-6), np.inf)
            best = np.argmin(diff, axis=1)
            rows = np.arange(len(todo))
            take = diff[rows, best] < 2 * self.depth_rel
            if not take.any():
                break
            pl[todo[take]] = nl[rows, best][take]
            todo = todo[~take]
        out = lab.copy()
        got = pl.reshape(lab.shape[0] + 2, step)[1:-1, 1:-1]
        sel = np.zeros(lab.size, bool)
        sel[loose] = True
        sel = sel.reshape(lab.shape) & (got >= 0)
        out[sel] = got[sel]
        return out

    def _merge_convex(self, lab: np.ndarray, pts: np.ndarray, normals: np.ndarray, planes: dict[int, Plane],
                      spacing: float, small: np.ndarray | None = None, reach: int = 3) -> np.ndarray:
        """Join neighbouring non-plane segments whose facing pixels (up to ``reach`` pixels apart, about as close
        in 3D as in the image) mostly form convex or smooth seams (locally convex connected patches) and, given the
        grid's colours ``small``, have mean chromaticities within ``seam_chroma_max`` along the seam."""
        n = int(lab.max()) + 1
        if n < 2:
            return lab
        is_plane = np.zeros(n + 1, bool)
        is_plane[[p for p in planes if p < n]] = True
        is_plane[-1] = True  # label -1
        pa, pb, convex, ra, rb = [], [], [], [], []
        h, w = lab.shape
        free = ~is_plane[lab]
        labf, flat, nrm = lab.ravel(), pts.reshape(-1, 3), normals.reshape(-1, 3)
        for dy, dx in [(0, r) for r in range(1, reach + 1)] + [(r, 0) for r in range(1, reach + 1)]:
            ys, xs = np.nonzero((lab[:h - dy, :w - dx] != lab[dy:, dx:]) & free[:h - dy, :w - dx] & free[dy:, dx:])
            if len(ys) == 0:
                continue
            ia = ys * w + xs  # flat indices of the pairs' pixels
            ib = ia + (dy * w + dx)
            diff = flat[ia] - flat[ib]
            na, nb = nrm[ia], nrm[ib]
            close = np.linalg.norm(diff, axis=1) <= 2.0 * spacing * max(dy, dx) + 0.004
            ok = (((na - nb) * diff).sum(1) > 0) | ((na * nb).sum(1) > 0.97)
            pa.append(labf[ia[close]])
            pb.append(labf[ib[close]])
            convex.append(ok[close])
            ra.append(ia[close])
            rb.append(ib[close])
        if not pa:
            return lab
        a, b, ok = np.concatenate(pa), np.concatenate(pb), np.concatenate(convex)
        key = np.minimum(a, b).astype(np.int64) * n + np.maximum(a, b)
        uniq, inv = np.unique(key, return_inverse=True)
        total = np.bincount(inv)
        good = np.bincount(inv, ok.astype(np.float64))
        if small is not None:
            swap = a > b  # side of the smaller label first
            ia, ib = np.concatenate(ra), np.concatenate(rb)
            good[_seam_chroma(small, np.where(swap, ib, ia), np.where(swap, ia, ib), inv, len(uniq))
                 > self.seam_chroma_max] = 0
        parent = np.arange(n)

        def root(x: int) -> int:
            while parent[x] != x:
                parent[x] = parent[parent[x]]
                x = parent[x]
            return x
        for k in uniq[(total >= 4) & (good >= 0.75 * total)].tolist():
            ra, rb = root(k // n), root(k % n)
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)
        roots = np.array([root(i) for i in range(n)])
        return np.where(lab >= 0, roots[np.maximum(lab, 0)], -1).astype(lab.dtype)

    def _fit_plane(self, p: np.ndarray, n: np.ndarray, hypotheses: int = 64) -> tuple[np.ndarray, np.float32] | None:
        """RANSAC plane (unit normal, offset) with the most points near it and facing its way, refit by least squares.

        Each hypothesis is one sample point with its normal, so a plane holding a fifth of the points is missed with
        probability ~1e-6 (50 three-point draws all miss a plane holding a quarter of them about half the time);
        scoring with the inlier test used afterwards prefers planes whose points really face their way.
        """
        hyp = self._rng.choice(len(p), min(hypotheses, len(p)), replace=False)
        hn = n[hyp]
        ok = (np.abs(p @ hn.T - (p[hyp] * hn).sum(1)) < self.plane_dist) & (np.abs(n @ hn.T) > 0.9)
        q = p[ok[:, np.argmax(np.count_nonzero(ok, axis=0))]]
        if len(q) < 3:
            return None
        c = q.mean(0)
        normal = np.linalg.svd(q - c, full_matrices=False)[2][2]
        return normal, np.float32(-c @ normal)


def _seam_chroma(small: np.ndarray, ia: np.ndarray, ib: np.ndarray, group: np.ndarray, k: int) -> np.ndarray:
    """Per group of pixel pairs (``ia`` on one side of a seam, ``ib`` on the other, flat indices into ``small``,
    HxWx3 uint8): the largest channel difference of the two sides' mean chromaticities (r, g, b) / (r + g + b)."""
    rgb = small.reshape(-1, 3)
    count = np.maximum(np.bincount(group, minlength=k), 1)
    sides = []
    for i in (ia, ib):
        c = rgb[i].astype(np.float32) + 1.0
        c /= c.sum(1, keepdims=True)
        sides.append(np.stack([np.bincount(group, c[:, j], k) for j in range(3)], 1) / count[:, None])
    return np.abs(sides[0] - sides[1]).max(1)


def _raised(normal: np.ndarray, off: float, below: Plane, height: float, cos_max: float = 0.985) -> bool:
    """Whether plane (normal, off) is parallel to ``below`` (within 10 degrees) and at most ``height`` metres
    above it, on the camera's side (the camera is at the origin)."""
    n0, off0 = below
    cos = float(normal @ n0)
    if abs(cos) < cos_max:
        return False
    lift = float(np.sign(off0)) * (off0 - np.sign(cos) * off)  # camera side of ``below`` is positive
    return 0.0 < lift <= height


def _central(c: np.ndarray, axis: int) -> np.ndarray:
    """Central difference ``c[i+1] - c[i-1]`` along ``axis`` (0 on the border rows/columns)."""
    out = np.zeros_like(c)
    if axis == 1:
        np.subtract(c[:, 2:], c[:, :-2], out=out[:, 1:-1])
    else:
        np.subtract(c[2:], c[:-2], out=out[1:-1])
    return out
