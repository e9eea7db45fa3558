"""A streamed list export: time to the first bytes, total time and the process's peak RSS while
20,000 off-site leads (``--rows``) are written as CSV and as xlsx through the console's export
path (webkit.listing over offsite.service.iter_leads), on a throwaway SQLite database. Then the
same exports as export jobs (webkit.exports, what a browser gets for a long list): when the
progress the user sees first moves, how often it moves, and when the file is ready.

    .venv/bin/python benchmarks/list_export.py [--rows 20000]
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path

from greensword.core.auth import Actor
from greensword.core.db import Base, load_all_models, make_engine, session_scope
from greensword.core.timeutil import TZ
from greensword.offsite import service
from greensword.offsite.models import Lead
from greensword.webkit import listing


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=20_000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'bench.db'}")      # WAL, as the app runs it
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
        os.environ["GREENSWORD_DATA_DIR"] = tmp
        from greensword.settings import get_settings

        get_settings.cache_clear()
        for name, write in (("csv", listing._csv_file(header)), ("xlsx", listing._xlsx_file("线索", header))):
            _job(engine, name, write, rows, args.rows)


def _job(engine, fmt: str, write, rows, total: int) -> None:
    """Run one export job in its thread as the server does and watch its row as the page's polls do."""
    from sqlalchemy import select

    from greensword.core.models import ExportJob, User
    from greensword.core.timeutil import now
    from greensword.webkit import exports

    with session_scope(engine) as s:
        user = s.execute(select(User).where(User.username == "bench")).scalar_one_or_none()
        if user is None:
            user = User(username="bench", display_name="bench", password_hash="-", roles=[], created_at=now())
            s.add(user)
            s.flush()
        job = ExportJob(token=f"bench-{fmt}", user_id=user.id, filename=f"bench.{fmt}", fmt=fmt, media_type="x",
                        total=total, done=0, state="queued", error="", size=0, created_at=now(), updated_at=now())
        s.add(job)
        s.flush()
        job_id = job.id
    start = time.perf_counter()
    th = threading.Thread(target=exports._run, args=(engine, job_id, f"bench-{fmt}", fmt, rows, write))
    th.start()
    seen: list[tuple[float, int, str]] = []
    while True:
        with session_scope(engine) as s:
            done, state, size = s.execute(select(ExportJob.done, ExportJob.state, ExportJob.size)
                                          .where(ExportJob.id == job_id)).one()
        t = time.perf_counter() - start
        if not seen or (done, state) != seen[-1][1:]:
            seen.append((t, done, state))
        if state in ("done", "failed"):
            break
        time.sleep(0.1)
    th.join()
    first = next((t for t, d, _ in seen if d > 0), None)
    half = next((t for t, d, _ in seen if d >= total / 2), None)
    rows_at = next((t for t, d, st in seen if d >= total or st in ("packing", "done")), None)
    print(f"{fmt} job: progress first moved after {first * 1000:.0f} ms, half the rows at {half:.2f} s, all rows "
          f"at {rows_at:.2f} s, file ready at {seen[-1][0]:.2f} s ({size / 1e6:.1f} MB, {seen[-1][2]}); "
          f"{len(seen)} distinct progress states seen by polls every 0.1 s")


if __name__ == "__main__":
    main()
