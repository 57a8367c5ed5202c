"""Streaming video memory: bounded STAR frame memory, event memory, grounded answers, narration, questions."""

from perception.memory.answer import Answer, AnswerBackend, AnswerChunk, Citation, GroundedAnswerer
from perception.memory.answer.registry import make_backend
from perception.memory.config import MemoryConfig
from perception.memory.events import Event
from perception.memory.narration import Narration, Narrator
from perception.memory.questions import QuestionSchedule, ScheduledQuestion, write_answers
from perception.memory.run import format_answer, make_memory_stage
from perception.memory.stage import MemoryStage
from perception.memory.store import MemorySnapshot, VideoMemory

__all__ = ["Answer", "AnswerBackend", "AnswerChunk", "Citation", "Event", "GroundedAnswerer", "MemoryConfig",
           "MemorySnapshot", "MemoryStage", "Narration", "Narrator", "QuestionSchedule", "ScheduledQuestion",
           "VideoMemory", "format_answer", "make_backend", "make_memory_stage", "write_answers"]
