"""Rule matching and in-process ingestion, measured on the recorded Stripe board.

- matching: 100,000 postings (the board's 267 real postings, repeated with varied titles)
  against 100 watch rules built from the presets and term lists, the way the outbox does it:
  one rule set, each posting tested once against all its rules (every posting's fields are
  scanned afresh: nothing about a text is kept from one posting to the next);
- ingestion: store the board into SQLite (first crawl, then an unchanged recrawl).
"""

from __future__ import annotations

import itertools
import tempfile
import time
from pathlib import Path

from config.schema import MinSalary, SourceConfig, WatchRule
from config.watches import resolve
from crawler.extract.greenhouse import extract_greenhouse
from notifier.rules import RuleSet
from pipeline.db import open_database, session_factory
from pipeline.ingest import Ingest, normalize_all
from pipeline.normalize import normalize
from pipeline.store import CrawlVerdict
from rolewatch.demo_boards import board_before

TERMS = ["kubernetes", "golang", "rust", "postgres", "kafka", "terraform", "python", "java", "aws", "linux"]


def rules(count: int = 100) -> list[WatchRule]:
    made = []
    for index in range(count):
        term = TERMS[index % len(TERMS)]
        if index % 4 == 0:
            made.append(resolve(WatchRule(name=f"r{index}", extends="infrastructure")))
        elif index % 4 == 1:
            made.append(WatchRule(name=f"r{index}", any=[term, "distributed systems"], none=["intern"]))
        elif index % 4 == 2:
            made.append(WatchRule(name=f"r{index}", title_any=["engineer"], workplace=["remote"]))
        else:
            made.append(
                WatchRule(
                    name=f"r{index}", all=[term], min_salary=MinSalary(amount=100000 + index, currency="USD")
                )
            )
    return made


def bench_matching(postings: int = 100_000, rule_count: int = 100) -> None:
    board = [normalize(raw).as_dict() for raw in extract_greenhouse(board_before()).postings]
    data = [
        dict(posting, title=f"{posting['title']} {index}")
        for index, posting in zip(range(postings), itertools.cycle(board), strict=False)
    ]
    watch = rules(rule_count)
    checks = postings * rule_count
    started = time.perf_counter()
    ruleset = RuleSet(watch)
    ready = time.perf_counter()
    matched = sum(len(ruleset.matching(posting, "stripe")) for posting in data)
    elapsed = time.perf_counter() - ready
    print(
        f"matching: {postings:,} postings x {rule_count} rules = {checks:,} checks "
        f"in {elapsed:.2f}s ({checks / elapsed:,.0f}/s; {elapsed / postings * 1e6:.0f} us per posting), "
        f"{matched:,} matches; compiling the rules took {(ready - started) * 1000:.1f} ms"
    )
    # The explaining path (`check --explain`) on a sample: reasons for every rule, no shortcuts.
    sample = data[: max(1, min(postings, 5000))]
    started = time.perf_counter()
    explained = sum(bool(verdict) for posting in sample for verdict in ruleset.explain(posting, "stripe"))
    elapsed = time.perf_counter() - started
    print(
        f"explaining: {len(sample):,} postings x {rule_count} rules, "
        f"{len(sample) * rule_count / elapsed:,.0f} checks/s, {explained:,} matches "
        f"(matching finds {sum(len(ruleset.matching(posting, 'stripe')) for posting in sample):,})"
    )


def bench_ingest() -> None:
    board = board_before()
    with tempfile.TemporaryDirectory() as folder:
        engine = open_database(f"sqlite:///{Path(folder) / 'bench.db'}")
        sessions = session_factory(engine)
        source = SourceConfig(name="stripe", type="greenhouse", board="stripe")
        for label in ("first crawl", "unchanged recrawl"):
            # The crawl's own ingest: begin, add, sort out by raw hash, normalize, store.
            started = time.perf_counter()
            ingest = Ingest(sessions).begin(source)
            raws = extract_greenhouse(board).postings
            for raw in raws:
                ingest.add(raw)
            batch = ingest.sort_out()
            sorted_out = time.perf_counter()
            normalized = normalize_all(batch.to_normalize, source.company)
            done_normalizing = time.perf_counter()
            ingest.store(CrawlVerdict(), batch, normalized)
            stored = time.perf_counter()
            print(
                f"ingest ({label}): {len(raws)} postings ({len(batch.unchanged)} unchanged), extract and "
                f"sort out {sorted_out - started:.2f}s, normalize {done_normalizing - sorted_out:.2f}s, "
                f"store {stored - done_normalizing:.2f}s"
            )
        engine.dispose()
