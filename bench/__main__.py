"""`python -m bench [preset|matching|ingest|begin|render|crawl] [options]`: every benchmark by default.

- preset: precision and recall of the `infrastructure` preset on the hand-labelled real
  postings and on the held-out boards it was never tuned on (tests/preset_quality.py);
- matching: 100,000 postings x 100 rules (bench/matching.py), and the explaining path;
- ingest: the recorded Stripe board stored in-process, first crawl and unchanged recrawl;
- begin: crawl runs opened for 2,000 sources, one at a time and in batches (bench/begin.py);
- render: one digest of 10,000 events (bench/digest_render.py);
- crawl: rolewatch against the floor on a farm of Greenhouse boards (bench/crawl.py), at
  200, 2,000 and 20,000 boards unless `--boards` says otherwise;
- workers (only when named: it needs the local PostgreSQL and Redis): the farm crawled through
  the queue by 1, 2 and 4 `rolewatch worker`s (bench/workers.py), at 2,000 boards unless
  `--boards` says otherwise;
- search (only when named: it needs the local PostgreSQL): full-text search over 600,000
  postings on SQLite and PostgreSQL beside the bare FTS5 / tsvector query (bench/search.py).
"""

from __future__ import annotations

import argparse
import resource

from bench.begin import bench_begin
from bench.crawl import SIZES, Limits, bench_crawl
from bench.digest_render import bench_digest_render
from bench.machine import describe
from bench.matching import bench_ingest, bench_matching
from bench.search import POSTINGS, bench_search
from bench.workers import bench_workers

STEPS = ("preset", "matching", "ingest", "begin", "render", "crawl")
NAMED_ONLY = ("workers", "search")


def sizes(text: str) -> list[int]:
    chosen = [int(part.replace("_", "")) for part in text.split(",") if part.strip()]
    if not chosen or min(chosen) < 1:
        raise argparse.ArgumentTypeError("expected board counts such as 200,2000")
    return chosen


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description="rolewatch's benchmarks.")
    parser.add_argument("steps", nargs="*", metavar="STEP", help=f"any of {', '.join(STEPS)}; all by default")
    parser.add_argument("--postings", type=int, default=100_000, help="matching: postings (100,000)")
    parser.add_argument("--events", type=int, default=10_000, help="render: events in the digest (10,000)")
    parser.add_argument(
        "--boards", type=sizes, help="farm sizes: crawl (200,2000,20000), workers (its first: 2000)"
    )
    defaults = Limits()
    parser.add_argument(
        "--concurrency", type=int, default=defaults.concurrency, help="crawl: requests in flight"
    )
    parser.add_argument(
        "--per-host", type=int, default=defaults.per_host, help="crawl: in flight per address"
    )
    parser.add_argument("--delay", type=float, default=defaults.delay, help="crawl: seconds between requests")
    parser.add_argument("--autothrottle", action="store_true", help="crawl: turn AutoThrottle on")
    parser.add_argument("--floor-only", action="store_true", help="crawl: the floor alone, no rolewatch")
    parser.add_argument(
        "--workers", type=sizes, default=[1, 2, 4], help="workers: how many workers, in turn (1,2,4)"
    )
    parser.add_argument(
        "--search-postings", type=int, default=POSTINGS, help="search: postings stored (600,000)"
    )
    args = parser.parse_args()
    if unknown := [step for step in args.steps if step not in STEPS + NAMED_ONLY]:
        parser.error(f"unknown step {', '.join(unknown)} (choose from {', '.join(STEPS + NAMED_ONLY)})")
    steps = args.steps or list(STEPS)
    print(describe(), flush=True)
    if "preset" in steps:
        from tests.preset_quality import heldout, measure

        print(f"preset infrastructure: {measure().summary()}", flush=True)
        print(f"preset infrastructure, held-out boards: {measure(pairs=heldout()).summary()}", flush=True)
    if "matching" in steps:
        bench_matching(args.postings)
    if "ingest" in steps:
        bench_ingest()
    if "begin" in steps:
        bench_begin()
    if "render" in steps:
        bench_digest_render(args.events)
    if set(steps) - {"crawl", "workers", "search"}:
        # The steps above ran in this process; the crawl's steps run in child processes.
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"peak resident memory of this process: {peak:.0f} MiB", flush=True)
    if "crawl" in steps:
        bench_crawl(
            args.boards or list(SIZES),
            Limits(args.concurrency, args.per_host, args.delay, args.autothrottle),
            args.floor_only,
        )
    if "workers" in steps:
        limits = Limits(args.concurrency, args.per_host, args.delay, args.autothrottle)
        bench_workers(args.boards[0] if args.boards else 2_000, args.workers, limits)
    if "search" in steps:
        bench_search(args.search_postings)


if __name__ == "__main__":
    main()
