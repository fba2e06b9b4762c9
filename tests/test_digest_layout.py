"""How a digest reads: each fact once, no stray separators, a footer that names its watches."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

from notifier.render import build_view, render

PAY = {"salary_min": 180000.0, "salary_max": 250000.0, "salary_currency": "USD", "salary_period": "year"}


def row(event: str, title: str, watches: list[str], **data: Any) -> dict[str, Any]:
    diff = data.pop("diff", None)
    backfill = data.pop("backfill", False)
    fields = {"title": title, "company": "Acme", "url": f"https://jobs.example.com/{len(title)}", **data}
    return {"event": event, "data": fields, "diff": diff, "watches": watches, "backfill": backfill}


RAISE = {"salary_max": {"old": 230000.0, "new": 250000.0}}
ROWS = [
    row("changed", "Storage Engineer", ["infra"], locations=["Seattle, WA"], diff=RAISE, **PAY),
    row("new", "Remote SRE", ["infra"], workplace=["remote"]),
    row("new", "Placeless Engineer", ["infra"]),
    row(
        "new", "Network Engineer", ["remote-infra"], workplace=["hybrid"], locations=["Dublin"], backfill=True
    ),
]


class Paragraphs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.meta: list[str] = []
        self.badges: list[str] = []
        self._into: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        classes = (dict(attrs).get("class") or "").split()
        self._into = self.meta if "meta" in classes else self.badges if "badge" in classes else None
        if self._into is not None:
            self._into.append("")

    def handle_endtag(self, tag: str) -> None:
        self._into = None

    def handle_data(self, data: str) -> None:
        if self._into is not None:
            self._into[-1] += data


def test_each_fact_once_and_no_empty_or_dangling_lines() -> None:
    text, html = render(build_view("me@example.com", ROWS, backfill="summary"))
    storage = text[text.index("Storage Engineer") : text.index("Matched", text.index("Storage Engineer"))]
    assert "Salary: $180,000 – $230,000 per year -> $180,000 – $250,000 per year" in storage
    assert storage.count("Salary") == 1  # the change line, not also the current pay
    assert "Workplace: hybrid" in text  # the summarised first-crawl posting says where too
    parsed = Paragraphs()
    parsed.feed(html)
    assert all(line.strip() and not line.strip().startswith("·") for line in parsed.meta), parsed.meta
    assert "remote" in parsed.meta
    assert "Acme · Dublin · hybrid" in parsed.meta
    assert parsed.badges.count("new") == 3  # the summarised posting has its badge too


def test_the_footer_names_the_watches_behind_a_signature_separator() -> None:
    text, html = render(build_view("me@example.com", ROWS, backfill="summary"))
    footer = "\n-- \nSent by rolewatch because me@example.com follows the watches infra, remote-infra."
    assert footer in text
    assert "for the watches infra, remote-infra." in html
    only_backfill = build_view("me@example.com", ROWS[3:], backfill="summary")
    assert "follows the watch remote-infra." in render(only_backfill)[0]
