"""Workplace detection: boards' own fields, location strings and posting text, as boards write them."""

from __future__ import annotations

import pytest

from pipeline.workplace import (
    classify_workplace,
    workplace_from_field,
    workplace_from_locations,
    workplace_from_text,
)
from tests.conftest import DEMO_DATA

REMOTE, HYBRID, ONSITE = ["remote"], ["hybrid"], ["onsite"]
HYBRID_AND_REMOTE = ["hybrid", "remote"]

# Structured values: Ashby workplaceType, Lever workplaceType, Workable workplace, schema.org
# jobLocationType, Greenhouse "location type" metadata.
FIELD_CASES: list[tuple[str | None, list[str]]] = [
    ("Remote", REMOTE),
    ("remote", REMOTE),
    ("Fully Remote", REMOTE),
    ("remote_ok", REMOTE),
    ("TELECOMMUTE", REMOTE),
    ("Hybrid", HYBRID),
    ("hybrid", HYBRID),
    ("On-site", ONSITE),
    ("onsite", ONSITE),
    ("OnSite", ONSITE),
    ("in_office", ONSITE),
    ("In-person", ONSITE),
    ("Remote, Hybrid", HYBRID_AND_REMOTE),
    ("remote or on-site", ["onsite", "remote"]),
    ("unspecified", []),
    ("", []),
    (None, []),
]

# Location strings, most of them as they appear in tests/fixtures/real/ and rolewatch/demo_data/.
LOCATION_CASES: list[tuple[list[str], list[str]]] = [
    (["US-Remote"], REMOTE),
    (["Remote (Canada)"], REMOTE),
    (["Remote - EMEA"], REMOTE),
    (["Remote (United States)"], REMOTE),
    (["Germany/Remote"], REMOTE),
    (["Toronto, Remote-Canada"], REMOTE),
    (["US Remote,Toronto, CA-Remote-Ontario"], REMOTE),
    (["US-San Francisco, US-Seattle, US-West Coast (Remote)"], REMOTE),
    (["US, AR, Remote"], REMOTE),
    (["New York, San Francisco, Seattle, Chicago, Remote in the US"], REMOTE),
    (["Anywhere"], REMOTE),
    (["New York, NY", "Remote"], REMOTE),
    (["Hybrid - London"], HYBRID),
    (["On-site - Austin, TX"], ONSITE),
    (["San Francisco, CA"], []),
    (["Chicago, IL", "Remotely Park, Ohio"], []),
    ([], []),
]

SEED_OFFER = (
    "This role offers flexibility, available either in an office location or as a remote position "
    "(35+ miles or 56+ km from a Stripe office)."
)

# Posting text. "real" marks sentences copied from the recorded payloads.
TEXT_CASES: list[tuple[str | None, list[str]]] = [
    # Telework is remote work; a share of it makes the job hybrid.
    ("Telework up to 40% of the time is permitted for this position.", ["hybrid"]),
    ("Full-time telework is available.", ["remote"]),
    ("Telework permitted within the state of Virginia.", ["remote"]),
    # Asking for remote experience offers no remote work.
    (
        "Background collaborating in remote-first companies. You will join our Madrid office "
        "five days a week.",
        ["onsite"],
    ),
    ("You are comfortable with remote-first, asynchronous communication.", []),
    ("Comfortable with ambiguity, this position is remote within the US.", ["remote"]),
    # A span of office days with the figures repeated is still hybrid.
    ("Office attendance of two to three (2-3) days per week is expected.", ["hybrid"]),
    ("Expect in-office collaboration 3 to 4 days a week.", ["hybrid"]),
    (SEED_OFFER, HYBRID_AND_REMOTE),  # real: the seed ad
    # Remote.
    ("This is a fully remote role", REMOTE),
    ("This position is 100% remote.", REMOTE),
    ("We're a remote-first company with people in 30 countries.", REMOTE),
    ("You can work from home anywhere in Portugal.", REMOTE),
    ("This role can be performed remotely from anywhere in Germany.", REMOTE),
    ("We are open to remote candidates in the US and Canada.", REMOTE),
    ("Location: Remote (US)", REMOTE),
    ("**This role is fully remote within the US**", REMOTE),  # real: SmarterDx
    ("Remote-First Team – Work from anywhere in the U.S.", REMOTE),  # real: SmarterDx
    ("#LI-Remote\n\n#LI-DNP", REMOTE),  # real: SmarterDx
    ("100% Telecommuting permitted", REMOTE),  # real: Stripe
    # Remote denied.
    ("Remote work is not possible for this position", ONSITE),
    ("We are not able to offer remote work for this role.", ONSITE),
    ("This is not a remote position.", ONSITE),
    ("This is a non-remote position based in Austin.", ONSITE),
    # Hybrid.
    ("3 days a week in our Berlin office", HYBRID),
    ("We follow a hybrid working model.", HYBRID),
    ("This role is hybrid, with 2 days a week in our London office.", HYBRID),
    ("In-office 4 days a week, the rest from home.", HYBRID),
    (
        "This is a hybrid role and requires in-office collaboration three times per week in Los Angeles, CA",
        HYBRID,
    ),
    ("You will be required to work from the Chicago office three (3) days per week.", HYBRID),  # real
    ("Willingness and ability to work in-office in London at least three days per week", HYBRID),  # real
    ("This is a Dallas-based role — we work together 3 days a week in our TX office.", HYBRID),  # real
    ("Able to come into the office 2 days per week, or 3 when needed", HYBRID),  # real: Recruitee
    ("50% Telecommuting permitted", HYBRID),  # real: Stripe
    ("Hybrid: 50% remote work permitted", HYBRID),  # real: Stripe
    ("Seattle, WA or San Francisco, CA (Hybrid: 50% in office)", HYBRID),  # real: Stripe
    ("Location: Paris, hybrid role", HYBRID),  # real: Stripe
    ("Many teams do offer hybrid options (WFH a day or two a week).", HYBRID),  # real: Palantir
    (
        "This position requires onsite presences in our data centers in Dallas,TX and surrounding "
        "areas, but also accommodates a hybrid schedule",
        HYBRID,
    ),  # real: Match Group
    # On-site.
    ("must be on-site 5 days a week", ONSITE),
    ("This position is based in our NYC office.", ONSITE),
    ("This is an on-site role in Austin, TX.", ONSITE),
    ("All full-time roles on our engineering team are in-person 5 days a week in SF or Miami.", ONSITE),
    (
        "We are a fully in-person team in San Jose (Santana Row), and greatly value engineering skills.",
        ONSITE,
    ),
    ("In-office presence: Full availability to work 100% on-site at our office in Reforma, CDMX", ONSITE),
    ("This role is based in Dublin, Ireland and requires in-office attendance.", ONSITE),  # real: Stripe
    ("This role requires regular in-office presence to foster collaboration.", ONSITE),  # real: Stripe
    # Words that look like workplace but say nothing about where this job is done (all real).
    ("Collaborate effectively in a distributed and hybrid team, maintaining open communication", []),
    (
        "roughly 60% of Stripe's overall sales pipeline through a hybrid inbound and outbound motion",
        [],
    ),
    ("This includes building and scaling our hybrid high-performance compute (HPC) cluster", []),
    ("supporting remote employees across the APAC region", []),
    ("You are comfortable working with geographically distributed teams and remote workers", []),
    ("You're willing to periodically work a weekend (remotely) for which you will be compensated", []),
    ("A 60 min onsite or Zoom interview with the hiring manager", []),
    ("Onsite Interview Logistics: Coordinate onsite interviews, including room bookings", []),
    ("from pre-arrival communications to on-site hospitality and networking", []),
    ("If the posting is specified as Onsite, you are required to work from an office.", []),
    (
        "Based on business need, there are a few roles that allow for “Remote” work on an exceptional basis.",
        [],
    ),
    ("We will also have optional sessions once a week and office hours throughout the program.", []),  # real
    ("24/7 on-call rotation", []),
    ("", []),
    (None, []),
]

# The whole decision: a board's own field, then locations and text together.
CLASSIFY_CASES: list[tuple[str | None, list[str], str | None, list[str]]] = [
    ("Remote", [], "must be on-site 5 days a week", REMOTE),
    ("OnSite", ["San Francisco"], "Our engineering team is in-person 5 days a week in SF and Miami.", ONSITE),
    (None, ["US-Remote, Chicago, Seattle, San Francisco"], SEED_OFFER, HYBRID_AND_REMOTE),
    (None, ["US-Remote"], None, REMOTE),
    (None, ["Remote (United States)"], "This role is fully remote within the US", REMOTE),
    (None, ["San Francisco, CA"], "This is a hybrid role and requires in-office collaboration", HYBRID),
    (None, ["Hybrid - London"], "You must be in the office 3 days a week.", HYBRID),
    (None, ["New York, NY"], "This position is based in our NYC office.", ONSITE),
    ("unknown", ["Hybrid - London"], None, HYBRID),
    (None, [], None, []),
]


@pytest.mark.parametrize(("value", "expected"), FIELD_CASES)
def test_structured_field_values(value: str | None, expected: list[str]) -> None:
    assert workplace_from_field(value) == expected


@pytest.mark.parametrize(("locations", "expected"), LOCATION_CASES)
def test_location_strings(locations: list[str], expected: list[str]) -> None:
    assert workplace_from_locations(locations) == expected


@pytest.mark.parametrize(("text", "expected"), TEXT_CASES, ids=[str(case[0])[:40] for case in TEXT_CASES])
def test_posting_text(text: str | None, expected: list[str]) -> None:
    assert workplace_from_text(text) == expected


@pytest.mark.parametrize(("structured", "locations", "text", "expected"), CLASSIFY_CASES)
def test_classify_combines_field_locations_and_text(
    structured: str | None, locations: list[str], text: str | None, expected: list[str]
) -> None:
    assert classify_workplace(structured, locations, text) == expected


def test_the_seed_ad_offers_hybrid_and_remote() -> None:
    page = (DEMO_DATA / "stripe-backend-engineer-core-technology.txt").read_text(encoding="utf-8")
    assert workplace_from_text(page) == HYBRID_AND_REMOTE
