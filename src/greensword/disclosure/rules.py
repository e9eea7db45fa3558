"""Disclosure rules: the publication and withdrawal periods (dated, with sources) and the public
service's limits."""

from pydantic import BaseModel

from ..core.rules import Dated, Source, Version, load


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
