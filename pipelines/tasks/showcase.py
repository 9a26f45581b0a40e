"""Each demo's best example, by task, as its page's link parameters (`pages/links.py`): the tour opens each
page on it, the screenshots in docs/pages.md show it, and the home page's picture of the demo is drawn from it."""

from __future__ import annotations

SHOWCASE: dict[str, dict[str, str]] = {
    "text-generation": {"text": "When are you open on Saturdays?"},
    "sentiment": {"text": "I absolutely love this bike, best purchase of the year!"},
    "translation": {"text": "The shop opens at nine on weekdays."},
    "image-classification": {"example": "coffee"},  # file stems in assets/images and assets/audio
    "object-detection": {"example": "chelsea"},
    "speech-to-text": {"example": "support_call"},
    "recommender": {"movie": "Star Wars (1977)"},
}
