"""Local VLM backend (optional): a Hugging Face image-text-to-text model (e.g. SmolVLM) from a folder.

Needs ``transformers`` (and Pillow); loaded lazily on the first question, once. Tokens stream as generated.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np

from perception.memory.answer.base import AnswerChunk, Citation
from perception.memory.answer.prompt import SYSTEM_PROMPT, memory_text, question_keyframes
from perception.memory.store import MemorySnapshot
from perception.types import InputError


class TransformersBackend:
    """Answers with a local model folder holding a processor and an image-text-to-text model."""

    name = "transformers"

    def __init__(self, model_path: str | Path, max_images: int = 2, max_new_tokens: int = 200, device: str = "cpu",
                 timeline_lines: int = 60, object_lines: int = 20, timeout_s: float = 120.0):
        path = Path(model_path)
        if not (path / "config.json").is_file():
            raise InputError(f"local VLM folder {path} has no config.json (give a saved Hugging Face model folder)")
        self.path = path
        self.max_images = max_images
        self.max_new_tokens = max_new_tokens
        self.device = device
        self.timeline_lines = timeline_lines
        self.object_lines = object_lines
        self.timeout_s = timeout_s
        self._model = self._processor = None
        self._lock = threading.Lock()

    def _load(self) -> None:
        with self._lock:
            if self._model is None:
                from transformers import AutoModelForImageTextToText, AutoProcessor

                self._processor = AutoProcessor.from_pretrained(self.path)
                self._model = AutoModelForImageTextToText.from_pretrained(self.path, use_safetensors=True).to(self.device).eval()

    def answer(self, snapshot: MemorySnapshot, question: str) -> Iterator[AnswerChunk]:
        """Stream generated text; loading or generation failures end the answer with an error chunk."""
        frames = question_keyframes(snapshot, question, self.max_images)
        cites = tuple(Citation(r.time, r.track_ids, r.instance_ids, r.frame_index) for r in frames)
        try:
            self._load()
            from PIL import Image
            from transformers import TextIteratorStreamer

            images = [Image.fromarray(cv2.cvtColor(cv2.imdecode(np.frombuffer(r.jpeg, np.uint8), cv2.IMREAD_COLOR),
                                                   cv2.COLOR_BGR2RGB)) for r in frames]
            content = [{"type": "text", "text": SYSTEM_PROMPT + "\n" + memory_text(snapshot, question, self.timeline_lines,
                                                                                   self.object_lines)}]
            for r in frames:
                content += [{"type": "text", "text": f"\nFrame at {r.time:.1f} s:"}, {"type": "image"}]
            content.append({"type": "text", "text": f"\nQuestion (asked at {snapshot.time:.1f} s): {question}"})
            proc = self._processor
            prompt = proc.apply_chat_template([{"role": "user", "content": content}], add_generation_prompt=True)
            inputs = proc(text=prompt, images=[images] if images else None, return_tensors="pt")
            inputs.pop("token_type_ids", None)
            inputs = inputs.to(self.device)
            streamer = TextIteratorStreamer(proc.tokenizer, skip_prompt=True, skip_special_tokens=True, timeout=self.timeout_s)
            worker = threading.Thread(target=self._model.generate, daemon=True,
                                      kwargs=dict(**inputs, streamer=streamer, max_new_tokens=self.max_new_tokens, do_sample=False))
            worker.start()
            for piece in streamer:
                if piece:
                    yield AnswerChunk(piece)
            worker.join()
        except Exception as exc:  # a broken model folder or generation error: say so, keep the app going
            msg = f"local VLM {self.path.name} failed: {type(exc).__name__}: {exc}"
            yield AnswerChunk(f"[{msg}]", error=msg)
            return
        yield AnswerChunk("", cites)
