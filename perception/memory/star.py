"""Bounded STAR frame memory: spatial ring buffer, time-ordered weighted clusters, retrieved keyframes.

After Flash-VStream, without its two bugs: cluster weights survive every merge, and a cluster's
keyframe is the member frame nearest its centroid (kept with the cluster), never a raw frame looked
up by cluster id.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, replace

import numpy as np

from perception.memory.config import MemoryConfig
from perception.memory.describe import normalise, shrink_jpeg


@dataclass(frozen=True)
class FrameRecord:
    """One remembered frame: time span it stands for, weight (frames merged in), embedding, JPEG, links."""

    frame_index: int
    t_start: float
    t_end: float
    weight: float
    embedding: np.ndarray
    jpeg: bytes
    track_ids: tuple[int, ...] = ()
    instance_ids: tuple[int, ...] = ()

    @property
    def time(self) -> float:
        """The time the record's image was taken."""
        return self.t_start


@dataclass(frozen=True)
class Cluster:
    """A temporal cluster of older frames: unit centroid, total weight, time span and nearest real frame."""

    centroid: np.ndarray
    weight: float
    t_start: float
    t_end: float
    representative: FrameRecord
    members: int


def _frozen(v: np.ndarray) -> np.ndarray:
    v = np.array(v, dtype=np.float32)
    v.setflags(write=False)
    return v


class StarMemory:
    """Spatial + temporal + retrieved frame memory with a hard size bound (the writer's side)."""

    def __init__(self, config: MemoryConfig):
        self.config = config
        self.spatial: deque[FrameRecord] = deque()
        self.clusters: list[Cluster] = []
        self.duplicates = 0  # frames folded into an existing record (near-duplicate or within the sampling interval)

    def reset(self) -> None:
        """Forget every frame."""
        self.spatial.clear()
        self.clusters.clear()
        self.duplicates = 0

    def is_duplicate(self, embedding: np.ndarray) -> bool:
        """Whether a frame with this embedding is a near-duplicate of the newest record."""
        if not self.spatial:
            return False
        last = self.spatial[-1].embedding
        return last.shape == embedding.shape and float(last @ embedding) >= self.config.duplicate_similarity

    def extend(self, t: float, track_ids: tuple[int, ...] = (), instance_ids: tuple[int, ...] = (), weight: float = 1.0) -> None:
        """Fold a frame into the newest record: more weight, a longer time span, the union of its links."""
        last = self.spatial[-1]
        self.spatial[-1] = replace(last, t_end=t, weight=last.weight + weight,
                                   track_ids=tuple(sorted(set(last.track_ids) | set(track_ids))),
                                   instance_ids=tuple(sorted(set(last.instance_ids) | set(instance_ids))))
        self.duplicates += 1

    def add(self, record: FrameRecord) -> bool:
        """Add a frame record; a near-duplicate of the newest record only adds weight. True if added."""
        record = replace(record, embedding=_frozen(record.embedding))
        if self.is_duplicate(record.embedding):
            self.extend(record.t_end, record.track_ids, record.instance_ids, record.weight)
            return False
        self.spatial.append(record)
        if len(self.spatial) > self.config.spatial_size:
            self._to_temporal(self.spatial.popleft())
        self._enforce_byte_cap()
        return True

    def _to_temporal(self, rec: FrameRecord) -> None:
        self.clusters.append(Cluster(rec.embedding, rec.weight, rec.t_start, rec.t_end, rec, 1))
        while len(self.clusters) > self.config.temporal_clusters:
            cents = np.stack([c.centroid for c in self.clusters])
            sims = np.einsum("ij,ij->i", cents[:-1], cents[1:])
            i = int(np.argmax(sims))
            self.clusters[i:i + 2] = [self._merge(self.clusters[i], self.clusters[i + 1])]

    @staticmethod
    def _merge(a: Cluster, b: Cluster) -> Cluster:
        """Weighted merge of two time-adjacent clusters; keeps total weight, span, and the nearer keyframe."""
        w = a.weight + b.weight
        c = normalise(a.centroid * a.weight + b.centroid * b.weight)
        rep = a.representative if float(a.representative.embedding @ c) >= float(b.representative.embedding @ c) else b.representative
        return Cluster(_frozen(c), w, min(a.t_start, b.t_start), max(a.t_end, b.t_end), rep, a.members + b.members)

    def retrieved(self) -> tuple[FrameRecord, ...]:
        """Keyframes of the heaviest clusters, in time order."""
        top = sorted(self.clusters, key=lambda c: -c.weight)[: self.config.retrieved_size]
        return tuple(c.representative for c in sorted(top, key=lambda c: c.t_start))

    @property
    def jpeg_bytes(self) -> int:
        """Bytes of every JPEG held (the thumbnail bank)."""
        return sum(len(r.jpeg) for r in self.spatial) + sum(len(c.representative.jpeg) for c in self.clusters)

    def _enforce_byte_cap(self) -> None:
        """Halve the lightest clusters' keyframes (then the oldest spatial ones) until under the byte cap."""
        total = self.jpeg_bytes
        cap = self.config.thumbnail_bytes_cap
        if total <= cap:
            return
        order = sorted(range(len(self.clusters)), key=lambda i: self.clusters[i].weight)
        for i in order:
            while total > cap:
                c = self.clusters[i]
                small = shrink_jpeg(c.representative.jpeg, self.config.jpeg_quality)
                if len(small) >= len(c.representative.jpeg):
                    break
                total -= len(c.representative.jpeg) - len(small)
                self.clusters[i] = replace(c, representative=replace(c.representative, jpeg=small))
            if total <= cap:
                return
        for i in range(len(self.spatial)):
            while total > cap:
                r = self.spatial[i]
                small = shrink_jpeg(r.jpeg, self.config.jpeg_quality)
                if len(small) >= len(r.jpeg):
                    break
                total -= len(r.jpeg) - len(small)
                self.spatial[i] = replace(r, jpeg=small)
