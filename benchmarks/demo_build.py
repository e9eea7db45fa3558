"""Time the demo build (`greensword demo`, what `make run` runs on an empty database) and
fingerprint what it wrote, so a faster build can be shown to write the same demo.

    PYTHONPATH=src .venv/bin/python benchmarks/demo_build.py [--scale province] [--seed 2026]
        [--today 2026-11-01] [--database-url URL] [--digest out.json] [--compare before.json]

Builds into a fresh temporary data directory (and a fresh database: SQLite there, or the
PostgreSQL database at --database-url, which must be empty), in a child process, and prints the
stage times the command reports (wall / CPU), the child's wall and CPU (user + sys) seconds and
the load average before and after. Then checks the audit chain and fingerprints every table:
rows counted and hashed in primary-key order, with the values that depend on the clock when the
build ran masked (any date-time later than the demo's today + 1 day — so pass a --today in the
past — and the audit chain's hashes, which cover those times). --compare names every table
whose count or content differs from an earlier --digest file.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
import zipfile
from datetime import date, datetime, timedelta
from pathlib import Path

#: columns left out: the audit chain's hashes (they cover each entry's clock time) and values
#: random by design (complaint query codes, monitoring-point passwords, password hashes' salts)
SKIPPED = {"audit_entry": {"prev_hash", "entry_hash"}, "audit_head": {"entry_hash"}, "data_head": {"entry_hash"},
           "complaint": {"code"},
           "monitoring_point": {"pw"}, "user_account": {"password_hash"}}
#: audit entries whose state holds one of those random values, a stored file's hash or the clock
#: time of the build (a service consent's given_at)
RANDOM_STATES = re.compile(r"^(complaint\.|cases\.document$|oversight\.unit\.|portal\.(credit|positive|consent)\.)")
#: a complaint's query code (random by design) where text quotes it ("重复件，原件 TS…")
CODE = re.compile(r"TS[0-9A-Z]{10}")
ISO = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?([+-]\d{2}:\d{2}|Z)?")
SHA = re.compile(r"[0-9a-f]{64}")


def stored_files(data_dir: Path) -> dict[str, str]:
    """sha256 of each stored Office file → sha256 of its members' contents: .docx/.xlsx are zip
    files whose entries carry the time they were written, the XML inside is what counts."""
    out = {}
    for path in data_dir.rglob("*"):
        name = path.name.split(".")[0]
        if path.is_file() and SHA.fullmatch(name) and zipfile.is_zipfile(path):
            h = hashlib.sha256()
            with zipfile.ZipFile(path) as z:
                for member in sorted(z.namelist()):
                    h.update(member.encode() + b"\0" + z.read(member))
            out[name] = "zip:" + h.hexdigest()
    return out


def _mask(value, cutoff: datetime, files: dict[str, str], data_dir: str, codes: frozenset[str] = frozenset()):
    if isinstance(value, datetime):
        v = value.replace(tzinfo=None) if value.tzinfo is None else value.astimezone().replace(tzinfo=None)
        return "<clock>" if v > cutoff else value.isoformat()
    if isinstance(value, dict):
        return {k: _mask(v, cutoff, files, data_dir, codes) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_mask(v, cutoff, files, data_dir, codes) for v in value]
    if isinstance(value, str):
        if value in files:
            return files[value]
        if ISO.fullmatch(value):
            try:
                return _mask(datetime.fromisoformat(value.replace("Z", "+00:00")), cutoff, files, data_dir)
            except ValueError:
                return value
        if codes and "TS" in value:
            value = CODE.sub(lambda m: "<code>" if m.group() in codes else m.group(), value)
        return value.replace(data_dir, "<data>")
    if isinstance(value, bytes):
        return hashlib.sha256(value).hexdigest()
    if isinstance(value, date):
        return value.isoformat()
    return value


def fingerprint(url: str, today: date, data_dir: Path) -> dict[str, dict]:
    """{table: {"rows": n, "columns": {column: sha256}}} over every mapped table."""
    from sqlalchemy import create_engine, select

    from greensword.core.db import Base, load_all_models

    load_all_models()
    cutoff = datetime.combine(today + timedelta(days=1), datetime.min.time())
    files = stored_files(data_dir)
    engine = create_engine(url)
    out: dict[str, dict] = {}
    with engine.connect() as conn:
        complaint = Base.metadata.tables.get("complaint")
        codes = frozenset(conn.execute(select(complaint.c.code)).scalars()) if complaint is not None else frozenset()
        for table in sorted(Base.metadata.tables.values(), key=lambda t: t.name):
            skip = SKIPPED.get(table.name, set())
            cols = [c for c in table.columns if c.name not in skip]
            order = list(table.primary_key.columns) or cols
            hs, n = {c.name: hashlib.sha256() for c in cols}, 0
            for row in conn.execute(select(*cols).order_by(*order)):
                for c, v in zip(cols, row, strict=True):
                    if c.name == "state_digest" and RANDOM_STATES.match(row.action):
                        v = "<random>"
                    hs[c.name].update(json.dumps(_mask(v, cutoff, files, str(data_dir), codes), ensure_ascii=False,
                                                 sort_keys=True, default=str).encode() + b"\x1e")
                n += 1
            out[table.name] = {"rows": n, "columns": {k: h.hexdigest() for k, h in hs.items()}}
    engine.dispose()
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scale", default="province")
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--today", default="2026-11-01", help="the demo's today (in the past: see the module text)")
    ap.add_argument("--database-url", default="", help="an empty PostgreSQL database (default: SQLite)")
    ap.add_argument("--data-dir", default="", help="keep the build here (default: a temporary directory)")
    ap.add_argument("--digest", default="", help="write the fingerprint to this JSON file")
    ap.add_argument("--compare", default="", help="compare with a fingerprint written earlier")
    ap.add_argument("--no-fingerprint", action="store_true")
    ap.add_argument("--fingerprint-only", action="store_true", help="fingerprint the build in --data-dir, build nothing")
    args = ap.parse_args()
    if args.fingerprint_only:
        return report(args, Path(args.data_dir), [sys.executable, "-m", "greensword.cli"],
                      {**os.environ, "GREENSWORD_DATA_DIR": args.data_dir})

    data_dir = Path(args.data_dir or tempfile.mkdtemp(prefix="greensword-demo-"))
    data_dir.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "GREENSWORD_DATA_DIR": str(data_dir)}
    if args.database_url:
        env["GREENSWORD_DATABASE_URL"] = args.database_url
    cli = [sys.executable, "-m", "greensword.cli"]
    subprocess.run([*cli, "db", "upgrade"], env=env, check=True, stdout=subprocess.DEVNULL)
    load_before = os.getloadavg()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run([*cli, "demo", "--scale", args.scale, "--seed", str(args.seed), "--today", args.today],
                          env={**env, "COLUMNS": "100"}, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    load_after = os.getloadavg()
    if proc.returncode:
        print(proc.stdout, proc.stderr, sep="\n")
        return proc.returncode
    stages = [line for line in proc.stdout.splitlines() if line.startswith("各阶段用时")]
    cpu_user, cpu_sys = after.ru_utime - before.ru_utime, after.ru_stime - before.ru_stime
    print(f"demo --scale {args.scale} --seed {args.seed} --today {args.today} "
          f"into {'PostgreSQL' if args.database_url else 'SQLite'} ({data_dir})")
    print(*stages, sep="\n")
    print(f"wall {wall:.1f} s, CPU {cpu_user + cpu_sys:.1f} s (user {cpu_user:.1f}, sys {cpu_sys:.1f}), "
          f"peak RSS {after.ru_maxrss / 1024:.0f} MiB; load average before {load_before[0]:.2f} "
          f"{load_before[1]:.2f} {load_before[2]:.2f}, after {load_after[0]:.2f} {load_after[1]:.2f} "
          f"{load_after[2]:.2f}")
    if args.no_fingerprint:
        return 0
    return report(args, data_dir, cli, env)


def report(args, data_dir: Path, cli: list[str], env: dict) -> int:
    verify = subprocess.run([*cli, "audit", "verify"], env=env, capture_output=True, text=True)
    print(f"audit verify: rc {verify.returncode} {verify.stdout.strip()[-200:]}")
    url = args.database_url or f"sqlite:///{data_dir / 'greensword.db'}"
    fp = fingerprint(url, date.fromisoformat(args.today), data_dir)
    print(f"{sum(v['rows'] for v in fp.values())} rows in {sum(1 for v in fp.values() if v['rows'])} tables")
    if args.digest:
        Path(args.digest).write_text(json.dumps(fp, indent=1, sort_keys=True))
    if args.compare:
        old = json.loads(Path(args.compare).read_text())
        diff = [(t, old.get(t, {}).get("rows"), fp.get(t, {}).get("rows")) for t in sorted(set(old) | set(fp))
                if old.get(t) != fp.get(t)]
        for t, a, b in diff:
            cols = sorted(k for k in set(old.get(t, {}).get("columns", {})) | set(fp.get(t, {}).get("columns", {}))
                          if old.get(t, {}).get("columns", {}).get(k) != fp.get(t, {}).get("columns", {}).get(k))
            print(f"  differs: {t} rows {a} → {b}; columns {', '.join(cols)}")
        print("same content as " + args.compare if not diff else f"{len(diff)} tables differ from {args.compare}")
        return 1 if diff else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
