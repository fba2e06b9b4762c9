"""The demo's Stripe board, before and after: real recorded payloads plus the seed posting.

Before: Stripe's Greenhouse board as captured on 2026-08-04, with the Backend Engineer, Core
Technology job carrying the seed ad's text (which states its pay range). After: that job's pay
range raised, one infrastructure job gone, one that was held back published.
"""

from __future__ import annotations

import copy
import html
import json
from importlib import resources
from typing import Any

SEED_FILE = "stripe-backend-engineer-core-technology.txt"
BOARD_FILE = "stripe-jobs-content-2026-08-04.json"
SEED_JOB_ID = 6042172  # the same job on Stripe's board
SEED_SALARY = "$155,700 - $285,600"
CHANGED_SALARY = "$165,000 - $295,000"
# Real infrastructure jobs on the captured board: one disappears, one appears later.
GONE_JOB_ID = 7462961  # Infrastructure Engineer, Privy
HELD_BACK_JOB_ID = 7835108  # Engineering Manager - Core Performance


def demo_data(name: str) -> str:
    return resources.files("rolewatch").joinpath("demo_data", name).read_text(encoding="utf-8")


def seed_description_html(text: str) -> str:
    """The seed ad's own text as HTML, without the aggregator's page around it.

    The aggregator page wraps the ad in a header ("Job Overview", a sign-up pitch) and a tail
    of its own advice ("Key skills", "How to Get Hired"); the ad runs from "About Stripe" to
    the pay paragraph.
    """
    lines = [line.strip() for line in text.splitlines()]
    start = lines.index("About Stripe")
    end = lines.index("Key skills/competency")
    parts: list[str] = []
    in_list = False
    for line in lines[start:end]:
        if not line:
            continue
        is_item = line.startswith("- ")
        if in_list and not is_item:
            parts.append("</ul>")
            in_list = False
        if is_item:
            if not in_list:
                parts.append("<ul>")
                in_list = True
            parts.append(f"<li>{html.escape(line[2:])}</li>")
        elif len(line) < 80 and not line.endswith((".", ":")):
            parts.append(f"<h3>{html.escape(line)}</h3>")
        else:
            parts.append(f"<p>{html.escape(line)}</p>")
    if in_list:
        parts.append("</ul>")
    return "\n".join(parts)


def _escaped(markup: str) -> str:
    # Greenhouse sends `content` entity-escaped; keep the demo board faithful to that.
    return html.escape(markup, quote=True)


def _board() -> dict[str, Any]:
    return json.loads(demo_data(BOARD_FILE))


def board_before() -> dict[str, Any]:
    board = _board()
    description = seed_description_html(demo_data(SEED_FILE))
    jobs = []
    for job in board["jobs"]:
        if job["id"] == HELD_BACK_JOB_ID:
            continue
        if job["id"] == SEED_JOB_ID:
            job = dict(job, content=_escaped(description))
        jobs.append(job)
    board["jobs"] = jobs
    # The capture was cut in size; the demo board lists everything it says it has.
    board["meta"] = {"total": len(jobs)}
    return board


def board_after() -> dict[str, Any]:
    before = board_before()
    held_back = next(job for job in _board()["jobs"] if job["id"] == HELD_BACK_JOB_ID)
    jobs = []
    for job in before["jobs"]:
        if job["id"] == GONE_JOB_ID:
            continue
        if job["id"] == SEED_JOB_ID:
            job = copy.deepcopy(job)
            job["content"] = job["content"].replace(SEED_SALARY, CHANGED_SALARY)
            job["updated_at"] = "2026-08-20T09:30:00-04:00"
        jobs.append(job)
    jobs.append(held_back)
    return {"jobs": jobs, "meta": {"total": len(jobs)}}
