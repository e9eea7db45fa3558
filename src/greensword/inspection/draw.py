"""The 双随机 draw as a pure function anyone can re-run: published seed + frozen directory
snapshots + plan parameters → the same enterprises and teams, in any language.

No language-specific PRNG is involved. Every random choice is a SHA-256 "lottery ticket":

    digest      = SHA-256(canonical JSON of {seed, enterprises_hash, officers_hash, params_hash})
    ticket(x)   = first 8 bytes of SHA-256(digest ‖ ":" ‖ x) as an integer, u = (ticket + 0.5) / 2^64

Enterprises: within each stratum, k = ceil(ratio × N) enterprises with the largest
u^(1/w) (Efraimidis–Spirakis weighted sampling without replacement; w = credit multiplier).
Teams: certified officers ordered by ticket("officer:<id>") are dealt into ``teams`` teams of
``team_size``; each drawn enterprise (in ticket order) goes to the least-loaded team with no
member conflicted with it and none who inspected it in the previous draw (ties by ticket).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from ..core.canonical import sha256_hex
from ..core.lottery import ticket as _ticket


class DrawError(ValueError):
    pass


@dataclass
class DrawResult:
    digest: str
    items: list[dict] = field(default_factory=list)      # enterprise_id, uscc, stratum, team, officers
    teams: list[list[int]] = field(default_factory=list)
    strata: dict[str, dict] = field(default_factory=dict)  # code → population, drawn
    unassigned: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"digest": self.digest, "items": self.items, "teams": self.teams, "strata": self.strata,
                "unassigned": self.unassigned}

    @property
    def hash(self) -> str:
        return sha256_hex(self.as_dict())


def _matches(ent: dict, match: dict) -> bool:
    for key, want in match.items():
        have = ent.get(key)
        if key == "key_polluter" and isinstance(want, bool):
            if bool(have) != want:
                return False
        elif isinstance(want, list):
            if have not in want:
                return False
        elif have != want:
            return False
    return True


def run_draw(seed: str, enterprises: list[dict], officers: list[dict], params: dict, *,
             input_hashes: tuple[str, str, str] | None = None) -> DrawResult:
    """enterprises: {id, uscc, key_polluter, credit_class, positive_list};
    officers: {id, certified, department, agency_code}; params: strata, credit_multiplier,
    exclude_positive_list, team_size, teams, conflicts [[officer, enterprise]], previous
    [[officer, enterprise]], partner_departments (joint plans), rotate (strata whose members are
    drawn once a year) with already_drawn (enterprise ids drawn earlier in the year).
    ``input_hashes``: ``sha256_hex`` of the three inputs when the caller has just computed them
    (the draw service, which publishes them); verification leaves them out, so they are recomputed."""
    ent_hash, off_hash, par_hash = input_hashes or (sha256_hex(enterprises), sha256_hex(officers),
                                                    sha256_hex(params))
    digest_hex = sha256_hex({"seed": seed, "enterprises": ent_hash, "officers": off_hash, "params": par_hash})
    digest = bytes.fromhex(digest_hex)
    result = DrawResult(digest_hex)

    # -- enterprises per stratum ---------------------------------------------------------
    mult = params.get("credit_multiplier", {})
    pool = [e for e in enterprises if not (params.get("exclude_positive_list", True) and e.get("positive_list"))]
    chosen: list[tuple[float, dict, str]] = []
    remaining = pool
    rotate = set(params.get("rotate", []))
    already = set(params.get("already_drawn", []))
    for stratum in params["strata"]:
        members = [e for e in remaining if _matches(e, stratum.get("match", {}))]
        ids = {e["id"] for e in members}
        remaining = [e for e in remaining if e["id"] not in ids]
        k = math.ceil(stratum["ratio"] * len(members) - 1e-9)
        if stratum["code"] in rotate:         # everyone once a year: skip those drawn earlier this year
            members = [e for e in members if e["id"] not in already]
        k = min(len(members), k)
        keyed = []
        for e in members:
            w = float(mult.get(e.get("credit_class"), 1.0)) or 1e-9
            u = _ticket(digest, f"enterprise:{e['uscc']}")
            keyed.append((u ** (1.0 / w), e["uscc"], e))
        keyed.sort(key=lambda t: (-t[0], t[1]))
        for key, _, e in keyed[:k]:
            chosen.append((key, e, stratum["code"]))
        result.strata[stratum["code"]] = {"name": stratum.get("name", stratum["code"]), "population": len(members),
                                          "ratio": stratum["ratio"], "drawn": k}
    chosen.sort(key=lambda t: (-t[0], t[1]["uscc"]))

    # -- teams -----------------------------------------------------------------------------
    size = int(params.get("team_size", 2))
    partner = set(params.get("partner_departments", []))
    core = [o for o in officers if o.get("certified") and o.get("department", "生态环境") not in partner]
    core.sort(key=lambda o: (_ticket(digest, f"officer:{o['id']}"), o["id"]))
    n_teams = min(int(params.get("teams", 1)), len(core) // size)
    if n_teams < 1:
        raise DrawError(f"持证执法人员 {len(core)} 人，不足以组成一个 {size} 人检查组")
    teams = [[o["id"] for o in core[i * size:(i + 1) * size]] for i in range(n_teams)]
    if partner:
        others = [o for o in officers if o.get("department") in partner]
        others.sort(key=lambda o: (_ticket(digest, f"officer:{o['id']}"), o["id"]))
        if len(others) < n_teams:
            raise DrawError(f"联合抽查需要每组一名其他部门人员，名录中只有 {len(others)} 人")
        for t, o in zip(teams, others, strict=False):
            t.append(o["id"])
    result.teams = teams

    conflicts = {(o, e) for o, e in params.get("conflicts", [])}
    previous = {(o, e) for o, e in params.get("previous", [])}
    load = [0] * n_teams
    for _, e, stratum in chosen:
        ok = [i for i, t in enumerate(teams)
              if not any((o, e["id"]) in conflicts or (o, e["id"]) in previous for o in t)]
        if not ok:
            result.unassigned.append({"enterprise_id": e["id"], "uscc": e["uscc"], "stratum": stratum,
                                      "reason": "所有检查组均有需回避的人员"})
            continue
        best = min(ok, key=lambda i: (load[i], _ticket(digest, f"team:{i}:{e['uscc']}")))
        load[best] += 1
        result.items.append({"enterprise_id": e["id"], "uscc": e["uscc"], "stratum": stratum, "team": best,
                             "officers": teams[best]})
    return result
