"""Streaming video memory: bounded STAR frame memory, event memory, grounded answers, narration."""

from perception.memory.config import MemoryConfig
from perception.memory.events import Event
from perception.memory.store import MemorySnapshot, VideoMemory

__all__ = ["Event", "MemoryConfig", "MemorySnapshot", "VideoMemory"]
