"""Precision and recall of the `infrastructure` preset on hand-labelled real postings."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from config.schema import WatchRule
from config.watches import resolve
from notifier.rules import match_posting
from rolewatch.cli import main
from tests.preset_quality import heldout, labelled, measure
from tests.test_events import stored

# Measured when the preset was tuned: 1.00 and 0.94 on the 16 infra postings (with so few, one
# posting moves recall by 0.06). A change that loses more than this fails. The aim on boards
# never seen is 0.95 / 0.90.
PRECISION_FLOOR = 0.90
RECALL_FLOOR = 0.90


def test_the_preset_finds_the_labelled_infrastructure_roles(record_property: pytest.RecordProperty) -> None:
    quality = measure()

    record_property("precision", round(quality.precision, 3))
    record_property("recall", round(quality.recall, 3))
    print(quality.summary())
    assert quality.postings == 418
    assert quality.precision >= PRECISION_FLOOR, (quality.summary(), quality.false_positives)
    assert quality.recall >= RECALL_FLOOR, (quality.summary(), quality.false_negatives)


def test_the_preset_keeps_its_aim_on_boards_it_was_never_tuned_on(
    record_property: pytest.RecordProperty,
) -> None:
    quality = measure(pairs=heldout())

    record_property("heldout_precision", round(quality.precision, 3))
    record_property("heldout_recall", round(quality.recall, 3))
    print(quality.summary())
    assert quality.postings == 79
    assert quality.precision >= 0.95, (quality.summary(), quality.false_positives)
    assert quality.recall >= 0.90, (quality.summary(), quality.false_negatives)


def test_the_labels_say_why() -> None:
    for _, label in [*labelled(), *heldout()]:
        assert label["label"] in ("infra", "not", "borderline")
        assert len(label["reason"]) >= 10, label


PRESET = resolve(WatchRule(name="infrastructure", extends="infrastructure"))


@pytest.mark.parametrize(
    ("title", "department", "description", "expected"),
    [
        # The team's name says where a role sits, not what it works on: it takes the title or
        # the text naming such systems too.
        ("Software Engineer", "Core Infrastructure", "", False),
        ("Software Engineer", "Core Infrastructure", "You will run our databases on Kubernetes.", True),
        ("Backend Engineer", "Core Infrastructure", "", True),
        # A backend role on a business feature, in a team named after the backend.
        ("Backend Engineer, Checkout", "Backend Infrastructure", "", False),
        ("Senior Backend Engineer, Merchant Onboarding", "Platform & Infrastructure",
         "Build the APIs merchants sign up with, on Kafka and Postgres.", False),
        ("Software Engineer, Ads", "Infrastructure", "Our ad auctions run on distributed systems.", False),
        # A platform named by what it serves.
        ("Senior Engineer, Machine Learning Platform", "Engineering", "", True),
        # One infrastructure word is outweighed by a title about customers.
        ("Solutions Engineer, Cloud Infrastructure", "Sales", "", False),
        # "Systems engineer" on a business product: a hint, not enough.
        ("Systems Engineer, CRM", "Go To Market", "Salesforce configuration and reporting.", False),
        # The text alone, however technical, does not admit a product role.
        ("Backend Engineer, Checkout", "Payments - Eng",
         "Databases, caching, Kafka and Kubernetes run our distributed systems.", False),
        # A title that only hints ("Platform") and infrastructure work in the text: not enough
        # without the title or the team naming the area.
        ("Backend Engineer, Platform", "Engineering",
         "You will own Kubernetes, Terraform and our service mesh.", False),
        ("Backend Engineer, Platform", "Platform Engineering", "", True),
        ("Recruiter, Infrastructure", "People", "", False),
        # Infrastructure that is not software.
        ("Civil Engineer, Water Infrastructure", "Engineering", "", False),
        ("Mechanical Engineer", "Facilities & Infrastructure", "", False),
        ("Salesforce Commerce Cloud Developer", "IT", "", False),
    ],
)  # fmt: skip
def test_signals_weigh_together(title: str, department: str, description: str, expected: bool) -> None:
    data = {"title": title, "department": department, "description": description}
    assert match_posting(PRESET, data).matched is expected


def test_check_explain_shows_the_signals_and_the_score(tmp_path: Path) -> None:
    path = stored(tmp_path)

    shown = CliRunner().invoke(main, ["check", "--config", str(path), "--explain", "stripe:6042172"])

    assert shown.exit_code == 0, shown.output
    assert "score " in shown.output and "reaches 4" in shown.output
    assert "infrastructure title +4 (core technology)" in shown.output


def test_explaining_gives_the_verdict_matching_gives() -> None:
    from notifier.rules import RuleSet

    rules = RuleSet([PRESET])
    for data, _ in labelled():
        (explained,) = rules.explain(data)
        assert explained.matched == bool(rules.matching(data)), (data["title"], explained.reasons)
