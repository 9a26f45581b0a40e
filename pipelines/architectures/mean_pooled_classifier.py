"""A sentence encoder read the way it was trained, with a linear classifier on top: both sentiment models.

all-MiniLM-L6-v2 was trained to represent a sentence by the mean of its token vectors, scaled to length 1,
not by its [CLS] vector, which is what BertForSequenceClassification's head reads. A logistic regression
fitted on those sentence vectors (`pipelines.provisioning.recipes.quick_sentiment`) is exactly this model's
`classifier` layer, so the fitted classifier is served by `pipeline("text-classification", model=FOLDER)`
like any other, and its probabilities are the regression's own. The fine-tuned model
(`pipelines.provisioning.recipes.minilm_sentiment`) trains the encoder under the same head, which read
the review sentences better than BERT's pooler on [CLS] did (docs/models.md, "Sentiment on reviews").
"""

from __future__ import annotations

import torch
from torch import nn
from transformers import AutoConfig, AutoModelForSequenceClassification, BertConfig, BertModel, BertPreTrainedModel
from transformers.modeling_outputs import SequenceClassifierOutput


class MeanPooledBertConfig(BertConfig):
    model_type = "mean_pooled_bert"


class MeanPooledBertForSequenceClassification(BertPreTrainedModel):
    config_class = MeanPooledBertConfig

    def __init__(self, config: MeanPooledBertConfig) -> None:
        super().__init__(config)
        self.bert = BertModel(config, add_pooling_layer=False)
        self.classifier = nn.Linear(config.hidden_size, config.num_labels)
        self.post_init()

    def forward(
        self,
        input_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        token_type_ids: torch.Tensor | None = None,
        **kwargs,
    ) -> SequenceClassifierOutput:
        vectors = self.sentence_vectors(input_ids, attention_mask, token_type_ids)
        return SequenceClassifierOutput(logits=self.classifier(vectors))

    def sentence_vectors(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor | None = None,
        token_type_ids: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Each text's mean token vector (over its own tokens, never its padding), scaled to length 1."""
        tokens = self.bert(input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids).last_hidden_state
        mask = (attention_mask if attention_mask is not None else torch.ones_like(input_ids)).unsqueeze(-1)
        mean = (tokens * mask).sum(1) / mask.sum(1).clamp(min=1)
        return nn.functional.normalize(mean, dim=-1)


AutoConfig.register(MeanPooledBertConfig.model_type, MeanPooledBertConfig)
AutoModelForSequenceClassification.register(MeanPooledBertConfig, MeanPooledBertForSequenceClassification)
