"""Time (and profile) one stage of the demo build, without rebuilding the stages before it
each time.

    # once: build the demo up to `complaint` and `portal`, keeping a snapshot before each
    PYTHONPATH=src .venv/bin/python benchmarks/demo_stage.py snapshot /tmp/snap --before complaint,portal
    # then as often as wanted: run `complaint` on a copy of its snapshot, print wall / CPU seconds
    PYTHONPATH=src .venv/bin/python benchmarks/demo_stage.py run /tmp/snap/complaint complaint [--profile out.txt|out.prof]

``--before registry`` keeps the empty database (after ``db upgrade``). Each stage is committed
on its own while snapshotting (the whole build is one transaction). The snapshot keeps
the database, the data directory's files (the offsite lake, stored documents) and the facts the
stages leave for later ones (``ctx.shared``), so a stage run from it sees what it would see in
the whole build. The run's copy is deleted afterwards unless ``--keep`` is given. Scale, seed
and today are those of benchmarks/demo_build.py's defaults and are stored with the snapshot.
"""

from __future__ import annotations

import argparse
import os
import pickle
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

FACTS = "demo-stage-facts.pickle"


def _stages() -> list[str]:
    import importlib.util

    from greensword import DOMAINS

    return ["registry", *(d for d in DOMAINS if d != "registry"
                          and importlib.util.find_spec(f"greensword.{d}.demo") is not None)]


def _save(ctx, work: Path, dest: Path) -> None:
    from greensword.core.db import get_engine

    get_engine().dispose()
    shutil.copytree(work, dest, ignore=shutil.ignore_patterns("snap-*"))
    with open(dest / FACTS, "wb") as f:
        pickle.dump({"seed": ctx.seed, "scale": ctx.scale, "today": ctx.today, "shared": ctx.shared}, f)
    print(f"snapshot before {dest.name} in {dest}")


class Sampler:
    """A statistical profiler (cProfile inflates call-heavy code several times over and so
    misleads): the main thread's stack every few milliseconds; ``report`` prints the functions
    found on most samples (inclusive) and at the top of most (self)."""

    def __init__(self, interval: float = 0.005):
        import collections
        import threading

        self.interval, self.samples = interval, 0
        self.inclusive, self.self_ = collections.Counter(), collections.Counter()
        self.main, self.stop = threading.main_thread().ident, threading.Event()
        self.thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self) -> None:
        while not self.stop.wait(self.interval):
            frame = sys._current_frames().get(self.main)
            if frame is None:
                continue
            self.samples += 1
            seen = set()
            top = True
            while frame is not None:
                code = frame.f_code
                key = f"{code.co_filename.split('site-packages/')[-1].split('/src/')[-1]}:{code.co_name}"
                if top:
                    self.self_[key] += 1
                    top = False
                if key not in seen:
                    seen.add(key)
                    self.inclusive[key] += 1
                frame = frame.f_back

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        self.thread.join()

    def report(self, n: int = 40) -> str:
        pct = lambda c: 100 * c / max(1, self.samples)  # noqa: E731
        lines = [f"{self.samples} samples; inclusive %:"]
        lines += [f"  {pct(c):5.1f}  {k}" for k, c in self.inclusive.most_common(n)]
        lines += ["self %:"] + [f"  {pct(c):5.1f}  {k}" for k, c in self.self_.most_common(n // 2)]
        return "\n".join(lines)


def _run(stages: list[str], ctx, profile: str = "", snap: tuple[Path, Path, set] | None = None
         ) -> list[tuple[str, float, float]]:
    import cProfile
    import importlib

    from greensword.core import audit, heap, locks, rules, storage
    from greensword.core.db import session_scope
    from greensword.demo.province import generate_registry

    prof = cProfile.Profile() if profile.endswith(".prof") else None
    sampler = Sampler() if profile and prof is None else None
    out = []
    for name in stages:
        if snap and name in snap[2]:
            _save(ctx, snap[0], snap[1] / name)
        with (session_scope() as s, rules.held(), audit.batched(s), locks.exclusive(s),   # as demo.cli.run_demo does
              storage.synced_at_end(), heap.stepwise()):
            wall, cpu = time.perf_counter(), time.process_time()
            if prof:
                prof.enable()
            if sampler:
                sampler.__enter__()
            if name == "registry":
                generate_registry(s, ctx)
            else:
                importlib.import_module(f"greensword.{name}.demo").generate(s, ctx)
                s.flush()
            if prof:
                prof.disable()
            if sampler:
                sampler.__exit__()
            out.append((name, time.perf_counter() - wall, time.process_time() - cpu))
    if prof:
        prof.dump_stats(profile)
    if sampler:
        Path(profile).write_text(sampler.report(60) + "\n")
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    a = sub.add_parser("snapshot", help="build the demo up to the last of some stages, keeping a snapshot before each")
    a.add_argument("dir", help="an empty or new directory: DIR/<stage> is the snapshot before <stage>")
    a.add_argument("--before", required=True, help="stages, comma-separated")
    a.add_argument("--scale", default="province")
    a.add_argument("--seed", type=int, default=2026)
    a.add_argument("--today", default="2026-11-01")
    b = sub.add_parser("run", help="run one stage on a copy of its snapshot")
    b.add_argument("dir", help="a snapshot (DIR/<stage> of the snapshot command)")
    b.add_argument("stage")
    b.add_argument("--profile", default="", help="profile the stage into this file: cProfile stats if it ends in .prof, "
                   "else a sampled profile as text (far less overhead)")
    b.add_argument("--keep", action="store_true", help="keep the copy (its path is printed)")
    args = ap.parse_args()

    root = Path(args.dir)
    if args.cmd == "snapshot":
        if root.exists() and any(root.iterdir()):
            sys.exit(f"{root} is not empty")
        work = root / "build"
        work.mkdir(parents=True)
    else:
        work = Path(tempfile.mkdtemp(prefix="greensword-stage-"))
        shutil.copytree(root, work, dirs_exist_ok=True)
    os.environ["GREENSWORD_DATA_DIR"] = str(work)
    if args.cmd == "snapshot":
        subprocess.run([sys.executable, "-m", "greensword.cli", "db", "upgrade"], check=True,
                       stdout=subprocess.DEVNULL, env=os.environ)

    from rich.progress import Progress

    from greensword.demo.context import DemoContext

    stages = _stages()
    wanted = set(args.before.split(",")) if args.cmd == "snapshot" else {args.stage}
    if wanted - set(stages):
        sys.exit(f"unknown stage {', '.join(sorted(wanted - set(stages)))}; stages: {', '.join(stages)}")
    if args.cmd == "snapshot":
        todo = stages[: max(stages.index(x) for x in wanted) + 1]
        ctx = DemoContext(seed=args.seed, scale=args.scale, today=date.fromisoformat(args.today))
    else:
        with open(work / FACTS, "rb") as f:
            saved = pickle.load(f)
        ctx = DemoContext(seed=saved["seed"], scale=saved["scale"], today=saved["today"], shared=saved["shared"])
        todo = [args.stage]
    with Progress(transient=True) as progress:
        ctx.progress = progress
        if args.cmd == "snapshot":
            timings = _run(todo[:-1], ctx, snap=(work, root, wanted))
            _save(ctx, work, root / todo[-1])
        else:
            timings = _run(todo, ctx, args.profile)
    for name, wall, cpu in timings:
        print(f"{name}: wall {wall:.1f} s, CPU {cpu:.1f} s")
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if args.cmd == "snapshot":
        shutil.rmtree(work)
    elif args.keep:
        print(f"kept in {work}")
    else:
        shutil.rmtree(work)
    return 0


if __name__ == "__main__":
    sys.exit(main())
