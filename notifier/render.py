"""Digest rendering: a view of the outbox items, then Jinja2 HTML (CSS inlined) and plain text."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any, Generic, TypeVar

import css_inline
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PackageLoader, StrictUndefined

from notifier.wording import changed_sentences, only_figures
from pipeline.record import PostingRecord
from pipeline.salary import PERIODS_PER_YEAR, Salary
from pipeline.states import EventType

T = TypeVar("T")

# New and reopened postings first: they are what a reader acts on.
EVENT_ORDER = {EventType.NEW: 0, EventType.REOPENED: 1, EventType.CHANGED: 2, EventType.CLOSED: 3}
FIELD_LABELS = {
    "title": "Title",
    "company": "Company",
    "locations": "Location",
    "workplace": "Workplace",
    "department": "Department",
    "employment_type": "Employment type",
    "salary_min": "Salary from",
    "salary_max": "Salary up to",
    "salary_currency": "Salary currency",
    "salary_period": "Salary period",
    "description": "Description",
}


@dataclass
class Entry:
    """One line of a digest: an event on a posting, with what changed and which rules matched."""

    event: EventType
    title: str
    company: str
    url: str | None
    locations: list[str]
    workplace: list[str]
    salary: str | None
    changes: list[dict[str, Any]] = field(default_factory=list)
    watches: list[str] = field(default_factory=list)
    backfill: bool = False
    # Links to the same job on other sources.
    also_at: list[str] = field(default_factory=list)
    # "Posted 4 Aug 2026", or "First seen 3 Dec 2026" when the board gives no date.
    posted: str | None = None

    @property
    def where(self) -> str:
        """Place and workplace on one line ("Seattle, WA · remote"); empty when neither is known."""
        return " · ".join(part for part in ("; ".join(self.locations), ", ".join(self.workplace)) if part)

    @property
    def salary_changed(self) -> bool:
        # The change line shows the pay old → new; the current pay alone would repeat it.
        return any(change["field"] == "Salary" for change in self.changes)


@dataclass
class DigestView:
    recipient: str
    companies: list[tuple[str, list[Entry]]]
    counts: dict[str, int]
    # A board's first crawl, summarised: how many matched, and the ones listed.
    backfill_total: int = 0
    backfill: list[Entry] = field(default_factory=list)
    # Every company in the digest, the summarised ones included (for the subject line); in a
    # digest of very many companies, the first `len(company_names)` of `company_count`.
    company_names: list[str] = field(default_factory=list)
    company_count: int = 0
    # Events of a digest too large to list whole that are neither listed nor summarised, and
    # how many of them each company has (the companies with the most).
    more: int = 0
    more_by_company: list[tuple[str, int]] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def watches(self) -> list[str]:
        """Every watch named in the digest, for the footer."""
        entries = [entry for _, listed in self.companies for entry in listed] + self.backfill
        return sorted({name for entry in entries for name in entry.watches}, key=str.casefold)

    @property
    def backfill_more(self) -> int:
        return self.backfill_total - len(self.backfill)


def format_salary(salary: Salary) -> str | None:
    if not salary.stated:
        return None
    currency = salary.currency or ""
    symbol = {"USD": "$", "EUR": "€", "GBP": "£"}.get(currency, "")
    amounts = [f"{symbol}{value:,.0f}" for value in (salary.min, salary.max) if value is not None]
    text = " – ".join(dict.fromkeys(amounts))
    suffix = f" {currency}" if not symbol and currency else ""
    return f"{text}{suffix}" + (f" per {salary.period}" if salary.period else "")


def main_currency(stated: Counter[str | None]) -> str | None:
    """The currency pay is most often stated in; of equally common ones, the first counted."""
    return stated.most_common(1)[0][0] if stated else None


class BestPaid(Generic[T]):
    """The `count` best paid of the postings added, in memory bounded by `count` per currency:
    pay in the main currency first, highest yearly top first; then pay in other currencies, by
    currency (amounts in different currencies are not compared); then postings stating no pay;
    ties by title, then in the order added."""

    def __init__(self, count: int) -> None:
        self.count = count
        # How many postings state pay in each currency, in the order first added.
        self.stated: Counter[str | None] = Counter()
        self._paid: dict[str | None, _Smallest[T]] = {}
        self._unpaid: _Smallest[T] = _Smallest(count)
        self._added = 0

    def add(self, salary: Salary, title: str, item: T) -> None:
        self._added += 1
        top = yearly_top(salary)
        if top is None:
            self._unpaid.add((title.casefold(), self._added), item)
            return
        self.stated[salary.currency] += 1
        kept = self._paid.setdefault(salary.currency, _Smallest(self.count))
        kept.add((-top, title.casefold(), self._added), item)

    def best(self, main: str | None) -> list[T]:
        ranked: list[tuple[tuple[Any, ...], T]] = [
            ((0, *key) if (currency or "") == main else (1, currency or "", *key), item)
            for currency, kept in self._paid.items()
            for key, item in kept.smallest()
        ]
        ranked += [((2, *key), item) for key, item in self._unpaid.smallest()]
        ranked.sort(key=lambda pair: pair[0])
        return [item for _, item in ranked[: self.count]]


class _Smallest(Generic[T]):
    """The `size` items of smallest key added so far, kept in memory bounded by `size`."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.kept: list[tuple[tuple[Any, ...], T]] = []

    def add(self, key: tuple[Any, ...], item: T) -> None:
        self.kept.append((key, item))
        if len(self.kept) > 2 * self.size + 64:
            self.smallest()

    def smallest(self) -> list[tuple[tuple[Any, ...], T]]:
        self.kept.sort(key=lambda pair: pair[0])
        del self.kept[self.size :]
        return self.kept


def yearly_top(salary: Salary) -> float | None:
    top = salary.top
    if top is None:
        return None
    return float(top) * PERIODS_PER_YEAR.get(salary.period or "year", 1)


SALARY_PARTS = {
    "salary_min": "min",
    "salary_max": "max",
    "salary_currency": "currency",
    "salary_period": "period",
}


def describe_changes(diff: dict[str, Any] | None, record: PostingRecord) -> list[dict[str, Any]]:
    """Readable old → new pairs; salary fields are shown together as one range.

    `record` is the posting's current version; it fills in the salary parts that did not change.
    """
    if not diff:
        return []
    changes: list[dict[str, Any]] = []
    pay_changed = any(key in SALARY_PARTS for key in diff)
    if pay_changed:
        current = record.salary
        old = replace(
            current, **{SALARY_PARTS[key]: c["old"] for key, c in diff.items() if key in SALARY_PARTS}
        )
        changes.append({"field": "Salary", "old": format_salary(old) or "not stated",
                        "new": format_salary(current) or "not stated"})  # fmt: skip
    for key, change in diff.items():
        if key in SALARY_PARTS:
            continue
        label = FIELD_LABELS.get(key, key)
        if key == "description":
            sentences = changed_sentences(change.get("lines", []))
            # The pay line above already says it when only the text's pay figures changed.
            if sentences and not (pay_changed and only_figures(sentences)):
                # `lines` (the line diff) stays for templates written before `sentences`.
                lines = change.get("lines", [])[:40]
                changes.append({"field": label, "sentences": sentences, "lines": lines})
        else:
            changes.append({"field": label, "old": _show(change["old"]), "new": _show(change["new"])})
    return changes


def _show(value: Any) -> str:
    if value is None or value == []:
        return "—"
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    return str(value)


@dataclass(frozen=True)
class DigestRow:
    """An event as outlets are given it: the version's record, the event's diff, and what the
    digest adds (the watches it matched, the same job's other links, its date). The ids and
    time are the event's own, for a webhook's payload."""

    event: EventType
    record: PostingRecord
    diff: dict[str, Any] | None = None
    source: str | None = None
    watches: list[str] = field(default_factory=list)
    backfill: bool = False
    also_at: list[str] = field(default_factory=list)
    posted: str | None = None
    event_id: int = 0
    time: datetime | None = None
    posting_id: int = 0
    external_id: str = ""


def entry_of(row: DigestRow) -> Entry:
    """An event on a posting as every outlet shows it."""
    record = row.record
    return Entry(
        event=row.event,
        title=title_of(record),
        company=company_of(row),
        url=record.url,
        locations=record.locations,
        workplace=record.workplace,
        salary=format_salary(record.salary),
        changes=describe_changes(row.diff, record),
        watches=row.watches,
        backfill=row.backfill,
        also_at=row.also_at,
        posted=row.posted,
    )


def title_of(record: PostingRecord) -> str:
    return record.title or "(untitled)"


def company_of(row: DigestRow) -> str:
    """The company a row is listed under (`notifier.digest_view` asks the same of the database)."""
    return row.record.company or row.source or "Unknown company"


def build_view(
    recipient: str, rows: list[DigestRow], backfill: str = "summary", backfill_top: int = 10
) -> DigestView:
    """Group a digest's rows by company, events in a fixed order.

    With `backfill: summary`, postings announced by a board's first crawl are not listed one by
    one: they become one section with the `backfill_top` best paid (then by title) and a count.
    """
    summarised = [row for row in rows if backfill == "summary" and row.backfill]
    ranking: BestPaid[DigestRow] = BestPaid(backfill_top)
    for row in summarised:
        ranking.add(row.record.salary, title_of(row.record), row)
    return assemble_view(
        recipient,
        listed=[row for row in rows if not (backfill == "summary" and row.backfill)],
        counts=Counter(row.event for row in rows),
        backfill_total=len(summarised),
        backfill=ranking.best(main_currency(ranking.stated)),
        company_names=sorted({company_of(row) for row in rows}, key=str.casefold),
    )


def assemble_view(
    recipient: str,
    *,
    listed: list[DigestRow],
    counts: Mapping[EventType, int],
    backfill_total: int,
    backfill: list[DigestRow],
    company_names: list[str],
    company_count: int | None = None,
    more: int = 0,
    more_by_company: list[tuple[str, int]] | None = None,
) -> DigestView:
    """A digest's view from its parts: the rows listed one by one (grouped by company here),
    the summarised first-crawl rows shown (best paid first) and how many there are, the counts
    by event type, and what is left unlisted."""
    grouped: dict[str, list[Entry]] = defaultdict(list)
    for row in listed:
        entry = entry_of(row)
        grouped[entry.company].append(entry)
    companies = [
        (company, sorted(entries, key=lambda e: (EVENT_ORDER.get(e.event, 9), e.title)))
        for company, entries in sorted(grouped.items(), key=lambda item: item[0].casefold())
    ]
    return DigestView(
        recipient=recipient,
        companies=companies,
        counts={str(kind): counts[kind] for kind in EVENT_ORDER if counts.get(kind)},
        backfill_total=backfill_total,
        backfill=[entry_of(row) for row in backfill],
        company_names=company_names,
        company_count=len(company_names) if company_count is None else company_count,
        more=more,
        more_by_company=more_by_company or [],
    )


def environment(template_dir: str | None = None) -> Environment:
    loaders: list[Any] = [PackageLoader("notifier", "templates")]
    if template_dir:
        loaders.insert(0, FileSystemLoader(Path(template_dir)))
    env = Environment(
        loader=ChoiceLoader(loaders),
        autoescape=lambda name: bool(name and name.endswith(".html.j2")),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["md"] = markdown_text
    env.filters["mdurl"] = markdown_url
    env.filters["thousands"] = "{:,}".format
    return env


# Characters that make Markdown of text: a posting's title must not become a link or bold.
_MARKDOWN = re.compile(r"([\\`*_{}\[\]()<>#+!|~])")


def markdown_text(value: Any) -> str:
    return _MARKDOWN.sub(r"\\\1", " ".join(str(value).split()))


def markdown_url(value: Any) -> str:
    # Inside (...) only a closing parenthesis or a space would end the link early.
    return str(value).replace(" ", "%20").replace(")", "%29")


def render_chat(view: DigestView, env: Environment | None = None) -> tuple[str, str]:
    """(title, Markdown body) for a chat or push channel: short lines with links, by company."""
    env = env or environment()
    body = env.get_template("chat.md.j2").render(view=view)
    return subject_text(view), re.sub(r"\n{3,}", "\n\n", body).strip() + "\n"


def subject_text(view: DigestView) -> str:
    """ "2 new, 1 changed — Stripe, Ramp": the digest in one line (mail subject, chat title)."""
    parts = [f"{count} {name}" for name, count in view.counts.items()]
    companies, count = view.company_names, max(view.company_count, len(view.company_names))
    where = ", ".join(companies[:3]) + (f" and {count - 3} more" if count > 3 else "")
    return f"{', '.join(parts)} — {where}" if where else ", ".join(parts)


def render(view: DigestView, env: Environment | None = None) -> tuple[str, str]:
    """(plain text, HTML with inlined CSS) for one digest."""
    env = env or environment()
    text = env.get_template("digest.txt.j2").render(view=view)
    html = env.get_template("digest.html.j2").render(view=view)
    return text, css_inline.inline(html)
