"""The customer-service assistant measured on the project's question sets: right answers, declines, misses.

Each set (assets/text/*_questions.json) holds questions answerable from one facts box, worded the way
customers write, with the fact each needs and what a right answer must say, and questions that box does
not answer. The Northwind set chooses the decline threshold; the second shop's set, written for a
different imaginary business, shows whether the design holds beyond the text it was chosen on.

`python -m pipelines.reports.assistant_report` prints the report and writes the JSON the chat page shows
(`--no-write` to only print; `--if-outdated`, as `make models` runs it, to skip a current report).
"""

from __future__ import annotations

import argparse
import hashlib
import inspect
import json
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pipelines.assistant import chat_presets, facts, grounding, replies, sentence_gate
from pipelines.assistant.facts import fact_index
from pipelines.assistant.grounding import claims, unsupported
from pipelines.assistant.replies import DECLINE_BELOW, answer_from_facts
from pipelines.provisioning.catalog import default_model, find_model
from pipelines.provisioning.provision import build_key
from pipelines.provisioning.staging import write_json
from pipelines.serving.chat_prompt import ChatMessage
from pipelines.settings import ASSETS, load_settings
from pipelines.tasks.embeddings import ENCODER

ASSETS = ASSETS / "text"
QUESTION_SETS = ("northwind_questions.json", "harbour_lane_books_questions.json")
THRESHOLD_SET = QUESTION_SETS[0]
REPORT_FILE = "customer-service.json"
_VISITORS = 16  # questions answered at once, as a room would ask them (the chat server batches them)


@dataclass(frozen=True)
class Question:
    text: str
    fact: str | None  # the label of the fact that answers it; None when the facts do not
    expect: tuple[str, ...] = ()  # each must appear in a right answer ("30|refund": either)
    contradicts: tuple[str, ...] = ()  # none may appear


@dataclass(frozen=True)
class QuestionSet:
    shop: str
    facts: str
    questions: list[Question]


def load_set(name: str) -> QuestionSet:
    data = json.loads((ASSETS / name).read_text(encoding="utf-8"))
    questions = [
        Question(item["question"], item["fact"], tuple(item["expect"]), tuple(item.get("contradicts", ())))
        for item in data["answerable"]
    ] + [Question(item["question"], None) for item in data["unanswerable"]]
    return QuestionSet(data["shop"], (ASSETS / data["facts"]).read_text(encoding="utf-8"), questions)


def says(answer: str, expected: str) -> bool:
    """Whether the answer says `expected` (alternatives split by "|"): figures compared as figures, so
    "6 pm" says "18:00" and "thirty" says "30"; words compared case-insensitively."""
    for alternative in expected.split("|"):
        figures = claims(alternative).items
        if (figures and figures <= claims(answer).items) or alternative.lower() in answer.lower():
            return True
    return False


def judge(question: Question, answer: str, declined: bool) -> bool:
    if question.fact is None:
        return declined
    return (
        not declined
        and all(says(answer, expected) for expected in question.expect)
        and not any(wrong in answer.lower() for wrong in question.contradicts)
    )


def best_scores(question_set: QuestionSet) -> list[float]:
    index = fact_index(question_set.facts)
    return [index.retrieve(question.text)[0].score for question in question_set.questions]


def choose_threshold(scores: list[float], answerable: list[bool]) -> float:
    """The cut that classifies most questions right (answer above, decline below); among equals, the
    middle of the widest gap between scores, so a slightly different question does not flip it."""
    ordered = np.sort(np.array(scores))
    cuts = (ordered[:-1] + ordered[1:]) / 2
    truth = np.array(answerable)
    correct = [int(((np.array(scores) >= cut) == truth).sum()) for cut in cuts]
    best = max(correct)
    gaps = [(ordered[i + 1] - ordered[i], cut) for i, cut in enumerate(cuts) if correct[i] == best]
    return round(float(max(gaps)[1]), 3)


def evaluate(question_set: QuestionSet, model: str | None = None) -> dict:
    def ask(question: Question) -> dict:
        answer = answer_from_facts([ChatMessage("user", question.text)], question_set.facts, model)
        answer.read()
        invented = unsupported(answer.text, [question_set.facts])
        return {
            "question": question.text,
            "fact": question.fact,
            "answer": answer.text,
            "model_said": answer.model_said,
            "declined": answer.declined,
            "replaced": answer.replaced,
            "sources": answer.source_texts,
            "score": answer.sources[0].score if answer.sources else None,
            "right": judge(question, answer.text, answer.declined),
            "invented": invented,
        }

    with ThreadPoolExecutor(_VISITORS) as pool:
        rows = list(pool.map(ask, question_set.questions))
    answerable = [row for row in rows if row["fact"] is not None]
    unanswerable = [row for row in rows if row["fact"] is None]
    return {
        "shop": question_set.shop,
        "answerable": len(answerable),
        "unanswerable": len(unanswerable),
        "answerable_right": sum(row["right"] for row in answerable) / len(answerable),
        "unanswerable_declined": sum(row["right"] for row in unanswerable) / len(unanswerable),
        "model_answers_shown": sum(not row["declined"] and not row["replaced"] for row in answerable),
        "replaced_by_fact": sum(row["replaced"] for row in rows),
        "answers_with_invented_content": sum(bool(row["invented"]) for row in rows),
        "misses": [row for row in rows if not row["right"]],
        "rows": rows,
    }


def report_key() -> str:
    """What the report depends on: the question sets and their facts, the assistant's code, the two models'
    builds. A change to any of them makes `--if-outdated` measure again."""
    inputs = [(ASSETS / name).read_text(encoding="utf-8") for name in QUESTION_SETS]
    inputs += [load_set(name).facts for name in QUESTION_SETS]
    inputs += [inspect.getsource(module) for module in (replies, chat_presets, facts, grounding, sentence_gate)]
    inputs += [inspect.getsource(evaluate), inspect.getsource(judge), inspect.getsource(says)]
    inputs += [build_key(spec) for spec in (default_model("text-generation"), find_model(ENCODER))]
    return hashlib.sha256("\n".join(inputs).encode()).hexdigest()[:16]


def report(model: str | None = None) -> dict:
    started = time.perf_counter()
    threshold_set = load_set(THRESHOLD_SET)
    scores = best_scores(threshold_set)
    chosen = choose_threshold(scores, [question.fact is not None for question in threshold_set.questions])
    sets = [evaluate(load_set(name), model) for name in QUESTION_SETS]
    return {
        "threshold": DECLINE_BELOW,
        "threshold_chosen_on": threshold_set.shop,
        "threshold_the_set_picks": chosen,
        "greedy": True,
        "key": report_key(),
        "sets": sets,
        "seconds": time.perf_counter() - started,
    }


def report_path() -> Path:
    return load_settings().home / "reports" / REPORT_FILE


def load_report() -> dict | None:
    path = report_path()
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-write", action="store_true", help="print only; do not write the page's report")
    parser.add_argument("--if-outdated", action="store_true", help="do nothing when the written report is current")
    arguments = parser.parse_args()
    written = load_report()
    if arguments.if_outdated and written is not None and written.get("key") == report_key():
        print(f"customer-service report: up to date ({report_path()})")
        return
    result = report()
    for item in result["sets"]:
        print(
            f"{item['shop']}: {item['answerable_right']:.0%} of {item['answerable']} answerable right, "
            f"{item['unanswerable_declined']:.0%} of {item['unanswerable']} unanswerable declined, "
            f"{item['model_answers_shown']} model answers shown as written, {item['replaced_by_fact']} replaced "
            f"by the fact, {item['answers_with_invented_content']} with content absent from the facts"
        )
        for miss in item["misses"]:
            print(f"  miss: {miss['question']!r} → {miss['answer']!r} (best fact score {miss['score']})")
    print(
        f"threshold {result['threshold']} "
        f"(the {result['threshold_chosen_on']} set picks {result['threshold_the_set_picks']})"
    )
    if not arguments.no_write:
        write_json(report_path(), result)
        print(f"written to {report_path()}")


if __name__ == "__main__":
    main()
