"""A shift of the classifier's bias per class, chosen on the validation parts, so the trained model meets every
floor of the sentiment card with the most room it can.

One model learns from tweets and reviews at once, and the domains disagree on how often each class comes:
the tweets are mostly complaints, VADER's product sentences mostly praise, with a neutral share between.
Training settles on one balance between the classes; adding a constant to each class's logit moves that
balance for every answer alike (it multiplies the class's odds), and it is what the model's last layer
already holds, so the shifted model is saved and served as it is. The shift is the one on a grid that makes
the smallest margin above a floor (validation score minus floor, over the floored domains) the largest; of
equals, the smallest shift. Only the validation parts are read: the held-out parts the card quotes are not.
"""

from __future__ import annotations

import itertools

import numpy as np

from pipelines.provisioning.recipes.sentiment_domains import TWEETS, Answers, score

# The floors the sentiment card is held to: tweets' macro-F1, each UCI review set's accuracy, and
# VADER's product review sentences' macro-F1.
FLOORS = {
    TWEETS: 0.78,
    "product reviews (UCI)": 0.90,
    "restaurant reviews (UCI)": 0.90,
    "movie reviews (UCI)": 0.90,
    "product reviews (VADER)": 0.75,
}
STEPS = np.round(np.arange(-1.5, 1.51, 0.1), 1)  # added to a class's logit; the negative class's stays 0


def chosen_shift(validation: list[Answers]) -> np.ndarray:
    """The shift per class (negative, neutral, positive) with the largest smallest margin above the floors."""
    floored = [answers for answers in validation if answers.domain in FLOORS]
    candidates = (np.asarray([0.0, neutral, positive]) for neutral, positive in itertools.product(STEPS, STEPS))
    return max(candidates, key=lambda shift: (smallest_margin(floored, shift), -np.abs(shift).sum()))


def smallest_margin(floored: list[Answers], shift: np.ndarray) -> float:
    return min(
        score(answers.scoring, answers.truth, shifted(answers.probabilities, shift)) - FLOORS[answers.domain]
        for answers in floored
    )


def shifted(probabilities: np.ndarray, shift: np.ndarray) -> np.ndarray:
    """The probabilities a classifier gives once `shift` is added to its logits."""
    weighted = probabilities * np.exp(shift)
    return weighted / weighted.sum(1, keepdims=True)


def shift_classifier(model, shift: np.ndarray) -> None:
    import torch

    with torch.no_grad():
        model.classifier.bias.add_(torch.as_tensor(shift, dtype=model.classifier.bias.dtype))
