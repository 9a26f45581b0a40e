"""Translation on the real Bergamot models: quality floors, the transformers pipeline, long and bad input."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from pipelines.errors import InputError, ProvisioningError
from pipelines.media.text_layout import MAX_PIECE_CHARACTERS, split_text
from pipelines.metrics.translation_quality import chrf
from pipelines.provisioning.catalog import find_model
from pipelines.provisioning.fetch import model_sources
from pipelines.provisioning.recipes.marian_binary import read_model, read_shortlist
from pipelines.settings import load_settings
from pipelines.tasks.translation import translate
from tests.conftest import ROOT
from tests.test_cli import cli

PAIRS = list(
    csv.DictReader((ROOT / "assets" / "eval" / "translation_pairs.tsv").open(encoding="utf-8"), delimiter="\t")
)


def one(text: str, source: str = "en", target: str = "pt"):
    return translate([text], source, target).results[0]


@pytest.mark.parametrize(("source", "target", "floor"), [("en", "pt", 80.0), ("pt", "en", 90.0)])
def test_chrf_against_human_references_stays_above_the_floor(
    provisioned: Path, source: str, target: str, floor: float
) -> None:
    hypotheses = [result.text for result in translate([row[source] for row in PAIRS], source, target).results]
    assert chrf(hypotheses, [row[target] for row in PAIRS]) >= floor


def test_a_plain_transformers_translation_pipeline_loads_the_model_folder(provisioned: Path) -> None:
    from transformers import pipeline

    import pipelines.architectures  # noqa: F401  (registers the model class and the translation task)

    translator = pipeline("translation", model=str(provisioned / "models" / "bergamot-en-pt"))
    assert translator("The cat is sleeping in the garden.") == [{"translation_text": "O gato está dormindo no jardim."}]
    assert translator(["Thank you very much for your help.", "The dog ran after the ball."], batch_size=2) == [
        {"translation_text": "Muito obrigado pela sua ajuda."},
        {"translation_text": "O cão correu depois da bola."},
    ]


def test_batched_translation_equals_one_sentence_at_a_time(provisioned: Path) -> None:
    texts = [row["pt"] for row in PAIRS[:12]]
    batched = [result.text for result in translate(texts, "pt", "en").results]
    assert batched == [one(text, "pt", "en").text for text in texts]


def test_output_length_follows_marians_cap(provisioned: Path) -> None:
    # Marian lets a two-token source produce at most five tokens; the native engine answers exactly this.
    assert one("Olá", "pt", "en").text == "Hello, the hello"


def test_long_text_keeps_its_paragraphs_and_translates_each_sentence(provisioned: Path) -> None:
    paragraphs = [" ".join(row["en"] for row in PAIRS[start : start + 5]) for start in (0, 5, 10)]
    document = "\n\n".join(paragraphs) + "\n"
    result = one(document)
    assert result.text.endswith("\n")
    translated = result.text.strip().split("\n\n")
    assert len(translated) == 3
    assert translated[0].startswith("O gato está dormindo no jardim. Gostaria de reservar uma mesa")
    assert translated == [one(paragraph).text for paragraph in paragraphs]


def test_a_very_long_sentence_is_cut_into_pieces_the_model_can_take() -> None:
    sentence = ", ".join(["the red bicycle is in the garden"] * 40) + "."
    layout = split_text(sentence)
    assert len(layout.pieces) > 1
    assert all(len(piece) <= MAX_PIECE_CHARACTERS for piece in layout.pieces)
    assert layout.join(list(layout.pieces)) == sentence


def test_layout_splits_sentences_but_not_abbreviations() -> None:
    layout = split_text("Mr. Smith arrived at 9 a.m. on Monday. He was late!  Was he?")
    assert layout.pieces == ("Mr. Smith arrived at 9 a.m. on Monday.", "He was late!", "Was he?")
    assert layout.join(["A.", "B!", "C?"]) == "A. B!  C?"


def test_empty_text_gets_one_sentence(provisioned: Path) -> None:
    with pytest.raises(InputError, match=r"^There is no text to translate\. Type or paste some English text\.$"):
        translate(["   \n  "], "en", "pt")


def test_fifty_thousand_characters_are_refused_with_the_limit(provisioned: Path) -> None:
    with pytest.raises(InputError, match=r"The text is 50,000 characters long; at most 20,000 characters"):
        translate(["a" * 50_000], "en", "pt")


def test_text_already_in_the_target_language_gets_a_notice(provisioned: Path) -> None:
    result = one("O gato está dormindo no jardim.")
    assert result.notices == (
        "This text looks like Portuguese already. To translate it into English, swap the direction.",
    )


def test_emoji_and_html_tags_are_kept_verbatim(provisioned: Path) -> None:
    assert one("I love pizza 🍕!").text == "Eu amo pizza 🍕!"
    tagged = one("<p>The cat is sleeping in the garden.</p>\n<p>Thank you very much for your help.</p>").text
    assert tagged == "<p>O gato está dormindo no jardim.</p>\n<p>Muito obrigado pela sua ajuda.</p>"


def test_text_without_words_is_returned_unchanged_with_a_notice(provisioned: Path) -> None:
    result = one("🍕🍕 123 — 456")
    assert result.text == "🍕🍕 123 — 456"
    assert result.notices[0].startswith("There are no words to translate here")


@pytest.mark.parametrize(
    ("source", "target", "message"),
    [
        ("en", "fr", "English → fr is not available. Available pairs: English → Portuguese, Portuguese → English."),
        ("pt", "pt", "Source and target are both Portuguese. Available pairs: English → Portuguese"),
    ],
)
def test_an_unavailable_pair_lists_the_available_ones(source: str, target: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        translate(["Hello"], source, target)


def test_cli_prints_one_translation_per_input(provisioned: Path) -> None:
    done = cli(
        "run", "translation", "--source", "pt", "--target", "en", "Sim.", "Onde fica a estação de trem mais próxima?"
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == [
        {"translation_text": "Yes."},
        {"translation_text": "Where is the nearest train station?"},
    ]
    refused = cli("run", "translation", "--source", "en", "--target", "de", "Hello")
    assert refused.returncode == 2 and refused.stderr.startswith("error: English → de is not available.")


def test_damaged_marian_files_are_refused(tmp_path: Path, provisioned: Path) -> None:
    spec = find_model("bergamot-en-pt")
    extracted = model_sources(spec, load_settings().downloads_dir, tmp_path / "files", lambda line: None)
    files = {path.name: path for path in extracted.values()}
    truncated = tmp_path / "model.bin"
    truncated.write_bytes(files["model.enpt.intgemm.alphas.bin"].read_bytes()[:5_000_000])
    with pytest.raises(ProvisioningError, match=r"^model\.bin is 5,000,000 bytes; its header describes 17,140,836\.$"):
        read_model(truncated)
    wrong_magic = tmp_path / "lex.bin"
    wrong_magic.write_bytes(b"\0" * 8 + files["lex.50.50.enpt.s2t.bin"].read_bytes()[8:])
    with pytest.raises(ProvisioningError, match="is not a Marian binary shortlist"):
        read_shortlist(wrong_magic, 32_000)
