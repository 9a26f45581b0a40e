"""The shift of the sentiment classifier's classes chosen on validation: what it chooses, and that the saved model
answers as the shifted probabilities say."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from pipelines.provisioning.catalog import find_model
from pipelines.provisioning.provision import model_dir
from pipelines.provisioning.recipes.review_corpus import NEGATIVE, NEUTRAL, POSITIVE
from pipelines.provisioning.recipes.sentiment_calibration import chosen_shift, shift_classifier, shifted
from pipelines.provisioning.recipes.sentiment_domains import TWEETS, Answers

VADER = "product reviews (VADER)"


def answers(domain: str, rows: list[tuple[int, tuple[float, float, float]]]) -> Answers:
    truth, probabilities = (np.asarray(column) for column in zip(*rows, strict=True))
    return Answers(domain, "macro-F1", [f"sentence {n}" for n in range(len(rows))], truth, probabilities)


def test_a_class_the_model_reads_too_rarely_is_shifted_up_until_the_floors_hold() -> None:
    """Neutral sentences a little below negative: no shift reads them all as complaints (macro-F1 0.56, under
    the 0.75 floor); the chosen shift reads every sentence right, and it is the smallest that does."""
    rows = [(NEUTRAL, (0.45, 0.40, 0.15))] * 10 + [(NEGATIVE, (0.80, 0.15, 0.05))] * 10
    rows += [(POSITIVE, (0.05, 0.15, 0.80))] * 10
    validation = [answers(VADER, rows), answers(TWEETS, rows)]
    shift = chosen_shift(validation)
    assert (shifted(validation[0].probabilities, np.zeros(3)).argmax(1) == validation[0].truth).mean() < 0.7
    assert (shifted(validation[0].probabilities, shift).argmax(1) == validation[0].truth).all()
    assert shift.tolist() == [0.0, 0.2, 0.0]  # log(0.45 / 0.40) = 0.12: the grid's first step past it


def test_a_model_that_meets_the_floors_already_keeps_its_balance() -> None:
    rows = [(NEGATIVE, (0.7, 0.2, 0.1)), (NEUTRAL, (0.2, 0.6, 0.2)), (POSITIVE, (0.1, 0.2, 0.7))] * 5
    assert chosen_shift([answers(VADER, rows)]).tolist() == [0.0, 0.0, 0.0]


def test_the_shifted_model_answers_as_the_shifted_probabilities_say(provisioned: Path) -> None:
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    folder = model_dir(find_model("minilm-sentiment-quick"))
    tokenizer = AutoTokenizer.from_pretrained(folder)
    model = AutoModelForSequenceClassification.from_pretrained(folder).eval()
    encoded = tokenizer(["The zip broke.", "It comes in blue.", "Lovely soup."], padding=True, return_tensors="pt")
    with torch.no_grad():
        before = model(**encoded).logits.softmax(-1).numpy()
        shift = np.asarray([0.0, 1.2, -0.4])
        shift_classifier(model, shift)
        after = model(**encoded).logits.softmax(-1).numpy()
    np.testing.assert_allclose(after, shifted(before, shift), atol=1e-5)
    assert not np.allclose(after, before, atol=1e-2)
