"""Registry figures kept by the database (core.summary): enterprises not on the positive list
per county, as the statistics count them (the coverage rate's denominator)."""

from __future__ import annotations

from ..core.summary import Part, Summary


def _population(d: str):
    return (("{e}.agency_id",), {"enterprises": "1"}, "{e}.positive_list IS FALSE")


POPULATION = Summary("enterprise_population", ("agency_id",), ("enterprises",), (
    Part({"e": "enterprise"}, _population, watch={"e": ("agency_id", "positive_list")}),
))
