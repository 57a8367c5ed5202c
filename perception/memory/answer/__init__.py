"""Answer backends: built-in grounded answerer, OpenAI-compatible and Ollama HTTP backends."""

from perception.memory.answer.base import Answer, AnswerBackend, AnswerChunk, Citation, collect
from perception.memory.answer.grounded import GroundedAnswerer

__all__ = ["Answer", "AnswerBackend", "AnswerChunk", "Citation", "GroundedAnswerer", "collect"]
