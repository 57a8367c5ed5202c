"""The memory stays within its bounds however long the stream: every capacity is exceeded many times over."""

from __future__ import annotations

import numpy as np
import pytest

from perception.memory import MemoryConfig, VideoMemory
from perception.testing.memory_scenes import ScriptedScene

SMALL = MemoryConfig(spatial_size=3, temporal_clusters=6, retrieved_size=2, keyframe_max_side=64, thumbnail_bytes_cap=10_000,
                     max_tracks=40, max_track_points=12, max_track_intervals=3, max_events=400, max_count_changes=64,
                     timeline_lines=30, timeline_compact=8, forget_after_s=1.0)


@pytest.mark.slow
def test_memory_size_is_flat_over_a_long_stream():
    scene = ScriptedScene(seed=5, duration_s=600.0, fps=10.0, width=64, height=48, max_objects=8, life_s=(1.0, 3.0),
                          scene_every_s=7.0, jitter_px=1.0)
    mem = VideoMemory(SMALL)
    sizes = []
    for i in range(scene.frames):
        mem.update(scene.result(i))
        if i % 500 == 499:
            sizes.append(mem.sizes())
    total_tracks = len(scene.objects)
    assert scene.frames == 6_000 and total_tracks > 15 * SMALL.max_tracks
    assert len(mem.events) == SMALL.max_events  # the event log filled up long ago and stayed full
    assert mem.frames == scene.frames and mem.book.distinct > 0.9 * total_tracks
    late = sizes[2:]
    for s in late:  # never above a capacity, after warm-up
        assert s["spatial_records"] <= SMALL.spatial_size and s["clusters"] == SMALL.temporal_clusters
        assert s["jpeg_bytes"] <= SMALL.thumbnail_bytes_cap
        assert s["tracks"] <= SMALL.max_tracks and s["events"] <= SMALL.max_events
        assert s["timeline_lines"] <= SMALL.timeline_lines and s["count_changes"] <= SMALL.max_count_changes
        assert s["track_points"] <= 2 * (SMALL.max_track_points + 1) * SMALL.max_tracks
        assert s["track_intervals"] <= SMALL.max_track_intervals * SMALL.max_tracks
    for key in ("tracks", "events", "timeline_lines", "track_points"):  # flat: the last checkpoints look like the first
        early, final = np.mean([s[key] for s in late[:3]]), np.mean([s[key] for s in late[-3:]])
        assert final <= 1.25 * early + 5, (key, early, final)
    snap = mem.snapshot()
    assert snap.forgotten_objects > 0 and len(snap.timeline) <= SMALL.timeline_lines
    assert sum(c.weight for c in snap.clusters) + sum(r.weight for r in snap.spatial) == scene.frames
