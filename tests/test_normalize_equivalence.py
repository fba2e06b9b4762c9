"""Normalization gives the same result it always gave, on real postings and on long texts.

- Every recorded posting (`tests/normalize_corpus.py`) normalizes to the `Posting.as_dict()` kept in
  `tests/fixtures/normalized-real-postings.json` (descriptions as SHA-256 and length, to keep it small).
  Rewrite that file only when a change of output is intended: `python -m tests.test_normalize_equivalence`.
- The workplace and pay readers agree with the implementation at `REFERENCE_COMMIT` (read from git)
  on the unit-test cases, on real descriptions, on adversarial texts and on generated ones.
- A 1 MB description, one endless sentence and tens of thousands of lookalike pay figures read as
  their first 40 KB do (how long they take is never asserted: these machines are shared).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
import subprocess
import sys
import types
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.normalize import normalize
from pipeline.raw import RawPosting
from pipeline.salary import parse_salary
from pipeline.workplace import (
    _ASCII_LOOKALIKES,
    classify_workplace,
    workplace_from_locations,
    workplace_from_text,
)
from tests import test_salary, test_workplace
from tests.conftest import DEMO_DATA, ROOT
from tests.normalize_corpus import real_postings

GOLDEN = ROOT / "tests" / "fixtures" / "normalized-real-postings.json"
# The last commit before normalization was made faster: its outputs are the reference.
REFERENCE_COMMIT = "d898d0334cca888f45219ed343e298c4e7530032"
SEED_TEXT = (DEMO_DATA / "stripe-backend-engineer-core-technology.txt").read_text(encoding="utf-8")


def recorded(posting: RawPosting) -> dict[str, Any]:
    """`normalize(posting).as_dict()`, the description reduced to its digest and length."""
    data = normalize(posting).as_dict()
    description = data.pop("description")
    data["description_sha256"] = hashlib.sha256(description.encode("utf-8")).hexdigest()
    data["description_length"] = len(description)
    return data


def corpus() -> list[tuple[str, RawPosting]]:
    seed = RawPosting(external_id="seed", title="Backend Engineer", description_text=SEED_TEXT)
    return [*real_postings(), ("demo_data/stripe-backend-engineer-core-technology.txt", seed)]


def golden_records() -> list[dict[str, Any]]:
    return [{"payload": payload, "posting": recorded(posting)} for payload, posting in corpus()]


def test_every_real_posting_normalizes_as_recorded() -> None:
    expected = json.loads(GOLDEN.read_text(encoding="utf-8"))
    actual = golden_records()
    assert len(actual) == len(expected)
    for want, got in zip(expected, actual, strict=True):
        assert got == want, f"{got['payload']} posting {got['posting']['external_id']}"


# --- the reference implementation, loaded from git ------------------------------------------------


@cache
def reference() -> types.SimpleNamespace:
    """pipeline.workplace, pipeline.salary and pipeline.normalize as they were at REFERENCE_COMMIT."""
    modules = {}
    for name in ("salary", "workplace", "normalize"):
        try:
            source = subprocess.run(
                ["git", "show", f"{REFERENCE_COMMIT}:pipeline/{name}.py"],
                cwd=ROOT,
                capture_output=True,
                check=True,
                text=True,
            ).stdout
        except (OSError, subprocess.CalledProcessError):
            pytest.skip(f"git history with {REFERENCE_COMMIT[:7]} is not available")
        for other in ("salary", "workplace"):  # the reference normalize uses the reference readers
            source = source.replace(f"from pipeline.{other} ", f"from _reference_pipeline.{other} ")
        module = types.ModuleType(f"_reference_pipeline.{name}")
        sys.modules[module.__name__] = module  # dataclasses look their module up while being built
        exec(compile(source, f"{REFERENCE_COMMIT[:7]}:pipeline/{name}.py", "exec"), module.__dict__)
        modules[name] = module
    return types.SimpleNamespace(**modules)


def same_as_reference(text: str | None) -> None:
    old = reference()
    assert workplace_from_text(text) == old.workplace.workplace_from_text(text)
    assert pay(parse_salary(text)) == pay(old.salary.parse_salary(text))


def pay(salary: Any) -> tuple[Any, ...] | None:
    """A `Salary` of either implementation as plain values (the two classes never compare equal)."""
    return None if salary is None else dataclasses.astuple(salary)


TEXTS = [
    *(case[0] for case in test_workplace.TEXT_CASES),
    *(case[2] for case in test_workplace.CLASSIFY_CASES),
    *(case[0] for case in test_salary.PAY_CASES),
    *test_salary.NOT_PAY_CASES,
    SEED_TEXT,
    # re.IGNORECASE reads these as ASCII letters; str.lower() does not.
    "This is a HYBR\u0130D role.",
    "You must be on-\u017fite daily.",
    "3 days a wee\u212a in our off\u0131ce.",
    "\u0130f the role is remote, say so.",
]


# Cases whose reading was changed on purpose after the reference (telework, experience asked
# for, "three to four (3-4) days", a country's dollar): their tables in test_workplace.py and
# test_salary.py say what they read as now.
READ_DIFFERENTLY = {
    "Telework up to 40% of the time is permitted for this position.",
    "Full-time telework is available.",
    "Telework permitted within the state of Virginia.",
    "Background collaborating in remote-first companies. You will join our Madrid office five days a week.",
    "You are comfortable with remote-first, asynchronous communication.",
    "Office attendance of two to three (2-3) days per week is expected.",
    "Pay for this role, for hires in Canada, runs from $130,000 to $170,000 a year.",
    "Our Vancouver office's Canadian salary band: $98,000 - $121,000",
    "For Australian applicants the package is $150k–$175k per annum",
}
COMPARED = [text for text in TEXTS if text not in READ_DIFFERENTLY]


def test_the_texts_read_differently_are_unit_test_cases() -> None:
    assert set(TEXTS) >= READ_DIFFERENTLY


@pytest.mark.parametrize("text", COMPARED, ids=[str(text)[:40] for text in COMPARED])
def test_unit_test_texts_read_as_the_reference_reads_them(text: str | None) -> None:
    same_as_reference(text)


def test_unit_test_locations_and_fields_read_as_the_reference_reads_them() -> None:
    old = reference().workplace
    for locations, _ in test_workplace.LOCATION_CASES:
        assert workplace_from_locations(locations) == old.workplace_from_locations(locations)
    for structured, locations, text, _ in test_workplace.CLASSIFY_CASES:
        assert classify_workplace(structured, locations, text) == old.classify_workplace(
            structured, locations, text
        )


def test_real_descriptions_read_as_the_reference_reads_them() -> None:
    old = reference()
    for payload, posting in corpus():
        new_posting, old_posting = normalize(posting), old.normalize.normalize(posting)
        assert new_posting.as_dict() == old_posting.as_dict(), f"{payload} {posting.external_id}"
        # Each reader on its own too: in `normalize` a structured field can hide what the text says.
        same_as_reference(new_posting.description)
        same_as_reference(posting.salary_text)


# Words and marks the workplace and pay patterns key on, so generated texts hit their edges.
FRAGMENTS = [
    "remote", "Remote", "REMOTE", "fully remote", "remote-first", "remote position", "is remote",
    "not remote", "non-remote", "no remote", "remote work is not possible", "work from home", "wfh",
    "telecommuting permitted", "#LI-Remote", "anywhere", "hybrid", "Hybrid:", "hybrid role", "(hybrid)",
    "is hybrid", "#LI-Hybrid", "on-site", "onsite", "On-Site", "in-office", "in person", "office",
    "offices", "office hours", "our", "the", "based in our London office", "must be", "in the office",
    "3 days a week", "five days per week", "2-3 days a week", "twice a week", "together", "hub",
    "50%", "100%", "0%", "of the time", "Location:", "Workplace type:", "Work arrangement:", "If",
    "if the role", "or", "and", "is", "be", "are", "interviews", "$", "US$", "€", "£", "¥", "₹", "zł",
    "USD", "EUR", "GBP", "120,000", "155,700", "80k", "90K", "12,00,000", "4.500", "15 000", "34.62",
    "1", "5", "2024", "-", "–", "to", "between", "per year", "/hr", "/month", "annually", "hourly",
    "monthly", "p.a.", "LPA", "lakhs", "million", "bn", "salary", "base pay", "compensation", "stipend",
    "credit", "bonus", "401(k)", "budget", "relocation", "raised", "match", ".", ". ", "! ", "? ", "; ",
    ",", ":", "\n", "\n\n", " ", " ", " ", "\u00a0", "(", ")", "/", "a", "per", "week", "days",
    # Characters that match ASCII letters under re.IGNORECASE but lower-case to something else.
    "HYBR\u0130D", "\u017fite", "off\u0131ce", "\u0130f the role", "WEEK", "wee\u212a", "\u2028", "\x85",
]  # fmt: skip
generated_text = st.lists(st.sampled_from(FRAGMENTS), max_size=40).map("".join)


@settings(max_examples=1500, deadline=None)
@given(generated_text)
def test_generated_texts_read_as_the_reference_reads_them(text: str) -> None:
    same_as_reference(text)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="$€£ 0123456789,.-–k/ remotehybridofficesitday%:\n", max_size=80))
def test_character_noise_reads_as_the_reference_reads_it(text: str) -> None:
    same_as_reference(text)


def test_what_the_fast_paths_take_for_granted_about_unicode() -> None:
    """The workplace reader lower-cases once, and `collapse_spaces` splits on str whitespace."""
    ascii_letter = re.compile("[a-z]", re.IGNORECASE)
    whitespace = re.compile(r"\s")
    lookalikes, grows, spaces_disagree = [], [], []
    for code in range(0x80, sys.maxunicode + 1):
        char = chr(code)
        if ascii_letter.match(char) and not char.lower().isascii() and char not in _ASCII_LOOKALIKES:
            lookalikes.append(char)
        if len(char.lower()) != 1 and char not in _ASCII_LOOKALIKES:
            grows.append(char)
        if bool(whitespace.match(char)) != char.isspace():
            spaces_disagree.append(char)
    assert (lookalikes, grows, spaces_disagree) == ([], [], [])
    assert all(bool(whitespace.match(chr(code))) == chr(code).isspace() for code in range(0x80))


# --- long texts -----------------------------------------------------------------------------------

MEGABYTE = 1_000_000
SENTENCES = [
    "This is a hybrid role and you will be in our London office 3 days a week.",
    "Remote employees join an onsite interview loop!",
    "We offer a $1,500 learning stipend and a 401(k) match.",
    "Our teams span 40 countries and 2024 was our best year yet?",
    "Location: Dublin, Ireland",
    "The Remote-first culture is not remote for this team; remote work is not possible.",
]


def long_texts(size: int) -> dict[str, str]:
    """Texts of about `size` characters that are hard on sentence and pay scanning."""
    paragraph = " ".join(SENTENCES)
    return {
        "many sentences": "\n".join([paragraph] * (size // len(paragraph))),
        "one endless sentence": "remote office hybrid on site 3 days a week " * (size // 43),
        "perk ranges": "$500 - $600 stipend, $10 credit " * (size // 32),
        "figures without currency": "12,000 - 15,000 and 2024. " * (size // 26),
        "one currency, many figures": "$1 " + "12,000 - 15,000 and 2024. " * (size // 26),
        "no keywords": "lorem ipsum dolor sit amet. " * (size // 28),
    }


# The reference takes minutes on some megabyte texts (pay lookalikes are quadratic there).
@pytest.mark.parametrize("name", list(long_texts(0)))
def test_long_texts_read_as_the_reference_reads_them(name: str) -> None:
    same_as_reference(long_texts(40_000)[name])


# Only what they read is checked; how long they take is not a test (shared, noisy machines).
@pytest.mark.parametrize("name", list(long_texts(0)))
def test_a_megabyte_text_reads_as_its_first_forty_kilobytes_do(name: str) -> None:
    # The long texts repeat one pattern: a megabyte of it says what 40 KB of it says.
    short, long = long_texts(40_000)[name], long_texts(MEGABYTE)[name]
    assert workplace_from_text(long) == workplace_from_text(short)
    assert pay(parse_salary(long)) == pay(parse_salary(short))


def test_a_megabyte_description_normalizes() -> None:
    html = "".join(f"<p>{sentence}</p><ul><li>{sentence}</li></ul>" for sentence in SENTENCES)
    raw = RawPosting(external_id="big", title="Big", description_html=html * (MEGABYTE // len(html)))
    posting = normalize(raw)
    assert posting.workplace == ["hybrid"]
    assert len(posting.description) > MEGABYTE // 2


def write_golden(path: Path = GOLDEN) -> None:
    records = golden_records()
    path.write_text(json.dumps(records, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {len(records)} postings to {path}")


if __name__ == "__main__":
    write_golden()
