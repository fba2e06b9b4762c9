"""The source families rolewatch reads: the one list that `type:` in YAML is checked against and
that the crawler finds each family's board reader in.

A reader is named by import path rather than imported, so loading or checking a config never
imports Scrapy.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class Family:
    name: str
    # What a source of this family must give: a board token, or the page URLs to start from.
    needs: Literal["board", "urls"]
    reader: str  # "module:Class" of its `crawler.boards.base.Board`


FAMILIES: dict[str, Family] = {
    family.name: family
    for family in (
        Family("greenhouse", "board", "crawler.boards.greenhouse:GreenhouseBoard"),
        Family("lever", "board", "crawler.boards.lever:LeverBoard"),
        Family("ashby", "board", "crawler.boards.ashby:AshbyBoard"),
        Family("smartrecruiters", "board", "crawler.boards.smartrecruiters:SmartRecruitersBoard"),
        Family("workable", "board", "crawler.boards.workable:WorkableBoard"),
        Family("recruitee", "board", "crawler.boards.recruitee:RecruiteeBoard"),
        Family("workday", "board", "crawler.boards.workday:WorkdayBoard"),
        Family("teamtailor", "board", "crawler.boards.teamtailor:TeamtailorBoard"),
        Family("personio", "board", "crawler.boards.personio:PersonioBoard"),
        Family("pinpoint", "board", "crawler.boards.pinpoint:PinpointBoard"),
        Family("bamboohr", "board", "crawler.boards.bamboohr:BambooHRBoard"),
        Family("rippling", "board", "crawler.boards.rippling:RipplingBoard"),
        Family("gem", "board", "crawler.boards.gem:GemBoard"),
        Family("oracle", "board", "crawler.boards.oracle:OracleBoard"),
        Family("breezy", "board", "crawler.boards.breezy:BreezyBoard"),
        Family("successfactors", "board", "crawler.boards.successfactors:SuccessFactorsBoard"),
        Family("eightfold", "board", "crawler.boards.eightfold:EightfoldBoard"),
        Family("comeet", "board", "crawler.boards.comeet:ComeetBoard"),
        Family("join", "board", "crawler.boards.join:JoinBoard"),
        Family("jsonld", "urls", "crawler.boards.jsonld:JsonLdBoard"),
        Family("selectors", "urls", "crawler.boards.selectors:SelectorsBoard"),
    )
}


def known_family(name: str) -> str:
    if name not in FAMILIES:
        raise ValueError(f"unknown source type {name!r}; expected one of {', '.join(FAMILIES)}")
    return name
