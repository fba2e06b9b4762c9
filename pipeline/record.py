"""`PostingRecord`: a posting in rolewatch's common form, as normalized and as stored.

Every stored version's `data` is one record (`as_dict`); readers get it back typed with
`PostingRecord.from_data` (or `PostingVersion.record`), never by reading the dict's keys.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from pipeline.salary import Salary

MATERIAL_FIELDS = (
    "title",
    "company",
    "locations",
    "workplace",
    "department",
    "employment_type",
    "salary_min",
    "salary_max",
    "salary_currency",
    "salary_period",
    "description",
)


@dataclass
class PostingRecord:
    """One posting; `MATERIAL_FIELDS` decide what is a change."""

    external_id: str
    title: str
    url: str | None
    company: str | None
    locations: list[str] = field(default_factory=list)
    workplace: list[str] = field(default_factory=list)
    department: str | None = None
    employment_type: str | None = None
    salary_min: float | None = None
    salary_max: float | None = None
    salary_currency: str | None = None
    salary_period: str | None = None
    description: str = ""
    posted_at: str | None = None
    updated_at: str | None = None

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> PostingRecord:
        """The record a version stored. Versions stored before a field existed lack it, and
        keys no field reads are left out, so old and new versions read alike."""
        known = {name: data[name] for name in _FIELD_NAMES if data.get(name) is not None}
        known.setdefault("external_id", "")
        known.setdefault("title", "")
        known.setdefault("url", None)
        known.setdefault("company", None)
        return cls(**known)

    def as_dict(self) -> dict[str, Any]:
        # Shallow, with the lists copied: `dataclasses.asdict` deep-copies every value, and was
        # a large part of storing a posting.
        return {name: list(value) if isinstance(value, list) else value for name, value in vars(self).items()}

    def material(self) -> dict[str, Any]:
        data = self.as_dict()
        return {name: data[name] for name in MATERIAL_FIELDS}

    @property
    def salary(self) -> Salary:
        """The pay as stated; `Salary.stated` is False when the posting gives none."""
        return Salary(self.salary_min, self.salary_max, self.salary_currency, self.salary_period)


_FIELD_NAMES = tuple(each.name for each in fields(PostingRecord))
