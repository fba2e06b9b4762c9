"""Digest rendering: a view of the outbox items, then Jinja2 HTML (CSS inlined) and plain text."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import css_inline
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PackageLoader, StrictUndefined

from notifier.wording import changed_sentences, only_figures
from pipeline.record import PostingRecord
from pipeline.salary import PERIODS_PER_YEAR, Salary
from pipeline.states import EventType

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
    # Every company in the digest, the summarised ones included (for the subject line).
    company_names: list[str] = field(default_factory=list)

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


def best_paid_first(
    postings: list[PostingRecord],
) -> Callable[[tuple[PostingRecord, Entry]], tuple[Any, ...]]:
    """A sort key for (record, entry) pairs: pay in the most common currency first, highest
    yearly top first; then pay in other currencies, by currency (amounts in different currencies
    are not compared); then postings stating no pay; ties by title."""
    currencies = Counter(record.salary_currency for record in postings if _yearly_top(record) is not None)
    main = currencies.most_common(1)[0][0] if currencies else None

    def key(item: tuple[PostingRecord, Entry]) -> tuple[Any, ...]:
        record, entry = item
        title = entry.title.casefold()
        top = _yearly_top(record)
        if top is None:
            return (2, title)
        currency = record.salary_currency or ""
        return (0, -top, title) if currency == main else (1, currency, -top, title)

    return key


def _yearly_top(record: PostingRecord) -> float | None:
    top = record.salary.top
    if top is None:
        return None
    return float(top) * PERIODS_PER_YEAR.get(record.salary_period or "year", 1)


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
        title=record.title or "(untitled)",
        company=record.company or row.source or "Unknown company",
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


def build_view(
    recipient: str, rows: list[DigestRow], backfill: str = "summary", backfill_top: int = 10
) -> DigestView:
    """Group a digest's rows by company, events in a fixed order.

    With `backfill: summary`, postings announced by a board's first crawl are not listed one by
    one: they become one section with the `backfill_top` best paid (then by title) and a count.
    """
    grouped: dict[str, list[Entry]] = defaultdict(list)
    counts: dict[EventType, int] = defaultdict(int)
    summarised: list[tuple[PostingRecord, Entry]] = []
    for row in rows:
        entry = entry_of(row)
        counts[row.event] += 1
        if backfill == "summary" and entry.backfill:
            summarised.append((row.record, entry))
        else:
            grouped[entry.company].append(entry)
    companies = [
        (company, sorted(entries, key=lambda e: (EVENT_ORDER.get(e.event, 9), e.title)))
        for company, entries in sorted(grouped.items(), key=lambda item: item[0].casefold())
    ]
    ordered = {str(kind): counts[kind] for kind in EVENT_ORDER if counts.get(kind)}
    summarised.sort(key=best_paid_first([record for record, _ in summarised]))
    names = {entry.company for _, entry in summarised} | set(grouped)
    return DigestView(
        recipient=recipient,
        companies=companies,
        counts=ordered,
        backfill_total=len(summarised),
        backfill=[entry for _, entry in summarised[:backfill_top]],
        company_names=sorted(names, key=str.casefold),
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
    companies = view.company_names
    where = ", ".join(companies[:3]) + (f" and {len(companies) - 3} more" if len(companies) > 3 else "")
    return f"{', '.join(parts)} — {where}" if where else ", ".join(parts)


def render(view: DigestView, env: Environment | None = None) -> tuple[str, str]:
    """(plain text, HTML with inlined CSS) for one digest."""
    env = env or environment()
    text = env.get_template("digest.txt.j2").render(view=view)
    html = env.get_template("digest.html.j2").render(view=view)
    return text, css_inline.inline(html)
