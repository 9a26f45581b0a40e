"""The grounding guard: an answer may state only what its facts state.

A 135M model handed the right fact still changes its numbers ("within 24 hours" for "30 days") and
turns "closed on Sunday" into "open on Sunday". So every answer's checkable content is compared with
the facts it was given before it is shown as the model's own: numbers (digits or words, prices,
percentages), times of day, phone numbers, e-mail and web addresses, weekdays and months, ordinals,
capitalised names, and for each weekday whether it is said to be open or closed. An answer must also
carry at least one of its fact's figures (a vague "yes, postage is free" hides the 50-euro minimum),
may say "no" only when the fact does, and must stay short and not repeat itself. Anything that fails
makes the assistant answer with the fact itself, which by construction invents nothing.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MONTHS = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)
_SMALL_NUMBERS = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen twenty"
)
_TENS = {"thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90}
_NUMBER_WORDS = {word: value for value, word in enumerate(_SMALL_NUMBERS.split())} | _TENS | {"hundred": 100}
_ORDINAL_WORDS = "first second third fourth fifth sixth seventh eighth ninth tenth"
_ORDINALS = {word: value for value, word in enumerate(_ORDINAL_WORDS.split(), 1)}
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_URL = re.compile(r"(?:https?://|www\.)[^\s,;)]+", re.IGNORECASE)
_PHONE = re.compile(r"\+?\(?\d[\d ().-]{5,}\d")
_CONTACT_KINDS = {"email": "e-mail address", "web": "website", "phone": "phone number"}
_TIME = re.compile(r"\b(\d{1,2})(?:[:.](\d{2}))?\s*([ap])\.?m\.?(?![a-z])|\b(\d{1,2})[:.](\d{2})\b", re.IGNORECASE)
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*")
_CLAUSES = re.compile(r"[.;!?]\s+|,\s*(?:but|while|except|and)\s+|\s+(?:but|while|except)\s+", re.IGNORECASE)
_NEGATIVE = re.compile(r"\b(?:not|no|never|closed|cannot)\b|n't\b", re.IGNORECASE)
_DAY = "(" + "|".join(WEEKDAYS) + ")"
_RANGE = re.compile(rf"\b{_DAY}s?\s*(?:to|-|–|through|until|till)\s*{_DAY}s?\b")
MAX_SENTENCES = 3  # the preset asks for one or two; a longer answer has drifted from its fact
_NOT_NAMES = frozenset(
    {"i", "i'm", "i'll", "i've", "i'd", "yes", "no", "sorry", "hello", "hi", "thanks", "thank", "please", "ok", "okay"}
)


@dataclass(frozen=True)
class Claims:
    """What a text states that can be checked word for word against facts."""

    items: frozenset[str]  # normalised: "number:30", "time:18:00", "phone:5550100", "day:sunday", "name:trek"
    days: dict[str, bool]  # weekday → said to be open (True) or closed / not (False)


@dataclass(frozen=True)
class Verdict:
    grounded: bool
    problems: list[str]  # one sentence per mismatch, for the note under a replaced answer


def claims(text: str) -> Claims:
    """The checkable content of `text`; each piece is removed once read, so "9:00" is a time, not two numbers."""
    found, rest = _contacts(text)
    items = {f"{kind}:{_contact_key(kind, value)}" for kind, value in found}
    for match in _TIME.finditer(rest):
        items.add(f"time:{_clock(match)}")
    rest = _TIME.sub(" ", rest)
    items |= {f"number:{_number(match)}" for match in _NUMBER.findall(rest)}
    for position, word in enumerate(_WORD.findall(rest)):
        lower = word.lower().replace("’", "'")
        singular = lower.removesuffix("s")
        if lower in _NUMBER_WORDS:
            items.add(f"number:{_NUMBER_WORDS[lower]}")
        elif lower in _ORDINALS:
            items.add(f"ordinal:{_ORDINALS[lower]}")
        elif singular in WEEKDAYS or lower in WEEKDAYS:
            items.add(f"day:{singular if singular in WEEKDAYS else lower}")
        elif lower in MONTHS:
            items.add(f"month:{lower}")
        elif word[0].isupper() and lower not in _NOT_NAMES and not _starts_sentence(rest, word, position):
            items.add("name:" + lower.removesuffix("'s"))
    days = _day_polarity(text)  # a range names the days inside it: "Monday to Saturday" says Wednesday
    return Claims(frozenset(items | {f"day:{day}" for day in days}), days)


def contact_details(text: str) -> list[str]:
    """The e-mail addresses, web addresses and phone numbers in `text`, each named by its kind ("phone
    number 555-0199"): a question asks for the kind ("What number can I ring?") more than it shares
    words with the value, so the retriever matches it with these too."""
    return [f"{_CONTACT_KINDS[kind]} {value}" for kind, value in _contacts(text)[0]]


def _contacts(text: str) -> tuple[list[tuple[str, str]], str]:
    """The contact details in `text` as (kind, value as written), and the text with them blanked out,
    so the digits of a phone number are not read again as numbers."""
    found: list[tuple[str, str]] = []
    rest = text
    for pattern, kind in ((_EMAIL, "email"), (_URL, "web")):
        found += [(kind, match.rstrip(".")) for match in pattern.findall(rest)]
        rest = pattern.sub(" ", rest)
    for match in _PHONE.finditer(rest):
        if len(re.sub(r"\D", "", match.group())) >= 7:
            found.append(("phone", match.group()))
            rest = rest.replace(match.group(), " ")
    return found, rest


def _contact_key(kind: str, value: str) -> str:
    return re.sub(r"\D", "", value) if kind == "phone" else value.lower()


def unsupported(answer: str, facts: list[str]) -> list[str]:
    """One sentence for each thing `answer` states that `facts` do not: a figure, a name, a day's state."""
    said = claims(answer)
    known = claims("\n".join(facts))
    known_words = {word.lower().removesuffix("s") for word in _WORD.findall(" ".join(facts))}
    problems = []
    for item in sorted(said.items - known.items):
        kind, value = item.split(":", 1)
        if kind == "name" and value.removesuffix("s") in known_words:
            continue  # a name written in lower case in the facts ("Bikes" at a sentence start)
        problems.append(f'"{_shown(item)}" is not in the facts.')
    for day, open_ in said.days.items():
        if day in known.days and known.days[day] != open_:
            state = "open" if known.days[day] else "closed"
            problems.append(f"The answer gets {day.capitalize()} wrong: the facts say {state}.")
    return problems


def unwarranted_no(answer: str, facts: list[str]) -> list[str]:
    """A "no" (not, never, closed…) where the facts say nothing negative: the model declining what they allow."""
    if _NEGATIVE.search(answer) and not _NEGATIVE.search(" ".join(facts)):
        return ["The answer says no where the facts say nothing negative."]
    return []


def overlong(answer: str) -> list[str]:
    """More sentences than a short answer has, or one said twice: the model has drifted from its fact."""
    sentences = [part.strip().lower() for part in re.split(r"(?<=[.!?])\s+", answer.strip()) if part.strip()]
    if len(sentences) > MAX_SENTENCES or len(set(sentences)) < len(sentences):
        return [f"The answer runs past {MAX_SENTENCES} sentences or repeats itself."]
    return []


def leaves_out(answer: str, facts: list[str]) -> list[str]:
    """None of the facts' figures, days or names: a vague "yes, postage is free" hides the minimum order."""
    known = claims("\n".join(facts)).items
    if known and not claims(answer).items & known:
        return ["The answer leaves out what the facts say (none of their figures, days or names)."]
    return []


def carries_a_fact(answer: str, facts: list[str]) -> bool:
    """Whether `answer` states at least one of the facts' figures, days or names (or the facts state none)."""
    return not leaves_out(answer, facts)


def check(answer: str, facts: list[str]) -> Verdict:
    """Whether `answer` may be shown as the model wrote it: nothing unsupported, one of the facts'
    figures at least, no "no" the facts do not say, short and without repeats."""
    problems = unsupported(answer, facts) + leaves_out(answer, facts) + unwarranted_no(answer, facts)
    problems += overlong(answer)
    return Verdict(not problems, problems)


def _clock(match: re.Match) -> str:
    if match.group(4) is not None:
        return f"{int(match.group(4))}:{match.group(5)}"
    hour, minutes = int(match.group(1)) % 12, match.group(2) or "00"
    return f"{hour + 12 if match.group(3).lower() == 'p' else hour}:{minutes}"


def _number(text: str) -> str:
    """A figure as one canonical string, whatever its separators: "1,000" and "1000" are the same, so are
    "50.00" and "50", "10.000,50" and "10,000.50", "٣" and "3". What is no single number ("1.2.3", a
    version; "1,5,3", a list) keeps its digits and separators, so it matches only itself. Never raises:
    the facts box and the answer are anyone's text."""
    digits = "".join(str(unicodedata.digit(char)) if char not in ".," else char for char in text)
    whole, fraction = _split_figure(digits)
    if whole is None:
        return digits
    whole = whole.lstrip("0") or "0"
    fraction = fraction.rstrip("0")
    return f"{whole}.{fraction}" if fraction else whole


def _split_figure(digits: str) -> tuple[str | None, str]:
    """(whole part, fraction) of a run of digits and separators, or (None, "") when it is no single number.
    Thousands come in groups of three after the first; the decimal mark is the last separator that is
    not one of them."""
    groups = re.split(r"[.,]", digits)
    marks = re.findall(r"[.,]", digits)
    if not marks:
        return digits, ""
    if len(set(marks)) == 1:
        grouped = all(len(group) == 3 for group in groups[1:]) and 1 <= len(groups[0]) <= 3
        if grouped and (len(marks) > 1 or marks[0] == ","):
            return "".join(groups), ""  # "1,000", "1.000.000"
        return (groups[0], groups[1]) if len(marks) == 1 else (None, "")  # "50.00", "1,5"; "1.2.3" is none
    decimal = marks[-1]
    thousands = marks[:-1]
    if decimal in thousands or len(set(thousands)) != 1:
        return None, ""  # "1.000,000.5"
    if not (1 <= len(groups[0]) <= 3 and all(len(group) == 3 for group in groups[1:-1])):
        return None, ""
    return "".join(groups[:-1]), groups[-1]  # "10.000,50", "1,000.50"


def _starts_sentence(text: str, word: str, position: int) -> bool:
    """Whether this occurrence of a capitalised word opens a sentence (so is no sign of a name)."""
    if position == 0:
        return True
    for match in re.finditer(rf"\b{re.escape(word)}\b", text):
        before = text[: match.start()].rstrip()
        if not before or before[-1] in ".!?:\n\"'(" or before.endswith(("-", "*")):
            return True
    return False


def _day_polarity(text: str) -> dict[str, bool]:
    """Each weekday a text names (ranges spelled out) and whether its clause says open or closed."""
    days: dict[str, bool] = {}
    for clause in _CLAUSES.split(text.lower()):
        named = set()
        for start, end in _RANGE.findall(clause):
            first, last = WEEKDAYS.index(start), WEEKDAYS.index(end)
            named |= {WEEKDAYS[(first + step) % 7] for step in range((last - first) % 7 + 1)}
        named |= {day for day in WEEKDAYS if re.search(rf"\b{day}s?\b", clause)}
        open_ = not _NEGATIVE.search(clause)
        for day in named:
            days.setdefault(day, open_)
    return days


def _shown(item: str) -> str:
    kind, value = item.split(":", 1)
    return value.capitalize() if kind in ("day", "month", "name") else value
