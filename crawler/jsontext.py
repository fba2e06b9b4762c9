"""JSON from a board, read so that one malformed job cannot cost the rest of the board.

`json.loads` fails the whole body for one invalid UTF-8 byte, and raises RecursionError for one
value nested a few thousand levels deep. Both are read here instead, with a note saying what was
replaced: bad bytes become U+FFFD, and every value nested deeper than `MAX_DEPTH` becomes null
(the job holding it then reads as missing that field). Well-formed bodies take the fast path.
"""

from __future__ import annotations

import json
import re
from typing import Any

MAX_DEPTH = 200
# A string (escapes included) or one bracket: everything that decides the nesting depth.
_TOKENS = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.DOTALL)


def loads_forgiving(body: bytes) -> tuple[Any, list[str]]:
    """The payload and notes on what was replaced; ValueError when it is not JSON at all."""
    notes: list[str] = []
    try:
        return json.loads(body), notes
    except UnicodeDecodeError:
        text = body.decode("utf-8", errors="replace")
        notes.append(f"{text.count(chr(0xFFFD)) or 1} invalid UTF-8 byte(s) read as U+FFFD")
        body = text.encode("utf-8")
    except RecursionError:
        pass
    try:
        return json.loads(body), notes
    except RecursionError:
        body, cut = clamp_depth(body, MAX_DEPTH)
        notes.append(f"{cut} value(s) nested deeper than {MAX_DEPTH} levels read as null")
        return json.loads(body), notes


def clamp_depth(body: bytes, limit: int) -> tuple[bytes, int]:
    """`body` with every array or object that opens deeper than `limit` replaced by null, and
    how many were replaced. Linear in the body's length; strings are skipped whole."""
    pieces: list[bytes] = []
    depth, kept_until, cut, skip_from = 0, 0, 0, -1
    for token in _TOKENS.finditer(body):
        char = token.group()[:1]
        if char == b'"':
            continue
        if char in b"[{":
            depth += 1
            if depth == limit + 1:
                pieces.append(body[kept_until : token.start()])
                skip_from = token.start()
        else:
            if depth == limit + 1 and skip_from >= 0:
                pieces.append(b"null")
                kept_until, skip_from = token.end(), -1
                cut += 1
            depth -= 1
    pieces.append(body[kept_until:] if skip_from < 0 else body[kept_until:skip_from] + b"null")
    return b"".join(pieces), cut
