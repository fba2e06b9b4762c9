"""Properties over generated input (hypothesis): any mutation of a real job is read or left out
with a reason and never raises; normalizing and matching what is read never raises and leaves no
control character in a one-line field; an event comes only from a material change."""

from __future__ import annotations

import contextlib
import copy
import json
import re
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from config.schema import WatchRule
from config.watches import resolve
from crawler.extract.greenhouse import extract_greenhouse
from crawler.jsontext import loads_forgiving
from notifier.matcher import RuleSet
from pipeline.diff import field_diff
from pipeline.identity import content_hash
from pipeline.ingest import normalize_all
from pipeline.normalize import normalize
from pipeline.raw import RawPosting
from pipeline.record import MATERIAL_FIELDS
from rolewatch.demo_boards import board_before

pytestmark = pytest.mark.faults

JOBS = board_before()["jobs"][:20]
UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")
RULES = RuleSet([resolve(WatchRule(name="infra", extends="infrastructure"))])

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=40),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
FIELDS = sorted({key for job in JOBS for key in job} | {"location", "offices", "pay_input_ranges"})
mutations = st.lists(st.tuples(st.sampled_from(FIELDS), json_values), min_size=1, max_size=4)


def mutated(index: int, changes: list[tuple[str, Any]]) -> dict[str, Any]:
    job = copy.deepcopy(JOBS[index])
    for key, value in changes:
        job[key] = value
    return job


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(index=st.integers(0, len(JOBS) - 1), changes=mutations)
def test_any_mutation_of_a_real_job_is_read_or_left_out_and_never_costs_the_others(
    index: int, changes: list[tuple[str, Any]]
) -> None:
    other = JOBS[(index + 1) % len(JOBS)]
    # Through JSON, as a board sends it: NaN and infinities are literals Python's json reads.
    payload, _ = loads_forgiving(json.dumps({"jobs": [mutated(index, changes), other]}).encode())
    result = extract_greenhouse(payload)
    ids = [posting.external_id for posting in result.postings]
    assert str(other["id"]) in ids
    assert len(result.postings) + len(result.dropped) + len(result.unreadable) == 2
    postings, unreadable = normalize_all(result.postings, None)
    assert unreadable == {}, unreadable
    for posting in postings:
        for name in ("title", "company", "department", "employment_type"):
            assert not UNPRINTABLE.search(getattr(posting, name) or "")
        assert posting.url is None or posting.url.startswith(("http://", "https://"))
        RULES.matching(posting.as_dict(), "stripe")


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=200))
def test_any_body_is_json_or_a_clear_value_error(body: bytes) -> None:
    with contextlib.suppress(ValueError):
        loads_forgiving(body)


text = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=30)
raws = st.builds(
    RawPosting,
    external_id=st.text(min_size=1, max_size=10),
    title=text.filter(str.strip),
    url=st.sampled_from([None, "https://jobs.example.com/1", "https://jobs.example.com/1?utm_source=x"]),
    company=st.none() | text,
    locations=st.lists(text, max_size=3),
    department=st.none() | text,
    description_html=st.none() | text.map(lambda body: f"<p>{body}</p>"),
    salary=st.none()
    | st.fixed_dictionaries(
        {"min": st.floats(0, 1e6), "max": st.floats(0, 1e6), "currency": st.sampled_from(["USD", "EUR"])}
    ),
)


@settings(max_examples=200, deadline=None)
@given(raw=raws, posted=st.text(max_size=12), spaces=st.sampled_from(["", " ", "  ", "\n"]))
def test_no_event_without_a_material_change(raw: RawPosting, posted: str, spaces: str) -> None:
    before = normalize(raw)
    # What never makes a new version: timestamps, tracking parameters, surrounding whitespace.
    again = copy.deepcopy(raw)
    again.posted_at, again.updated_at = posted, posted
    again.url = (
        (raw.url or "https://jobs.example.com/1") + ("&" if raw.url and "?" in raw.url else "?") + "gclid=1"
    )
    again.title = spaces + raw.title + spaces
    after = normalize(again)
    assert content_hash(before.material()) == content_hash(after.material())
    assert field_diff(before.material(), after.material()) == {}
    # A changed title always is one, and the diff says it is the title.
    renamed = copy.deepcopy(raw)
    renamed.title = raw.title + " II"
    changed = normalize(renamed).material()
    assert content_hash(before.material()) != content_hash(changed)
    assert "title" in field_diff(before.material(), changed)
    assert set(field_diff(before.material(), changed)) <= set(MATERIAL_FIELDS)
