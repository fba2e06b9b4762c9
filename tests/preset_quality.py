"""The `infrastructure` preset measured on hand-labelled real postings.

`tests/fixtures/infra-labels.json` labels every posting of `tests/normalize_corpus.py` and the seed posting —
infra, not, or borderline — with a reason, decided by reading each posting against the rubric
in its README, before the preset was tuned. Borderline postings count for neither precision
nor recall. Shared by `tests/test_preset_quality.py` and `python -m bench preset`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from config.schema import WatchRule
from config.watches import resolve
from notifier.rules import RuleSet
from pipeline.normalize import normalize
from tests.conftest import ROOT
from tests.test_normalize_equivalence import corpus

LABELS = ROOT / "tests" / "fixtures" / "infra-labels.json"
# Boards the preset was never tuned on, labelled by the same rubric before it was measured.
HELDOUT_LABELS = ROOT / "tests" / "fixtures" / "infra-labels-heldout.json"


@dataclass
class Quality:
    true_positives: list[str] = field(default_factory=list)
    false_positives: list[str] = field(default_factory=list)
    false_negatives: list[str] = field(default_factory=list)
    borderline_matched: int = 0
    borderline: int = 0
    postings: int = 0

    @property
    def precision(self) -> float:
        found = len(self.true_positives) + len(self.false_positives)
        return len(self.true_positives) / found if found else 0.0

    @property
    def recall(self) -> float:
        wanted = len(self.true_positives) + len(self.false_negatives)
        return len(self.true_positives) / wanted if wanted else 0.0

    def summary(self) -> str:
        infra = len(self.true_positives) + len(self.false_negatives)
        return (
            f"{self.postings} labelled postings, {infra} infra: "
            f"precision {self.precision:.2f}, recall {self.recall:.2f} "
            f"({len(self.false_positives)} wrongly taken, {len(self.false_negatives)} missed; "
            f"{self.borderline_matched} of {self.borderline} borderline taken)"
        )


def labelled() -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """(normalized posting, its label) for every labelled posting."""
    labels = json.loads(LABELS.read_text(encoding="utf-8"))
    postings = corpus()
    assert len(labels) == len(postings), "every corpus posting is labelled, in order"
    pairs = []
    for (payload, raw), label in zip(postings, labels, strict=True):
        assert (payload, raw.external_id) == (label["payload"], label["external_id"]), label
        pairs.append((normalize(raw).as_dict(), label))
    return pairs


def heldout() -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """(normalized posting, its label) for every held-out posting."""
    from tests.heldout_corpus import heldout_postings

    labels = json.loads(HELDOUT_LABELS.read_text(encoding="utf-8"))
    postings = list(heldout_postings())
    assert len(labels) == len(postings), "every held-out posting is labelled, in order"
    pairs = []
    for (payload, raw), label in zip(postings, labels, strict=True):
        assert (payload, raw.external_id) == (label["payload"], label["external_id"]), label
        pairs.append((normalize(raw).as_dict(), label))
    return pairs


def measure(
    rule: WatchRule | None = None, pairs: list[tuple[dict[str, Any], dict[str, Any]]] | None = None
) -> Quality:
    """The rule's (by default the preset's) quality on `pairs` (by default the tuning labels)."""
    rules = RuleSet([rule or resolve(WatchRule(name="infrastructure", extends="infrastructure"))])
    quality = Quality()
    for data, label in labelled() if pairs is None else pairs:
        quality.postings += 1
        taken = bool(rules.matching(data))
        shown = f"{data['title']} ({data.get('department')})"
        if label["label"] == "borderline":
            quality.borderline += 1
            quality.borderline_matched += taken
        elif label["label"] == "infra":
            (quality.true_positives if taken else quality.false_negatives).append(shown)
        elif taken:
            quality.false_positives.append(shown)
    return quality
