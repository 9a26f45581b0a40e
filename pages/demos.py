"""The demos that exist, in navigation order: app.py routes them, the home page shows their cards.

A demo appears here on the day its page exists, never before.
"""

from __future__ import annotations

from dataclasses import dataclass

from pipelines.tasks.showcase import SHOWCASE


@dataclass(frozen=True)
class Demo:
    section: str
    title: str
    icon: str
    url_path: str
    script: str
    task: str
    blurb: str

    @property
    def showcase_link(self) -> dict[str, str]:
        """The link parameters of its best example (`pipelines.tasks.showcase`)."""
        return dict(SHOWCASE.get(self.task, {}))


DEMOS: tuple[Demo, ...] = (
    Demo(
        section="Language",
        title="Chat assistant",
        icon=":material/chat:",
        url_path="text_generation",
        script="pages/text_generation.py",
        task="text-generation",
        blurb="A customer-service chatbot on a real instruction-tuned LLM: answers stream token by token.",
    ),
    Demo(
        section="Language",
        title="Sentiment",
        icon=":material/sentiment_satisfied:",
        url_path="sentiment",
        script="pages/sentiment.py",
        task="sentiment",
        blurb="Negative, neutral or positive: one text, a pasted list or a whole CSV, with the model's own report.",
    ),
    Demo(
        section="Language",
        title="Translation",
        icon=":material/translate:",
        url_path="translation",
        script="pages/translation.py",
        task="translation",
        blurb="English ↔ Portuguese on Mozilla's Firefox Translations models: a document, or a whole CSV column.",
    ),
    Demo(
        section="Vision",
        title="Image classification",
        icon=":material/image_search:",
        url_path="image_classification",
        script="pages/image_classification.py",
        task="image-classification",
        blurb="Name what a photo shows among the 1,000 ImageNet classes, and compare two models side by side.",
    ),
    Demo(
        section="Vision",
        title="Object detection",
        icon=":material/center_focus_strong:",
        url_path="object_detection",
        script="pages/object_detection.py",
        task="object-detection",
        blurb="Boxes around the people, animals and things in a photo (80 COCO classes), two detectors to compare.",
    ),
    Demo(
        section="Audio",
        title="Speech to text",
        icon=":material/mic:",
        url_path="speech_to_text",
        script="pages/speech_to_text.py",
        task="speech-to-text",
        blurb="Transcribe an upload in any common format or the microphone, with timestamps and subtitle files.",
    ),
    Demo(
        section="Recommendation",
        title="Recommender",
        icon=":material/movie:",
        url_path="recommender",
        script="pages/recommender.py",
        task="recommender",
        blurb="Movies like a movie, movies matching a description, and per-user picks with reasons (MovieLens 100K).",
    ),
)

SECTIONS: tuple[str, ...] = ("Language", "Vision", "Audio", "Recommendation")


def demo_title(task: str) -> str:
    """The title of the demo that runs `task` (the record of use and the handout name results by it)."""
    return next((demo.title for demo in DEMOS if demo.task == task), task)
