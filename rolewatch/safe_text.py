"""Text from boards made harmless where it is shown: on a terminal, in a spreadsheet, and as a
posting's reference in the web view."""

from __future__ import annotations

import re

# C0 and C1 controls and DEL retitle, clear or recolour a terminal (ESC, CSI, OSC); the
# bidirectional marks, embeddings, overrides and isolates reorder what follows them, so that
# "stripe:\u202etxt.exe" reads as another reference.
_BIDI = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
_CONTROLS = re.compile(f"[\x00-\x1f\x7f-\x9f{_BIDI}]")
# Tab and line breaks are a CSV cell's own, quoted by the writer.
_CONTROLS_BUT_LAYOUT = re.compile(f"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f{_BIDI}]")

# A spreadsheet reads a cell starting with one of these as a formula (OWASP, CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def visible(text: str) -> str:
    """`text` with each control character written out as its escape (`\\x1b`, `\\u202e`)."""
    return _CONTROLS.sub(_escape, text)


def spreadsheet_cell(text: str) -> str:
    """`text` as a CSV cell a spreadsheet shows as it is: controls other than tab and line breaks
    written out, and a leading quote before what would start a formula."""
    text = _CONTROLS_BUT_LAYOUT.sub(_escape, text)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
