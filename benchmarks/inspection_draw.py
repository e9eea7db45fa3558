"""Time a double-random draw over the whole demo province (≥ 20,000 enterprises).

    GREENSWORD_DATA_DIR=var .venv/bin/python benchmarks/inspection_draw.py [--seed S]

Needs the demo province in the database (``make run`` or ``greensword demo --scale province``).
Prints the pure draw time (snapshots in memory) and the service time (snapshots read from the
database, frozen and hashed, tasks written), then verifies the draw from its published inputs.
"""

import argparse
import time
from datetime import date

from sqlalchemy import select

from greensword.core.auth import Actor
from greensword.core.db import session_scope
from greensword.inspection import service
from greensword.inspection.draw import run_draw
from greensword.registry.models import Agency


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", default="benchmark 2026")
    ap.add_argument("--teams", type=int, default=60)
    args = ap.parse_args()
    actor = Actor.system("benchmark")
    with session_scope() as s:
        province = s.execute(select(Agency).where(Agency.level == "province")).scalars().first()
        plan = service.create_plan(s, actor, agency_id=province.id, name="全省双随机抽查（基准测试）",
                                   period_start=date(2026, 10, 1), period_end=date(2026, 12, 31), teams=args.teams)
        ents = service._enterprise_snapshot(s, plan)
        offs = service._officer_snapshot(s, plan)
        params = service._draw_params(s, plan, ents, offs)
        t = time.perf_counter()
        r = run_draw(args.seed, ents, offs, params)
        pure = time.perf_counter() - t
        t = time.perf_counter()
        service.draw(s, actor, plan.id, args.seed)
        full = time.perf_counter() - t
        t = time.perf_counter()
        v = service.verify(s, plan)
        ver = time.perf_counter() - t
        s.rollback()                   # leave the demo database as it was
    print(f"enterprises in population: {len(ents):,}; certified officers: {sum(o['certified'] for o in offs):,}")
    print(f"drawn: {len(r.items):,} enterprises into {len(r.teams)} teams")
    print(f"pure draw: {pure:.3f} s; service draw (snapshot, freeze, hash, tasks): {full:.3f} s; "
          f"verify: {ver:.3f} s ({'ok' if v.ok else v.message})")


if __name__ == "__main__":
    main()
