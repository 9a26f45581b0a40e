"""The grounding guard returns a verdict for any text, and the sentence gate lets a streamed answer through
only as far as the guard has passed it. No model: the gate is fed the chunks a model would stream."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipelines.assistant.grounding import check, claims, contact_details, unsupported
from pipelines.assistant.sentence_gate import SentenceGate

HOURS = "Opening hours: we are open Monday to Saturday, 9:00 to 18:00. We are closed on Sunday."
REPAIRS = "Repairs: the workshop repairs bikes of any brand; book a slot online or call 555-0100."

# Digits of any script, the separators people write numbers with, and the words around them.
_FIGURES = st.text(alphabet="0123456789٠١٢٣٤٥٦٧٨٩०१२३४५.,:;-–+() ", min_size=1, max_size=40)
_ANY_TEXT = st.one_of(st.text(max_size=300), _FIGURES, st.lists(_FIGURES | st.text(max_size=20)).map(" ".join))
_FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@_FAST
@given(answer=_ANY_TEXT, fact=_ANY_TEXT)
def test_the_guard_gives_a_verdict_for_any_answer_and_any_facts(answer: str, fact: str) -> None:
    verdict = check(answer, [fact])
    assert isinstance(verdict.grounded, bool) and all(isinstance(problem, str) for problem in verdict.problems)
    assert verdict.grounded == (not verdict.problems)
    assert isinstance(contact_details(answer), list)


@_FAST
@given(answer=_ANY_TEXT)
def test_an_answer_that_only_repeats_its_fact_states_nothing_unsupported(answer: str) -> None:
    assert unsupported(answer, [answer]) == []


@_FAST
@given(chunks=st.lists(_ANY_TEXT, max_size=8))
def test_the_gate_shows_nothing_the_guard_has_not_passed(chunks: list[str]) -> None:
    gate = SentenceGate([HOURS])
    shown = "".join(gate.feed(chunk) for chunk in chunks) + gate.finish()
    assert shown == gate.shown
    assert unsupported(shown, [HOURS]) == []


@pytest.mark.parametrize(
    ("text", "figure"),
    [
        ("Version 1.2.3 is out.", "number:1.2.3"),  # no single number: kept as written
        ("Pick 1,5,3 from the list.", "number:1,5,3"),
        ("It costs 10.000,50 euros.", "number:10000.5"),  # a European thousands dot and decimal comma
        ("It costs 10,000.50 euros.", "number:10000.5"),
        ("Orders over 1,000 ship free.", "number:1000"),
        ("Pay 150.00 now.", "number:150"),  # ("50.00" alone reads as a time, as "9.30" does)
        ("Room ٣ please.", "number:3"),  # an Arabic-Indic digit
    ],
)
def test_figures_in_any_notation_are_read_without_raising(text: str, figure: str) -> None:
    assert figure in claims(text).items


def test_the_same_figure_written_two_ways_is_grounded_and_a_version_is_not_a_price() -> None:
    assert check("It costs 10.000,50 euros on Monday.", ["Price: 10,000.50 euros, Monday only."]).grounded
    assert not check("Version 1.2.4 is out on Monday.", ["Version 1.2.3 is out on Monday."]).grounded
    huge = "9" * 400  # longer than any float
    assert check(f"It weighs {huge}.5 kg on Monday.", [f"Weight: {huge}.5 kg, Monday."]).grounded
    assert not check(f"It weighs {huge}.6 kg on Monday.", [f"Weight: {huge}.5 kg, Monday."]).grounded


def feed_all(gate: SentenceGate, chunks: list[str]) -> list[str]:
    """What the visitor sees after each chunk (and at the end), cumulatively."""
    seen, shown = [], ""
    for chunk in chunks:
        shown += gate.feed(chunk)
        seen.append(shown)
    seen.append(shown + gate.finish())
    return seen


def tokens(text: str) -> list[str]:
    """The text in three-character pieces, as a model streams it: figures arrive in halves."""
    return [text[start : start + 3] for start in range(0, len(text), 3)]


def test_a_sentence_is_shown_only_once_it_has_ended_and_passed() -> None:
    gate = SentenceGate([HOURS])
    seen = feed_all(gate, tokens("We are open Monday to Saturday, 9:00 to 18:00. We are closed on Sunday."))
    assert seen[0] == "" and "We are open Monday to Saturday, 9:00 to 18:00." in seen
    assert seen[-1] == "We are open Monday to Saturday, 9:00 to 18:00. We are closed on Sunday."
    assert not gate.closed and gate.caught == ""


def test_an_invented_figure_closes_the_gate_before_any_of_it_is_shown() -> None:
    gate = SentenceGate([HOURS])
    seen = feed_all(gate, tokens("We're open on Saturdays from 10:00 to 18:00. Come by!"))
    assert set(seen) == {""}
    assert gate.closed and gate.caught == "We're open on Saturdays from 10:00 to 18:00."
    assert gate.problems == ['"10:00" is not in the facts.']


def test_a_later_sentence_that_fails_leaves_the_passed_ones_and_stops_there() -> None:
    gate = SentenceGate([REPAIRS])
    answer = "You can book a slot online or call 555-0100. Our manager is on 555-0199 too. Bye."
    seen = feed_all(gate, tokens(answer))
    assert seen[-1] == "You can book a slot online or call 555-0100."
    assert all("555-0199" not in text for text in seen)
    assert gate.caught == "Our manager is on 555-0199 too." and not gate.cut_short


def test_a_sentence_without_the_facts_figures_waits_for_one_that_has_them() -> None:
    gate = SentenceGate([HOURS])
    seen = feed_all(gate, ["Thanks for asking! ", "We are closed on Sunday."])
    assert seen == ["", "", "Thanks for asking! We are closed on Sunday."]
    vague = SentenceGate([HOURS])
    assert feed_all(vague, ["Yes, we are open."]) == ["", ""]
    assert vague.closed and vague.caught == "Yes, we are open." and "leaves out" in vague.problems[0]


def test_an_answer_that_runs_on_is_cut_after_its_last_passed_sentence() -> None:
    gate = SentenceGate([HOURS])
    said = "We are closed on Sunday. We are closed on Sunday. We are closed on Sunday."
    assert feed_all(gate, [said])[-1] == "We are closed on Sunday."
    assert gate.cut_short and "repeats itself" in gate.problems[0]
