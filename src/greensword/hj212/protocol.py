"""HJ 212 protocol tables (rules/hj212/protocol.yaml), loaded once and validated."""

from functools import lru_cache

from pydantic import BaseModel

from ..core.rules import Source, load


class ProtocolRules(BaseModel):
    source: Source
    max_data_length: int
    versions: dict[int, str]
    surface_water_st: str
    systems: dict[str, str]
    commands: dict[str, str]
    edition_commands: dict[str, dict[str, str]]
    uploads: dict[str, str]
    data_flags: dict[str, str]
    numeric_suffixes: frozenset[str]
    time_keys: frozenset[str]
    string_keys: frozenset[str] = frozenset({"PolId", "NewPW", "MN", "PW", "InfoId"})
    qn_rtn: dict[str, int]
    exe_rtn: dict[str, int]
    factors_2005: dict[str, str]
    offline_after_minutes: int = 15
    completeness: dict[str, int] = {"minutes_per_hour_valid": 45, "hours_per_day_valid": 20}

    def command_name(self, cn: str) -> str:
        for table in (self.commands, *self.edition_commands.values()):
            if cn in table:
                return table[cn]
        return cn


@lru_cache(maxsize=1)
def rules() -> ProtocolRules:
    return load("hj212/protocol.yaml", ProtocolRules)
