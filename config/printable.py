"""Config text that ends up in file names, mail headers, feeds and terminals: printable only.

YAML's double-quoted escapes ("infra\\x07", "a\\nb") can put any character into a string; a
watch name holding one would break its Atom feed (XML cannot hold it) on every cycle, so such
text is refused when the config loads.
"""

from __future__ import annotations

import unicodedata
from typing import Annotated

from pydantic import AfterValidator

# Controls (C0, DEL, C1), lone surrogates, and the two noncharacters XML 1.0 cannot hold.
_REFUSED_CATEGORIES = ("Cc", "Cs")
_REFUSED = "\ufffe\uffff"


def printable(value: str) -> str:
    for position, char in enumerate(value, start=1):
        if unicodedata.category(char) in _REFUSED_CATEGORIES or char in _REFUSED:
            raise ValueError(
                f"control character U+{ord(char):04X} (character {position}) is not allowed here: "
                "names, addresses and paths must be printable text"
            )
    return value


Printable = Annotated[str, AfterValidator(printable)]
