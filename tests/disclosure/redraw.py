"""Re-run a published 双随机 draw from its five published files, following docs/draw.md only.

Standard library only; imports nothing from greensword. Usage: python redraw.py DIR
(prints {"ok": bool, "messages": [...], "result": {...}} as JSON)."""

import hashlib
import json
import math
import sys
from pathlib import Path


def canon(v) -> bytes:
    return json.dumps(v, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def hexsha(b: bytes) -> str:
    return hashlib.sha256(b).hexdigest()


def main(folder: str) -> dict:
    d = Path(folder)
    raw = {n: (d / n).read_bytes() for n in ("enterprises.json", "officers.json", "params.json", "result.json")}
    man = json.loads((d / "manifest.json").read_text("utf-8"))
    msgs = []
    for name, key in (("enterprises.json", "enterprises_hash"), ("officers.json", "officers_hash"),
                      ("params.json", "params_hash"), ("result.json", "result_hash")):
        if hexsha(raw[name]) != man[key]:
            msgs.append(f"{name} does not hash to {key}")
    ents, offs, par = (json.loads(raw[n]) for n in ("enterprises.json", "officers.json", "params.json"))
    dig_hex = hexsha(canon({"enterprises": man["enterprises_hash"], "officers": man["officers_hash"],
                            "params": man["params_hash"], "seed": man["seed"]}))
    dig = bytes.fromhex(dig_hex)

    def ticket(label: str) -> float:
        n = int.from_bytes(hashlib.sha256(dig + b":" + label.encode("utf-8")).digest()[:8], "big")
        return (float(n) + 0.5) / 2.0 ** 64

    def matches(e, match):
        for k, want in match.items():
            have = e.get(k)
            if k == "key_polluter" and isinstance(want, bool):
                ok = (isinstance(have, str) and have != "") == want
            elif isinstance(want, list):
                ok = have in want
            else:
                ok = have == want
            if not ok:
                return False
        return True

    pool = [e for e in ents if not (par.get("exclude_positive_list", True) and e.get("positive_list"))]
    mult = par.get("credit_multiplier", {})
    rotate, already = set(par.get("rotate", [])), set(par.get("already_drawn", []))
    drawn, strata = [], {}
    for s in par["strata"]:
        members = [e for e in pool if matches(e, s.get("match", {}))]
        taken = {e["id"] for e in members}
        pool = [e for e in pool if e["id"] not in taken]
        k = math.ceil(s["ratio"] * len(members) - 1e-9)
        if s["code"] in rotate:
            members = [e for e in members if e["id"] not in already]
        k = min(k, len(members))
        keyed = []
        for e in members:
            w = float(mult.get(e.get("credit_class"), 1.0)) or 1e-9
            keyed.append((ticket("enterprise:" + e["uscc"]) ** (1.0 / w), e))
        keyed.sort(key=lambda t: (-t[0], t[1]["uscc"]))
        drawn += [(key, e, s["code"]) for key, e in keyed[:k]]
        strata[s["code"]] = {"name": s.get("name", s["code"]), "population": len(members), "ratio": s["ratio"],
                             "drawn": k}
    drawn.sort(key=lambda t: (-t[0], t[1]["uscc"]))

    size, partner = int(par.get("team_size", 2)), set(par.get("partner_departments", []))
    core = sorted((o for o in offs if o.get("certified") and o.get("department", "生态环境") not in partner),
                  key=lambda o: (ticket(f"officer:{o['id']}"), o["id"]))
    n = min(int(par.get("teams", 1)), len(core) // size)
    teams = [[o["id"] for o in core[i * size:(i + 1) * size]] for i in range(n)]
    if partner:
        others = sorted((o for o in offs if o.get("department") in partner),
                        key=lambda o: (ticket(f"officer:{o['id']}"), o["id"]))
        for i in range(n):
            teams[i].append(others[i]["id"])
    avoid = {tuple(p) for p in par.get("conflicts", [])} | {tuple(p) for p in par.get("previous", [])}
    load, items, unassigned = [0] * n, [], []
    for _, e, code in drawn:
        ok = [i for i, t in enumerate(teams) if not any((o, e["id"]) in avoid for o in t)]
        if not ok:
            unassigned.append({"enterprise_id": e["id"], "uscc": e["uscc"], "stratum": code,
                               "reason": "所有检查组均有需回避的人员"})
            continue
        best = min(ok, key=lambda i: (load[i], ticket(f"team:{i}:{e['uscc']}")))
        load[best] += 1
        items.append({"enterprise_id": e["id"], "uscc": e["uscc"], "stratum": code, "team": best,
                      "officers": teams[best]})
    result = {"digest": dig_hex, "items": items, "teams": teams, "strata": strata, "unassigned": unassigned}
    published = json.loads(raw["result.json"])
    if result != published:
        msgs.append("re-run result differs from result.json")
    if hexsha(canon(result)) != man["result_hash"]:
        msgs.append("re-run result does not hash to result_hash")
    return {"ok": not msgs, "messages": msgs, "result": result}


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1]), ensure_ascii=False))
