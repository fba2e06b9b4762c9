"""Board URLs read by rule: which family and board token a board's or its API's URL names.

Pure functions of the URL, written from each vendor's URL grammar: vendor hosts and their API
hosts, tenant subdomains, path tenants, and the segments that are never a token (API versions,
`embed`, locales, posting ids). API hosts are tried before board hosts, so `v1` is never read
as a board. A URL of a family rolewatch cannot read yet still names its family, so a user is
told what the board is.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urlsplit

# Subdomains of a vendor that are the vendor's own, never a company's board.
VENDOR_HOSTS = frozenset(
    {"www", "app", "api", "apps", "help", "support", "status", "blog", "docs", "developers", "cdn",
     "static", "assets", "careers", "jobs", "mail", "login", "auth", "admin", "community", "partners",
     "info", "go", "get", "try", "demo", "marketplace", "integrations", "academy", "events"}
)  # fmt: skip
_LOCALE = re.compile(r"^[a-z]{2}(?:[-_][A-Za-z]{2,4})?$")
_TOKEN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._~%-]*$")


@dataclass(frozen=True)
class BoardRef:
    """A board as the config names it: `type`, `board`, and `api_base` where the family needs it."""

    type: str
    board: str
    api_base: str | None = None


@dataclass(frozen=True)
class _Url:
    host: str  # lower case, no port, no trailing dot
    labels: tuple[str, ...]  # the host's labels
    segments: tuple[str, ...]  # the path's non-empty segments, decoded
    query: dict[str, list[str]]
    origin: str  # scheme://host[:port] as given


def resolve_url(url: str) -> BoardRef | None:
    """The board a URL names, or None when no family's rules know it."""
    parsed = _parse(url)
    if parsed is None:
        return None
    for rule in _RULES:
        if (found := rule(parsed)) is not None:
            return found
    return None


def _parse(url: str) -> _Url | None:
    text = url.strip()
    if not re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", text):
        text = "https://" + text
    try:
        parts = urlsplit(text)
        host = (parts.hostname or "").rstrip(".").lower()
        port = parts.port
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not host:
        return None
    segments = tuple(unquote(segment) for segment in parts.path.split("/") if segment)
    origin = f"{parts.scheme.lower()}://{host}" + (f":{port}" if port else "")
    return _Url(host, tuple(host.split(".")), segments, parse_qs(parts.query), origin)


def _token(value: str | None) -> str | None:
    return value if value and _TOKEN.match(value) and len(value) <= 128 else None


def _first(query: dict[str, list[str]], *names: str) -> str | None:
    for name in names:
        for value in query.get(name, []):
            if token := _token(value.strip()):
                return token
    return None


def _subdomain(url: _Url, domain: str) -> str | None:
    """The tenant label of `{tenant}.{domain}` (one label, not a vendor host)."""
    suffix = "." + domain
    if not url.host.endswith(suffix):
        return None
    tenant = url.host[: -len(suffix)]
    if "." in tenant or tenant in VENDOR_HOSTS:
        return None
    return _token(tenant)


def _segment(url: _Url, index: int, reserved: frozenset[str] = frozenset()) -> str | None:
    if len(url.segments) <= index:
        return None
    value = url.segments[index]
    return None if value.lower() in reserved else _token(value)


def _after(url: _Url, *prefix: str) -> str | None:
    """The segment right after `prefix` (compared case-insensitively) at the path's start."""
    n = len(prefix)
    if tuple(s.lower() for s in url.segments[:n]) != prefix:
        return None
    return _segment(url, n)


def _without_locale(segments: list[str]) -> list[str]:
    """The path without a leading locale (`en-US`, `de`), when something follows it."""
    if len(segments) > 1 and _LOCALE.match(segments[0]) and segments[1].lower() != "jobs":
        return segments[1:]
    return segments


# -- the families' rules ----------------------------------------------------------------------

_GREENHOUSE_RESERVED = frozenset({"embed", "job_app", "job_board", "v1", "api", "jobs", "boards"})


def _greenhouse(url: _Url) -> BoardRef | None:
    if url.host in ("boards-api.greenhouse.io", "boards-api.eu.greenhouse.io", "api.greenhouse.io"):
        token = _after(url, "v1", "boards")
    elif url.host in ("boards.greenhouse.io", "job-boards.greenhouse.io", "boards.eu.greenhouse.io",
                      "job-boards.eu.greenhouse.io"):  # fmt: skip
        token = _first(url.query, "for", "board") or _segment(url, 0, _GREENHOUSE_RESERVED)
    else:
        return None
    eu_api = "https://boards-api.eu.greenhouse.io" if ".eu." in url.host else None
    return BoardRef("greenhouse", token, eu_api) if token else None


def _lever(url: _Url) -> BoardRef | None:
    eu = url.host in ("api.eu.lever.co", "jobs.eu.lever.co")
    if url.host in ("api.lever.co", "api.eu.lever.co"):
        token = _after(url, "v0", "postings")
    elif url.host in ("jobs.lever.co", "jobs.eu.lever.co"):
        token = _segment(url, 0, frozenset({"v0", "api"}))
    else:
        return None
    return BoardRef("lever", token, "https://api.eu.lever.co" if eu else None) if token else None


def _ashby(url: _Url) -> BoardRef | None:
    if url.host == "api.ashbyhq.com":
        token = _after(url, "posting-api", "job-board")
    elif url.host == "jobs.ashbyhq.com":
        token = _segment(url, 0, frozenset({"api", "embed"}))
    else:
        return None
    return BoardRef("ashby", token) if token else None


def _smartrecruiters(url: _Url) -> BoardRef | None:
    if url.host == "api.smartrecruiters.com":
        token = _after(url, "v1", "companies")
    elif url.host in ("jobs.smartrecruiters.com", "careers.smartrecruiters.com", "www.smartrecruiters.com"):
        prefix = 1 if url.segments[:1] and url.segments[0].lower() == "company" else 0
        token = _segment(url, prefix, frozenset({"oneclick-ui", "sr-jobs", "api", "company"}))
    else:
        return None
    return BoardRef("smartrecruiters", token) if token else None


def _workable(url: _Url) -> BoardRef | None:
    if url.host == "apply.workable.com":
        if url.segments[:1] == ("api",):  # /api/v1/widget/accounts/{t}, /api/v3/accounts/{t}/jobs
            lowered = [s.lower() for s in url.segments]
            if "accounts" in lowered and lowered.index("accounts") + 1 < len(lowered):
                token = _token(url.segments[lowered.index("accounts") + 1])
                return BoardRef("workable", token) if token else None
            return None
        token = _segment(url, 0, frozenset({"j", "api", "jobs"}))
        return BoardRef("workable", token) if token else None
    if token := _subdomain(url, "workable.com"):
        return BoardRef("workable", token)
    return None


def _recruitee(url: _Url) -> BoardRef | None:
    token = _subdomain(url, "recruitee.com")
    return BoardRef("recruitee", token) if token else None


_WORKDAY_HOST = re.compile(r"^(?P<tenant>[a-z0-9-]+)\.(?P<pod>wd\d+)\.myworkday(?:jobs|site)\.com$")
_WORKDAY_RESERVED = frozenset({"job", "details", "jobs", "wday", "cxs", "login", "apply", "userhome"})


def _workday(url: _Url) -> BoardRef | None:
    match = _WORKDAY_HOST.match(url.host)
    if match is None:
        return None
    tenant = match["tenant"]
    api_base = f"https://{tenant}.{match['pod']}.myworkdayjobs.com"
    segments = list(url.segments)
    if [s.lower() for s in segments[:2]] == ["wday", "cxs"] and len(segments) >= 4:
        cxs_tenant, site = _token(segments[2]), _token(segments[3])  # /wday/cxs/{tenant}/{site}/jobs
        if not cxs_tenant or not site or "/" in cxs_tenant + site:
            return None
        return BoardRef("workday", f"{cxs_tenant}/{site}", api_base)
    segments = _without_locale(segments)
    if url.host.endswith(".myworkdaysite.com") and [s.lower() for s in segments[:1]] == ["recruiting"]:
        segments = segments[2:]  # /recruiting/{tenant}/{site}
    if not segments or segments[0].lower() in _WORKDAY_RESERVED:
        return None
    site = _token(segments[0])
    return BoardRef("workday", f"{tenant}/{site}", api_base) if site and "/" not in site else None


def _teamtailor(url: _Url) -> BoardRef | None:
    for domain in ("teamtailor.com", "na.teamtailor.com"):
        if (token := _subdomain(url, domain)) and token != "na":
            base = None if domain == "teamtailor.com" else f"https://{token}.{domain}"
            return BoardRef("teamtailor", token, base)
    return None


def _personio(url: _Url) -> BoardRef | None:
    if token := _subdomain(url, "jobs.personio.de"):
        return BoardRef("personio", token)
    if token := _subdomain(url, "jobs.personio.com"):
        return BoardRef("personio", token, f"https://{token}.jobs.personio.com")
    return None


def _subdomain_family(family: str, domain: str) -> Callable[[_Url], BoardRef | None]:
    def rule(url: _Url) -> BoardRef | None:
        token = _subdomain(url, domain)
        return BoardRef(family, token) if token else None

    return rule


def _rippling(url: _Url) -> BoardRef | None:
    if url.host == "api.rippling.com":
        token = _after(url, "platform", "api", "ats", "v1", "board")
    elif url.host == "ats.rippling.com":
        segments = _without_locale(list(url.segments))
        token = _token(segments[0]) if segments and segments[0].lower() not in ("api", "jobs") else None
    else:
        return None
    return BoardRef("rippling", token) if token else None


def _gem(url: _Url) -> BoardRef | None:
    if url.host == "api.gem.com":
        token = _after(url, "job_board", "v0")
    elif url.host == "jobs.gem.com":
        token = _segment(url, 0, frozenset({"api", "embed"}))
    else:
        return None
    return BoardRef("gem", token) if token else None


def _oracle(url: _Url) -> BoardRef | None:
    if not url.host.endswith(".oraclecloud.com"):
        return None
    lowered = [s.lower() for s in url.segments]
    # /hcmUI/CandidateExperience/en/sites/CX_1/...
    if "sites" in lowered and lowered.index("sites") + 1 < len(lowered):
        site = _token(url.segments[lowered.index("sites") + 1])
        return BoardRef("oracle", site, url.origin) if site else None
    finder = " ".join(url.query.get("finder", []))
    if match := re.search(r"siteNumber=([A-Za-z0-9_]+)", finder):
        return BoardRef("oracle", match[1], url.origin)
    return None


def _join(url: _Url) -> BoardRef | None:
    if url.host not in ("join.com", "www.join.com"):
        return None
    token = _after(url, "companies")
    return BoardRef("join", token) if token else None


def _comeet(url: _Url) -> BoardRef | None:
    if url.host not in ("www.comeet.com", "comeet.com") or len(url.segments) < 3:
        return None
    if url.segments[0].lower() != "jobs":
        return None
    company, board = _token(url.segments[1]), _token(url.segments[2])
    return BoardRef("comeet", f"{company}/{board}") if company and board else None


# SuccessFactors' own careers hosts (career5.successfactors.eu, career17.sapsf.com) name the
# company in the query; branded hosts carry no vendor name (see `page._CUSTOM_DOMAIN_MARKERS`).
_SUCCESSFACTORS_HOST = re.compile(r"^career\d*\.(?:successfactors|sapsf)\.(?:com|eu)$")


def _successfactors(url: _Url) -> BoardRef | None:
    if not _SUCCESSFACTORS_HOST.match(url.host):
        return None
    company = _first(url.query, "company")
    return BoardRef("successfactors", company, url.origin) if company else None


def _eightfold(url: _Url) -> BoardRef | None:
    """The board is the company's domain (`?domain=`), read on its tenant's host; a tenant
    named otherwise than its domain keeps its host as api_base."""
    tenant = _subdomain(url, "eightfold.ai")
    if not tenant:
        return None
    domain = _first(url.query, "domain")
    if domain is None:
        return BoardRef("eightfold", tenant)
    same = domain.split(".")[0].lower() == tenant.lower()
    return BoardRef("eightfold", domain, None if same else f"https://{tenant}.eightfold.ai")


_RULES: tuple[Callable[[_Url], BoardRef | None], ...] = (
    _greenhouse,
    _lever,
    _ashby,
    _smartrecruiters,
    _workable,
    _recruitee,
    _workday,
    _teamtailor,
    _personio,
    _subdomain_family("pinpoint", "pinpointhq.com"),
    _subdomain_family("bamboohr", "bamboohr.com"),
    _rippling,
    _gem,
    _oracle,
    _join,
    _subdomain_family("hibob", "careers.hibob.com"),
    _subdomain_family("breezy", "breezy.hr"),
    _comeet,
    _eightfold,
    _successfactors,
)
