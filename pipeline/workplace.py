"""Remote / hybrid / onsite, from a board's structured field, its location strings or the posting's words.

Text is read one sentence at a time and only phrases about where *this job* is done count:
"a remote position", "3 days a week in our Berlin office". Words that merely sound like a workplace
("remote employees", "onsite interview", "a hybrid team") say nothing.

Every text pattern needs one of a few words ("remote", "office", "%", ...), so the text is lower-cased
once and only the sentences holding such a word are split out and searched, each pattern only when
its own words are there: a posting costs a handful of substring scans, not a regex per sentence.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

REMOTE, HYBRID, ONSITE = "remote", "hybrid", "onsite"

# Board field values, lower-cased with "_" and "-" read as spaces.
_FIELD_VALUES = {
    "remote": REMOTE, "fully remote": REMOTE, "remote ok": REMOTE, "remote only": REMOTE,
    "telecommute": REMOTE, "telecommuting": REMOTE, "work from home": REMOTE, "wfh": REMOTE,
    "hybrid": HYBRID, "hybrid remote": HYBRID, "flexible": HYBRID,
    "onsite": ONSITE, "on site": ONSITE, "in office": ONSITE, "office": ONSITE, "in person": ONSITE,
    "office based": ONSITE, "on premises": ONSITE,
}  # fmt: skip

_PLACE_REMOTE = re.compile(
    r"\b(?:remote|tele(?:commut|work)\w*|work from home|wfh|anywhere)\b", re.IGNORECASE
)
_PLACE_HYBRID = re.compile(r"\bhybrid\b", re.IGNORECASE)
_PLACE_ONSITE = re.compile(r"\b(?:on-?site|in[- ]office|in[- ]person)\b", re.IGNORECASE)

_AT_WORK = r"(?:on-?site|in[- ]office|in[- ]person|office[- ]based)"
_REMOTE_TEXT = re.compile(
    r"\b(?:fully|100\s?%|completely|entirely|permanently)[\s-]+remote\b"
    r"|\bremote[\s-](?:first|friendly|only|eligible|ok|optional)\b"
    r"|\bremote[\s-](?:positions?|roles?|jobs?|opportunit(?:y|ies)|work|working|basis|options?|arrangement)\b"
    r"|\b(?:is|be|are)\s+(?:fully\s+)?remote\b"
    r"|\bwork(?:ing)?\s+(?:from\s+home|remotely|from\s+anywhere)\b"
    r"|\b(?:performed|done|based|located|worked|hired)\s+remotely\b"
    r"|\bremote\s+(?:with)?in\s+(?:the\s+)?(?:US|U\.S\.|USA|United\s+States|Canada|UK|EU|Europe|EMEA)\b"
    r"|\bopen\s+to\s+remote\b|#LI-Remote\b"
    r"|\btele(?:commut|work)\w*\s+(?:is\s+)?(?:permitted|allowed|available|possible)",
    re.IGNORECASE,
)
# An explicit "no" beats any general talk of remote work elsewhere in the posting.
_NOT_REMOTE_TEXT = re.compile(
    r"\bnot\s+(?:an?\s+)?(?:fully\s+|100%\s+)?remote\b|\bnon[\s-]remote\b|\bno\s+remote\b"
    r"|\bremote\s+(?:work\s+|working\s+)?(?:is|are)\s+not\s+(?:possible|available|an\s+option|offered|supported)"
    r"|\b(?:not|unable|cannot|can't|won't|don't|do\s+not|does\s+not)\s+(?:be\s+)?(?:able\s+to\s+)?"
    r"(?:offer|support|accommodate|consider|hire|allow)\s+(?:fully\s+)?remote\b",
    re.IGNORECASE,
)
_HYBRID_TEXT = re.compile(
    r"\bhybrid[\s-](?:roles?|positions?|jobs?|work|working|model|schedule|arrangement|setup|environment"
    r"|polic(?:y|ies)|options?|basis|opportunity|workplace|mode)\b"
    r"|\bhybrid\s*(?::|\s[–-]\s)|\(hybrid\)|\b(?:is|be|are)\s+hybrid\b|#LI-Hybrid\b",
    re.IGNORECASE,
)
_ONSITE_TEXT = re.compile(
    rf"\b{_AT_WORK}[\s-](?:roles?|positions?|jobs?|only|attendance|requirement)\b"
    rf"|\b(?:fully|100\s?%|completely|entirely)\s+{_AT_WORK}"
    rf"|\b(?:must|required\s+to|need\s+to|expected\s+to)\s+(?:be|work)\s+(?:{_AT_WORK}|in\s+(?:the|our)\s+office"
    r"|from\s+(?:the|our)\s+(?:\w+\s+)?office)"
    rf"|\b(?:is|are|be)\s+(?:an?\s+)?{_AT_WORK}\b(?!\s+(?:interviews?|meetings?|events?))"
    r"|\bbased\s+(?:in|at|out\s+of)\s+(?:our|the|one\s+of\s+our)\s[^.]{0,40}?\boffices?\b"
    r"|\bbased\s+in[- ]office\b"
    rf"|\brequires?\s+(?:regular\s+|daily\s+|full[- ]time\s+)?{_AT_WORK}\s+(?:presence|attendance|work)\b"
    r"|#LI-Onsite\b",
    re.IGNORECASE,
)
# "3 days a week in our Berlin office" is hybrid; five is onsite. Only counts next to an office word.
_DAYS_A_WEEK = re.compile(
    r"\b(?P<days>[1-5]|one|two|three|four|five)(?:\s*\(\d\))?(?P<upto>\s*(?:-|–|to|or)\s*(?:[1-5]|two|three|four|five))?"
    r"(?:\s*\(\d(?:\s*[-–]\s*\d)?\))?\s*(?:days?|times)\s*(?:a|per|/|each|every|in\s+a)\s*week\b"
    r"|\b(?:once|twice)\s+(?:a|per|every)\s+week\b",
    re.IGNORECASE,
)
_OFFICE_WORD = re.compile(
    r"\b(?:offices?(?!\s+hours)|in[- ]office|in[- ]person|on-?site|together|hub)\b", re.IGNORECASE
)
# "experience working in a remote-first environment" asks for a past, not offers this job.
_ABOUT_EXPERIENCE = re.compile(
    r"\b(?:experience|experienced|background|comfortable|track\s+record)\b[^.,;:]{0,50}?\bremote\b",
    re.IGNORECASE,
)
# "50% Telecommuting permitted", "(Hybrid: 50% in office)": the share says which it is.
_SHARE = re.compile(
    r"\b(?P<share>\d{1,3})\s?%\s*(?:of\s+(?:the|your|their)\s+time\b[^.]{0,40}?\s)?(?:[\w-]+\s+)?"
    r"(?:(?P<away>remote|tele(?:commut|work)\w*|work\s+from\s+home)"
    r"|(?P<office>in[- ](?:\w+\s+){0,2}office|on-?site|in[- ]person))",
    re.IGNORECASE,
)
# "Telework up to 40% of the time": the remote word first, then its share.
_AWAY_SHARE = re.compile(
    r"\b(?:remote\s+work|tele(?:commut|work)\w*|work(?:ing)?\s+from\s+home)\s+(?:is\s+)?(?:up\s+to\s+|of\s+)?"
    r"(?P<share>\d{1,3})\s?%",
    re.IGNORECASE,
)
# "available either in an office location or as a remote position" offers both.
_OFFICE_OR_REMOTE = re.compile(
    r"\boffice\b[^.]{0,60}\bor\b[^.]{0,40}\bremote"
    r"|\bremote\b[^.]{0,40}\bor\b[^.]{0,60}\b(?:office|in[- ]person)\b",
    re.IGNORECASE,
)
_LABEL = re.compile(
    r"\b(?:location|workplace(?:\s+type)?|work\s+(?:location|arrangement|model|type|setup|mode))\s*:\s*([^\n.]{1,60})",
    re.IGNORECASE,
)
# "If the posting is specified as Onsite, ..." describes a policy, not this job.
_CONDITIONAL = re.compile(r"^\W*if\b|\bif\s+(?:the|this)\s+(?:posting|role|position|job)\b", re.IGNORECASE)
# Sentences end at the whitespace after . ! or ? (which stays with its sentence) and at line breaks:
# group 1 or group 2 is the break. Starting with a character class, the pattern lets `re` skip ahead.
_BREAKS = re.compile(r"[.!?](\s+)|(\n+)")

# Words each text pattern needs (in the lower-cased text); a sentence without any is not searched.
_REMOTE_WORDS = ("remote", "telecommut", "telework", "home", "anywhere")
_ONSITE_WORDS = ("site", "office", "person")
_NAMED_WORDS = (*_REMOTE_WORDS, "wfh", "hybrid", *_ONSITE_WORDS)  # what `_kinds_named` looks for
_WORDS = (*_NAMED_WORDS, "%", "week")
# Under re.IGNORECASE these also match ASCII letters, yet lower() keeps them apart (and İ grows to
# two characters): replaced first, the lower-cased text lines up with the text character by character.
_ASCII_LOOKALIKES = {"\u0130": "i", "\u0131": "i", "\u017f": "s"}  # İ, dotless ı, long ſ


def workplace_from_field(value: str | None) -> list[str]:
    """A board's own workplace value: "Remote", "OnSite", "in_office", "Remote, Hybrid"."""
    if not value:
        return []
    key = re.sub(r"[\s_-]+", " ", value).strip().lower()
    if key in _FIELD_VALUES:
        return [_FIELD_VALUES[key]]
    parts = re.split(r"\s*(?:[,/|;&+]|\bor\b|\band\b)\s*", key)
    return sorted({_FIELD_VALUES[part] for part in parts if part in _FIELD_VALUES})


def workplace_from_locations(locations: list[str]) -> list[str]:
    """Boards often put the workplace in the location itself ("US-Remote", "Hybrid - London")."""
    found = set()
    for location in locations:
        found |= _kinds_named(location)
    return sorted(found)


def workplace_from_text(text: str | None) -> list[str]:
    """What the description offers: "available in an office or as a remote position" is both."""
    if not text:
        return []
    found: set[str] = set()
    remote_denied = False
    for sentence, lowered in _sentences_naming_a_workplace(text):
        if "if" in lowered and _CONDITIONAL.search(sentence):
            continue
        if "remote" in lowered and _NOT_REMOTE_TEXT.search(sentence):
            remote_denied = True
        found |= _kinds_in_sentence(sentence, lowered)
    if remote_denied:
        found = (found - {REMOTE}) | {ONSITE}
    return _settled(found)


def classify_workplace(structured: str | None, locations: list[str], text: str | None) -> list[str]:
    """Sorted workplace kinds. A board's own field is taken as stated; otherwise the locations
    and the text together ("US-Remote, Chicago" with "50% in office" is hybrid and remote)."""
    return workplace_from_field(structured) or _settled(
        set(workplace_from_locations(locations)) | set(workplace_from_text(text))
    )


def _kinds_named(value: str) -> set[str]:
    found = set()
    if _PLACE_REMOTE.search(value):
        found.add(REMOTE)
    if _PLACE_HYBRID.search(value):
        found.add(HYBRID)
    if _PLACE_ONSITE.search(value):
        found.add(ONSITE)
    return found


def _sentences_naming_a_workplace(text: str) -> Iterator[tuple[str, str]]:
    """The sentences of `text` that hold one of `_WORDS`, each with its lower-cased form."""
    lowered = _lower(text)
    hits = sorted(found for word in _WORDS for found in _positions(lowered, word))
    if not hits:
        return
    start, next_hit = 0, 0
    for brk in _BREAKS.finditer(text):
        end = brk.start(brk.lastindex or 0)
        if hits[next_hit] < end:
            yield text[start:end], lowered[start:end]
            while next_hit < len(hits) and hits[next_hit] < end:
                next_hit += 1
            if next_hit == len(hits):
                return
        start = brk.end()
    yield text[start:], lowered[start:]


def _lower(text: str) -> str:
    if not text.isascii():
        for lookalike, letter in _ASCII_LOOKALIKES.items():
            text = text.replace(lookalike, letter)
    return text.lower()


def _positions(text: str, word: str) -> Iterator[int]:
    found = text.find(word)
    while found >= 0:
        yield found
        found = text.find(word, found + len(word))


def _kinds_in_sentence(sentence: str, lowered: str) -> set[str]:
    found = set()
    share = _SHARE.search(sentence) if "%" in lowered else None
    if share:
        found.add(_kind_of_share(share))
    elif "%" in lowered and (away := _AWAY_SHARE.search(sentence)):
        percent = int(away.group("share"))
        found.add(HYBRID if 0 < percent < 100 else REMOTE if percent == 100 else ONSITE)
    elif (
        any(word in lowered for word in _REMOTE_WORDS)
        and _REMOTE_TEXT.search(sentence)
        and not _ABOUT_EXPERIENCE.search(sentence)
    ):
        # A share ("50% remote work permitted") already said how remote the job is.
        found.add(REMOTE)
        if _OFFICE_OR_REMOTE.search(sentence):
            found.add(HYBRID)
    if "hybrid" in lowered and _HYBRID_TEXT.search(sentence):
        found.add(HYBRID)
    if any(word in lowered for word in _ONSITE_WORDS) and _ONSITE_TEXT.search(sentence):
        found.add(ONSITE)
    days = _DAYS_A_WEEK.search(sentence) if "week" in lowered else None
    if days and _OFFICE_WORD.search(sentence):
        five = (days.group("days") or "").lower() in ("5", "five") and not days.group("upto")
        found.add(ONSITE if five else HYBRID)
    if ":" in lowered and any(word in lowered for word in _NAMED_WORDS):
        for label in _LABEL.finditer(sentence):
            found |= _kinds_named(label.group(1))
    return found


def _kind_of_share(share: re.Match[str]) -> str:
    percent = int(share.group("share"))
    if 0 < percent < 100:
        return HYBRID
    away = share.group("away") is not None
    return REMOTE if away == (percent == 100) else ONSITE


def _settled(kinds: set[str]) -> list[str]:
    # Hybrid already means some days on site; listing onsite beside it would only mislead filters.
    if HYBRID in kinds:
        kinds = kinds - {ONSITE}
    return sorted(kinds)
