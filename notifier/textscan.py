"""A posting's text prepared once, so many watch rules can ask "does it mention this term?".

A term's answer is exactly `term_pattern(term).search(text)`; the speed comes from not running
that regex over a long description unless the term's first word occurs in it at all: an
ASCII-lowered copy of the text is searched with plain substring search, and the regex only
confirms the places it names. Answers are kept per text, so a term shared by many rules is
looked up once.

A `Scanner` does the same for many terms at once: one pass of a multi-pattern matcher over the
ASCII-lowered text finds every place where any of its terms' first words occurs, and the same
per-term regex confirms them there. Without the `ahocorasick_rs` package, or in a text with a
case trap, terms are looked up one at a time as above.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

try:
    from ahocorasick_rs import BytesAhoCorasick, MatchKind
except ImportError:  # pragma: no cover - the one-term-at-a-time path gives the same answers
    BytesAhoCorasick = None  # type: ignore[assignment,misc]

# The only characters that a case-insensitive `re` pattern of ASCII letters matches although
# they are not ASCII ("İ", dotless "ı", long "ſ", the Kelvin sign); tests/test_textscan.py
# checks this list against every code point. In a text without them, every case-insensitive
# match of an ASCII word is made of ASCII letters, so it shows up verbatim, at the same offset,
# in the text encoded as ASCII (one "?" per other character) and lower-cased.
CASE_TRAPS = "\u0130\u0131\u017f\u212a"


@lru_cache(maxsize=4096)
def term_pattern(term: str) -> re.Pattern[str]:
    """Whole words, case-folded; a trailing plural "s"/"es" is accepted ("database(s)")."""
    words = [re.escape(word) for word in term.split()]
    body = r"[\s\-/]+".join(words)
    plural = "(?:s|es)?" if term[-1:].isalpha() else ""
    return re.compile(rf"(?<![\w]){body}{plural}(?![\w])", re.IGNORECASE)


@lru_cache(maxsize=4096)
def _probe(term: str) -> tuple[re.Pattern[str], bytes | None]:
    """The term's regex, and the lower-cased first word every match of it starts with when
    substring search can stand in for the regex (an ASCII word; None otherwise)."""
    words = term.split()
    first = words[0].lower().encode("ascii") if words and words[0].isascii() else None
    return term_pattern(term), first


class Terms:
    """A rule's term list. Equal lists share one object (see `terms`), so a text answers a list
    that many rules use (a preset's, say) once, keyed by identity."""

    __slots__ = ("items",)

    def __init__(self, items: tuple[str, ...]) -> None:
        self.items = items

    def __bool__(self) -> bool:
        return bool(self.items)


@lru_cache(maxsize=4096)
def terms(items: tuple[str, ...]) -> Terms:
    return Terms(items)


class Scanner:
    """Terms to look up together: each ASCII first word is one pattern of an automaton, which
    reports every occurrence (overlapping ones too, so no candidate place is skipped)."""

    __slots__ = ("terms", "_confirm", "_automaton")

    def __init__(self, lists: Iterable[Terms]) -> None:
        by_word: dict[bytes, list[tuple[str, re.Pattern[str]]]] = {}
        for term in dict.fromkeys(term for listed in lists for term in listed.items):
            pattern, word = _probe(term)
            if word:  # terms without one stay with `PreparedText._search`
                by_word.setdefault(word, []).append((term, pattern))
        self.terms = frozenset(term for found in by_word.values() for term, _ in found)
        self._confirm = list(by_word.values())
        self._automaton = (
            BytesAhoCorasick(list(by_word), matchkind=MatchKind.Standard)
            if BytesAhoCorasick is not None and by_word
            else None
        )

    def hits(self, text: str, folded: bytes) -> dict[str, bool]:
        """Every term of the scanner, and whether the text mentions it (`None` folding aside)."""
        found = dict.fromkeys(self.terms, False)
        assert self._automaton is not None
        for index, start, _ in self._automaton.find_matches_as_indexes(folded, overlapping=True):
            for term, pattern in self._confirm[index]:
                if not found[term] and pattern.match(text, start):
                    found[term] = True
        return found


class PreparedText:
    """One text (a title, or the fields a rule reads) and the terms already looked up in it."""

    __slots__ = ("text", "_folded", "_seen", "_found", "_any", "_scanner")

    def __init__(self, text: str, scanner: Scanner | None = None) -> None:
        self.text = text
        # Looked up in one pass when the first of its terms is asked for.
        self._scanner = scanner
        self._seen: dict[str, bool] = {}
        self._found: dict[Terms, list[str]] = {}
        self._any: dict[Terms, bool] = {}
        # None: a case trap is present, so every term goes through its regex.
        traps = not text.isascii() and any(char in text for char in CASE_TRAPS)
        self._folded: bytes | None = None if traps else text.encode("ascii", "replace").lower()

    def has(self, term: str) -> bool:
        """Does the text mention `term` (same answer as `term_pattern(term).search(text)`)?"""
        known = self._seen.get(term)
        if known is None:
            if self._scanner is not None and term in self._scanner.terms:
                self.scan()
                known = self._seen.get(term)
            if known is None:
                known = self._seen[term] = self._search(term)
        return known

    def expect(self, scanner: Scanner) -> None:
        """Look up the scanner's terms together when one of them is first asked for."""
        self._scanner = scanner

    def scan(self) -> None:
        scanner, self._scanner = self._scanner, None
        if scanner is None or scanner._automaton is None or self._folded is None:
            return  # each term is then looked up on its own
        # Answers already known are exact too; keeping them costs nothing.
        found = scanner.hits(self.text, self._folded)
        found.update(self._seen)
        self._seen = found

    def found(self, listed: Terms | Iterable[str]) -> list[str]:
        """The terms the text mentions, in the given order."""
        if not isinstance(listed, Terms):
            return [term for term in listed if self.has(term)]
        hits = self._found.get(listed)
        if hits is None:
            hits = self._found[listed] = [term for term in listed.items if self.has(term)]
        return hits

    def mentions_any(self, listed: Terms) -> bool:
        """Does the text mention at least one of the terms? (Stops at the first one found.)"""
        known = self._any.get(listed)
        if known is None:
            hits = self._found.get(listed)
            known = self._any[listed] = bool(hits) if hits is not None else any(map(self.has, listed.items))
        return known

    def mentions_all(self, listed: Terms) -> bool:
        hits = self.found(listed)
        return len(hits) == len(listed.items)

    def _search(self, term: str) -> bool:
        pattern, word = _probe(term)
        if self._folded is None or word is None:
            return pattern.search(self.text) is not None
        # Every match starts where the first word occurs; the regex checks only those places
        # (its look-behind still sees the character before each one).
        at = self._folded.find(word)
        while at >= 0:
            if pattern.match(self.text, at):
                return True
            at = self._folded.find(word, at + 1)
        return False
