"""Public search and facility-page speed on the demo province (≥ 20,000 enterprises).

    PYTHONPATH=src .venv/bin/python benchmarks/disclosure_search.py            # builds a temporary registry
    GREENSWORD_DATA_DIR=var .venv/bin/python benchmarks/disclosure_search.py --existing

Without --existing it migrates a temporary SQLite database and generates the province-scale
registry (agencies, officers, 20,500 enterprises) with the demo's own generator. Timings are
end-to-end HTTP requests through the app (TestClient), rate limiting lifted; prints median and
95th percentile per query kind.
"""

import argparse
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--existing", action="store_true")
    ap.add_argument("--runs", type=int, default=20)
    args = ap.parse_args()
    from fastapi.testclient import TestClient

    from greensword.core.db import make_engine, session_factory
    from greensword.disclosure import ratelimit
    from greensword.web.app import create_app

    if args.existing:
        engine = None
    else:
        from greensword.core.migrate import upgrade
        from greensword.demo.context import DemoContext
        from greensword.demo.province import generate_registry

        path = Path(tempfile.mkdtemp()) / "bench.db"
        url = f"sqlite:///{path}"
        upgrade(url)
        engine = make_engine(url)
        t = time.perf_counter()
        s = session_factory(engine)()
        generate_registry(s, DemoContext(seed=2026, scale="province", today=date(2026, 11, 20)))
        s.commit()
        s.close()
        print(f"registry generated in {time.perf_counter() - t:.1f} s")
    ratelimit.LIMITER.hit = lambda *a, **k: 0.0
    client = TestClient(create_app(engine))
    any_uscc = client.get("/api/v1/disclosure/facilities", params={"size": 1, "page": 500}).json()["items"][0]["uscc"]
    n = client.get("/api/v1/disclosure/facilities").json()["total"]
    print(f"facilities: {n}")
    cases = {
        "name substring (化工)": {"q": "化工"},
        "credit code (exact)": {"q": any_uscc},
        "region + industry": {"region": any_uscc[2:8], "industry": "C26"},
        "wildcards (%_* ×20)": {"q": "%_*" * 20},
        "very long string (4,000 chars)": {"q": "环" * 4_000},
        "no match": {"q": "不存在的企业名称"},
        "page 100 of all": {"page": 100, "size": 20},
    }
    for label, params in cases.items():
        times = []
        for _ in range(args.runs):
            t = time.perf_counter()
            r = client.get("/api/v1/disclosure/facilities", params=params)
            times.append((time.perf_counter() - t) * 1000)
            assert r.status_code in (200, 422), r.text
        times.sort()
        print(f"{label:36s} median {statistics.median(times):6.1f} ms  p95 {times[int(0.95 * len(times)) - 1]:6.1f} ms"
              f"  (total {r.json().get('total', '-')})")
    times = []
    for _ in range(args.runs):
        t = time.perf_counter()
        r = client.get(f"/disclosure/facility/{any_uscc}")
        times.append((time.perf_counter() - t) * 1000)
    times.sort()
    print(f"{'facility page (HTML)':36s} median {statistics.median(times):6.1f} ms  p95 {times[int(0.95 * len(times)) - 1]:6.1f} ms")


if __name__ == "__main__":
    main()
