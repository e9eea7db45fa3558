"""Summary tables the database keeps itself: per (month, agency …) sums of the records' additive
figures, maintained by triggers in the same transaction as every write that changes a record
(ORM saves, bulk inserts, raw SQL alike), so a period's figures are sums over a few thousand
summary rows instead of a scan of every record of the period.

A summary is declared once (``Summary``: its table, key and value columns, and the ``Part``s a
record contributes); from the declaration come the triggers for SQLite and PostgreSQL
(``ddl``) and the rebuild from the records (``rebuild``: the migration's backfill, and the
check that the maintained rows equal a fresh computation). A trigger subtracts a row's old
contribution and adds its new one (INSERT: new only; DELETE: old only; UPDATE that changes a
column the contribution watches: both), each contribution an upsert that adds to the summary row.

Expressions are SQL templates over aliases — ``{c}.filed_on`` — with ``{ym_date:…}``-style
helpers for the month of a date (``ym_date``) or of a stored UTC time in Beijing
(``ym_local``), so one declaration serves both dialects. A part may read a second table (an
inspection record's task): ``link`` joins the two aliases, and the part is given a trigger on
each table, so a change of either row (a task moved to another agency) moves its sums.

Months are ``year * 100 + month`` integers. A changed declaration needs a migration that drops
and recreates the triggers and rebuilds the table (``install``).

Writers only append. A trigger does not add to the kept row of its (month, agency) — that row
would stay locked until the writer's commit, and two writers of one county's month would then
each hold a summary row the other needs while waiting for the audit chain's head (locked at each
commit's flush): a deadlock PostgreSQL breaks by failing one request. A trigger instead inserts its
contribution into the summary's *delta* table (``<table>_delta``: the same columns, no key), which
takes no lock another writer waits for. Readers sum the kept rows and the deltas together
(:func:`folded`, one statement, so one snapshot); :func:`fold` moves the deltas into the kept rows
(one folder at a time), after every ``FOLD_EVERY`` commits of a process once a delta table holds
``FOLD_ROWS`` rows, and at the end of a demo build or a rebuild.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from sqlalchemy import Column, Table, event, func, select, text, union_all
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session
from sqlalchemy.sql import Subquery

log = logging.getLogger(__name__)

#: a process looks at its delta tables after this many commits …
FOLD_EVERY = 64
#: … and folds those holding at least this many rows (readers add them up until then)
FOLD_ROWS = 2000

#: Beijing time has had no daylight saving since 1991: a fixed offset in SQLite
LOCAL_OFFSET_HOURS = 8
LOCAL_ZONE = "Asia/Shanghai"


def ym_date(dialect: str, col: str) -> str:
    """The month (yyyymm) of a DATE column."""
    if dialect == "sqlite":
        return f"CAST(strftime('%Y%m', {col}) AS INTEGER)"
    return f"CAST(to_char({col}, 'YYYYMM') AS INTEGER)"


def ym_local(dialect: str, col: str) -> str:
    """The month (yyyymm) in Beijing of a time stored as UTC (core.db.TZDateTime). SQLite rounds
    times to the millisecond, which would carry 23:59:59.9995 into the next day: the fraction is
    cut off first (a month starts at a whole second, so cutting it cannot cross a boundary)."""
    if dialect == "sqlite":
        return f"CAST(strftime('%Y%m', substr({col}, 1, 19), '+{LOCAL_OFFSET_HOURS} hours') AS INTEGER)"
    return f"CAST(to_char({col} AT TIME ZONE '{LOCAL_ZONE}', 'YYYYMM') AS INTEGER)"


def ymd_local(dialect: str, col: str) -> str:
    """The day (yyyymmdd) in Beijing of a time stored as UTC (the fraction cut off first, as in
    ``ym_local``)."""
    if dialect == "sqlite":
        return f"CAST(strftime('%Y%m%d', substr({col}, 1, 19), '+{LOCAL_OFFSET_HOURS} hours') AS INTEGER)"
    return f"CAST(to_char({col} AT TIME ZONE '{LOCAL_ZONE}', 'YYYYMMDD') AS INTEGER)"


def ymd(d) -> int:
    """A date as the yyyymmdd integer ``ymd_local`` keys rows by."""
    return d.year * 10000 + d.month * 100 + d.day


def within_hours(dialect: str, start: str, end: str, hours: int) -> str:
    """``end - start <= hours`` exactly (to the microsecond; SQLite's julianday is a float)."""
    if dialect == "sqlite":
        def usec(x: str) -> str:
            return (f"(CAST(strftime('%s', substr({x}, 1, 19)) AS INTEGER) * 1000000 + CASE WHEN instr({x}, '.') > 0 "
                    f"THEN CAST(substr(substr({x}, instr({x}, '.') + 1) || '000000', 1, 6) AS INTEGER) ELSE 0 END)")
        return f"({usec(end)} - {usec(start)} <= {hours * 3600 * 1_000_000})"
    return f"({end} - {start} <= interval '{hours} hours')"


@dataclass(frozen=True)
class Part:
    """What one record (or joined pair of records) adds to a summary: key expressions (in the
    summary's key order), value expressions by column, and the condition under which it counts.
    ``tables``: alias → table; the first alias is the record itself, a second one is joined by
    ``link``. Templates use ``{alias}`` for the alias and ``{dialect}``-free SQL; dialect-specific
    pieces come from ``exprs(dialect)``."""

    tables: Mapping[str, str]
    exprs: object              # Callable[[str], tuple[tuple[str, ...], dict[str, str], str]]
    link: str = ""
    #: columns of each table whose update changes this part (alias → columns)
    watch: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class Summary:
    table: str
    keys: tuple[str, ...]
    columns: tuple[str, ...]
    parts: tuple[Part, ...]

    # --- SQL ---------------------------------------------------------------------------------

    def _select(self, dialect: str, part: Part, refs: Mapping[str, str], sign: int, from_: str) -> str:
        keys, values, cond = part.exprs(dialect)          # type: ignore[operator]
        fmt = lambda s: s.format(**refs)  # noqa: E731
        key_sql = [fmt(k) for k in keys]
        cols = [f"SUM({fmt(values[c])})" + ("" if sign > 0 else " * -1") if c in values else "0"
                for c in self.columns]
        where = " AND ".join(f"({fmt(c)})" for c in (cond, *[f"{k} IS NOT NULL" for k in keys]) if c)
        group = ", ".join(key_sql)
        return (f"SELECT {', '.join(key_sql + cols)} {from_} WHERE {where} GROUP BY {group}")

    @property
    def delta(self) -> str:
        return f"{self.table}_delta"

    def _upsert(self, select_sql: str) -> str:
        return _upsert_sql(self.table, self.keys, self.columns, select_sql)

    def _append(self, select_sql: str) -> str:
        """What a trigger writes: its contribution appended to the delta table (module doc)."""
        return f"INSERT INTO {self.delta} ({', '.join((*self.keys, *self.columns))}) {select_sql}"

    def _row_statements(self, dialect: str, part: Part, alias: str, row: str, sign: int) -> str:
        """The delta of ``row`` (NEW/OLD) of the table ``alias`` stands for."""
        refs = {a: (row if a == alias else a) for a in part.tables}
        others = [f"{t} {a}" for a, t in part.tables.items() if a != alias]
        from_ = f"FROM {', '.join(others)}" if others else ""
        sel = self._select(dialect, part, refs, sign, from_)
        if part.link:
            sel = sel.replace(" WHERE ", f" WHERE ({part.link.format(**refs)}) AND ", 1)
        return self._append(sel)

    def _triggers(self) -> dict[str, list[tuple[int, Part, str]]]:
        """source table → [(part's index, part, alias of that table in the part)]"""
        out: dict[str, list[tuple[int, Part, str]]] = {}
        for i, part in enumerate(self.parts):
            for alias, table in part.tables.items():
                out.setdefault(table, []).append((i, part, alias))
        return out

    def ddl(self, dialect: str) -> list[str]:
        """CREATE statements of the triggers keeping the table (after the table exists). An update
        runs a part only when one of the columns it watches has changed value (SQLite: a trigger
        per part with UPDATE OF and WHEN; PostgreSQL: one function per source table with a test
        per part), so the many writes that change other columns (a case's stage, a record's
        draft) cost nothing."""
        out = []
        for table, parts in self._triggers().items():
            if dialect == "sqlite":
                for i, part, alias in parts:
                    name = f"trg_{self.table}__{table}_{i}"
                    old = self._row_statements(dialect, part, alias, "OLD", -1)
                    new = self._row_statements(dialect, part, alias, "NEW", 1)
                    watch = part.watch.get(alias, ())
                    out.append(f"CREATE TRIGGER {name}_ins AFTER INSERT ON {table} BEGIN {new}; END")
                    out.append(f"CREATE TRIGGER {name}_del AFTER DELETE ON {table} BEGIN {old}; END")
                    if watch:
                        changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in watch)
                        out.append(f"CREATE TRIGGER {name}_upd AFTER UPDATE OF {', '.join(watch)} ON {table} "
                                   f"WHEN {changed} BEGIN {old}; {new}; END")
                continue
            name = f"trg_{self.table}__{table}"
            watch_all = sorted({c for _, part, alias in parts for c in part.watch.get(alias, ())})
            body = []
            for _, part, alias in parts:
                changed = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in part.watch.get(alias, ())) or "false"
                body.append(f"IF TG_OP <> 'UPDATE' OR ({changed}) THEN "
                            f"IF TG_OP IN ('UPDATE', 'DELETE') THEN {self._row_statements(dialect, part, alias, 'OLD', -1)}; "
                            f"END IF; IF TG_OP IN ('UPDATE', 'INSERT') THEN "
                            f"{self._row_statements(dialect, part, alias, 'NEW', 1)}; END IF; END IF;")
            out.append(f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                       + " ".join(body) + " RETURN NULL; END $$")
            out.append(f"CREATE TRIGGER {name} AFTER INSERT OR DELETE OR UPDATE OF {', '.join(watch_all)} "
                       f"ON {table} FOR EACH ROW EXECUTE FUNCTION {name}()")
        return out

    def drop_ddl(self, dialect: str) -> list[str]:
        out = []
        for table, parts in self._triggers().items():
            if dialect == "sqlite":
                out += [f"DROP TRIGGER IF EXISTS trg_{self.table}__{table}_{i}_{op}"
                        for i, _, _ in parts for op in ("ins", "del", "upd")]
            else:
                name = f"trg_{self.table}__{table}"
                out += [f"DROP TRIGGER IF EXISTS {name} ON {table}", f"DROP FUNCTION IF EXISTS {name}()"]
        return out

    def backfill_sql(self, dialect: str) -> list[str]:
        """INSERT … SELECT of every record's contribution (into an empty table)."""
        out = []
        for part in self.parts:
            aliases = list(part.tables)
            first = aliases[0]
            from_ = f"FROM {part.tables[first]} {first}" + "".join(
                f" JOIN {part.tables[a]} {a} ON {part.link.format(**{x: x for x in aliases})}" for a in aliases[1:])
            out.append(self._upsert(self._select(dialect, part, {a: a for a in aliases}, 1, from_)))
        return out


def _upsert_sql(table: str, keys: tuple[str, ...], columns: tuple[str, ...], select_sql: str) -> str:
    cols = ", ".join((*keys, *columns))
    sets = ", ".join(f"{c} = {table}.{c} + excluded.{c}" for c in columns)
    return f"INSERT INTO {table} ({cols}) {select_sql} ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {sets}"


def delta_table(kept: Table) -> Table:
    """The delta table of a kept summary table (module doc): its columns, no key, no index — it
    holds at most a few thousand rows between folds, read whole."""
    return Table(f"{kept.name}_delta", kept.metadata,
                 *[Column(c.name, c.type, nullable=False) for c in kept.columns])


def _kept_tables() -> list[tuple[Table, Table]]:
    from .db import Base, load_all_models

    load_all_models()
    tables = Base.metadata.tables
    return [(t, tables[f"{name}_delta"]) for name, t in sorted(tables.items()) if f"{name}_delta" in tables]


def rows(kept: Table, where: Callable[[Table], object] | None = None) -> Subquery:
    """The kept rows and the deltas not folded yet, side by side (a key may appear more than once):
    what a reader *sums*, as it would the kept table. ``where(table)`` filters both (by key
    columns). One statement reads both, so a fold committing meanwhile is seen whole or not at all."""
    delta = kept.metadata.tables[f"{kept.name}_delta"]
    arms = []
    for t in (kept, delta):
        arm = select(*[t.c[c.name] for c in kept.columns])
        arms.append(arm.where(where(t)) if where is not None else arm)
    return union_all(*arms).subquery(f"{kept.name}_rows")


def folded(kept: Table, where: Callable[[Table], object] | None = None) -> Subquery:
    """:func:`rows` added up per key — one row per key, what a reader *counts* or compares (a
    firm's records in a month > 0), as it would the kept table."""
    both = rows(kept, where)
    keys = [c.name for c in kept.primary_key.columns]
    values = [c.name for c in kept.columns if not c.primary_key]
    return (select(*[both.c[k] for k in keys], *[func.sum(both.c[v]).label(v) for v in values])
            .group_by(*[both.c[k] for k in keys]).subquery(kept.name))


def fold(session: Session, kept: Table) -> int:
    """Move the delta rows into the kept rows, in ``session``'s transaction (the caller commits).
    Rows a writer appends meanwhile stay for the next fold; a second folder waits (SQLite: the
    write lock) or skips (PostgreSQL: advisory lock). Returns the delta rows folded."""
    from .locks import write_lock

    delta = kept.metadata.tables[f"{kept.name}_delta"]
    keys = tuple(c.name for c in kept.primary_key.columns)
    values = tuple(c.name for c in kept.columns if not c.primary_key)
    sums = ", ".join((*keys, *[f"SUM({v})" for v in values]))
    order = ", ".join(keys)
    if session.get_bind().dialect.name == "postgresql":
        if not session.execute(text("SELECT pg_try_advisory_xact_lock(hashtext(:k))"),
                               {"k": f"summary.fold:{kept.name}"}).scalar():
            return 0
        n = session.execute(text(f"SELECT count(*) FROM {delta.name}")).scalar_one()
        # one statement: the rows it deletes are exactly the rows it adds up
        session.execute(text(
            f"WITH d AS (DELETE FROM {delta.name} RETURNING *) "
            + _upsert_sql(kept.name, keys, values, f"SELECT {sums} FROM d GROUP BY {order} ORDER BY {order}")))
        return n
    write_lock(session)                      # SQLite: nobody appends between the two statements
    n = session.execute(text(f"SELECT count(*) FROM {delta.name}")).scalar_one()
    if n:
        session.execute(text(_upsert_sql(kept.name, keys, values,
                                         f"SELECT {sums} FROM {delta.name} WHERE 1 GROUP BY {order}")))
        session.execute(text(f"DELETE FROM {delta.name}"))
    return n


def fold_all(session: Session, min_rows: int = 1) -> int:
    """Fold every kept summary whose delta table holds at least ``min_rows`` rows."""
    total = 0
    for kept, delta in _kept_tables():
        if min_rows <= 1 or session.execute(select(func.count()).select_from(delta)).scalar_one() >= min_rows:
            total += fold(session, kept)
    return total


_commits = itertools.count(1)


@event.listens_for(Session, "after_commit")
def _fold_now_and_then(session: Session) -> None:
    """Every ``FOLD_EVERY`` commits of this process, fold the delta tables that have grown to
    ``FOLD_ROWS`` rows — on a session of its own, after the writer's commit (which took no lock a
    fold needs). A failure leaves the deltas for the next time (readers add them in anyway)."""
    if next(_commits) % FOLD_EVERY or session.info.get("summary_folding"):
        return
    from .db import session_factory

    bind = session.get_bind()
    other = session_factory(getattr(bind, "engine", bind))()
    other.info["summary_folding"] = True
    try:
        if fold_all(other, FOLD_ROWS):
            other.commit()
    except Exception:                        # noqa: BLE001 - folding again later is harmless
        log.exception("folding the summary deltas failed")
    finally:
        other.rollback()
        other.close()


def rebuild(conn: Connection, summary: Summary) -> None:
    """Recompute the summary table from the records (the backfill of an existing database); the
    deltas are in the records, so they go."""
    dialect = conn.dialect.name
    conn.execute(text(f"DELETE FROM {summary.table}"))
    conn.execute(text(f"DELETE FROM {summary.delta}"))
    for stmt in summary.backfill_sql(dialect):
        conn.execute(text(stmt))


def install(conn: Connection, summary: Summary) -> None:
    """(Re)create the delta table and the triggers and fill the table from the records, in one
    transaction. Nothing while the kept table does not exist yet: an earlier migration installing
    today's declaration before the migration that creates its table (the one that does installs)."""
    from sqlalchemy import inspect

    from .db import Base, load_all_models

    if not inspect(conn).has_table(summary.table):
        return
    load_all_models()
    Base.metadata.tables[summary.delta].create(conn, checkfirst=True)
    dialect = conn.dialect.name
    for stmt in summary.drop_ddl(dialect) + summary.ddl(dialect):
        conn.execute(text(stmt))
    rebuild(conn, summary)


def uninstall(conn: Connection, summary: Summary) -> None:
    for stmt in summary.drop_ddl(conn.dialect.name):
        conn.execute(text(stmt))
    conn.execute(text(f"DROP TABLE IF EXISTS {summary.delta}"))


def months(start, end) -> tuple[tuple[int, int] | None, list[tuple]]:
    """Split the days ``start``..``end`` into the whole calendar months inside them — (first,
    last) as yyyymm, or None — and the leftover day ranges at either edge, read from the records."""
    from datetime import date, timedelta

    first = start if start.day == 1 else (date(start.year + (start.month == 12), start.month % 12 + 1, 1))
    after = end + timedelta(days=1)
    stop = date(after.year, after.month, 1)           # first day of the month after the last whole one
    if first >= stop:
        return None, [(start, end)]
    last = stop - timedelta(days=1)
    edges = []
    if start < first:
        edges.append((start, first - timedelta(days=1)))
    if last < end:
        edges.append((last + timedelta(days=1), end))
    return (first.year * 100 + first.month, last.year * 100 + last.month), edges
