"""The online 3D instance map: per-frame lifting, free-space carving, association, voting and maintenance.

Instance IDs are never reused; a merge keeps the ID of the larger instance, so most of an object keeps its ID.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace

import numpy as np
from scipy.optimize import linear_sum_assignment

from perception.lifting import (
    LiftConfig,
    LiftedSegments,
    check_frame,
    lift_labels,
    paint_labels,
    pixel_keys,
    scene_voxel,
    voxel_centers,
)
from perception.map3d.association import associate, cell_overlaps, coarse_keys, unique_pairs
from perception.map3d.behind_plane import behind_planes
from perception.map3d.chroma import same_chromaticity
from perception.map3d.grid_dbscan import grid_dbscan
from perception.map3d.hidden_gap import hidden_gap_pairs
from perception.map3d.other_side import other_side_pairs
from perception.map3d.pair_evidence import PAIR, PairEvidence
from perception.map3d.planar_merge import convex_pairs, coplanar_pairs
from perception.map3d.support import support_labels
from perception.map3d.visibility import project, see
from perception.map3d.voxels import VoxelStore
from perception.types import UNLABELLED, InputError, Instances3D, Intrinsics

log = logging.getLogger(__name__)


@dataclass
class MapConfig:
    """Map options; distances in metres.

    assoc_cell: association counts overlap in cells of this many voxels a side; min_new_voxels: an unmatched segment
    of at least this many voxels may re-identify an instance, and of min_new_voxels * assoc_cell voxels (a strip one
    voxel wide across min_new_voxels cells) starts one, however few cells it fills (a thin marker), or of
    min_new_voxels when under half of its pixels have depth (a dark object, whose depth is sparse) or the segmenter
    found it as a thin object lying on a plane (``integrate``'s ``thin``: a marker a metre away lifts into a few
    voxels of its noisy top), or of one voxel when under sparse_share of them have depth (a black object, whose
    depth survives on a few scattered pixels); such a sparse segment left unmatched joins the instance fed only by
    sparse segments whose voxels mostly project into its pixels (a few voxels a frame, scattered over the object,
    seldom overlap), and those instances skip the DBSCAN pass, which would take their scattered voxels for specks;
    visible_tol: a map voxel is visible when |z - depth| is below this; carve_margin: a
    voxel this far in front of the measured surface is free space; iou_min / recall_min / feature_min: association
    gates;
    maintain_every: frames between merge/prune passes; merge_overlap: contested voxels in one frame / size of the
    smaller instance to merge two instances, in at least merge_min_frames frames;
    min_observations / min_voxels: prune thresholds; reid_distance / reid_feature / reid_frames: an unmatched
    segment takes over an instance seen in the last reid_frames frames within reid_distance (m) of it with
    feature similarity above reid_feature (moving objects), and a non-flat instance first seen in the last
    reid_frames frames merges with one it touches that was last observed before it, both observed in
    min_observations frames (``other_side``: an object back in view showing another side); denoise_every: frames between DBSCAN passes (0 = off);
    denoise_radius: the DBSCAN radius in units of the voxel or of the spacing of the depth samples that filled a voxel,
    whichever is coarser (samples spread with depth: depth / fx * stride apart), so sparse far surfaces stay whole
    while specks among dense samples go; denoise_max_radius: its cap in voxels; a cluster stays when it holds a
    quarter of the instance's largest one or ``denoise_keep`` voxels (a floor or table split by what stands on it);
    support_weak: at each DBSCAN pass, unlabelled voxels with at most this many votes take the label most voted for
    around them (``support``; 0 = off), so sparse, once-seen samples of a surface join it;
    background: pixels outside every segment are fused too, as geometry without an instance (label 0), so the map
    holds the whole surface and votes on voxels that a mask wrongly covered; auto_voxel: the first frame's depth
    sets the voxel size (``lifting.scene_voxel``) in place of ``lift.voxel``; planar_merge: after each DBSCAN pass,
    flat instances lying in one plane with a short gap between them merge (a wall seen piece by piece), or with any
    gap that was never seen through (``hidden_gap``: nothing lies behind their plane between them, as with a floor
    split by the table in front of it), and so do flat instances meeting at a convex edge (a table's top and side),
    if their features agree to planar_feature_min (looser than feature_min: the geometry is strong evidence, and faces
    differ in shading) or their voxels' median chromaticities agree to planar_chroma_max (``chroma``: shading scales
    a face's colour, which moves the descriptor's brightness and near-grey hue bins but not its chromaticity);
    then the voxels of an object just behind the plane of a flat instance it stands in front of and touches go to
    that instance (``behind_plane``: a mask that spilled onto the table beside a marker);
    spread_frames: that pass (DBSCAN, support, then the planar steps), run whole, stalls its frame for about ten
    frames' time; instead the frame it is due on (every denoise_every-th frame that is also a maintenance frame)
    takes the instances to denoise (those touched since the last pass) and plans the pass as steps in the old
    order: the DBSCAN work in shares of about equal voxel counts, as many as the spread_frames the later steps leave
    (at least one; one instance is never split), then support, coplanar, hidden gap, convex and behind plane; the
    following frames that are not maintenance frames run one step each, and ``settle`` runs what is left at once
    (evaluation and the session's map export call it at the end of a run, and a pass due while one is still pending
    settles it first); the plan depends only on the input, so the same input gives the same map (0 = the whole pass
    at once on the frame it is due on, as before).
    """

    lift: LiftConfig = field(default_factory=LiftConfig)
    capacity: int = 2_000_000
    visible_tol: float = 0.04
    carve_margin: float = 0.08
    iou_min: float = 0.3
    recall_min: float = 0.5
    feature_min: float = 0.75
    min_new_voxels: int = 5
    sparse_share: float = 0.1
    assoc_cell: int = 2
    reid_distance: float = 1.5
    reid_feature: float = 0.9
    reid_frames: int = 60
    maintain_every: int = 10
    merge_overlap: float = 0.5
    merge_min_frames: int = 3
    min_observations: int = 3
    min_voxels: int = 20
    denoise_every: int = 30
    denoise_radius: float = 2.5
    denoise_max_radius: float = 8.0
    denoise_keep: int = 1000
    support_weak: float = 2.0
    background: bool = True
    auto_voxel: bool = False
    planar_merge: bool = True
    planar_feature_min: float = 0.5
    planar_chroma_max: float = 0.02
    spread_frames: int = 9


@dataclass
class InstanceInfo:
    """Per-instance summary kept beside the voxels."""

    id: int
    first_seen: int
    last_seen: int
    observations: int = 0
    feature: np.ndarray | None = None
    label_votes: dict[str, int] = field(default_factory=dict)
    view_sum: np.ndarray = field(default_factory=lambda: np.zeros(3))  # camera centres of the observations
    sparse: bool = False  # fed only by segments with sparse depth (see MapConfig.sparse_share)

    @property
    def label(self) -> str:
        """The class name most observations voted for ("object" without votes)."""
        return max(self.label_votes, key=lambda k: (self.label_votes[k], k)) if self.label_votes else UNLABELLED


@dataclass
class FrameUpdate:
    """What one integrate() call did: the instance of each segment (-1: none) and the visible instances."""

    segment_ids: np.ndarray
    visible_ids: np.ndarray


class InstanceMap:
    """Sparse voxel instance map with bounded memory; see MapConfig for options."""

    def __init__(self, config: MapConfig | None = None):
        self.config = config or MapConfig()
        self.store = VoxelStore(self.config.lift.voxel, self.config.capacity)
        self.reset()

    def reset(self) -> None:
        """Forget every voxel and instance."""
        self.store.clear()
        self.info: dict[int, InstanceInfo] = {}
        self._next_id = 1
        self._conflicts: list[np.ndarray] = []
        self._touched: set[int] = set()
        self._merged: dict[int, int] = {}
        self._keep_pairs: np.ndarray | None = None
        self.evidence = PairEvidence()
        self._camera = np.zeros(3)  # camera centre of the frame being integrated
        self._pending: list[tuple[str, list[int]]] = []  # steps of a spread denoise pass yet to run, in order
        self.frames = 0
        self.pass_steps = 0  # steps of the denoise pass (see MapConfig.spread_frames) the last integrate call ran

    def _set_voxel(self, voxel: float) -> None:
        """Use ``voxel`` (m) from now on; only while the map is empty."""
        self.config.lift = replace(self.config.lift, voxel=voxel)
        self.store.voxel = voxel
        log.info("map3d: voxel size %.1f cm for this scene", 100 * voxel)

    @property
    def voxel(self) -> float:
        """Voxel edge length in metres."""
        return self.store.voxel

    @property
    def nbytes(self) -> int:
        """Bytes held by the map (voxels plus instance features)."""
        feats = sum(i.feature.nbytes for i in self.info.values() if i.feature is not None)
        return self.store.nbytes + feats + 64 * len(self.info)

    def integrate(self, frame: int, depth: np.ndarray, image: np.ndarray | None, intrinsics: Intrinsics,
                  pose: np.ndarray, masks: np.ndarray | None = None, labels: np.ndarray | None = None,
                  embeddings: np.ndarray | None = None, n_segments: int | None = None,
                  assign: np.ndarray | None = None, thin: np.ndarray | None = None) -> FrameUpdate:
        """Fuse one frame's segments (NxHxW ``masks`` or an HxW ``labels`` image) into the map; ``thin`` (per segment
        bool) marks thin objects lying on a plane, which start an instance from fewer voxels (see MapConfig).

        ``assign`` (instance ID per segment, > 0) bypasses association and maintenance: used to build
        ground-truth maps with exactly the same lifting, voting and free-space carving.
        """
        check_frame(depth, intrinsics, pose)
        valid = np.isfinite(depth) & (depth > 0)
        if not valid.any():
            raise InputError(f"frame {frame}: depth has no valid pixels")
        cfg = self.config
        if cfg.auto_voxel and len(self.store) == 0 and self.frames == 0:
            self._set_voxel(scene_voxel(depth))
        if labels is None:
            if masks is None:
                raise InputError("integrate needs masks or a label image")
            n_segments = len(masks)
            if masks.ndim != 3 or masks.shape[1:] != depth.shape:
                raise InputError(f"masks of shape {masks.shape} do not match depth {depth.shape}")
            labels = paint_labels(masks, cfg.lift.stride)
        n_segments = int(labels.max()) + 1 if n_segments is None else int(n_segments)
        share = _depth_share(labels, valid, n_segments, cfg.lift.stride)
        few, sparse = share < 0.5, share < cfg.sparse_share
        if thin is not None:
            if np.shape(thin) != (n_segments,):
                raise InputError(f"thin flags of shape {np.shape(thin)} do not match {n_segments} segments")
            few |= np.asarray(thin, bool)
        joins = self._sparse_joins(labels, depth, intrinsics, pose, sparse) if assign is None else None
        if cfg.background:  # unsegmented pixels become one extra segment that votes for "no instance"
            labels = np.where(labels >= 0, labels, n_segments)
        everything = lift_labels(labels, depth, image, intrinsics, pose, n_segments + cfg.background, cfg.lift)
        lifted = everything.first_segments(n_segments)
        self._camera = np.asarray(pose, np.float64)[:3, 3]
        visible = self._visibility(depth, intrinsics, pose)
        vis_ids = np.flatnonzero(np.bincount(self.store.label[visible]))
        if assign is None:
            seg_ids = self._associate(frame, lifted, visible, embeddings, few, sparse, joins)
        else:
            seg_ids = self._assign(frame, np.asarray(assign, np.int64))
        self._vote(frame, everything, np.append(seg_ids, 0) if cfg.background else seg_ids, intrinsics, pose)
        self.frames += 1
        self._merged = {}
        if assign is None:  # fragments merge as soon as the evidence is in, not at the next maintenance
            self._merge(self.evidence.fragments(cfg.merge_min_frames))
        maintain_now = assign is None and cfg.maintain_every > 0 and self.frames % cfg.maintain_every == 0
        self.pass_steps = 0
        if maintain_now:
            due = cfg.denoise_every > 0 and self.frames % cfg.denoise_every == 0
            if due and cfg.spread_frames > 0 and cfg.maintain_every > 1:  # 1: no frame between to spread over
                self.settle()
                self.maintain(frame)
                self._pending = self._plan()
            else:
                self.maintain(frame, denoise=due)
        elif assign is None and self._pending:
            self._run_step(*self._pending.pop(0))
        if self._merged or maintain_now:
            seg_ids = np.array([i if i in self.info else self._resolve(i) for i in seg_ids], np.int64)
        vis_ids = np.array([i if i in self.info else self._resolve(i) for i in vis_ids.tolist() if i > 0], np.int64)
        return FrameUpdate(seg_ids, np.unique(vis_ids[vis_ids > 0]))

    def instance_image(self, labels: np.ndarray, segment_ids: np.ndarray, depth: np.ndarray, k: Intrinsics,
                       pose: np.ndarray) -> np.ndarray:
        """HxW instance ID per pixel (-1 none) of a full-resolution segment label image: the instance its voxel
        holds in the map (sampled every ``lift.stride`` pixels), else its segment's instance."""
        img = np.append(np.asarray(segment_ids, np.int64), -1)[labels]
        s = max(1, int(self.config.lift.stride))
        d = depth[::s, ::s]
        v, u = np.nonzero(np.isfinite(d) & (d > self.config.lift.min_depth) & (labels[::s, ::s] >= 0))
        sub = np.zeros(d.shape, np.int64)
        sub[v, u] = self.label_of(pixel_keys(u * s, v * s, d[v, u].astype(np.float64), k, pose, self.voxel))
        up = np.repeat(np.repeat(sub, s, axis=0), s, axis=1)[:labels.shape[0], :labels.shape[1]]
        return np.where((up > 0) & (labels >= 0), up, img)

    def _visibility(self, depth: np.ndarray, k: Intrinsics, pose: np.ndarray) -> np.ndarray:
        """Rows of voxels visible in this frame; voxels seen through (free space) lose evidence and may vanish."""
        st = self.store
        if len(st) == 0:
            return np.zeros(0, np.int64)
        cfg = self.config
        vis, free = see(st.centers, depth, k, pose, cfg.lift.min_depth, cfg.visible_tol + 0.5 * self.voxel,
                        cfg.carve_margin)
        if len(free):
            st.hits[free] = st.hits[free] // 2 - 1
            dead = free[st.hits[free] <= 0]
            st.label[dead] = 0
            st.hits[dead] = 0
            st.conf[dead] = 0
        return vis[st.hits[vis] > 0]

    def _associate(self, frame: int, lifted: LiftedSegments, visible: np.ndarray,
                   embeddings: np.ndarray | None, few: np.ndarray, sparse: np.ndarray, joins: np.ndarray) -> np.ndarray:
        """Instance ID for each segment, creating instances for unmatched segments with enough voxels (fewer for
        ``few`` ones: pixels mostly without depth, or a thin object; one for ``sparse`` ones) unless ``joins`` gives
        them a sparse instance (> 0).

        Overlap is counted in cells of ``assoc_cell`` voxels so that a surface seen one voxel off
        (noise, a moving object) still overlaps.
        """
        cfg = self.config
        st = self.store
        seg_cell, seg = unique_pairs(coarse_keys(lifted.keys, cfg.assoc_cell), lifted.segment)
        vis = visible[st.label[visible] > 0]
        map_cell, map_label = unique_pairs(coarse_keys(st.keys[vis], cfg.assoc_cell), st.label[vis])
        inst_ids, inter, sizes, vis_sizes = cell_overlaps(seg_cell, seg, lifted.n_segments, map_cell, map_label)
        sim = None
        if embeddings is not None and len(inst_ids):
            feats = [self.info[i].feature for i in inst_ids]
            if all(f is not None for f in feats):
                sim = _normalise(embeddings) @ np.stack(feats).T
        match = associate(inter, sizes, vis_sizes, sim, cfg.iou_min, cfg.recall_min, cfg.feature_min)
        covers = (inter / np.maximum(vis_sizes, 1)[None] >= 0.5) & (inter >= cfg.min_new_voxels)
        multi = np.flatnonzero(covers.sum(1) >= 2)  # under-segmented: spans several known instances
        self._keep_pairs = np.concatenate([s * PAIR + inst_ids[covers[s]] for s in multi]) if len(multi) else None
        self.evidence.update(covers, inter, match, inst_ids)
        voxels = lifted.sizes()  # gates count voxels: a thin object fills few association cells
        inst_ids, match = self._reidentify(frame, lifted, embeddings, inst_ids, match, voxels)
        ids = np.full(lifted.n_segments, -1, np.int64)
        for s in range(lifted.n_segments):
            if match[s] >= 0:
                ids[s] = inst_ids[match[s]]
            elif joins[s] > 0:
                ids[s] = joins[s]
            elif voxels[s] >= (1 if sparse[s] else cfg.min_new_voxels * (1 if few[s] else cfg.assoc_cell)):
                ids[s] = self._next_id
                self.info[self._next_id] = InstanceInfo(self._next_id, frame, frame, sparse=bool(sparse[s]))
                self._next_id += 1
            else:
                continue
            inst = self.info[int(ids[s])]
            inst.sparse &= bool(sparse[s])
            inst.last_seen = frame
            inst.observations += 1
            inst.view_sum = inst.view_sum + self._camera
            if embeddings is not None:
                f = _normalise(embeddings[s:s + 1])[0]
                inst.feature = f if inst.feature is None else _normalise((inst.feature * 0.8 + f * 0.2)[None])[0]
            self._touched.add(int(ids[s]))
        return ids

    def _sparse_joins(self, labels: np.ndarray, depth: np.ndarray, k: Intrinsics, pose: np.ndarray,
                      sparse: np.ndarray) -> np.ndarray:
        """Per segment: the sparse instance (``InstanceInfo.sparse``) of which a ``sparse`` segment holds the most
        voxels, at least half of those in view and not hidden behind measured depth (0: none)."""
        out = np.zeros(len(sparse), np.int64)
        ids = [i for i, inf in self.info.items() if inf.sparse]
        if not ids or not sparse.any():
            return out
        st = self.store
        want = np.zeros(max(int(st.label.max(initial=0)), max(ids)) + 1, bool)
        want[ids] = True
        rows = np.flatnonzero(want[st.label])
        r, pix, z = project(st.centers[rows], k, pose, self.config.lift.min_depth)
        dm = depth.ravel()[pix]
        seen = ~(np.isfinite(dm) & (dm > 0) & (dm < z - self.config.carve_margin))
        r, pix = r[seen], pix[seen]
        v, u = np.divmod(pix, depth.shape[1])
        s = 1 if labels.shape == depth.shape else max(1, int(self.config.lift.stride))
        seg = labels[v // s, u // s]
        inst = st.label[rows[r]]
        in_view = np.bincount(inst)
        hit = (seg >= 0) & (seg < len(sparse))
        hit[hit] = sparse[seg[hit]]
        pairs, counts = np.unique(seg[hit].astype(np.int64) * len(in_view) + inst[hit], return_counts=True)
        best = np.zeros(len(sparse), np.int64)
        for key, c in zip(pairs.tolist(), counts.tolist()):
            a, i = divmod(key, len(in_view))
            if 2 * c >= in_view[i] and c > best[a]:
                out[a], best[a] = i, c
        return out

    def _reidentify(self, frame: int, lifted: LiftedSegments, embeddings: np.ndarray | None, inst_ids: np.ndarray,
                    match: np.ndarray, voxels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Give unmatched segments of at least ``min_new_voxels`` voxels to recently seen, unmatched instances nearby
        with a very similar feature (an object that moved further than overlap can follow); Hungarian on centroid
        distance."""
        cfg = self.config
        todo = np.flatnonzero((match < 0) & (voxels >= cfg.min_new_voxels))
        if embeddings is None or len(todo) == 0 or cfg.reid_distance <= 0:
            return inst_ids, match
        taken = set(inst_ids[match[match >= 0]].tolist())
        cands = np.array([i for i, inf in self.info.items() if i not in taken and inf.feature is not None
                          and inf.last_seen >= frame - cfg.reid_frames], np.int64)
        if len(cands) == 0:
            return inst_ids, match
        summ = self.instances(cands)
        if len(summ) == 0:
            return inst_ids, match
        pts = voxel_centers(lifted.keys, self.voxel)
        n = np.maximum(lifted.sizes(), 1)[:, None]
        seg_c = np.stack([np.bincount(lifted.segment, pts[:, j], lifted.n_segments) for j in range(3)], 1) / n
        dist = np.linalg.norm(seg_c[todo, None, :] - summ.centroids[None], axis=2)
        sim = _normalise(embeddings[todo]) @ np.stack([self.info[i].feature for i in summ.ids.tolist()]).T
        ok = (dist <= cfg.reid_distance) & (sim >= cfg.reid_feature)
        if not ok.any():
            return inst_ids, match
        rows, cols = linear_sum_assignment(np.where(ok, dist, 1e6))
        good = ok[rows, cols]
        ids = np.concatenate([inst_ids, summ.ids[cols[good]]])
        match = match.copy()
        match[todo[rows[good]]] = len(inst_ids) + np.arange(int(good.sum()))
        return ids, match

    def _assign(self, frame: int, ids: np.ndarray) -> np.ndarray:
        for i in np.unique(ids[ids > 0]).tolist():
            inst = self.info.setdefault(i, InstanceInfo(i, frame, frame))
            inst.last_seen = frame
            inst.observations += 1
            inst.view_sum = inst.view_sum + self._camera
        return ids

    def _vote(self, frame: int, lifted: LiftedSegments, seg_ids: np.ndarray, k: Intrinsics, pose: np.ndarray) -> None:
        keys, seg, rgb = lifted.per_voxel()
        lab = seg_ids[seg]
        if self._keep_pairs is not None:  # voxels of an under-segmented segment keep their own instance
            cur = self.label_of(keys)
            own = np.isin(seg * PAIR + cur, self._keep_pairs)
            lab = np.where(own, cur, lab)
            self._keep_pairs = None
        keep = lab >= 0
        conflicts = self.store.vote(keys[keep], lab[keep], rgb[keep], frame, self._spacing(keys[keep], k, pose))
        conflicts = conflicts[(conflicts[:, 0] > 0) & (conflicts[:, 1] > 0) & (conflicts[:, 0] != conflicts[:, 1])]
        if len(conflicts):  # one (pair key, count) row per pair and frame, so maintenance stays cheap
            pairs = np.sort(conflicts.min(1) * PAIR + conflicts.max(1))
            first = np.flatnonzero(np.r_[True, pairs[1:] != pairs[:-1]])
            self._conflicts.append(np.column_stack([pairs[first], np.diff(np.append(first, len(pairs)))]))

    def _spacing(self, keys: np.ndarray, k: Intrinsics, pose: np.ndarray) -> np.ndarray:
        """Metres between neighbouring depth samples (every ``lift.stride`` pixels) at each voxel's depth z:
        the pixel footprint stride * z / f."""
        pose = np.asarray(pose, np.float64)
        z = (voxel_centers(keys, self.voxel) - pose[:3, 3]) @ pose[:3, 2]
        return max(1, int(self.config.lift.stride)) * z / min(k.fx, k.fy)

    def vote_labels(self, instance_ids: np.ndarray, labels: np.ndarray) -> None:
        """One class-name vote per (instance, label) pair of a frame; instances not in the map are skipped."""
        for i, name in zip(np.asarray(instance_ids).tolist(), labels):
            inst = self.info.get(int(i))
            if inst is not None and name != UNLABELLED:
                inst.label_votes[name] = inst.label_votes.get(name, 0) + 1

    def labels_of(self, ids: np.ndarray) -> np.ndarray:
        """Voted class name of each instance ID (object array; "object" when unknown or unvoted)."""
        return np.array([self.info[i].label if i in self.info else UNLABELLED for i in np.asarray(ids).tolist()],
                        dtype=object)

    def _resolve(self, i: int) -> int:
        """An ID that was merged away maps to the ID that absorbed it (-1 if it was pruned)."""
        i = int(i)
        while i in self._merged:
            i = self._merged[i]
        return i if i in self.info else -1

    def maintain(self, frame: int, denoise: bool = False) -> None:
        """Merge overlapping instances, prune weak ones, optionally DBSCAN-denoise recently touched ones."""
        cfg = self.config
        st = self.store
        st.keep(st.hits > 0)
        self._merge(self._merge_candidates())
        self._merge(self._other_sides(frame))
        sizes = self._sizes()
        stale = frame - cfg.maintain_every
        self._remove([i for i, inst in self.info.items() if sizes.get(i, 0) == 0 or (
            (inst.observations < cfg.min_observations or sizes.get(i, 0) < cfg.min_voxels) and inst.last_seen < stale)])
        if denoise:  # the whole pass at once; integrate spreads it over frames (MapConfig.spread_frames)
            self._denoise(self._to_denoise())
            self._touched = set()
            self.pass_steps += 1
            views = None
            for step in self._later_steps():
                views = self._run_step(step, None, views)

    def _to_denoise(self) -> list[int]:
        """Instances touched since the last DBSCAN pass that it denoises (sparse ones keep their scattered voxels)."""
        return [i for i in self._touched if i in self.info and not self.info[i].sparse]

    def _later_steps(self) -> list[str]:
        """The steps of the denoise pass after DBSCAN, in order (see MapConfig)."""
        cfg = self.config
        planar = ["coplanar", "hidden_gap", "convex", "behind"] if cfg.planar_merge else []
        return (["support"] if cfg.support_weak > 0 else []) + planar

    def _plan(self) -> list[tuple[str, list[int]]]:
        """The steps of a spread denoise pass (MapConfig.spread_frames): the instances touched since the last pass,
        to denoise in shares of about equal voxel counts, then the later steps."""
        later = self._later_steps()
        shares = _shares(self._to_denoise(), self._sizes(), max(1, self.config.spread_frames - len(later)))
        self._touched = set()
        return [("denoise", share) for share in shares] + [(step, []) for step in later]

    def settle(self) -> None:
        """Run the steps of a spread denoise pass still pending, at once (before reading the final map)."""
        while self._pending:
            self._run_step(*self._pending.pop(0))

    def _run_step(self, step: str, ids: list[int] | None = None,
                  views: dict[int, np.ndarray] | None = None) -> dict[int, np.ndarray] | None:
        """Run one step of the denoise pass (``denoise``: of instances ``ids`` still in the map); returns the mean
        camera centres it used (``behind`` reuses those of ``convex`` when the whole pass runs at once)."""
        cfg = self.config
        st = self.store
        self.pass_steps += 1
        if step == "denoise":  # an instance merged away since: the one that took it is denoised next time
            self._denoise([i for i in ids or [] if i in self.info and not self.info[i].sparse])
            return None
        if step == "support":
            st.label = support_labels(st.keys, st.label, st.conf, cfg.support_weak)
            return None
        # the planar steps come after denoising: stray pieces would hide that an instance is flat
        if step == "coplanar":
            sel = st.label > 0
            self._merge(coplanar_pairs(st.centers[sel], st.label[sel], self.voxel, cfg.min_voxels),
                        cfg.planar_feature_min, cfg.planar_chroma_max)
            return None
        if step == "behind":
            views = self._views() if views is None else views
            st.label = behind_planes(st.keys, st.centers, st.label, views, self.voxel, cfg.min_voxels)
            return views
        views = self._views()
        if step == "hidden_gap":
            pairs = hidden_gap_pairs(st.centers, st.label, views, self.voxel, cfg.min_voxels)
        else:
            sel = st.label > 0
            pairs = convex_pairs(st.centers[sel], st.label[sel], views, self.voxel, cfg.min_voxels)
        self._merge(pairs, cfg.planar_feature_min, cfg.planar_chroma_max)
        return views

    def _views(self) -> dict[int, np.ndarray]:
        """Mean camera centre of each observed instance."""
        return {i: inf.view_sum / inf.observations for i, inf in self.info.items() if inf.observations}

    def _other_sides(self, frame: int) -> list[tuple[int, int]]:
        """Pairs (old, new) of instances observed in ``min_observations`` frames or more that touch but were never
        observed together, the new one first seen in the last ``reid_frames`` frames: one object seen again from
        another side (``other_side``)."""
        cfg = self.config
        seen = {i: (inf.first_seen, inf.last_seen) for i, inf in self.info.items()
                if inf.observations >= cfg.min_observations}
        young = [i for i, (first, _) in seen.items() if first >= frame - cfg.reid_frames]
        if not young:
            return []
        st = self.store
        boxes = self.instances(np.fromiter(seen, np.int64, len(seen)))
        return other_side_pairs(st.keys, st.centers, st.label, boxes, seen, young, self.voxel)

    def _merge(self, pairs: list[tuple[int, int]], feature_min: float | None = None,
               chroma_max: float | None = None) -> None:
        """Merge each pair whose features agree (similarity ``feature_min``, default ``config.feature_min``, or voxel
        chromaticities within ``chroma_max``); the larger instance absorbs the smaller (older on a tie), so fewer
        pixels change ID."""
        if not pairs:
            return
        sizes = self._sizes()
        parent: dict[int, int] = {}

        def root(x: int) -> int:
            while x in parent:
                x = parent[x]
            return x
        for a, b in pairs:
            if a not in self.info or b not in self.info or not self._features_agree(a, b, feature_min, chroma_max):
                continue
            ra, rb = root(a), root(b)
            if ra != rb:
                keep, gone = sorted((ra, rb), key=lambda i: (-sizes.get(i, 0), i))
                parent[gone] = keep
        if not parent:
            return
        st = self.store
        lut = np.arange(max(int(st.label.max(initial=0)), max(parent)) + 1)
        for child in list(parent):
            lut[child] = root(child)
            self._absorb(root(child), child)
        st.label = lut[st.label]  # one pass over the voxels for every merge
        self.evidence.forget(set(parent))

    def _merge_candidates(self) -> list[tuple[int, int]]:
        """Instance pairs to merge: one segment spanned both far more often than separate segments held them
        (fragments of one object), or votes contested most of the smaller one in ``merge_min_frames`` frames."""
        cfg = self.config
        out = self.evidence.fragments(cfg.merge_min_frames)
        if self._conflicts:
            sizes = self._sizes()
            rows = np.concatenate(self._conflicts)
            self._conflicts = []
            a, b = np.divmod(rows[:, 0], PAIR)
            small = np.maximum([min(sizes.get(x, 0), sizes.get(y, 0)) for x, y in zip(a.tolist(), b.tolist())], 1)
            strong = rows[:, 1] >= cfg.merge_overlap * small
            uniq, inv = np.unique(rows[:, 0], return_inverse=True)
            out += [divmod(k, PAIR) for k in uniq[np.bincount(inv, strong, len(uniq)) >= cfg.merge_min_frames].tolist()]
        return out

    def _features_agree(self, a: int, b: int, feature_min: float | None = None,
                        chroma_max: float | None = None) -> bool:
        fa, fb = self.info[a].feature, self.info[b].feature
        least = self.config.feature_min if feature_min is None else feature_min
        if fa is None or fb is None or float(fa @ fb) >= least:
            return True
        return chroma_max is not None and same_chromaticity(self.store.rgb, self.store.label, a, b, chroma_max)

    def _absorb(self, keep: int, gone: int) -> None:
        """``keep`` takes over ``gone``'s record (the caller relabels the voxels and forgets its pair evidence)."""
        a, b = self.info[keep], self.info.pop(gone)
        a.first_seen = min(a.first_seen, b.first_seen)
        a.last_seen = max(a.last_seen, b.last_seen)
        a.observations += b.observations
        a.view_sum = a.view_sum + b.view_sum
        a.sparse &= b.sparse
        for k, v in b.label_votes.items():
            a.label_votes[k] = a.label_votes.get(k, 0) + v
        if a.feature is not None and b.feature is not None:
            a.feature = _normalise((a.feature + b.feature)[None])[0]
        self._merged[gone] = keep
        self._touched.discard(gone)
        self._touched.add(keep)

    def _remove(self, ids: list[int]) -> None:
        """Forget instances ``ids``: their voxels lose the label (one pass over the voxels for all of them)."""
        if not ids:
            return
        st = self.store
        drop = np.zeros(max(int(st.label.max(initial=0)), max(ids)) + 1, bool)
        drop[ids] = True
        st.label[drop[st.label]] = 0
        for i in ids:
            self.info.pop(i, None)
            self._touched.discard(i)
        self.evidence.forget(set(ids))

    def _denoise(self, ids: list[int]) -> None:
        """Keep each instance's large DBSCAN clusters; stray voxels lose their label."""
        st = self.store
        if not ids:
            return
        want = np.zeros(max(int(st.label.max(initial=0)), max(ids)) + 1, bool)
        want[ids] = True
        mine = np.flatnonzero(want[st.label])
        order = mine[np.argsort(st.label[mine], kind="stable")]  # each instance's voxel rows, found once for all
        sorted_labels = st.label[order]
        start, end = np.searchsorted(sorted_labels, ids), np.searchsorted(sorted_labels, ids, side="right")
        for i, a, b in zip(ids, start.tolist(), end.tolist()):
            rows = order[a:b]
            if len(rows) < 10:
                continue
            lab = grid_dbscan(st.keys[rows], self._denoise_radius(rows), 3)  # on the voxel grid, radius per voxel
            if lab is None:  # a huge instance: Open3D with the radius of the finest samples
                import open3d as o3d

                pcd = o3d.geometry.PointCloud(o3d.utility.Vector3dVector(st.centers[rows].astype(np.float64)))
                lab = np.asarray(pcd.cluster_dbscan(eps=self.config.denoise_radius * self.voxel, min_points=3))
            if lab.max() < 0:
                continue
            counts = np.bincount(lab[lab >= 0])
            good = np.flatnonzero(counts >= min(0.25 * counts.max(), self.config.denoise_keep))
            st.label[rows[~np.isin(lab, good)]] = 0

    def _denoise_radius(self, rows: np.ndarray) -> np.ndarray:
        """DBSCAN radius (voxels) of each voxel: ``denoise_radius`` voxels or sample spacings, whichever is coarser,
        rounded down to a power of sqrt(2) times ``denoise_radius`` (few distinct balls, each still over 1.7 spacings),
        at most ``denoise_max_radius``."""
        cfg = self.config
        scale = np.maximum(self.store.spacing[rows].astype(np.float64) / self.voxel, 1.0)
        radius = cfg.denoise_radius * np.sqrt(2.0) ** np.floor(2 * np.log2(scale) + 1e-9)
        return np.minimum(radius, max(cfg.denoise_max_radius, cfg.denoise_radius))

    def _sizes(self) -> dict[int, int]:
        counts = np.bincount(self.store.label)
        ids = np.flatnonzero(counts)
        ids = ids[ids > 0]
        return dict(zip(ids.tolist(), counts[ids].tolist()))

    def instances(self, ids: np.ndarray | None = None) -> Instances3D:
        """Centroid, box and voxel count of the given instances (default: all), sorted by ID."""
        st = self.store
        lab = st.label
        if ids is None:
            sel = np.flatnonzero(lab > 0)
        else:
            want = np.zeros(max(int(lab.max(initial=0)), int(np.max(ids, initial=0))) + 1, bool)
            want[np.asarray(ids, np.int64)] = True
            want[0] = False
            sel = np.flatnonzero(want[lab])
        if len(sel) == 0:
            return Instances3D.empty()
        order = sel[np.argsort(lab[sel], kind="stable")]
        l = lab[order]
        start = np.flatnonzero(np.r_[True, l[1:] != l[:-1]])
        pts = st.centers[order].astype(np.float64)
        counts = np.diff(np.append(start, len(order)))
        cent = np.add.reduceat(pts, start, axis=0) / counts[:, None]
        half = 0.5 * self.voxel
        return Instances3D(l[start], cent, np.minimum.reduceat(pts, start, axis=0) - half,
                           np.maximum.reduceat(pts, start, axis=0) + half, counts)

    def summaries(self) -> list[dict]:
        """JSON-ready per-instance records: id, centroid, box, point count, first/last seen frame, observations,
        confidence and vote agreement (see ``confidences``)."""
        inst = self.instances()
        conf = self.confidences()
        out = []
        for j, i in enumerate(inst.ids.tolist()):
            info = self.info.get(i)
            if info is None:
                continue
            out.append({"id": i, "centroid": _r(inst.centroids[j]), "box_min": _r(inst.box_min[j]),
                        "box_max": _r(inst.box_max[j]), "point_count": int(inst.point_counts[j]),
                        "first_seen": info.first_seen, "last_seen": info.last_seen,
                        "observations": info.observations, "label": info.label, "confidence": conf[i]["confidence"],
                        "agreement": conf[i]["agreement"]})
        return out

    def points(self, max_points: int | None = None, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(xyz Nx3 float32, rgb Nx3 uint8, instance_id N int64; 0 = no instance), subsampled to ``max_points``."""
        st = self.store
        rows = np.flatnonzero(st.hits > 0)
        if max_points is not None and len(rows) > max_points:
            rows = np.sort(np.random.default_rng(seed).choice(rows, max_points, replace=False))
        return st.centers[rows].copy(), st.rgb[rows].copy(), st.label[rows].copy()

    def label_of(self, keys: np.ndarray) -> np.ndarray:
        """Instance ID stored at each packed voxel key (0 where absent or unlabelled)."""
        rows = self.store.lookup(keys)
        out = np.zeros(len(keys), np.int64)
        out[rows >= 0] = self.store.label[rows[rows >= 0]]
        return out

    def confidences(self) -> dict[int, dict[str, float]]:
        """Per instance: ``confidence`` in [0, 1) (the product of how often it was observed, how consistently
        its voxels' votes agreed, and its size against ``min_voxels``) and the three parts."""
        st = self.store
        lab = st.label
        n = int(lab.max(initial=0)) + 1
        sel = lab > 0
        size = np.bincount(lab[sel], minlength=n).astype(np.float64)
        agree = np.clip(st.conf[sel] / np.maximum(st.hits[sel], 1), 0.0, 1.0)
        agreement = np.bincount(lab[sel], agree, minlength=n) / np.maximum(size, 1)
        out = {}
        for i, inf in self.info.items():
            obs = inf.observations
            a = float(agreement[i]) if i < n else 0.0
            v = float(size[i]) if i < n else 0.0
            conf = obs / (obs + 2.0) * a * v / (v + self.config.min_voxels)
            out[i] = {"confidence": round(conf, 4), "observations": obs, "agreement": round(a, 4), "voxels": int(v)}
        return out

    def score(self, i: int) -> float:
        """Confidence of one instance (see ``confidences``); 0 for an unknown ID."""
        return self.confidences().get(int(i), {"confidence": 0.0})["confidence"]


def _depth_share(labels: np.ndarray, valid: np.ndarray, n: int, stride: int) -> np.ndarray:
    """Per segment 0..n-1: the share of its lifting samples (every ``stride``-th pixel, as ``lift_labels`` takes
    them) that have depth (1 for a segment without samples)."""
    s = max(1, int(stride))
    lab = labels[::s, ::s] if labels.shape == valid.shape else labels
    ok = valid[::s, ::s]
    inside = (lab >= 0) & (lab < n)
    total = np.bincount(lab[inside], minlength=n)
    return np.bincount(lab[inside & ok], minlength=n) / np.maximum(total, 1) + (total == 0)


def _shares(ids: list[int], sizes: dict[int, int], n: int) -> list[list[int]]:
    """``ids`` in ``n`` shares of about equal total size: largest first, each to the least filled share (the first
    on a tie); each share sorted."""
    out: list[list[int]] = [[] for _ in range(n)]
    load = [0] * n
    for i in sorted(ids, key=lambda i: (-sizes.get(i, 0), i)):
        j = load.index(min(load))
        out[j].append(i)
        load[j] += sizes.get(i, 0)
    return [sorted(share) for share in out]


def _normalise(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, np.float32)
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-9)


def _r(v: np.ndarray) -> list[float]:
    return [round(float(x), 4) for x in v]
