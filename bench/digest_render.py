"""Render one digest of 10,000 events with the function a sent digest uses (`notifier.render.render`).

The events are built from the normalized postings of the recorded Stripe board, spread over
several companies (one per pass over the board) and mixed like a busy week: mostly new
postings, some changed (pay and title, with the old → new pairs the digest shows), some closed
and reopened. None is a first-crawl backfill, so every event is listed. Only `render` (text,
HTML, CSS inlining) is timed; grouping the rows into a view is reported beside it.
"""

from __future__ import annotations

import itertools
import time

from crawler.extract.greenhouse import extract_greenhouse
from notifier.render import DigestRow, build_view, environment, render
from pipeline.diff import field_diff
from pipeline.normalize import normalize
from pipeline.record import PostingRecord
from pipeline.states import EventType
from rolewatch.demo_boards import board_before

# Out of every 20 events: 14 new, 3 changed, 2 closed, 1 reopened.
EVENT_MIX = ["new"] * 14 + ["changed"] * 3 + ["closed"] * 2 + ["reopened"]


def digest_rows(events: int) -> list[DigestRow]:
    board = [normalize(raw).as_dict() for raw in extract_greenhouse(board_before()).postings]
    rows = []
    for index, posting, event in zip(
        range(events), itertools.cycle(board), itertools.cycle(EVENT_MIX), strict=False
    ):
        data = dict(
            posting,
            company=f"{posting['company']} {index // len(board)}",
            title=f"{posting['title']} {index}",
        )
        diff = None
        if event == "changed":
            old = dict(data, title=posting["title"], salary_max=(data.get("salary_max") or 200_000) - 10_000)
            diff = field_diff(old, data)
        record = PostingRecord.from_data(data)
        rows.append(DigestRow(EventType(event), record, diff, "stripe", watches=["infra"]))
    return rows


def bench_digest_render(events: int = 10_000) -> None:
    rows = digest_rows(events)
    env = environment()
    render(build_view("bench@example.com", rows[:5]), env)  # compile the templates first, untimed
    started = time.perf_counter()
    view = build_view("bench@example.com", rows)
    built = time.perf_counter()
    text, html = render(view, env)
    rendered = time.perf_counter()
    print(
        f"digest render: {view.total:,} events over {len(view.companies)} companies rendered in "
        f"{rendered - built:.2f}s ({view.total / (rendered - built):,.0f} events/s; "
        f"text {len(text) / 1e6:.1f} MB, HTML {len(html) / 1e6:.1f} MB); "
        f"grouping the rows into the view took {built - started:.2f}s"
    )
