"""A streamed list export: time to the first bytes, total time and the process's peak RSS while
20,000 off-site leads (``--rows``) are written as CSV and as xlsx through the console's export
path (webkit.listing over offsite.service.iter_leads), on a throwaway SQLite database.

    .venv/bin/python benchmarks/list_export.py [--rows 20000]
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine

from greensword.core.auth import Actor
from greensword.core.db import Base, load_all_models, session_scope
from greensword.core.timeutil import TZ
from greensword.offsite import service
from greensword.offsite.models import Lead
from greensword.webkit import listing


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=20_000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        engine = create_engine(f"sqlite:///{Path(tmp) / 'bench.db'}")
        load_all_models()
        Base.metadata.create_all(engine)
        t0 = datetime(2026, 3, 1, tzinfo=TZ)
        with session_scope(engine) as s:
            s.add_all(Lead(mn=f"MN{i:022d}", factor="a21026", detector="exceedance", start=t0 + timedelta(minutes=i),
                           end=t0 + timedelta(minutes=i + 60), score=1.0, rank_score=float(i % 997), status="new",
                           evidence={}, repeats=0, due_at=t0, created_at=t0, updated_at=t0, reason="=SUM(A1)",
                           outcome="") for i in range(args.rows))
        actor = Actor.system("bench")

        def rows(session):
            for x in service.iter_leads(session, actor):
                yield [x.id, x.mn, x.detector, x.start.isoformat(), x.rank_score, x.status, x.reason]

        header = ["编号", "MN", "类型", "开始", "排序分", "状态", "理由"]
        for name, chunks in (("csv", lambda: listing._csv_chunks(engine, header, rows)),
                             ("xlsx", lambda: listing._xlsx_chunks(engine, "线索", header, rows))):
            rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            start = time.perf_counter()
            first = None
            size = 0
            for chunk in chunks():
                if first is None:
                    first = time.perf_counter() - start
                size += len(chunk)
            total = time.perf_counter() - start
            rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            print(f"{name}: {args.rows:,} rows, {size / 1e6:.1f} MB, first bytes after {first * 1000:.0f} ms, "
                  f"total {total:.2f} s, peak RSS {rss / 1024:.0f} MB (+{(rss - rss0) / 1024:.0f} MB)")


if __name__ == "__main__":
    main()
