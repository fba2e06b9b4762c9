"""What a company's own page says of its board: pure functions of the page's HTML.

A careers page embeds its board as an iframe or a script, links to it, or names its token in
inline settings; a custom careers domain of a per-company-subdomain vendor shows the vendor's
assets. A home page links to its careers page, in one of several languages.
"""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

import tldextract
from parsel import Selector

from crawler.discovery.urls import BoardRef, resolve_url

# The public-suffix list tldextract ships: never fetched at run time.
DOMAINS = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)

_URL = re.compile(r"""https?:(?:\\?/){2}(?:[^\s"'<>()\\]|\\/)+""")
# Inline settings that name a board's token, by family.
_INLINE = (
    ("greenhouse", re.compile(r"""\bboardToken["']?\s*[:=]\s*["']([A-Za-z0-9_-]+)["']""")),
    (
        "lever",
        re.compile(r"""\bleverJobsOptions\s*=\s*\{[^}]*?accountName["']?\s*:\s*["']([A-Za-z0-9_-]+)"""),
    ),
    ("smartrecruiters", re.compile(r"""\bcompany_code["']?\s*:\s*["']([A-Za-z0-9_-]+)["']""")),
    ("ashby", re.compile(r"""\borganizationHostedJobsPageName["']?\s*:\s*["']([A-Za-z0-9_.-]+)["']""")),
)
# Vendors whose boards also live on a company's own domain, told by the assets they load.
_CUSTOM_DOMAIN_MARKERS = (
    ("teamtailor", re.compile(r"teamtailor-cdn\.com|teamtailor\.com/assets", re.I)),
    ("recruitee", re.compile(r"recruiteecdn\.com", re.I)),
    ("successfactors", re.compile(r"rmkcdn\.successfactors\.com", re.I)),
)
CAREERS_WORDS = re.compile(
    r"\b(careers?|jobs?|join[- ]us|work[- ]with[- ]us|open (?:roles|positions)|vacanc(?:y|ies)|"
    r"karriere|stellen(?:angebote)?|jobbörse|emplois?|carri[eè]res?|recrutement|empleos?|"
    r"trabaja[- ]con[- ]nosotros|carreiras?|vagas|lavora[- ]con[- ]noi|opportunit[àa]|"
    r"werken[- ]bij|vacatures|jobb|lediga[- ]tjänster|karriär|praca|kariera|rekrytointi|ura)\b",
    re.I,
)
# Paths where careers pages usually are, tried when a home page links to none.
COMMON_PATHS = ("/careers", "/jobs", "/join-us", "/company/careers", "/about/careers", "/karriere",
                "/careers.html", "/carrieres", "/empleo", "/werken-bij", "/vacatures")  # fmt: skip


def boards_on_page(html: str, page_url: str) -> list[BoardRef]:
    """Every board the page embeds, links to or names, in the order the page gives them."""
    found: dict[BoardRef, None] = {}
    if (own := resolve_url(page_url)) is not None:
        found[own] = None
    for url in _page_urls(html, page_url):
        if (ref := resolve_url(url)) is not None:
            found[ref] = None
    for family, pattern in _INLINE:
        for match in pattern.finditer(html):
            found[BoardRef(family, match[1])] = None
    if not found:
        origin = _origin(page_url)
        for family, marker in _CUSTOM_DOMAIN_MARKERS:
            if marker.search(html) and origin:
                found[BoardRef(family, company_label(page_url) or family, origin)] = None
    return list(found)


def careers_links(html: str, page_url: str) -> list[str]:
    """Links that read as the company's careers page: on its own site, in link order."""
    site = site_of(page_url)
    links: dict[str, None] = {}
    for anchor in Selector(text=html or "<html/>").css("a[href]"):
        href = (anchor.attrib.get("href") or "").strip()
        text = " ".join(anchor.css("::text").getall())
        url = urljoin(page_url, href).split("#")[0]
        if not url.startswith(("http://", "https://")) or url.rstrip("/") == page_url.rstrip("/"):
            continue
        if site_of(url) != site:
            continue
        if CAREERS_WORDS.search(urlsplit(url).path.replace("-", " ")) or CAREERS_WORDS.search(text):
            links[url] = None
    return list(links)


def site_of(url: str) -> str:
    """The registered domain of a URL (its host where there is none: an address, `localhost`)."""
    return DOMAINS(url).top_domain_under_public_suffix or (urlsplit(url).hostname or "")


def company_label(url: str) -> str | None:
    """The name part of a URL's registered domain: `acme` for https://jobs.acme.co.uk/."""
    return DOMAINS(url).domain or None


_LINKED = "//iframe/@src|//script/@src|//a/@href|//link/@href|//form/@action"


def _page_urls(html: str, page_url: str) -> list[str]:
    selector = Selector(text=html or "<html/>")
    urls = [
        urljoin(page_url, value.strip())
        for value in selector.xpath(
            "//iframe/@src|//script/@src|//a/@href|//link/@href|//form/@action"
        ).getall()
    ]
    # URLs written inside scripts and inline settings (JSON escapes `/` as `\/`).
    urls += [match.replace("\\/", "/") for match in _URL.findall(html)]
    return urls


def _origin(url: str) -> str | None:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme in ("http", "https") and parts.netloc else None
