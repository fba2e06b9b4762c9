"""Time and profile `pipeline.normalize.normalize` on the recorded Stripe board and on every
recorded posting, beside the floor no normalizer can go under: decoding the payload (`json.loads`)
and turning each description's HTML into text (`html_text.extract_text`).

    python -m bench.normalize_profile            # figures
    python -m bench.normalize_profile --profile  # and the top of a cProfile of normalize()

Figures are printed, never asserted.
"""

from __future__ import annotations

import cProfile
import pstats
import sys
import time
from collections.abc import Callable

import html_text

from pipeline.normalize import normalize
from pipeline.raw import RawPosting
from tests.normalize_corpus import STRIPE_BOARD, payload_files, payload_path, postings_of

REPEATS = 5


def best_of(run: Callable[[], object], repeats: int = REPEATS) -> float:
    """The fastest of `repeats` runs, in seconds: the least disturbed by the rest of the machine."""
    timings = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        timings.append(time.perf_counter() - start)
    return min(timings)


def measure(name: str, files: list[str]) -> list[RawPosting]:
    texts = {relative: payload_path(relative).read_text(encoding="utf-8") for relative in files}
    postings = [posting for relative in files for posting in postings_of(relative, texts[relative])]
    htmls = [posting.description_html for posting in postings if posting.description_html]
    count = len(postings)

    def decode() -> None:
        for relative, text in texts.items():
            postings_of(relative, text)

    normalizing = best_of(lambda: [normalize(posting) for posting in postings])
    extracting = best_of(lambda: [html_text.extract_text(html, guess_layout=True) for html in htmls])
    decoding = best_of(decode)
    per_posting = {
        "normalize()": normalizing,
        "floor: html_text.extract_text alone": extracting,
        "floor: json.loads + extractor": decoding,
        "normalize() beyond html_text": normalizing - extracting,
    }
    print(f"{name}: {count} postings, {len(htmls)} with HTML")
    for label, seconds in per_posting.items():
        print(f"  {label:<38} {seconds / count * 1000:7.3f} ms per posting")
    return postings


def profile(postings: list[RawPosting], top: int = 25) -> None:
    profiler = cProfile.Profile()
    profiler.enable()
    for posting in postings:
        normalize(posting)
    profiler.disable()
    pstats.Stats(profiler).sort_stats("tottime").print_stats(top)


def main(argv: list[str]) -> None:
    stripe = measure("Stripe board", [STRIPE_BOARD])
    measure("all recorded postings", payload_files())
    if "--profile" in argv:
        profile(stripe)


if __name__ == "__main__":
    main(sys.argv[1:])
