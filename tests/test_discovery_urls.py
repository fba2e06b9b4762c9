"""Board and API URLs of every family resolve by rule to the family and token the config takes."""

from __future__ import annotations

import pytest

from crawler.discovery.urls import BoardRef, resolve_url

GH_EU = "https://boards-api.eu.greenhouse.io"
LEVER_EU = "https://api.eu.lever.co"
WD = "https://acme.wd5.myworkdayjobs.com"

RESOLVED = [
    # Greenhouse: board hosts, EU hosts, embeds naming the board in the query, API hosts.
    ("https://boards.greenhouse.io/stripe", BoardRef("greenhouse", "stripe")),
    ("boards.greenhouse.io/stripe/jobs/6216188", BoardRef("greenhouse", "stripe")),
    (
        "https://job-boards.greenhouse.io/anthropic/jobs/40203?gh_src=x",
        BoardRef("greenhouse", "anthropic"),
    ),
    ("https://job-boards.eu.greenhouse.io/homepl", BoardRef("greenhouse", "homepl", GH_EU)),
    ("https://boards.greenhouse.io/embed/job_board?for=airbnb&b=https://x", BoardRef("greenhouse", "airbnb")),
    ("https://boards.greenhouse.io/embed/job_board/js?for=figma", BoardRef("greenhouse", "figma")),
    ("https://boards.greenhouse.io/embed/job_app?for=gitlab&token=123", BoardRef("greenhouse", "gitlab")),
    ("https://boards-api.greenhouse.io/v1/boards/stripe/jobs?content=true", BoardRef("greenhouse", "stripe")),
    ("https://boards-api.eu.greenhouse.io/v1/boards/homepl/jobs", BoardRef("greenhouse", "homepl", GH_EU)),
    # Lever: board, posting and apply URLs, EU, API.
    ("https://jobs.lever.co/palantir", BoardRef("lever", "palantir")),
    (
        "https://jobs.lever.co/palantir/0a3f2c1e-1111-4e4e-9a9a-1234567890ab/apply",
        BoardRef("lever", "palantir"),
    ),
    ("https://jobs.eu.lever.co/kry", BoardRef("lever", "kry", LEVER_EU)),
    ("https://api.lever.co/v0/postings/matchgroup?mode=json", BoardRef("lever", "matchgroup")),
    ("https://api.eu.lever.co/v0/postings/kry", BoardRef("lever", "kry", LEVER_EU)),
    # Ashby.
    ("https://jobs.ashbyhq.com/openai", BoardRef("ashby", "openai")),
    ("https://jobs.ashbyhq.com/etched/3c5e0f7a-aaaa-bbbb-cccc-1234567890ab", BoardRef("ashby", "etched")),
    (
        "https://api.ashbyhq.com/posting-api/job-board/openevidence?includeCompensation=true",
        BoardRef("ashby", "openevidence"),
    ),
    # SmartRecruiters.
    ("https://jobs.smartrecruiters.com/Visa", BoardRef("smartrecruiters", "Visa")),
    (
        "https://jobs.smartrecruiters.com/Visa/7440001234-sre",
        BoardRef("smartrecruiters", "Visa"),
    ),
    ("https://careers.smartrecruiters.com/Tieto", BoardRef("smartrecruiters", "Tieto")),
    (
        "api.smartrecruiters.com/v1/companies/Tieto/postings?offset=0",
        BoardRef("smartrecruiters", "Tieto"),
    ),
    # Workable.
    ("https://apply.workable.com/huggingface/", BoardRef("workable", "huggingface")),
    ("https://apply.workable.com/huggingface/j/ABC123DEF/", BoardRef("workable", "huggingface")),
    (
        "https://apply.workable.com/api/v1/widget/accounts/huggingface",
        BoardRef("workable", "huggingface"),
    ),
    ("https://apply.workable.com/api/v3/accounts/huggingface/jobs", BoardRef("workable", "huggingface")),
    # Recruitee.
    ("https://acme.recruitee.com/", BoardRef("recruitee", "acme")),
    ("https://acme.recruitee.com/o/senior-sre", BoardRef("recruitee", "acme")),
    ("https://acme.recruitee.com/api/offers", BoardRef("recruitee", "acme")),
    # Workday: locale, site, posting tails, API path, myworkdaysite.
    ("https://acme.wd5.myworkdayjobs.com/External", BoardRef("workday", "acme/External", WD)),
    ("https://acme.wd5.myworkdayjobs.com/en-US/External", BoardRef("workday", "acme/External", WD)),
    (
        "https://acme.wd5.myworkdayjobs.com/en-US/External/job/Remote-USA/SRE_R-123?q=1",
        BoardRef("workday", "acme/External", WD),
    ),
    (
        "https://acme.wd5.myworkdayjobs.com/wday/cxs/acme/External/jobs",
        BoardRef("workday", "acme/External", WD),
    ),
    (
        "https://acme.wd5.myworkdaysite.com/en-US/recruiting/acme/Careers",
        BoardRef("workday", "acme/Careers", WD),
    ),
    # Teamtailor, Personio, Pinpoint, BambooHR, Breezy, HiBob, Eightfold: tenant subdomains.
    ("https://acme.teamtailor.com/jobs", BoardRef("teamtailor", "acme")),
    ("https://acme.teamtailor.com/jobs.rss", BoardRef("teamtailor", "acme")),
    ("https://acme.na.teamtailor.com/jobs", BoardRef("teamtailor", "acme", "https://acme.na.teamtailor.com")),
    ("https://acme.jobs.personio.de/job/123456?language=de", BoardRef("personio", "acme")),
    ("https://acme.jobs.personio.com/xml", BoardRef("personio", "acme", "https://acme.jobs.personio.com")),
    ("https://acme.pinpointhq.com/en/postings/1a2b", BoardRef("pinpoint", "acme")),
    ("https://acme.bamboohr.com/careers/97", BoardRef("bamboohr", "acme")),
    ("https://acme.bamboohr.com/careers/list", BoardRef("bamboohr", "acme")),
    ("https://acme.breezy.hr/p/abc123-site-reliability-engineer", BoardRef("breezy", "acme")),
    ("https://acme.careers.hibob.com/jobs", BoardRef("hibob", "acme")),
    ("https://albemarle.eightfold.ai/careers?domain=albemarle.com", BoardRef("eightfold", "albemarle.com")),
    (
        "https://aexp.eightfold.ai/careers/job/1099?domain=americanexpress.com",
        BoardRef("eightfold", "americanexpress.com", "https://aexp.eightfold.ai"),
    ),
    ("https://albemarle.eightfold.ai/careers", BoardRef("eightfold", "albemarle")),
    # Rippling (locale prefix), Gem, JOIN, Comeet: path tenants.
    ("https://ats.rippling.com/blackrock-neurotech/jobs", BoardRef("rippling", "blackrock-neurotech")),
    (
        "https://ats.rippling.com/en-GB/blackrock-neurotech/jobs/5f",
        BoardRef("rippling", "blackrock-neurotech"),
    ),
    (
        "https://api.rippling.com/platform/api/ats/v1/board/blackrock-neurotech/jobs",
        BoardRef("rippling", "blackrock-neurotech"),
    ),
    ("https://jobs.gem.com/resprop", BoardRef("gem", "resprop")),
    ("https://api.gem.com/job_board/v0/resprop/job_posts/", BoardRef("gem", "resprop")),
    ("https://join.com/companies/bexio/1234-devops-engineer", BoardRef("join", "bexio")),
    ("https://www.comeet.com/jobs/cheq/A6.00B", BoardRef("comeet", "cheq/A6.00B")),
    # SuccessFactors: the company of its own careers hosts' query, the host as api_base.
    (
        "https://career5.successfactors.eu/career?company=SwissRe&career_ns=job_listing_summary",
        BoardRef("successfactors", "SwissRe", "https://career5.successfactors.eu"),
    ),
    (
        "https://career17.sapsf.com/career?career_ns=job_listing&company=TTCPRODUCTION",
        BoardRef("successfactors", "TTCPRODUCTION", "https://career17.sapsf.com"),
    ),
    # Oracle Recruiting Cloud: the site number, and the tenant's host as api_base.
    (
        "https://ejov.fa.ocs.oraclecloud.com/hcmUI/CandidateExperience/en/sites/CX_1/requisitions",
        BoardRef("oracle", "CX_1", "https://ejov.fa.ocs.oraclecloud.com"),
    ),
    (
        "https://ejov.fa.ocs.oraclecloud.com/hcmRestApi/resources/latest/recruitingCEJobRequisitions"
        "?onlyData=true&finder=findReqs;siteNumber=CX_2,limit=200",
        BoardRef("oracle", "CX_2", "https://ejov.fa.ocs.oraclecloud.com"),
    ),
]

UNRESOLVED = [
    "https://boards-api.greenhouse.io/v1/boards",  # an API path without a board
    "https://boards.greenhouse.io/embed/job_board",  # an embed without `for=`
    "https://api.lever.co/v0/postings",
    "https://www.teamtailor.com/en/customers",  # the vendor's own site
    "https://app.bamboohr.com/login",
    "https://www.recruitee.com/",
    "https://acme.wd5.myworkdayjobs.com/",  # a Workday host without a site
    "https://ats.rippling.com/",
    "https://career5.successfactors.eu/career",  # no company named
    "https://example.com/careers",
    "https://www.greenhouse.io/careers",  # the vendor's own pages are no board
    "https://greenhouse.io/privacy-policy",
    "https://acme.wd5.myworkdayjobs.com/wday/cxs/a%2Fb/Ext/jobs",  # a tenant no source could have
    "ftp://boards.greenhouse.io/stripe",  # not http(s)
    "mailto:jobs@example.com",
    "",
]


@pytest.mark.parametrize(("url", "expected"), RESOLVED, ids=[url[:70] for url, _ in RESOLVED])
def test_a_board_url_resolves_to_its_family_and_token(url: str, expected: BoardRef) -> None:
    assert resolve_url(url) == expected


@pytest.mark.parametrize("url", UNRESOLVED)
def test_urls_that_name_no_board_resolve_to_nothing(url: str) -> None:
    assert resolve_url(url) is None


def test_the_table_covers_every_family_with_many_shapes() -> None:
    families = {expected.type for _, expected in RESOLVED}
    assert len(RESOLVED) >= 40
    assert families >= {
        "greenhouse", "lever", "ashby", "smartrecruiters", "workable", "recruitee", "workday",
        "teamtailor", "personio", "pinpoint", "bamboohr", "rippling", "gem", "oracle", "breezy",
        "successfactors",
    }  # fmt: skip
