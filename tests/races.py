"""Two requests at once on the same record, for the concurrency tests of every state machine.

:func:`race` runs each step in its own thread with its own session (as two web requests do) and
commits it. The steps start together, and each one's first audit entry — recorded after its state
check, before its commit — waits until every other step has either reached its own first entry
(both passed their checks: without a lock, both will apply) or is inside a statement that takes a
lock (``… FOR [NO KEY] UPDATE`` on PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite: it waits for the first one's
commit, then checks the state the first one left). So the interleaving that loses an update is
forced whenever the code does not lock, and a locking step never waits on a timer.
"""

import re
import threading
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event, func, select

from greensword.core import audit
from greensword.core.db import session_factory
from greensword.core.errors import Conflict, DomainError
from greensword.core.models import AuditEntry

#: the statements that wait for a lock another step holds
LOCKING = re.compile(r"FOR (NO KEY )?UPDATE|BEGIN IMMEDIATE")
#: how long a step waits for the others to get to their checks or locks (only a broken test or a
#: machine stalled for this long ever waits it out)
TIMEOUT_S = 20.0


@dataclass
class Outcome:
    results: list[Any]                       # each step's return value, or the exception it raised

    @property
    def won(self) -> list[Any]:
        return [r for r in self.results if not isinstance(r, BaseException)]

    def one_wins(self, refusal: type[DomainError] = Conflict) -> tuple[Any, DomainError]:
        """Exactly one step applied and the others were refused as a repeat after it is (a 409
        Conflict unless said otherwise, with a zh-CN message); any other error is raised as it is."""
        for r in self.results:
            if isinstance(r, BaseException) and not isinstance(r, refusal):
                raise r
        refused = [r for r in self.results if isinstance(r, refusal)]
        assert len(self.won) == 1 and len(refused) == len(self.results) - 1, self.results
        loser = refused[0]
        assert loser.status == refusal.status and any("\u4e00" <= ch <= "\u9fff" for ch in loser.message), loser
        return self.won[0], loser


class _Rendezvous:
    """The synchronisation of :func:`race` and :func:`web_race`: ``whoami()`` names the step the
    calling thread works for (None outside the race). A step's first audit entry waits until every
    other step has checked, is taking a lock, or is done."""

    def __init__(self, engine, monkeypatch, n: int, whoami):
        self.engine, self.monkeypatch, self.whoami = engine, monkeypatch, whoami
        self.names = list(range(n))
        self.cond = threading.Condition()
        self.checked: set[int] = set()
        self.locking: set[int] = set()
        self.done: set[int] = set()
        self.real = audit.record_many

    def settled(self, me: int) -> bool:
        return all(o in self.checked or o in self.locking or o in self.done for o in self.names if o != me)

    def record_many(self, session, *args, **kw):
        me = self.whoami()
        if me is not None and me not in self.checked:
            with self.cond:
                self.checked.add(me)
                self.cond.notify_all()
                self.cond.wait_for(lambda: self.settled(me), TIMEOUT_S)
        return self.real(session, *args, **kw)

    def before(self, conn, cursor, statement, params, context, executemany):
        me = self.whoami()
        if me is not None and me not in self.checked and LOCKING.search(statement):
            with self.cond:
                self.locking.add(me)
                self.cond.notify_all()

    def after(self, conn, cursor, statement, params, context, executemany):
        me = self.whoami()
        if me is not None and me in self.locking:
            with self.cond:
                self.locking.discard(me)

    def finished(self, i: int) -> None:
        with self.cond:
            self.locking.discard(i)
            self.done.add(i)
            self.cond.notify_all()

    def __enter__(self):
        self.monkeypatch.setattr(audit, "record_many", self.record_many)
        event.listen(self.engine, "before_cursor_execute", self.before)
        event.listen(self.engine, "after_cursor_execute", self.after)
        return self

    def __exit__(self, *exc):
        event.remove(self.engine, "before_cursor_execute", self.before)
        event.remove(self.engine, "after_cursor_execute", self.after)
        self.monkeypatch.setattr(audit, "record_many", self.real)


def _run_all(n: int, run) -> None:
    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(TIMEOUT_S * 3)


def race(engine, monkeypatch, *steps) -> Outcome:
    """Run every ``step(session)`` at once, each in its own thread and session, committed when it
    returns (rolled back when it raises)."""
    n = len(steps)
    local = threading.local()
    start = threading.Barrier(n)
    results: list[Any] = [None] * n

    with _Rendezvous(engine, monkeypatch, n, lambda: getattr(local, "name", None)) as rv:
        def run(i: int) -> None:
            local.name = i
            session = session_factory(engine)()
            try:
                start.wait(TIMEOUT_S)
                results[i] = steps[i](session)
                session.commit()
            except BaseException as exc:   # noqa: BLE001 - reported to the test
                session.rollback()
                results[i] = exc
            finally:
                session.close()
                rv.finished(i)

        _run_all(n, run)
    return Outcome(results)


#: the step a web request works for, set from its X-Race-Step header by :func:`tag_steps`; the
#: endpoint's worker thread (FastAPI's thread pool) inherits it with the request's context
STEP: ContextVar[int | None] = ContextVar("race_step", default=None)
STEP_HEADER = "x-race-step"


def tag_steps(app):
    """The ASGI ``app`` wrapped so that a request carrying ``X-Race-Step: i`` runs as step ``i`` of
    :func:`web_race` (every other request passes through untouched)."""
    key = STEP_HEADER.encode()

    async def tagged(scope, receive, send):
        value = dict(scope.get("headers") or ()).get(key) if scope["type"] == "http" else None
        if value is None:
            return await app(scope, receive, send)
        token = STEP.set(int(value))
        try:
            return await app(scope, receive, send)
        finally:
            STEP.reset(token)

    return tagged


def web_race(engine, monkeypatch, *requests) -> list[Any]:
    """Send every request at once, each ``(client, method, url, kwargs)`` from its own thread
    through a client of :func:`tag_steps`'s app, synchronised as :func:`race` does; the responses
    (or the exceptions the clients raised) in order."""
    n = len(requests)
    start = threading.Barrier(n)
    results: list[Any] = [None] * n

    with _Rendezvous(engine, monkeypatch, n, STEP.get) as rv:
        def run(i: int) -> None:
            client, method, url, kw = requests[i]
            headers = {**(kw.get("headers") or {}), STEP_HEADER: str(i)}
            try:
                start.wait(TIMEOUT_S)
                results[i] = client.request(method, url, **{**kw, "headers": headers})
            except BaseException as exc:   # noqa: BLE001 - reported to the test
                results[i] = exc
            finally:
                rv.finished(i)

        _run_all(n, run)
    return results


def row_count(session, model, **where) -> int:
    """How many rows of ``model`` have the given column values (what a race must not double)."""
    stmt = select(func.count()).select_from(model)
    for column, value in where.items():
        stmt = stmt.where(getattr(model, column) == value)
    return session.execute(stmt).scalar_one()


def audit_count(session, entity_type: str, entity_id: Any, action: str | None = None) -> int:
    """How many audit entries the chain holds for the entity (of ``action`` when given)."""
    stmt = select(func.count()).select_from(AuditEntry).where(AuditEntry.entity_type == entity_type,
                                                             AuditEntry.entity_id == str(entity_id))
    if action is not None:
        stmt = stmt.where(AuditEntry.action == action)
    return session.execute(stmt).scalar_one()


def chain_holds(session) -> None:
    """The audit chain verifies (read afresh: the test's session may hold the head from before)."""
    session.expire_all()
    result = audit.verify(session)
    assert result.ok, result.message()
