"""What changed in a description, as people read it: the changed sentences, with the changed
words marked, from the unified line diff the pipeline stores."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Literal

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9(\"'])")
_WORD = re.compile(r"\S+")
# Pay figures such as $165,000, 165k, €90.000 or 12%: a change of only these repeats the pay line.
_FIGURE = re.compile(
    r"^[(]?([$€£¥]\d[\d.,]*[kK]?|\d[\d.,]*[kK])[)]?[.,;:]?$|^[-–—]$|^(USD|EUR|GBP|CAD)[.,;:]?$"
)
# Words of a sentence compared at most: a description without full stops is one long "sentence".
MAX_WORDS = 300

Kind = Literal["same", "old", "new"]


@dataclass(frozen=True)
class Part:
    kind: Kind
    text: str


Sentence = list[Part]


def changed_sentences(lines: list[str], limit: int = 6) -> list[Sentence]:
    """The sentences a description change touches, each as runs of unchanged, removed and added
    words (at most `limit` sentences, the first ones)."""
    old = " ".join(line[1:] for line in lines if line.startswith("-"))
    new = " ".join(line[1:] for line in lines if line.startswith("+"))
    before, after = _sentences(old), _sentences(new)
    changed: list[Sentence] = []
    matcher = difflib.SequenceMatcher(a=before, b=after, autojunk=False)
    for tag, a0, a1, b0, b1 in matcher.get_opcodes():
        if tag == "equal":
            continue
        if len(changed) >= limit:
            break
        removed, added = before[a0:a1], after[b0:b1]
        for index in range(max(len(removed), len(added))):
            one = removed[index] if index < len(removed) else ""
            other = added[index] if index < len(added) else ""
            changed.append(word_changes(one, other))
    return changed[:limit]


def word_changes(old: str, new: str) -> Sentence:
    """`new` as runs of words, with the words of `old` it lost and the words it gained."""
    a, b = _WORD.findall(old)[:MAX_WORDS], _WORD.findall(new)[:MAX_WORDS]
    parts: Sentence = []
    for tag, a0, a1, b0, b1 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if tag == "equal":
            parts.append(Part("same", " ".join(a[a0:a1])))
            continue
        if a1 > a0:
            parts.append(Part("old", " ".join(a[a0:a1])))
        if b1 > b0:
            parts.append(Part("new", " ".join(b[b0:b1])))
    return parts


def only_figures(sentences: list[Sentence]) -> bool:
    """Did only figures change (as when a pay range in the text follows the pay fields)?"""
    changed = [part.text for sentence in sentences for part in sentence if part.kind != "same"]
    words = " ".join(changed).split()
    return bool(words) and all(_FIGURE.match(word) for word in words)


def _sentences(text: str) -> list[str]:
    return [sentence for sentence in _SENTENCE_END.split(" ".join(text.split())) if sentence]
