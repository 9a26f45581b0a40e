"""Fine-tuning all-MiniLM-L6-v2 into a three-class sentiment classifier, on a 2-core CPU budget.

Two ways to train, both deterministic (fixed seeds, one fixed data order):
- `fine_tune`: the transformer layers and the head train on a (stratified) subset; the word
  embeddings stay frozen (half the parameters, and AdamW's update of the 30,522-row table costs
  more than it teaches from a few thousand tweets). Batches group tweets of similar length and are
  padded only to their longest (tweets are ~32 tokens; padding to 64 would double the work).
- `train_head`: the encoder stays frozen; its [CLS] vectors are computed once and only BERT's
  pooler and classifier train on them, which costs one forward pass over the data.
A plan may train under bfloat16 autocast where the CPU multiplies bfloat16 natively (the weights and the
optimiser stay float32, and so does the saved model), weight the loss by class (the positive class is
13% of the tweets, and macro-F1 counts it as much as the others), and take the tweets its annotators
agreed on most first.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pipelines.provisioning.recipes.sentiment_corpus import LABEL_CONFIG
from pipelines.runtime.cpu import cpu_has_bfloat16

BATCH = 32
MAX_LENGTH = 64
_BUCKET_BATCHES = 50  # length-sorting happens within this many batches, so order stays random
_SEED_STRIDE = 1_000  # a seed's shuffles never meet another seed's (a plan has fewer epochs)


@dataclass(frozen=True)
class TrainingPlan:
    """One recipe: how many examples, how many passes, and whether the encoder trains."""

    name: str
    examples: int | None  # None: the whole training split
    epochs: float = 1.0
    learning_rate: float = 8e-5
    freeze_encoder: bool = False
    frozen_layers: int = 0  # lower transformer layers kept as they are (cheaper backward pass)
    bfloat16: bool = False  # autocast where the CPU has bfloat16 instructions; float32 elsewhere
    balanced: bool = False  # weight each class's loss by the inverse of its share
    surest_first: bool = False  # the subset prefers the tweets with the highest annotator agreement
    per_domain: int | None = 0  # review sentences taken from each review domain (None: all; 0: tweets only)
    # Which review domains, and how many copies of each (a domain named by part of its name); empty: all, once.
    review_copies: tuple[tuple[str, int], ...] = ()
    time_spans: int = 0  # copies of the project's sentences about how long a thing took (`time_spans`)
    # The classifier reads the mean of the token vectors, scaled to length 1, as the encoder was trained to be
    # read (`mean_pooled_classifier`), instead of BERT's pooler on [CLS]; its unit-length input needs a head that
    # learns faster than the encoder, at `head_learning_rate`.
    mean_pooled: bool = False
    head_learning_rate: float | None = None
    # The review domains' validation parts are learned too: the final fit of a plan chosen on them, with more
    # of the scarce review sentences (the held-out parts stay unseen; the tweets' validation split too).
    refit: bool = False
    # Each class's logit shifted after training, by the shift the validation parts choose (`sentiment_calibration`).
    calibrated: bool = False
    # Which of the runs the plan could be: the batches' order and torch's seed are offset by it. Between seeds the
    # held-out scores move by about as much as between plans (docs/models.md), so a plan is judged over several.
    seed: int = 0
    # Runs of the plan (seeds `seed`, `seed + 1`, ...) whose weights are averaged into the model: a "model soup"
    # (Wortsman et al., 2022), fine-tuned from the same encoder, so averaging keeps what they share and evens out
    # what each seed's data order taught by chance; it costs a run's training each and nothing to serve.
    soup: int = 1


def mean_pooled_classifier(encoder: Path):
    """The tokenizer, and the encoder's weights under a linear classifier on its mean-pooled, unit-length sentence
    vectors (`pipelines.architectures.mean_pooled_classifier`), the classifier still to be trained or fitted."""
    from transformers import AutoTokenizer, BertConfig, BertModel

    from pipelines.architectures.mean_pooled_classifier import (
        MeanPooledBertConfig,
        MeanPooledBertForSequenceClassification,
    )

    config = MeanPooledBertConfig(**BertConfig.from_pretrained(encoder).to_dict() | LABEL_CONFIG)
    model = MeanPooledBertForSequenceClassification(config).eval()
    model.bert.load_state_dict(BertModel.from_pretrained(encoder, add_pooling_layer=False).state_dict())
    return AutoTokenizer.from_pretrained(encoder), model


def _batches(texts: list[str], labels: np.ndarray, tokenizer, shuffle_seed: int | None):
    """Batches in a fixed order; when shuffling, tweets of similar length share a batch."""
    import torch

    order = np.arange(len(texts))
    batches = [order[start : start + BATCH] for start in range(0, len(order), BATCH)]
    if shuffle_seed is not None:
        rng = np.random.default_rng(shuffle_seed)
        order = rng.permutation(order)
        by_length = []
        for start in range(0, len(order), BATCH * _BUCKET_BATCHES):
            bucket = order[start : start + BATCH * _BUCKET_BATCHES]
            by_length.extend(bucket[np.argsort([len(texts[i]) for i in bucket], kind="stable")])
        batches = [np.asarray(by_length[start : start + BATCH]) for start in range(0, len(by_length), BATCH)]
        batches = [batches[i] for i in rng.permutation(len(batches))]
    for chosen in batches:
        encoded = tokenizer(
            [texts[i] for i in chosen], padding=True, truncation=True, max_length=MAX_LENGTH, return_tensors="pt"
        )
        yield encoded, torch.as_tensor(labels[chosen])


def trains_in_bfloat16(plan: TrainingPlan) -> bool:
    """Whether the plan's bfloat16 applies here: emulated bfloat16 is slower than float32."""
    return plan.bfloat16 and cpu_has_bfloat16()


def fine_tune(
    model, tokenizer, texts: list[str], labels: np.ndarray, plan: TrainingPlan, progress, after_step=None
) -> None:
    """Train every weight with AdamW and a linear warm-up/decay schedule; `after_step(step, steps, loss)`, when
    given, hears of each step (it may evaluate the model, and must leave it in training mode)."""
    import torch

    steps = math.ceil(len(texts) / BATCH * plan.epochs)
    model.bert.embeddings.requires_grad_(False)
    for layer in model.bert.encoder.layer[: plan.frozen_layers]:
        layer.requires_grad_(False)
    trained = [parameter for parameter in model.parameters() if parameter.requires_grad]
    head = {id(parameter) for parameter in model.classifier.parameters()} if plan.head_learning_rate else set()
    groups = [{"params": [parameter for parameter in trained if id(parameter) not in head]}]
    if head:
        groups.append({"params": [p for p in trained if id(p) in head], "lr": plan.head_learning_rate})
    optimizer = torch.optim.AdamW(groups, lr=plan.learning_rate, weight_decay=0.01)
    warmup = max(1, steps // 10)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: min((step + 1) / warmup, max(0.0, (steps - step) / max(1, steps - warmup)))
    )
    counts = np.bincount(labels, minlength=model.config.num_labels)
    weights = (
        torch.as_tensor(len(labels) / (model.config.num_labels * counts), dtype=torch.float32)
        if plan.balanced
        else None
    )
    half = trains_in_bfloat16(plan)
    model.train()
    step, epoch = 0, 0
    with progress(total=steps, desc="fine-tuning", unit="batch") as bar:
        while step < steps:
            for encoded, targets in _batches(texts, labels, tokenizer, shuffle_seed=epoch + _SEED_STRIDE * plan.seed):
                with torch.autocast("cpu", dtype=torch.bfloat16, enabled=half):
                    logits = model(**encoded).logits
                loss = torch.nn.functional.cross_entropy(logits.float(), targets, weight=weights)
                loss.backward()
                torch.nn.utils.clip_grad_norm_(trained, 1.0)
                optimizer.step()
                schedule.step()
                optimizer.zero_grad()
                step += 1
                bar.update(1)
                bar.set_postfix(loss=f"{loss.item():.3f}", refresh=False)  # the bar redraws at its own pace
                if after_step is not None:
                    after_step(step, steps, loss.item())
                if step == steps:
                    break
            epoch += 1
    model.eval()


def train_head(
    model, tokenizer, texts: list[str], labels: np.ndarray, plan: TrainingPlan, progress, after_step=None
) -> None:
    """Freeze the encoder; train BERT's pooler and classifier on its precomputed [CLS] vectors."""
    import torch

    model.eval()
    features = []
    with torch.no_grad(), progress(total=math.ceil(len(texts) / BATCH), desc="encoding", unit="batch") as bar:
        for encoded, _ in _batches(texts, labels, tokenizer, shuffle_seed=None):
            features.append(model.bert(**encoded).last_hidden_state[:, 0])
            bar.update(1)
    cls, targets = torch.cat(features), torch.as_tensor(labels)
    trained = [*model.bert.pooler.parameters(), *model.classifier.parameters()]
    optimizer = torch.optim.AdamW(trained, lr=1e-3, weight_decay=0.01)
    generator = torch.Generator().manual_seed(plan.seed)
    epochs = max(1, round(plan.epochs))
    model.train()  # dropout on the head; the encoder's output is already computed
    with progress(total=epochs, desc="training the head", unit="epoch") as bar:
        for _ in range(epochs):
            for chosen in torch.randperm(len(cls), generator=generator).split(256):
                pooled = model.bert.pooler(cls[chosen].unsqueeze(1))  # the pooler reads position 0
                loss = torch.nn.functional.cross_entropy(model.classifier(model.dropout(pooled)), targets[chosen])
                loss.backward()
                optimizer.step()
                optimizer.zero_grad()
            bar.update(1)
    model.eval()


def averaged_weights(states: list[dict]) -> dict:
    """The element-wise mean of state dicts of one architecture (buffers that are not weights, such as position
    ids, kept from the first)."""
    first = states[0]
    return {
        name: sum(state[name] for state in states) / len(states) if value.is_floating_point() else value
        for name, value in first.items()
    }


def predict_probabilities(model, tokenizer, texts: list[str], progress) -> np.ndarray:
    return computed_per_batch(lambda encoded: model(**encoded).logits.softmax(-1), tokenizer, texts, progress)


def computed_per_batch(compute, tokenizer, texts: list[str], progress, desc: str = "evaluating") -> np.ndarray:
    """`compute(encoded batch)` over every text without gradients, the rows in the texts' order. Texts of
    similar length share a batch, so little of the work is padding."""
    import torch

    order = np.argsort([len(text) for text in texts], kind="stable")
    by_length = [texts[i] for i in order]
    rows = []
    with torch.no_grad(), progress(total=math.ceil(len(texts) / BATCH), desc=desc, unit="batch") as bar:
        for encoded, _ in _batches(by_length, np.zeros(len(texts), dtype=int), tokenizer, shuffle_seed=None):
            rows.append(compute(encoded).numpy())
            bar.update(1)
    computed = np.concatenate(rows)
    unsorted = np.empty_like(computed)
    unsorted[order] = computed
    return unsorted
