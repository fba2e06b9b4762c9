"""From what a user pastes to a checked board: URL rules first, then the company's own pages
(the page itself, its careers page, common careers paths), then, if asked, the company's name
tried as a token on the most common families, counted only when the board names the company.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urlsplit

from config.families import FAMILIES
from crawler.discovery.check import BoardCheck, check_board
from crawler.discovery.fetch import Fetcher, FetchRefused
from crawler.discovery.page import COMMON_PATHS, boards_on_page, careers_links, company_label
from crawler.discovery.urls import BoardRef, resolve_url

MAX_PAGES = 8  # pages of the company's own site fetched for one target
MAX_CHECKED = 5  # boards a page names that are checked, in the page's order
CAREERS_LINKS_FOLLOWED = 3
# Tried with `--probe`, most common first; subdomain families answer for any name, so the
# board's own company name must agree with the target.
PROBED = ("greenhouse", "lever", "ashby", "workable", "smartrecruiters", "recruitee", "teamtailor",
          "personio", "pinpoint", "bamboohr", "breezy", "rippling", "gem")  # fmt: skip


@dataclass(frozen=True)
class Resolution:
    target: str
    status: Literal["resolved", "unresolved"]
    ref: BoardRef | None = None
    company: str | None = None
    postings: int | None = None  # None: not fetched (--offline)
    titles: list[str] = field(default_factory=list)
    more: bool = False
    reason: str | None = None
    via: str | None = None  # how it was found: "url", "page URL", "probe"

    def as_json(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "status": self.status,
            "type": self.ref.type if self.ref else None,
            "board": self.ref.board if self.ref else None,
            "api_base": self.ref.api_base if self.ref else None,
            "company": self.company,
            "postings": self.postings,
            "reason": self.reason,
        }


@dataclass
class Discovery:
    fetcher: Fetcher
    offline: bool = False
    probe: bool = False
    max_pages: int = MAX_PAGES

    def resolve(self, target: str) -> Resolution:
        target = target.strip()
        if not target:
            return Resolution(target, "unresolved", reason="an empty target")
        if (ref := resolve_url(target)) is not None:
            if self.offline:
                return _readable(target, ref) or Resolution(target, "resolved", ref, via="url")
            return self._checked(target, [ref], "url")
        if self.offline:
            return Resolution(
                target,
                "unresolved",
                reason="not a board or API URL rolewatch knows (--offline: nothing fetched)",
            )
        url = target if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", target) else f"https://{target}"
        if urlsplit(url).scheme.lower() not in ("http", "https"):
            return Resolution(target, "unresolved", reason=f"only http and https URLs are read, not {target}")
        tried: list[str] = []
        try:
            refs, page = self._from_pages(url, tried)
        except FetchRefused as refused:
            return Resolution(target, "unresolved", reason=str(refused))
        if refs:
            found = self._checked(target, refs, f"page {page}")
            if found.status == "resolved" or not self.probe:
                return found
            tried.append(found.reason or "")
        if self.probe:
            probed = self._probed(target, url, tried)
            if probed is not None:
                return probed
        reason = "no board found on " + "; ".join(tried) if tried else "no board found"
        return Resolution(target, "unresolved", reason=reason)

    def _from_pages(self, url: str, tried: list[str]) -> tuple[list[BoardRef], str]:
        """Boards named on the target's page, else on its careers page or common careers paths.
        A target page that cannot be fetched raises: it is the user's URL."""
        queue, seen = [url], set[str]()
        first = True
        while queue and len(seen) < self.max_pages:
            page = queue.pop(0)
            if page in seen:
                continue
            seen.add(page)
            try:
                fetched = self.fetcher.fetch(page)
            except FetchRefused as refused:
                if first:
                    raise
                tried.append(f"{page} ({refused})")
                continue
            if first and fetched.status >= 400:
                raise FetchRefused(f"{url}: answered HTTP {fetched.status}")
            tried.append(fetched.url if fetched.status < 400 else f"{fetched.url} (HTTP {fetched.status})")
            html = fetched.text if fetched.status < 400 else ""
            refs = boards_on_page(html, fetched.url)
            if fetched.redirects and (landed := resolve_url(fetched.url)) is not None:
                refs = [landed, *[ref for ref in refs if ref != landed]]
            if refs:
                return refs, fetched.url
            links = careers_links(html, fetched.url)[:CAREERS_LINKS_FOLLOWED]
            queue += [link for link in links if link not in seen]
            if first:
                origin = "{0.scheme}://{0.netloc}".format(urlsplit(fetched.url))
                queue += [origin + path for path in COMMON_PATHS]
            first = False
        return [], url

    def _checked(self, target: str, refs: list[BoardRef], via: str) -> Resolution:
        reasons = []
        for ref in refs[:MAX_CHECKED]:
            if (unreadable := _readable(target, ref)) is not None:
                reasons.append(unreadable.reason or "")
                continue
            check = check_board(ref, self.fetcher)
            if check.ok:
                return _resolution(target, check, via)
            reasons.append(f"{ref.type} {ref.board}: {check.reason}")
        return Resolution(target, "unresolved", refs[0], reason="; ".join(reasons))

    def _probed(self, target: str, url: str, tried: list[str]) -> Resolution | None:
        label = company_label(url)
        if not label:
            return None
        tokens = list(dict.fromkeys([label, label.replace("-", "")]))
        for family in (family for family in PROBED if family in FAMILIES):
            for token in tokens:
                check = check_board(BoardRef(family, token), self.fetcher)
                if not check.ok:
                    continue
                if not _names_company(check.company, label):
                    tried.append(
                        f"{family} {token}: the board names {check.company or 'no company'}, not {label}"
                    )
                    continue
                return _resolution(target, check, "probe")
        return None


def _readable(target: str, ref: BoardRef) -> Resolution | None:
    """An unresolved result for a family rolewatch cannot read yet; None when it can."""
    if ref.type in FAMILIES:
        return None
    return Resolution(
        target,
        "unresolved",
        ref,
        reason=f"a {ref.type} board ({ref.board}): rolewatch cannot read {ref.type} yet",
    )


def _resolution(target: str, check: BoardCheck, via: str) -> Resolution:
    return Resolution(
        target, "resolved", check.ref, check.company, check.postings, check.titles, check.more, via=via
    )


def _names_company(company: str | None, label: str) -> bool:
    """Whether a board's company name is the target's: `Acme Corp` for acme.com, `acme-labs`."""
    if not company:
        return False
    name, wanted = _squashed(company), _squashed(label)
    return bool(name and wanted) and (name.startswith(wanted) or wanted.startswith(name))


def _squashed(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())
