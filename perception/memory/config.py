"""Capacities and thresholds of the streaming video memory, in one place."""

from __future__ import annotations

from dataclasses import dataclass

from perception.types import InputError


@dataclass(frozen=True)
class MemoryConfig:
    """Every bound and threshold the memory uses; defaults follow Flash-VStream's sizes.

    The memory never holds more than these capacities, however long the stream.
    """

    spatial_size: int = 8                 # latest frame records at full detail
    temporal_clusters: int = 25           # K clusters of older frames
    retrieved_size: int = 4               # keyframes kept for the heaviest clusters
    keyframe_max_side: int = 384          # JPEG size of a frame record (pixels, longest side)
    jpeg_quality: int = 80
    thumbnail_bytes_cap: int = 4_000_000  # all JPEGs together
    duplicate_similarity: float = 0.995   # cosine above which a frame only adds weight to the last record
    frame_interval_s: float = 0.2         # at most one new frame record per interval; frames between add weight
    embedding: str = "auto"               # "auto": external vector when given, else descriptor; or "descriptor"
    scene_change_fraction: float = 0.6    # share of 8x6 grid cells whose colour must change for a scene change
    scene_change_delta: float = 12.0      # Lab distance from a cell's recent mean that counts as changed
    max_tracks: int = 1000                # per-track summaries kept (oldest ended ones compacted away)
    max_track_points: int = 256           # trajectory key points per track
    max_track_intervals: int = 64         # visibility intervals per track
    trajectory_tolerance_px: float = 3.0  # max error of the piecewise-linear trajectory
    max_instances: int = 4096             # per-instance 3D summaries
    max_events: int = 5000                # raw event log
    max_count_changes: int = 2048         # change points of the visible-object count
    timeline_lines: int = 300             # abstract memory (text timeline)
    timeline_compact: int = 40            # oldest lines merged into one summary line when full
    forget_after_s: float = 3.0           # a track absent this long has ended
    colour_samples: int = 12              # dominant-colour samples per track (then every 10th frame)
    hold_s: float = 0.3                   # a track missed this briefly still counts as in view (at least 1.5 frames)
    link_gap_s: float = 2.0               # a new track may continue one that vanished at most this long ago ...
    reappear_gap_s: float = 6.0           # ... or this long ago when it starts well inside the image (not walking in),
    link_distance: float = 0.75           # ... within this many box heights (x (1 + gap s)) of where it was heading,
    link_size_ratio: float = 1.4          # ... with box width and height within this ratio,
    link_appearance: float = 0.75         # ... and a colour-histogram similarity (0..1) at least this

    def __post_init__(self) -> None:
        ints = {k: getattr(self, k) for k in ("spatial_size", "temporal_clusters", "retrieved_size", "keyframe_max_side",
                                              "max_tracks", "max_track_points", "max_track_intervals", "max_instances",
                                              "max_events", "max_count_changes", "timeline_lines", "colour_samples")}
        bad = [k for k, v in ints.items() if int(v) < 1]
        if bad:
            raise InputError(f"memory settings must be >= 1: {', '.join(bad)}")
        if self.temporal_clusters < 2 or self.max_track_points < 4 or self.max_track_intervals < 2:
            raise InputError("memory needs temporal_clusters >= 2, max_track_points >= 4, max_track_intervals >= 2")
        if self.retrieved_size > self.temporal_clusters:
            raise InputError(f"retrieved_size ({self.retrieved_size}) cannot exceed temporal_clusters ({self.temporal_clusters})")
        if not 1 <= self.jpeg_quality <= 100:
            raise InputError(f"jpeg_quality must be in 1..100, got {self.jpeg_quality}")
        if self.embedding not in ("auto", "descriptor"):
            raise InputError(f"memory embedding must be 'auto' or 'descriptor', got {self.embedding!r}")
        if self.timeline_compact < 2 or self.timeline_compact >= self.timeline_lines:
            raise InputError("timeline_compact must be >= 2 and below timeline_lines")
        if self.hold_s < 0 or self.link_gap_s < 0 or self.reappear_gap_s < 0 or self.link_distance < 0 or self.link_size_ratio < 1 \
                or not 0 <= self.link_appearance <= 1:
            raise InputError("memory needs hold_s, link_gap_s, reappear_gap_s, link_distance >= 0, link_size_ratio >= 1 and "
                             "link_appearance in 0..1")
        if self.frame_interval_s < 0:
            raise InputError(f"frame_interval_s must be >= 0, got {self.frame_interval_s}")
        if self.thumbnail_bytes_cap < 10_000:
            raise InputError(f"thumbnail_bytes_cap must be >= 10000 bytes, got {self.thumbnail_bytes_cap}")
