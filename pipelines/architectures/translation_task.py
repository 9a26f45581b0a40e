"""The "translation" pipeline task, which transformers 5 removed in favour of prompting chat models.

Showroom's translation models are real seq2seq translators, so the task comes back as a small Pipeline
subclass over ordinary `generate()`, answering in the classic shape: one `{"translation_text": str}`
per input. Registering it also lifts transformers' "this task has been removed" error for it.
"""

from __future__ import annotations

from typing import Any

from transformers import AutoModelForSeq2SeqLM, Pipeline
from transformers.pipelines import PIPELINE_REGISTRY, REMOVED_TASKS

TASK = "translation"


class TranslationPipeline(Pipeline):
    """Text in, translated text out; generation keywords (e.g. `max_new_tokens`) pass through to generate()."""

    _load_processor = False
    _load_image_processor = False
    _load_feature_extractor = False
    _load_tokenizer = True

    def __call__(self, inputs: str | list[str], **kwargs: Any) -> list[dict[str, str]]:
        outputs = super().__call__(inputs, **kwargs)
        return [outputs] if isinstance(inputs, str) else outputs

    def _sanitize_parameters(self, **generate_kwargs: Any) -> tuple[dict, dict, dict]:
        return {}, generate_kwargs, {}

    def preprocess(self, text: str) -> dict:
        if not isinstance(text, str):
            raise TypeError(f"The translation pipeline takes text, not {type(text).__name__}.")
        return self.tokenizer(text, return_tensors="pt", truncation=True)

    def _forward(self, model_inputs: dict, **generate_kwargs: Any) -> dict:
        return {"output_ids": self.model.generate(**model_inputs, **generate_kwargs)}

    def postprocess(self, model_outputs: dict) -> dict[str, str]:
        text = self.tokenizer.decode(model_outputs["output_ids"][0], skip_special_tokens=True)
        return {"translation_text": text}


REMOVED_TASKS.pop(TASK, None)
PIPELINE_REGISTRY.register_pipeline(
    TASK, pipeline_class=TranslationPipeline, pt_model=AutoModelForSeq2SeqLM, type="text"
)
