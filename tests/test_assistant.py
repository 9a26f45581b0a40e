"""The customer-service assistant: facts split and retrieved, the guard, declining, the question sets."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from pipelines.assistant.chat_presets import CUSTOMER_SERVICE
from pipelines.assistant.facts import Fact, FactIndex, Retrieved, split_facts
from pipelines.assistant.grounding import check, contact_details, unsupported
from pipelines.assistant.replies import DECLINE_BELOW, DECLINED, FALLBACK, GroundedReply, answer_from_facts
from pipelines.errors import InputError
from pipelines.reports import assistant_report
from pipelines.serving.chat_prompt import ChatMessage
from tests.conftest import ROOT

NORTHWIND = CUSTOMER_SERVICE.default_context or ""
HOURS = "Opening hours: we are open Monday to Saturday, 9:00 to 18:00. We are closed on Sunday."


def ask(question: str, facts: str = NORTHWIND):
    answer = answer_from_facts([ChatMessage("user", question)], facts)
    answer.read()
    return answer, answer.model_said if answer.reply is not None else None


def test_one_fact_per_labelled_line() -> None:
    facts = split_facts(NORTHWIND)
    assert [fact.label for fact in facts] == ["Warranty", "Returns", "Delivery", "Opening hours", "Repairs"]
    assert facts[3].body == "we are open Monday to Saturday, 9:00 to 18:00. We are closed on Sunday."


def test_headings_label_their_paragraph_and_wrapped_lines_are_joined() -> None:
    text = "## Gift cards\nGift cards are sold in the shop\nfrom 10 euros.\n\n## Contact\nCall 555-0199."
    assert split_facts(text) == [
        Fact("Gift cards", "Gift cards are sold in the shop from 10 euros."),
        Fact("Contact", "Call 555-0199."),
    ]


def test_questions_and_answers_stay_together_and_bullets_go() -> None:
    text = (
        "Q: Do you ship abroad?\nA: Only within the EU.\nQ: Can I pay by card?\nA: Yes, every card.\n\n- Parking: free."
    )
    assert split_facts(text) == [
        Fact("Do you ship abroad?", "Only within the EU."),
        Fact("Can I pay by card?", "Yes, every card."),
        Fact("Parking", "free."),
    ]


def test_a_long_paragraph_is_cut_into_sentences() -> None:
    paragraph = " ".join(
        f"Sentence number {index} says something about the shop and its many services." for index in range(8)
    )
    facts = split_facts(paragraph)
    assert len(facts) == 8 and facts[0].body.startswith("Sentence number 0")


def test_an_empty_box_is_one_sentence(provisioned: Path) -> None:
    with pytest.raises(InputError, match="facts box is empty"):
        FactIndex("  \n\n ")


def test_each_question_retrieves_its_fact(provisioned: Path) -> None:
    index = FactIndex(NORTHWIND)
    assert index.retrieve("Can I come to the shop on Sunday?")[0].fact.label == "Opening hours"
    assert index.retrieve("What number do I ring for the workshop?")[0].fact.label == "Repairs"
    assert index.retrieve("Do you offer student discounts?")[0].score < DECLINE_BELOW


def test_contact_details_are_named_by_their_kind() -> None:
    text = "Write to hello@harbourlanebooks.example, see www.harbourlane.example or call +44 20 7946 0958 at 9:00."
    assert contact_details(text) == [
        "e-mail address hello@harbourlanebooks.example",
        "website www.harbourlane.example",
        "phone number +44 20 7946 0958",
    ]
    assert contact_details("Open 10:00 to 19:00, 3-year warranty, 25 euros.") == []


def test_a_question_for_a_contact_detail_finds_the_fact_that_holds_it(provisioned: Path) -> None:
    """ "What is your email address?" shares no word with "Write to hello@…" and used to be declined."""
    bookshop = assistant_report.load_set("harbour_lane_books_questions.json").facts
    for question in ("What is your email address?", "What number can I ring you on?"):
        best = FactIndex(bookshop).retrieve(question)[0]
        assert best.fact.label == "Contact" and best.score >= DECLINE_BELOW, (question, best)


def test_a_replaced_answer_quotes_every_fact_the_model_was_given() -> None:
    orders = Fact("Special orders", "books that are not on our shelves can be ordered at the counter.")
    hours = Fact("Opening hours", "we are open Tuesday to Sunday, 10:00 to 19:00")
    reply = GroundedReply([Retrieved(orders, 0.49), Retrieved(hours, 0.47)])
    assert FALLBACK.format(fact=reply.quoted) == (
        "Here is what I can tell you: books that are not on our shelves can be ordered at the counter. "
        "We are open Tuesday to Sunday, 10:00 to 19:00. If that does not answer your question, shall I pass it "
        "to a colleague?"
    )


def test_the_threshold_is_the_one_the_northwind_set_picks(provisioned: Path) -> None:
    questions = assistant_report.load_set(assistant_report.THRESHOLD_SET)
    scores = assistant_report.best_scores(questions)
    answerable = [question.fact is not None for question in questions.questions]
    assert assistant_report.choose_threshold(scores, answerable) == DECLINE_BELOW


@pytest.mark.parametrize(
    ("answer", "grounded"),
    [
        ("You can return items within 24 hours.", False),  # an invented figure
        ("Sure, call us at 1-800-510-1010.", False),  # an invented phone number
        ("Yes, we're open on Sunday.", False),  # the right day, the wrong state
        ("We open at 9 am and close at 6 pm, Monday to Saturday.", True),  # the same times written otherwise
        ("No, we are closed on Sunday.", True),
        ("Yes, we are open on Wednesday, from 9:00.", True),  # inside the facts' range
        ("Yes, we repair Trek bikes at 9:00.", False),  # a name the facts do not give
        ("We are open every day.", False),  # none of the facts' figures
        ("No, we do not open at 9:00.", True),  # the facts say "closed", so a "no" may be right
    ],
)
def test_the_guard_passes_only_what_the_facts_state(answer: str, grounded: bool) -> None:
    assert check(answer, [HOURS]).grounded is grounded


def test_a_no_the_facts_do_not_say_is_refused() -> None:
    returns = "Returns: unused items can be returned within 30 days with the receipt, for a full refund."
    assert not check("No, items cannot be returned after 30 days.", [returns]).grounded
    assert check("You can return unused items within thirty days.", [returns]).grounded


def test_a_question_no_fact_answers_is_declined_without_the_model(provisioned: Path) -> None:
    answer, streamed = ask("Do you offer student discounts?")
    assert answer.declined and answer.text == DECLINED
    assert streamed is None and answer.sources == []


def test_an_answer_cites_its_fact_and_follows_an_edited_box(provisioned: Path) -> None:
    answer, _ = ask("How long is the warranty on the frame?")
    assert answer.source_texts[0].startswith("Warranty:") and "3" in answer.text
    edited = NORTHWIND.replace("3-year warranty", "7-year warranty")
    answer, _ = ask("How long is the warranty on the frame?", edited)
    assert "7" in answer.text and "3" not in answer.text  # it reads the box, not a memorised answer


def test_a_pasted_wall_of_text_is_read_from_its_end_and_says_so(provisioned: Path) -> None:
    answer, _ = ask("Lorem ipsum dolor sit amet. " * 2_000 + "Is the shop open on Sunday?")
    assert answer.source_texts == [HOURS] and "Sunday" in answer.text
    assert len(answer.notices) == 1 and "56,027 characters" in answer.notices[0]
    short, _ = ask("Is the shop open on Sunday?")
    assert short.notices == []


@pytest.fixture(scope="module")
def reports(provisioned: Path) -> list[tuple[assistant_report.QuestionSet, dict]]:
    sets = [assistant_report.load_set(name) for name in assistant_report.QUESTION_SETS]
    return [(question_set, assistant_report.evaluate(question_set)) for question_set in sets]


def test_no_answer_of_either_question_set_states_what_its_facts_do_not(reports: list) -> None:
    for question_set, report in reports:
        assert len(report["rows"]) == len(question_set.questions) >= 42
        for row in report["rows"]:
            assert unsupported(row["answer"], [question_set.facts]) == [], row


def test_the_question_sets_stay_at_their_measured_quality(reports: list) -> None:
    """Floors at the figures measured when the design was chosen (docs/assistant.md)."""
    (_, northwind), (_, bookshop) = reports
    assert northwind["answerable_right"] >= 0.90 and northwind["unanswerable_declined"] >= 0.80
    assert bookshop["answerable_right"] >= 0.95 and bookshop["unanswerable_declined"] >= 0.40


def test_cli_prints_the_answer_its_sources_whether_it_declined_and_notices(provisioned: Path, tmp_path: Path) -> None:
    facts = tmp_path / "facts.md"
    facts.write_text(HOURS + "\n", encoding="utf-8")
    command = [sys.executable, "-m", "pipelines", "run", "text-generation", "--preset", "customer-service"]
    done = subprocess.run(
        [*command, "Are you open on Sunday?", "--facts", str(facts)], cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert set(result) == {"generated_text", "sources", "declined", "notices"}
    assert result["sources"] == [HOURS] and result["declined"] is False
    assert "sunday" in result["generated_text"].lower() and unsupported(result["generated_text"], [HOURS]) == []
