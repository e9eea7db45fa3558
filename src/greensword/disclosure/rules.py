"""Disclosure rules: the publication and withdrawal periods (dated, with sources) and the public
service's limits."""

from datetime import date

from pydantic import BaseModel

from ..core.rules import Dated, Source, Version, load, register


class Publication(Version):
    working_days: int


class Withdrawal(Version):
    days: int


class Limits(BaseModel):
    source: Source
    query_max_chars: int
    page_size_max: int
    requests_per_minute: int
    downloads_per_minute: int


class DisclosureRules(BaseModel):
    publication: Dated[Publication]
    withdrawal: Dated[Withdrawal]
    withdraw_on_appeal: list[str]
    note_on_appeal: dict[str, str] = {}
    limits: Limits


def rules() -> DisclosureRules:
    return load("disclosure/publication.yaml", DisclosureRules)


register("disclosure/publication.yaml", DisclosureRules, since=date(2021, 7, 15))  # APL 2021 art. 48
