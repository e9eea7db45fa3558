"""Hash-chained audit trail.

Every write through a service calls :func:`record` in the same transaction as the write, so the
entry exists exactly when the change does. Each entry's hash covers its own fields and the previous
entry's hash; :func:`verify` recomputes the chain and names the first entry that was edited,
deleted or reordered.
"""

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from .canonical import sha256_hex
from .locks import write_lock
from .models import AuditEntry, AuditHead, DataHead
from .timeutil import now

GENESIS = "0" * 64


def digest(value: Any) -> str:
    """SHA-256 of the canonical JSON of a state (None for a deletion digests to the hash of null)."""
    return sha256_hex(value)


def _entry_hash(e: AuditEntry) -> str:
    return _hash_fields(e.seq, e.prev_hash, e.actor, e.action, e.entity_type, e.entity_id, e.state_digest, e.at,
                        e.note)


def _hash_fields(seq: int, prev_hash: str, actor: str, action: str, entity_type: str, entity_id: str,
                 state_digest: str, at, note: str) -> str:
    stamp = at.astimezone(UTC).isoformat(timespec="microseconds")
    fields = [str(seq), prev_hash, actor, action, entity_type, entity_id, state_digest, stamp, note]
    return hashlib.sha256("\x1f".join(fields).encode()).hexdigest()


#: from this many entries on, one call writes its entries with one multi-row INSERT (bulk
#: imports, the demo) instead of as ORM objects in the next flush
BULK_ENTRIES = 50


def actor_name(actor: Any) -> str:
    """Accepts an Actor (core.auth), a plain string (CLI/system jobs) or None."""
    if actor is None:
        return "system"
    if isinstance(actor, str):
        return actor
    return getattr(actor, "username", str(actor))


def record(
    session: Session,
    actor: Any,
    action: str,
    entity_type: str,
    entity_id: Any,
    state: Any,
    note: str = "",
    *,
    changes_data: bool = True,
) -> None:
    """Append one entry. ``state`` is the entity's new state (a dict), digested, not stored.
    ``changes_data=False`` for events that change no figure (sign-in, sign-out, tokens, a logged
    read): they are in the chain but leave the data head — and so every cached figure — alone."""
    record_many(session, actor, action, [(entity_type, entity_id, state)], note, changes_data=changes_data)


def record_many(session: Session, actor: Any, action: str, items: list[tuple[str, Any, Any]],
                note: str = "", *, changes_data: bool = True) -> None:
    """Append one entry per (entity_type, entity_id, state).

    A few entries (a request's write) join the session at once and are linked into the chain at
    the transaction's next flush (:func:`_link`, usually the commit's): the chain's head is locked
    there, right before the entries and the heads are written — not here, where a request that
    went on after recording (more queries, rendering) held the lock all that time while every
    other writer and every sign-in waited (20 sessions on average in that queue under the
    200-officer load test). From ``BULK_ENTRIES`` on (bulk imports, the demo) the head is locked
    now and the entries go in one multi-row INSERT; inside :func:`batched` they wait for the
    batch's INSERT. Data-changing entries also move the data head (``DataHead``, what
    ``core.cache`` keys cached figures to)."""
    if not items:
        return
    name, at, note = actor_name(actor), now(), note or ""
    batch = _batch(session)
    if batch is not None or len(items) >= BULK_ENTRIES:
        rows = [({"actor": name, "action": action, "entity_type": entity_type, "entity_id": str(entity_id),
                  "state_digest": digest(state), "at": at, "note": note}, changes_data)
                for entity_type, entity_id, state in items]
        if batch is None:
            _write_rows(session, rows)
            return
        batch.extend(rows)
        if changes_data:
            session.info["data_head_tx"] = session.get_transaction()   # core.cache: this transaction writes data
        if len(batch) >= BATCH_ENTRIES:
            _write_batch(session)
        return
    session.connection()                     # begin the transaction, so it can be told apart
    tx = session.get_transaction()
    pending = session.info.get("audit_pending")
    if pending is None or pending[0] is not tx:
        pending = session.info["audit_pending"] = (tx, [])
    entries = [AuditEntry(actor=name, action=action, entity_type=entity_type, entity_id=str(entity_id),
                          state_digest=digest(state), at=at, note=note) for entity_type, entity_id, state in items]
    pending[1].extend((e, changes_data) for e in entries)
    if changes_data:
        session.info["data_head_tx"] = tx    # core.cache: this transaction writes data
    session.add_all(entries)


def _write_rows(session: Session, rows: list[tuple[dict, bool]]) -> None:
    """Chain ``rows`` (entries without seq and hashes, each with its changes-data flag) after the
    head and write them with one multi-row INSERT; move the heads."""
    _link_pending(session)                   # what this transaction recorded before comes first
    head = _head(session)
    seq, prev, last_data = head.seq, head.entry_hash, None
    for row, changes_data in rows:
        seq += 1
        row["seq"], row["prev_hash"] = seq, prev
        prev = row["entry_hash"] = _hash_fields(**row)
        if changes_data:
            last_data = (seq, prev)
    # the table's INSERT, not the ORM's bulk insert: the rows are complete, and the ORM's per-row
    # bookkeeping was half the time of writing a demo build's hundred thousand entries
    session.connection().execute(AuditEntry.__table__.insert(), [row for row, _ in rows])
    head.seq, head.entry_hash = seq, prev
    if last_data is not None:
        data = _data_head(session)
        data.seq, data.entry_hash = last_data


#: a batch (:func:`batched`) is written when it holds this many entries
BATCH_ENTRIES = 2000


@contextmanager
def batched(session: Session) -> Iterator[None]:
    """Entries recorded in the block are chained and written together — every ``BATCH_ENTRIES``,
    at the block's end and before a commit — in multi-row INSERTs, instead of one entry per
    write linked at each flush (three more statements in each). For long runs of small writes in
    one transaction (the demo's stages): the same entries in the same order, in the same
    transaction as their writes; only a query inside the block does not see the entries not
    written yet. A rolled-back transaction drops them with its writes."""
    if session.info.get("audit_batch") is not None:
        yield                                # nested: the outer block writes
        return
    session.connection()
    session.info["audit_batch"] = (session.get_transaction(), [])
    try:
        yield
        _write_batch(session)
    finally:
        session.info.pop("audit_batch", None)


def _batch(session: Session) -> list | None:
    """The open batch, if any, bound to the running transaction (a commit in the block wrote the
    entries before, a rollback dropped them). None inside a savepoint: a savepoint rolled back
    must take its entries with it, so they take the usual way (linked at the flush)."""
    b = session.info.get("audit_batch")
    if b is None or session.in_nested_transaction():
        return None
    session.connection()                     # begin the transaction, so it can be told apart
    tx = session.get_transaction()
    if b[0] is not tx:
        b = session.info["audit_batch"] = (tx, [])
    return b[1]


def _write_batch(session: Session) -> None:
    b = session.info.get("audit_batch")
    if b is not None and b[1] and b[0] is session.get_transaction():
        rows = list(b[1])
        b[1].clear()
        _write_rows(session, rows)


@event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    """A commit inside a batch block writes the batch first (the entries commit with their data)."""
    _write_batch(session)


@event.listens_for(Session, "before_flush")
def _link(session: Session, _flush_context, _instances) -> None:
    """The flush writes the transaction's pending entries: chain them first."""
    _link_pending(session)


def _link_pending(session: Session) -> None:
    """Chain the transaction's pending entries, in the order they were recorded, and move the
    heads. Entries of a rolled-back transaction left the session with it (and their pending list
    belongs to that transaction only)."""
    pending = session.info.get("audit_pending")
    if not pending or not pending[1] or pending[0] is not session.get_transaction():
        return
    items = [(e, c) for e, c in pending[1] if e in session]
    pending[1].clear()
    if not items:
        return
    head = _head(session)
    data = None
    for entry, changes_data in items:
        entry.seq, entry.prev_hash = head.seq + 1, head.entry_hash
        entry.entry_hash = _entry_hash(entry)
        head.seq, head.entry_hash = entry.seq, entry.entry_hash
        if changes_data:
            data = data or _data_head(session)
            data.seq, data.entry_hash = head.seq, head.entry_hash


def _head(session: Session) -> AuditHead:
    """The chain's head row, locked (SELECT … FOR UPDATE) by the first entry of the transaction;
    later entries of the same transaction reuse it without another round trip."""
    session.connection()                     # begin the transaction, so it can be told apart
    return _locked_row(session, AuditHead, "audit_head")


def _data_head(session: Session) -> DataHead:
    """The data head row, locked like the chain's head (always after it, so writers take the two
    locks in one order) and kept in the session for the rest of the transaction."""
    data = _locked_row(session, DataHead, "data_head")
    session.info["data_head_tx"] = session.get_transaction()   # core.cache: this transaction writes data
    return data


def _locked_row(session: Session, model, key: str):
    """Row 1 of a head table (``AuditHead``/``DataHead``), locked once per transaction and kept in
    ``session.info[key]``. populate_existing: a session kept across commits holds the row as it
    was then; another session may have moved it on since."""
    tx = session.get_transaction()
    row = session.info.get(key)
    if row is not None and session.info.get(f"{key}_row_tx") is tx and row in session:
        return row
    write_lock(session)                      # SQLite: the head is read inside the write transaction
    row = session.execute(select(model).where(model.id == 1).with_for_update()
                          .execution_options(populate_existing=True)).scalar_one_or_none()
    if row is None:
        row = model(id=1, seq=0, entry_hash=GENESIS)
        session.add(row)
    session.info[key], session.info[f"{key}_row_tx"] = row, tx
    return row


@dataclass
class VerifyResult:
    ok: bool
    checked: int
    first_bad_seq: int | None = None
    reason: str = ""

    def message(self) -> str:
        if self.ok:
            return f"审计链完整：共校验 {self.checked} 条记录"
        return f"审计链在第 {self.first_bad_seq} 条记录处断裂：{self.reason}"


def verify(session: Session, batch: int = 5000) -> VerifyResult:
    prev_hash, expected_seq, checked = GENESIS, 1, 0
    last_seq = 0
    stmt = select(AuditEntry).order_by(AuditEntry.seq).execution_options(yield_per=batch)
    for e in session.execute(stmt).scalars():
        if e.seq != expected_seq:
            return VerifyResult(False, checked, expected_seq, f"缺少第 {expected_seq} 条记录（已被删除）")
        if e.prev_hash != prev_hash:
            return VerifyResult(False, checked, e.seq, "前一条记录的哈希不符（记录被删除、插入或调换顺序）")
        if _entry_hash(e) != e.entry_hash:
            return VerifyResult(False, checked, e.seq, "记录内容与其哈希不符（记录被修改）")
        prev_hash, expected_seq, checked, last_seq = e.entry_hash, e.seq + 1, checked + 1, e.seq
    head = session.get(AuditHead, 1)
    if head is not None and (head.seq != last_seq or head.entry_hash != prev_hash):
        return VerifyResult(False, checked, last_seq + 1, f"链尾缺失：应有 {head.seq} 条记录，仅存 {last_seq} 条")
    return VerifyResult(True, checked)


def history(session: Session, entity_type: str, entity_id: Any) -> list[AuditEntry]:
    stmt = (
        select(AuditEntry)
        .where(AuditEntry.entity_type == entity_type, AuditEntry.entity_id == str(entity_id))
        .order_by(AuditEntry.seq)
    )
    return list(session.execute(stmt).scalars())
