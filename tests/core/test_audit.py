import pytest
from sqlalchemy import delete, select, update

from greensword.core import audit
from greensword.core.models import AuditEntry

pytestmark = pytest.mark.db


def _entries(db):
    return list(db.execute(select(AuditEntry).order_by(AuditEntry.seq)).scalars())


def test_chain_verifies_after_service_writes(db, world):
    result = audit.verify(db)
    assert result.ok, result.message()
    assert result.checked == len(_entries(db)) > 20


@pytest.mark.parametrize("column", ["actor", "action", "entity_type", "entity_id", "state_digest", "note"])
def test_editing_any_column_of_any_row_is_detected(db, world, column):
    entries = _entries(db)
    for target in (entries[0], entries[len(entries) // 2], entries[-1]):
        original = getattr(target, column)
        # Change one character (same length: the digest column is fixed-width on PostgreSQL).
        tampered = original[:-1] + ("0" if original[-1:] != "0" else "1") if original else "x"
        db.execute(update(AuditEntry).where(AuditEntry.seq == target.seq).values({column: tampered}))
        db.expire_all()
        result = audit.verify(db)
        assert not result.ok and result.first_bad_seq == target.seq, (column, target.seq, result)
        db.execute(update(AuditEntry).where(AuditEntry.seq == target.seq).values({column: original}))
        db.expire_all()
        assert audit.verify(db).ok


def test_editing_time_is_detected(db, world):
    e = _entries(db)[5]
    db.execute(update(AuditEntry).where(AuditEntry.seq == e.seq).values(at=e.at.replace(year=e.at.year - 1)))
    db.expire_all()
    assert audit.verify(db).first_bad_seq == e.seq


def test_deleting_a_row_is_detected(db, world):
    db.execute(delete(AuditEntry).where(AuditEntry.seq == 7))
    result = audit.verify(db)
    assert not result.ok and result.first_bad_seq == 7


def test_deleting_the_last_row_is_detected(db, world):
    last = _entries(db)[-1].seq
    db.execute(delete(AuditEntry).where(AuditEntry.seq == last))
    result = audit.verify(db)
    assert not result.ok and result.first_bad_seq == last


def test_swapping_two_rows_is_detected(db, world):
    a, b = _entries(db)[3:5]
    fields = ["actor", "action", "entity_type", "entity_id", "state_digest", "at", "note", "entry_hash", "prev_hash"]
    va = {f: getattr(a, f) for f in fields}
    vb = {f: getattr(b, f) for f in fields}
    db.execute(update(AuditEntry).where(AuditEntry.seq == a.seq).values({**vb, "entry_hash": "tmp"}))
    db.execute(update(AuditEntry).where(AuditEntry.seq == b.seq).values(va))
    db.execute(update(AuditEntry).where(AuditEntry.seq == a.seq).values(entry_hash=vb["entry_hash"]))
    db.expire_all()
    result = audit.verify(db)
    assert not result.ok and result.first_bad_seq == a.seq


def test_rehashing_an_edited_row_still_breaks_the_next_link(db, world):
    e = _entries(db)[2]
    e.actor = "mallory"
    e.entry_hash = audit._entry_hash(e)
    db.flush()
    result = audit.verify(db)
    assert not result.ok and result.first_bad_seq == e.seq + 1


def test_cli_audit_verify_exit_codes(engine, world, monkeypatch, db):
    from typer.testing import CliRunner

    from greensword.cli import app

    monkeypatch.setattr("greensword.core.db.get_engine", lambda: engine)
    runner = CliRunner()
    assert runner.invoke(app, ["audit", "verify"]).exit_code == 0
    db.execute(update(AuditEntry).where(AuditEntry.seq == 4).values(actor="x"))
    db.commit()
    r = runner.invoke(app, ["audit", "verify"])
    assert r.exit_code == 1
    assert "第 4 条" in r.output


def test_chain_stays_valid_when_long_lived_sessions_interleave(engine):
    """A session kept across commits (a worker's job, the demo) must not reuse the chain head it
    read in an earlier transaction after another session moved it on."""
    from greensword.core import audit
    from greensword.core.db import session_factory

    a, b = session_factory(engine)(), session_factory(engine)()
    audit.record(a, "a", "t.one", "thing", 1, {"n": 1})
    a.commit()
    audit.record(b, "b", "t.two", "thing", 2, {"n": 2})
    b.commit()
    audit.record(a, "a", "t.three", "thing", 3, {"n": 3})
    a.commit()
    result = audit.verify(a)
    a.close()
    b.close()
    assert result.ok and result.checked == 3, result.message()


def test_head_is_locked_at_the_flush_not_when_the_entry_is_recorded(engine):
    """The chain's head is read (and locked, on PostgreSQL) when the transaction writes its
    entries, not when a service records one: a request that goes on after recording (queries,
    rendering) no longer holds every other writer and every sign-in behind it."""
    from sqlalchemy import event

    from greensword.core import audit
    from greensword.core.db import session_factory

    seen: list[str] = []

    def spy(_conn, _cursor, statement, *_args):
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", spy)
    a, b = session_factory(engine)(), session_factory(engine)()
    try:
        audit.record(a, "a", "t.slow", "thing", 1, {"n": 1})
        assert not [s for s in seen if "audit_head" in s]
        audit.record(b, "b", "t.fast", "thing", 2, {"n": 2})   # another request writes meanwhile
        b.commit()
        a.commit()
        assert any("audit_head" in s for s in seen)
        assert a.execute(select(AuditEntry.seq).where(AuditEntry.action == "t.slow")).scalar_one() == 2
        result = audit.verify(a)
        assert result.ok and result.checked == 2, result.message()
        audit.record(a, "a", "t.gone", "thing", 3, {"n": 3})
        a.rollback()
        assert audit.verify(a).checked == 2
    finally:
        event.remove(engine, "before_cursor_execute", spy)
        a.close()
        b.close()


def test_batched_entries_written_at_the_end_in_record_order(engine):
    """In a batch block entries wait and go in one INSERT at its end: the same chain as one entry
    per flush — order as recorded, after what the transaction recorded before; a flush in the
    block writes none of them; the data head moves to the last data-changing entry only."""
    from sqlalchemy import event

    from greensword.core.db import session_factory
    from greensword.core.models import AuditHead, DataHead

    seen: list[str] = []

    def spy(_conn, _cursor, statement, *_args):
        seen.append(statement)

    s = session_factory(engine)()
    try:
        audit.record(s, "a", "t.before", "thing", 0, {"n": 0})          # pending, linked at a flush
        event.listen(engine, "before_cursor_execute", spy)
        with audit.batched(s):
            for i in range(1, 4):
                audit.record(s, "a", f"t.in{i}", "thing", i, {"n": i})
                s.flush()
            with audit.batched(s):                                       # nested: the outer block writes
                audit.record(s, "a", "t.nested", "thing", 9, {"n": 9})
            audit.record(s, "a", "t.sign_in", "user", "a", {}, changes_data=False)
            assert s.execute(select(AuditEntry.action).order_by(AuditEntry.seq)).scalars().all() == ["t.before"]
        inserts = [x for x in seen if "INSERT INTO audit_entry" in x]
        assert len(inserts) == 2                                         # t.before's flush, the batch's one
        s.commit()
        actions = s.execute(select(AuditEntry.action).order_by(AuditEntry.seq)).scalars().all()
        assert actions == ["t.before", "t.in1", "t.in2", "t.in3", "t.nested", "t.sign_in"]
        assert s.get(AuditHead, 1).seq == 6
        nested = s.execute(select(AuditEntry).where(AuditEntry.action == "t.nested")).scalar_one()
        assert s.get(DataHead, 1).seq == 5 and s.get(DataHead, 1).entry_hash == nested.entry_hash
        result = audit.verify(s)
        assert result.ok and result.checked == 6, result.message()
        single = audit.record(s, "a", "t.after", "thing", 7, {"n": 7}) or s.commit()
        assert single is None and audit.verify(s).checked == 7
    finally:
        event.remove(engine, "before_cursor_execute", spy)
        s.close()


def test_batch_commits_with_its_transaction_and_rolls_back_with_it(engine):
    """A commit inside the block writes the entries with the data; a rollback drops them; the
    block then goes on in the next transaction."""
    from greensword.core.db import session_factory

    s = session_factory(engine)()
    try:
        with audit.batched(s):
            audit.record(s, "a", "t.kept", "thing", 1, {"n": 1})
            s.commit()
            assert audit.verify(s).checked == 1
            audit.record(s, "a", "t.gone", "thing", 2, {"n": 2})
            s.rollback()
            audit.record(s, "a", "t.next", "thing", 3, {"n": 3})
        s.commit()
        actions = s.execute(select(AuditEntry.action).order_by(AuditEntry.seq)).scalars().all()
        assert actions == ["t.kept", "t.next"]
        assert audit.verify(s).ok
    finally:
        s.close()
