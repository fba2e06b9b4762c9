"""How a digest reads: each fact once, no stray separators, a footer that names its watches."""

from __future__ import annotations

from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from html.parser import HTMLParser
from typing import Any

from config.loader import parse_config
from notifier.compose import compose
from notifier.render import DigestRow, build_view, render
from notifier.wording import MAX_WORDS, changed_sentences
from pipeline.diff import description_diff
from pipeline.models import Digest
from pipeline.record import PostingRecord
from pipeline.states import EventType

PAY = {"salary_min": 180000.0, "salary_max": 250000.0, "salary_currency": "USD", "salary_period": "year"}


def row(event: str, title: str, watches: list[str], **data: Any) -> DigestRow:
    diff = data.pop("diff", None)
    backfill = data.pop("backfill", False)
    fields = {"title": title, "company": "Acme", "url": f"https://jobs.example.com/{len(title)}", **data}
    return DigestRow(
        EventType(event), PostingRecord.from_data(fields), diff, watches=watches, backfill=backfill
    )


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


def described(old: str, new: str, **diff: Any) -> dict[str, Any]:
    change = {"description": {"lines": description_diff(old, new)}, **diff}
    return row("changed", "Storage Engineer", ["infra"], diff=change, **PAY)


def test_a_changed_description_shows_its_changed_sentences_with_the_changed_words_marked() -> None:
    old = "You will run Kafka.\nWe use Go and Rust. Our team is in Seattle. Benefits include equity."
    new = "You will run Kafka.\nWe use Go and Zig. Our team is in Seattle. Benefits include equity and a car."
    text, html = render(build_view("me@example.com", [described(old, new)]))
    assert "    We use Go and [-Rust.-] {+Zig.+}\n" in text
    assert "    Benefits include [-equity.-] {+equity and a car.+}\n" in text
    assert "Our team is in Seattle" not in text and "@@" not in text
    assert '<del class="old"' in html and ">Rust.</del>" in html and ">Zig.</ins>" in html


def test_a_description_change_that_only_repeats_the_pay_change_is_left_out() -> None:
    old = "The base salary range is $230,000 - $250,000. Benefits include equity."
    new = "The base salary range is $180,000 - $250,000. Benefits include equity."
    pay = {"salary_min": {"old": 230000.0, "new": 180000.0}}
    text, html = render(build_view("me@example.com", [described(old, new, **pay)]))
    assert "Salary: $230,000 – $250,000 per year -> $180,000 – $250,000 per year" in text
    assert "Description" not in text and "Description" not in html
    # Without a pay change the same figures are news, and shown.
    assert "[-$230,000-] {+$180,000+}" in render(build_view("me@example.com", [described(old, new)]))[0]


def test_the_message_is_marked_automatic_dated_when_sent_and_seven_bit_safe() -> None:
    config = parse_config("sources: [{name: s, type: greenhouse, board: s}]\n", "ok.yaml", env={})
    created, sent = datetime(2026, 11, 30, 8, tzinfo=UTC), datetime(2026, 12, 2, 9, 30, tzinfo=UTC)
    digest = Digest(id=7, recipient="me@example.com", message_id="<d7@example.com>", created_at=created)
    view = build_view("me@example.com", [row("new", "Ingénieur Réseau", ["infra"])])
    message = message_from_bytes(
        compose(config, digest, view, sent_at=sent).as_bytes(), policy=policy.default
    )
    assert message["Auto-Submitted"] == "auto-generated"
    assert (
        message["List-Unsubscribe"].strip()
        == "<mailto:rolewatch@localhost?subject=unsubscribe%20me%40example.com>"
    )
    assert message["Date"] == "Wed, 02 Dec 2026 09:30:00 +0000"  # a retry is dated when it went out
    assert message["Message-ID"] == "<d7@example.com>"
    assert isinstance(message, EmailMessage)
    parts = list(message.iter_parts())
    assert [part["Content-Transfer-Encoding"] for part in parts] == ["quoted-printable"] * 2
    assert max(message.as_bytes()) < 128  # no 8BITMIME needed anywhere on the way
    text = parts[0].get_content()
    assert "Ingénieur Réseau" in text and "\n-- \n" in text
    assert "To stop these, ask whoever runs rolewatch to remove me@example.com" in text


def test_other_figures_are_news_beside_a_pay_change_and_long_runs_are_cut() -> None:
    old = "The base salary range is $230,000 - $250,000. You need 5 years of Go."
    new = "The base salary range is $180,000 - $250,000. You need 10 years of Go."
    pay = {"salary_min": {"old": 230000.0, "new": 180000.0}}
    text, _ = render(build_view("me@example.com", [described(old, new, **pay)]))
    assert "You need [-5-] {+10+} years of Go." in text
    bullets = " ".join(f"item{n}" for n in range(20000))
    (sentence,) = changed_sentences(description_diff(bullets, bullets + " more"))
    assert sum(len(part.text.split()) for part in sentence) <= MAX_WORDS
