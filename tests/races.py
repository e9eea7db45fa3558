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


def race(engine, monkeypatch, *steps) -> Outcome:
    """Run every ``step(session)`` at once, each in its own thread and session, committed when it
    returns (rolled back when it raises)."""
    n = len(steps)
    names = list(range(n))
    cond = threading.Condition()
    checked: set[int] = set()
    locking: set[int] = set()
    done: set[int] = set()
    local = threading.local()
    start = threading.Barrier(n)
    results: list[Any] = [None] * n

    def settled(me: int) -> bool:
        return all(o in checked or o in locking or o in done for o in names if o != me)

    real = audit.record_many

    def record_many(session, *args, **kw):
        me = getattr(local, "name", None)
        if me is not None and me not in checked:
            with cond:
                checked.add(me)
                cond.notify_all()
                cond.wait_for(lambda: settled(me), TIMEOUT_S)
        return real(session, *args, **kw)

    def before(conn, cursor, statement, params, context, executemany):
        me = getattr(local, "name", None)
        if me is not None and me not in checked and LOCKING.search(statement):
            with cond:
                locking.add(me)
                cond.notify_all()

    def after(conn, cursor, statement, params, context, executemany):
        me = getattr(local, "name", None)
        if me is not None and me in locking:
            with cond:
                locking.discard(me)

    def run(i: int, step) -> None:
        local.name = i
        session = session_factory(engine)()
        try:
            start.wait(TIMEOUT_S)
            results[i] = step(session)
            session.commit()
        except BaseException as exc:   # noqa: BLE001 - reported to the test
            session.rollback()
            results[i] = exc
        finally:
            session.close()
            with cond:
                locking.discard(i)
                done.add(i)
                cond.notify_all()

    monkeypatch.setattr(audit, "record_many", record_many)
    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    try:
        threads = [threading.Thread(target=run, args=(i, s)) for i, s in enumerate(steps)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(TIMEOUT_S * 3)
    finally:
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)
        monkeypatch.setattr(audit, "record_many", real)
    return Outcome(results)


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
