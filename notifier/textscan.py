"""Which of many terms a text mentions, in one pass over it.

A term's answer is defined by `term_pattern(term).search(text)`: whole words, case folded, a
trailing plural accepted. Running that regex for every term of every rule over a 4 KB
description is what made matching slow; a `Scanner` instead runs multi-pattern automata
(ahocorasick-rs) over the text's lower-cased UTF-8 bytes to find where the terms' first words
occur, and checks only those places, with byte patterns built to agree with the term's regex:

- `sure` holds where every character involved is ASCII: the regex matches there too;
- `maybe` treats every non-ASCII character as whatever would let the term match, so where it
  fails the regex cannot match; where only `maybe` holds, the regex itself decides.

The automaton reports leftmost-longest matches without overlaps, which finds every place a term
can start as long as its first word is made of word characters only; a first word that is
another one plus "s", "e" or "es" is confirmed for both, and other first words ("on-call",
"c++") get a pass that reports every occurrence, overlapping ones too. Texts with the few
non-ASCII characters that fold onto ASCII letters (`CASE_TRAPS`), and terms that are not ASCII,
go through the regex. tests/test_textscan.py holds the scanner to the regex on generated texts.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache

from ahocorasick_rs import BytesAhoCorasick, MatchKind

# The only characters that a case-insensitive `re` pattern of ASCII letters matches although
# they are not ASCII ("İ", dotless "ı", long "ſ", the Kelvin sign); tests/test_textscan.py
# checks this list against every code point.
CASE_TRAPS = "\u0130\u0131\u017f\u212a"

# What `[\s\-/]` matches among ASCII characters, and what `\w` matches after lower-casing.
_SEPARATOR = rb"[\t-\r\x1c-\x20\-/]"
_WORD = rb"0-9a-z_"
_PLAIN = re.compile(rb"[0-9a-z_]+")


@lru_cache(maxsize=4096)
def term_pattern(term: str) -> re.Pattern[str]:
    """Whole words, case-folded; a trailing plural "s"/"es" is accepted ("database(s)")."""
    words = [re.escape(word) for word in term.split()]
    body = r"[\s\-/]+".join(words)
    plural = "(?:s|es)?" if term[-1:].isalpha() else ""
    return re.compile(rf"(?<![\w]){body}{plural}(?![\w])", re.IGNORECASE)


# A term checked at a place its first word occurs: its bit, `sure` and `maybe` byte patterns,
# and its regex.
Check = tuple[int, re.Pattern[bytes], re.Pattern[bytes], re.Pattern[str]]


def _check(term: str, bit: int) -> Check:
    words = [re.escape(word.lower().encode("ascii")) for word in term.split()]
    plural = rb"(?:s|es)?" if term[-1:].isalpha() else b""
    sure = rb"(?<![%s\x80-\xff])%s%s(?![%s\x80-\xff])" % (
        _WORD,
        (_SEPARATOR + b"+").join(words),
        plural,
        _WORD,
    )
    loose = rb"(?:%s|[\x80-\xff])+" % _SEPARATOR
    maybe = rb"(?<![%s])%s%s(?![%s])" % (_WORD, loose.join(words), plural, _WORD)
    return bit, re.compile(sure), re.compile(maybe), term_pattern(term)


# A pass of one automaton over a text: its words' checks by pattern index, and whether it
# reports overlapping occurrences.
Pass = tuple[BytesAhoCorasick, list[list[Check]], bool]


class Scanner:
    """Terms, each with its own bit, looked up together; `scan` gives the bits of those a text
    mentions."""

    __slots__ = ("bits", "_passes", "_short_text_passes", "_regex_only")

    def __init__(self, bits: Mapping[str, int]) -> None:
        self.bits = dict(bits)
        plain: dict[bytes, list[Check]] = {}
        other: dict[bytes, list[Check]] = {}
        self._regex_only: list[tuple[int, re.Pattern[str]]] = []
        for term, bit in self.bits.items():
            first = term.split()[0].lower() if term.split() else ""
            if not (first and term.isascii()):
                self._regex_only.append((bit, term_pattern(term)))
                continue
            word = first.encode("ascii")
            (plain if _PLAIN.fullmatch(word) else other).setdefault(word, []).append(_check(term, bit))

        def checks(word: bytes) -> list[Check]:
            # Where a word is reported, the terms of the word it extends by "s", "e" or "es" may
            # start too ("cach" is reported as "cache" in "caches" when both are first words).
            ends = (b"", b"s", b"e", b"es")
            return [
                check
                for end in ends
                if word.endswith(end)
                for check in plain.get(word[: len(word) - len(end)], [])
            ]

        def passes(*groups: list[bytes]) -> list[Pass]:
            made = [
                (
                    BytesAhoCorasick(group, matchkind=MatchKind.LeftmostLongest),
                    [checks(word) for word in group],
                    False,
                )
                for group in groups
                if group
            ]
            if other:  # other first words ("on-call", "c++") may overlap: every occurrence counts
                made.append(
                    (BytesAhoCorasick(list(other), matchkind=MatchKind.Standard), list(other.values()), True)
                )
            return made

        # In a long text, short words make the automaton's prefilter weak ("sre" alone doubled
        # the time of a pass over a description), so they get a pass of their own; a short
        # text is cheaper to read once.
        self._passes = passes(
            [word for word in plain if len(word) <= 4], [word for word in plain if len(word) > 4]
        )
        self._short_text_passes = passes(list(plain))

    def scan(self, text: str) -> int:
        """The bits of the terms `text` mentions."""
        if not text.isascii() and (  # CASE_TRAPS, spelt out: this runs for every field
            "\u0130" in text or "\u0131" in text or "\u017f" in text or "\u212a" in text
        ):
            return self._by_regex(text)
        try:
            folded = text.encode().lower()
        except UnicodeEncodeError:  # a lone surrogate
            return self._by_regex(text)
        found = settled = 0
        for automaton, checks, overlapping in self._passes if len(folded) > 256 else self._short_text_passes:
            for index, start, _ in automaton.find_matches_as_indexes(folded, overlapping):
                for bit, sure, maybe, regex in checks[index]:
                    if settled & bit or not maybe.match(folded, start):
                        continue
                    settled |= bit
                    # Where only `maybe` holds, non-ASCII characters decide: the term's regex
                    # settles it for the whole text.
                    if sure.match(folded, start) or regex.search(text):
                        found |= bit
        for bit, regex in self._regex_only:
            if regex.search(text):
                found |= bit
        return found

    def _by_regex(self, text: str) -> int:
        found = 0
        for term, bit in self.bits.items():
            if term_pattern(term).search(text):
                found |= bit
        return found
