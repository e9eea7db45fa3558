"""What every demo stage receives. Stages are the ``generate(session, ctx)`` functions of each
domain's ``demo`` module, run in greensword.DOMAINS order after the registry is generated."""

import random
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from rich.progress import Progress

from ..core.auth import Actor

SCALES = {
    # cities, counties per city (≈), enterprises, monitoring points, officers
    "small": {"cities": 2, "counties_per_city": 2, "enterprises": 120, "points": 12, "officers": 40},
    "province": {"cities": 11, "counties_per_city": 8, "enterprises": 20500, "points": 1000, "officers": 1500},
}


@dataclass
class DemoContext:
    seed: int
    scale: str
    #: The demo's "current" day: stages generate history from ``start`` (1 January of last year) to it.
    today: date
    progress: Progress | None = None
    actor: Actor = field(default_factory=lambda: Actor.system("demo"))
    #: Stages may leave facts for later stages here (e.g. {"leads": [...]}).
    shared: dict[str, Any] = field(default_factory=dict)
    #: (stage, wall seconds, CPU seconds) of each stage run so far
    timings: list[tuple[str, float, float]] = field(default_factory=list)

    @contextmanager
    def timed(self, stage: str) -> Iterator[None]:
        wall, cpu = time.perf_counter(), time.process_time()
        yield
        self.timings.append((stage, time.perf_counter() - wall, time.process_time() - cpu))

    @property
    def start(self) -> date:
        """The first day of the demo's history: 1 January of last year, so this year's figures have
        the same period last year to compare with (同比)."""
        return date(self.today.year - 1, 1, 1)

    @property
    def span_days(self) -> int:
        """Days from ``start`` to ``today``."""
        return (self.today - self.start).days

    @property
    def size(self) -> dict[str, int]:
        return SCALES[self.scale]

    def rng(self, stage: str) -> random.Random:
        """A deterministic random stream per stage: adding a stage never changes another's data."""
        return random.Random(f"{self.seed}:{stage}")

    def task(self, description: str, total: int):
        """A progress bar (or a no-op when run without one)."""
        if self.progress is None:
            return _NoTask()
        return _Task(self.progress, self.progress.add_task(description, total=total))


class _NoTask:
    def advance(self, n: int = 1) -> None:
        pass


class _Task:
    def __init__(self, progress: Progress, task_id):
        self.progress, self.task_id = progress, task_id

    def advance(self, n: int = 1) -> None:
        self.progress.advance(self.task_id, n)
