"""What a VLM backend is shown: the memory as text, and the keyframes a question calls for."""

from __future__ import annotations

from perception.memory.answer.grounded import GroundedAnswerer
from perception.memory.star import FrameRecord
from perception.memory.store import MemorySnapshot
from perception.memory.understand import CONFIDENT, read_question

SYSTEM_PROMPT = ("You answer questions about a live video stream using its memory: a timeline of events, the "
                 "objects remembered (with #ids), and a few timestamped frames. Cite times in seconds and object "
                 "#ids. If the memory does not contain the answer, say so briefly.")

_GROUNDED = GroundedAnswerer()


def memory_text(snap: MemorySnapshot, question: str, timeline_lines: int = 120, object_lines: int = 40) -> str:
    """Stream time, visible objects, remembered objects, the timeline, and a grounded lookup for parsed questions."""
    lines = [f"Stream time now: {snap.time:.1f} s ({snap.frames} frames seen).",
             f"Objects visible now: {', '.join(f'#{i}' for i in snap.visible_ids) or 'none'}."]
    recent = sorted((s for s in snap.tracks.values() if s.confirmed), key=lambda s: -(s.last_seen_t or s.born_t))
    if recent:
        lines.append("Remembered objects (most recent first):")
        lines += [f"- {snap.describe_object(s.id)}" for s in recent[:object_lines]]
    lines.append("Timeline (oldest first):")
    lines += [f"- {x}" for x in snap.timeline[-timeline_lines:]] or ["- nothing yet"]
    reading = read_question(question)
    if reading.confidence >= CONFIDENT:
        fact = _GROUNDED.reply(snap, reading)[0]
        lines.append(f"Memory lookup for this question: {fact} (question read as: {reading.phrase})")
    return "\n".join(lines)


def question_keyframes(snap: MemorySnapshot, question: str, n: int) -> list[FrameRecord]:
    """Up to ``n`` frames: at the times the question names, showing the objects it names, then context."""
    r = read_question(question)
    times = tuple(t for spec in (r.time, r.reference) if spec is not None for t in dict.fromkeys(spec.resolve(snap.time)))
    ids: tuple[int, ...] = ()
    if r.track_id is not None:
        ids = (r.track_id,)
    elif r.colour is not None:
        ids = tuple(s.id for s in snap.tracks.values() if s.colour == r.colour)[-3:]
    return [r for r in snap.keyframes(n, times, ids) if r.jpeg]
