"""`rolewatch add` against careers pages and boards served on 127.0.0.1: embeds, links, inline
tokens, a home page linking to a careers page, a custom domain; previews, `--write` keeping a
commented config as it was, and hostile targets refused with one line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from click.testing import CliRunner, Result

from config.loader import load_config
from rolewatch.boardserver import BoardServer, Reply
from rolewatch.cli import main
from rolewatch.demo_boards import board_before
from tests.conftest import REAL, real_payload, stored_postings

GREENHOUSE_API = "boards-api.greenhouse.io"


def html(body: str) -> Reply:
    return Reply(f"<!doctype html><html><body>{body}</body></html>".encode(), content_type="text/html")


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def as_json(result: Result) -> list[dict[str, Any]]:
    return [json.loads(line) for line in result.output.splitlines() if line.startswith("{")]


@pytest.fixture
def server() -> Any:
    with BoardServer() as served:
        jobs = board_before()["jobs"]
        served.set("/v1/boards/acme/jobs", json.dumps({"jobs": jobs, "meta": {"total": len(jobs)}}))
        served.set("/v0/postings/acme", (REAL / "lever/palantir-postings.json").read_bytes())
        served.set("/posting-api/job-board/acme", (REAL / "ashby/etched-job-board.json").read_bytes())
        yield served


def mapped(server: BoardServer) -> list[str]:
    """Vendor API hosts sent to the local server."""
    hosts = [GREENHOUSE_API, "api.lever.co", "api.ashbyhq.com"]
    return [arg for host in hosts for arg in ("--host-map", f"{host}={server.url}")]


def test_a_board_url_is_checked_by_reading_the_board_once(server: BoardServer) -> None:
    result = run("add", "https://boards.greenhouse.io/acme", *mapped(server))
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "https://boards.greenhouse.io/acme: greenhouse acme"
    assert lines[1] == f"  Stripe: {len(board_before()['jobs'])} open postings"
    assert lines[2] == f"  - {board_before()['jobs'][0]['title']}"
    assert [path for _, path in server.requests] == ["/v1/boards/acme/jobs?content=true"]


@pytest.mark.parametrize(
    ("snippet", "family"),
    [
        ('<iframe src="https://boards.greenhouse.io/embed/job_board?for=acme"></iframe>', "greenhouse"),
        (
            '<div id="grnhse_app"></div><script src="https://boards.greenhouse.io/embed/job_board/js?for=acme">'
            "</script>",
            "greenhouse",
        ),  # fmt: skip
        ("<script>Grnhse.Settings = {boardToken: 'acme', autoLoad: true};</script>", "greenhouse"),
        ('<a href="https://jobs.lever.co/acme">Open roles</a>', "lever"),
        ("<script>window.leverJobsOptions = {accountName: 'acme', includeCss: true};</script>", "lever"),
        ('<script src="https://jobs.ashbyhq.com/acme/embed?version=2"></script>', "ashby"),
        ('<script>var config = {"jobBoardUrl": "https:\\/\\/jobs.ashbyhq.com\\/acme"};</script>', "ashby"),
    ],
)
def test_a_careers_page_embedding_a_board_resolves_to_it(
    server: BoardServer, snippet: str, family: str
) -> None:
    server.set("/careers", html(f"<h1>Join Acme</h1>{snippet}"))
    result = run("add", f"{server.url}/careers", "--allow-private", "--json", *mapped(server))
    assert result.exit_code == 0, result.output
    [found] = as_json(result)
    assert (found["status"], found["type"], found["board"], found["api_base"]) == (
        "resolved",
        family,
        "acme",
        None,
    )
    assert found["postings"] > 0


def test_a_home_page_leads_to_its_careers_page_and_the_board_there(server: BoardServer) -> None:
    server.set("/", html('<nav><a href="/about">About</a> <a href="/company/karriere">Karriere</a></nav>'))
    server.set(
        "/company/karriere", html('<iframe src="https://job-boards.greenhouse.io/embed/job_board?for=acme">')
    )
    result = run("add", server.url, "--allow-private", "--json", *mapped(server))
    assert as_json(result)[0]["board"] == "acme", result.output
    assert ("GET", "/about") not in server.requests  # only links that read as careers pages


def test_common_careers_paths_are_tried_when_a_home_page_links_to_none(server: BoardServer) -> None:
    server.set("/", html("<p>Acme makes anvils.</p>"))
    server.set("/jobs", html('<a href="https://jobs.lever.co/acme">Jobs</a>'))
    result = run("add", server.url, "--allow-private", "--json", *mapped(server))
    assert as_json(result)[0]["type"] == "lever", result.output


def test_a_custom_domain_of_a_subdomain_family_is_read_at_its_own_host(tmp_path: Path) -> None:
    offers = (REAL / "recruitee/careerkit-sanitized-offers.json").read_bytes()
    with BoardServer() as server:
        page = '<link rel="stylesheet" href="https://d10zminp1cyta8.cloudfront.net/recruiteecdn.com/c.css">'
        server.set("/", html(page))
        server.set("/api/offers", offers)
        result = run("add", server.url, "--allow-private", "--json")
        [found] = as_json(result)
        assert (found["type"], found["api_base"]) == ("recruitee", server.url), result.output
        assert found["postings"] == len(json.loads(offers)["offers"])

        # Written into a commented config, the source passes `check` and crawls.
        config = tmp_path / "rolewatch.yaml"
        assert run("init", "--config", str(config)).exit_code == 0
        original = config.read_text()
        config.write_text(original.replace("sqlite:///rolewatch.db", f"sqlite:///{tmp_path}/r.db"))
        original = config.read_text()
        wrote = run("add", server.url, "--allow-private", "--write", "--config", str(config))
        assert wrote.exit_code == 0, wrote.output
        written = config.read_text()
        kept = iter(written.splitlines())
        assert all(line in kept for line in original.splitlines())  # every line, in its order
        assert [s.type for s in load_config(config).sources] == ["greenhouse", "recruitee"]
        assert run("check", "--config", str(config)).exit_code == 0
        name = load_config(config).sources[1].name
        crawled = run("crawl", name, "--config", str(config))
        assert crawled.exit_code == 0, crawled.output
        assert len(stored_postings(f"sqlite:///{tmp_path}/r.db")) == found["postings"]

        again = run("add", server.url, "--allow-private", "--write", "--config", str(config))
        assert again.exit_code == 0 and "is in" in again.output
        assert config.read_text() == written  # a board added twice changes nothing


def test_a_branded_successfactors_host_is_told_by_its_assets_and_read_at_its_own_host() -> None:
    feed = (REAL / "successfactors/qorvo-rmk-rss-feed.xml").read_bytes()
    with BoardServer() as server:
        page = '<link rel="stylesheet" href="https://rmkcdn.successfactors.com/84a0b9a1/c.css">'
        server.set("/", html(page))
        server.set("/googlefeed.xml", Reply(feed, content_type="application/rss+xml"))
        result = run("add", server.url, "--allow-private", "--json")
        [found] = as_json(result)
        assert (found["type"], found["api_base"]) == ("successfactors", server.url), result.output
        assert found["postings"] == 2


def test_write_keeps_a_flow_styled_source_list_in_its_style(tmp_path: Path, server: BoardServer) -> None:
    config = tmp_path / "rolewatch.yaml"
    text = (
        "# my boards\nsources:\n  - {name: old, type: lever, board: old}  # kept\n\n"
        "# what I watch\nwatches: [{name: infra, extends: infrastructure}]\n"
    )
    config.write_text(text)
    result = run(
        "add", "https://boards.greenhouse.io/acme", "--write", "--config", str(config), *mapped(server)
    )
    assert result.exit_code == 0, result.output
    assert config.read_text() == text.replace(
        "# kept\n", "# kept\n  - {name: acme, type: greenhouse, board: acme}\n"
    )


def test_offline_resolves_by_url_rules_and_fetches_nothing(server: BoardServer) -> None:
    result = run("add", "--offline", "--json", "https://jobs.eu.lever.co/kry", f"{server.url}/careers")
    assert result.exit_code == 1  # the careers page cannot be resolved without fetching it
    first, second = as_json(result)
    assert (first["type"], first["board"], first["api_base"]) == ("lever", "kry", "https://api.eu.lever.co")
    assert second["status"] == "unresolved" and "--offline" in second["reason"]
    assert server.requests == []


def test_targets_come_from_a_file_or_a_csv_column(tmp_path: Path) -> None:
    listed = tmp_path / "boards.csv"
    listed.write_text(
        "company,careers_url\nAcme,https://jobs.lever.co/acme\nBeta,https://jobs.ashbyhq.com/beta\n"
    )
    result = run("add", "--offline", "--json", "--from", str(listed))
    assert [(r["type"], r["board"]) for r in as_json(result)] == [("lever", "acme"), ("ashby", "beta")]


def probed_hosts(server: BoardServer, token: str) -> list[str]:
    """Every host `--probe` asks for `token`, sent to the local server (nothing leaves loopback)."""
    from config.families import FAMILIES
    from crawler.discovery.check import source_of
    from crawler.discovery.resolve import PROBED
    from crawler.discovery.urls import BoardRef
    from crawler.registry import listing_url

    hosts = {urlsplit(listing_url(source_of(BoardRef(f, token)))).hostname for f in PROBED if f in FAMILIES}
    return [arg for host in sorted(h for h in hosts if h) for arg in ("--host-map", f"{host}={server.url}")]


def test_probing_counts_a_board_only_when_it_names_the_company(server: BoardServer) -> None:
    server.set("/", html("<p>no board here</p>"))
    site = ["--host-map", f"stripe.com={server.url}", "--host-map", f"acme.com={server.url}"]
    # No "stripe" board is served: every family answers 404 for it.
    found = run("add", "--probe", "--json", "https://stripe.com", *site, *probed_hosts(server, "stripe"))
    assert as_json(found)[0]["status"] == "unresolved"
    assert any(path.startswith("/v0/postings/stripe") for _, path in server.requests)  # lever was tried
    # `acme` on Greenhouse lists Stripe's jobs: it answers for another company, so it is refused.
    probed = run("add", "--probe", "--json", "https://acme.com", *site, *probed_hosts(server, "acme"))
    [result] = as_json(probed)
    assert result["status"] == "unresolved"
    assert "greenhouse acme: the board names Stripe, not acme" in result["reason"]


def test_a_board_the_vendor_does_not_know_is_not_found(server: BoardServer) -> None:
    result = run("add", "--json", "https://boards.greenhouse.io/nobody", *mapped(server))
    [found] = as_json(result)
    assert found["status"] == "unresolved"
    assert found["reason"] == (
        "greenhouse nobody: board not found: https://boards-api.greenhouse.io/v1/boards/nobody/jobs?content=true"
        " answered 404"
    )


@pytest.mark.parametrize(
    ("route", "reply", "reason"),
    [
        ("/", Reply(b"", 302, headers={"Location": "http://10.0.0.1/careers"}),
         "http://10.0.0.1/careers: 10.0.0.1 is a private, loopback or reserved address (10.0.0.1); "
         "not fetched (--allow-private allows it)"),
        ("/", Reply(b"", 302, headers={"Location": "/loop"}), "https://careers.acme.com/: redirect loop at"),
        ("/", Reply(b"x" * (50 * 1024 * 1024), content_type="text/html"),
         "https://careers.acme.com/: the answer is larger than 5 MB"),
    ],
)  # fmt: skip
def test_hostile_targets_are_refused_with_one_line(route: str, reply: Reply, reason: str) -> None:
    with BoardServer() as server:
        server.set(route, reply)
        server.set("/loop", Reply(b"", 302, headers={"Location": "/"}))
        result = run(
            "add", "--json", "https://careers.acme.com/", "--host-map", f"careers.acme.com={server.url}"
        )
        [found] = as_json(result)
        assert found["status"] == "unresolved" and found["reason"].startswith(reason), found["reason"]
        assert "\n" not in found["reason"]


def test_a_loopback_target_is_refused_unless_allowed_and_other_schemes_always() -> None:
    refused = as_json(run("add", "--json", "http://127.0.0.1:9/careers", "ftp://example.com/jobs"))
    assert refused[0]["reason"] == (
        "http://127.0.0.1:9/careers: 127.0.0.1 is a private, loopback or reserved address (127.0.0.1); "
        "not fetched (--allow-private allows it)"
    )
    assert refused[1]["reason"] == "only http and https URLs are read, not ftp://example.com/jobs"


def test_a_family_not_read_yet_is_named_but_not_resolved() -> None:
    payload = real_payload("greenhouse/homepl-eu-jobs-minimal.json")
    assert payload  # the EU fixture exists: EU boards resolve with their API host
    result = as_json(run("add", "--offline", "--json", "https://acme.careers.hibob.com/"))
    assert result[0]["status"] == "unresolved"
    assert result[0]["reason"] == "a hibob board (acme): rolewatch cannot read hibob yet"


# A careers page for each family, built around the way its boards are embedded or linked, and
# the family's recorded listing served where the board's reader asks for it.
FAMILY_PAGES = [
    ("smartrecruiters", '<script>widget({"company_code":"acme","dayLimit":30});</script>',
     "smartrecruiters/careerkit-sanitized-postings.json"),
    ("workable", '<a href="https://apply.workable.com/acme/">Jobs</a>', "workable/zaelab-widget.json"),
    ("recruitee", '<a href="https://acme.recruitee.com/">Jobs</a>',
     "recruitee/careerkit-sanitized-offers.json"),
    ("teamtailor", '<iframe src="https://acme.teamtailor.com/jobs"></iframe>',
     "teamtailor/upcloud-jobs-rss.xml"),
    ("personio", '<iframe src="https://acme.jobs.personio.de/?display=en&iframe=true"></iframe>',
     "personio/personio-own-board-xml.xml"),
    ("pinpoint", '<a href="https://acme.pinpointhq.com/">Open roles</a>',
     "pinpoint/trilongroup-postings-trimmed.json"),
    ("bamboohr", '<div id="BambooHR" data-domain="acme.bamboohr.com"></div>'
     '<script src="https://acme.bamboohr.com/js/embed.js" async defer></script>',
     "bamboohr/illinois-tenant-careers-list-trimmed.json"),
    ("rippling", '<iframe src="https://ats.rippling.com/en-GB/acme/jobs"></iframe>',
     "rippling/blackrockneurotech-board-jobs.json"),
    ("gem", '<a href="https://jobs.gem.com/acme">Careers</a>', "gem/resprop-job-posts-trimmed.json"),
    ("breezy", '<a href="https://acme.breezy.hr/">Positions</a>', "breezy/breezy-demo-board-json.json"),
    ("workday", '<a href="https://acme.wd5.myworkdayjobs.com/en-US/External">Search jobs</a>',
     "workday/nvidia-cxs-jobs.json"),
    ("oracle", '<a href="https://acme.fa.ocs.oraclecloud.com/hcmUI/CandidateExperience/en/sites/CX_1">Jobs</a>',
     "oracle/ejov-cx-requisitions-trimmed.json"),
]  # fmt: skip


@pytest.mark.parametrize(("family", "snippet", "fixture"), FAMILY_PAGES, ids=[f for f, _, _ in FAMILY_PAGES])
def test_each_family_is_found_on_a_careers_page_and_checked(family: str, snippet: str, fixture: str) -> None:
    from crawler.discovery.check import source_of
    from crawler.discovery.page import boards_on_page
    from crawler.registry import listing_url

    [ref] = boards_on_page(f"<html><body>{snippet}</body></html>", "https://www.acme.com/careers")
    listing = urlsplit(listing_url(source_of(ref)))
    body = (REAL / fixture).read_bytes()
    kind = "application/xml" if fixture.endswith(".xml") else "application/json"
    with BoardServer() as server:
        server.set("/careers", html(snippet))
        server.set(listing.path, Reply(body, content_type=kind))
        result = run("add", f"{server.url}/careers", "--allow-private", "--json",
                     "--host-map", f"{listing.hostname}={server.url}")  # fmt: skip
    [found] = as_json(result)
    assert (found["status"], found["type"]) == ("resolved", family), found
    assert found["postings"] > 0


@pytest.mark.parametrize("listed", ["sources:\n", "sources: ~\n", "sources: []\n", "sources: [\n]\n"])
def test_write_fills_an_empty_source_list_however_it_is_written(
    tmp_path: Path, server: BoardServer, listed: str
) -> None:
    config = tmp_path / "rolewatch.yaml"
    config.write_text(f"# boards\n{listed}watches: [{{name: infra, extends: infrastructure}}]  # mine\n")
    result = run(
        "add", "https://boards.greenhouse.io/acme", "--write", "--config", str(config), *mapped(server)
    )
    assert result.exit_code == 0, result.output
    assert config.read_text() == (
        "# boards\nsources:\n  - name: acme\n    type: greenhouse\n    board: acme\n"
        "watches: [{name: infra, extends: infrastructure}]  # mine\n"
    )


def test_a_page_naming_many_boards_has_only_the_first_few_checked(server: BoardServer) -> None:
    links = "".join(f'<a href="https://jobs.lever.co/nobody{n}">x</a>' for n in range(200))
    server.set("/careers", html(links))
    result = run("add", f"{server.url}/careers", "--allow-private", "--json", *mapped(server))
    assert as_json(result)[0]["status"] == "unresolved"
    assert len([path for _, path in server.requests if path.startswith("/v0/postings/")]) == 5
