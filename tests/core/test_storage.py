"""The one content-addressed store (inspection evidence, case documents) and the one
fetch-or-404-with-jurisdiction helper."""

import hashlib

import pytest

from greensword.core.auth import Actor, get_in_scope
from greensword.core.errors import Conflict, NotFound, PermissionDenied
from greensword.core.storage import ContentStore
from greensword.registry.models import Agency, Enterprise
from greensword.settings import get_settings


def test_put_is_content_addressed_idempotent_and_laid_out_by_area():
    docs = ContentStore("documents", ".docx")
    data = "处罚决定书".encode()
    sha = docs.put(data)
    assert sha == hashlib.sha256(data).hexdigest()
    assert docs.path(sha) == get_settings().evidence_path / "documents" / sha[:2] / f"{sha}.docx"
    assert docs.put(data) == sha and docs.read(sha) == data
    assert ContentStore().path(sha) == get_settings().evidence_path / sha[:2] / sha
    assert not list(docs.path(sha).parent.glob("*.tmp"))


def test_a_changed_file_is_refused_on_read():
    store = ContentStore("documents", ".bin")
    sha = store.put(b"photo-1")
    store.path(sha).write_bytes(b"photo-2")
    with pytest.raises(Conflict) as exc:
        store.read(sha, code="cases.document_tampered")
    assert exc.value.code == "cases.document_tampered"


def test_adopt_moves_a_matching_upload_and_drops_a_mismatch(tmp_path):
    store = ContentStore()
    good, bad = tmp_path / "u1", tmp_path / "u2"
    good.write_bytes(b"abc")
    bad.write_bytes(b"abd")
    sha = hashlib.sha256(b"abc").hexdigest()
    assert store.adopt(good, sha) and store.path(sha).read_bytes() == b"abc" and not good.exists()
    assert not store.adopt(bad, sha) and not bad.exists()
    assert store.path(sha).read_bytes() == b"abc"


def test_get_in_scope(db, world):
    e = next(iter(world.enterprises.values()))
    own = Actor(username="o", roles=frozenset({"officer"}), agency_path=e.agency.path)
    other = next(a for a in db.query(Agency).all() if a.level == "county" and a.id != e.agency_id)
    outsider = Actor(username="x", roles=frozenset({"officer"}), agency_path=other.path)
    assert get_in_scope(db, own, Enterprise, e.id, what="企业", code="t.not_found") is e
    with pytest.raises(NotFound) as nf:
        get_in_scope(db, own, Enterprise, 10 ** 9, what="企业", code="t.not_found")
    assert nf.value.code == "t.not_found" and nf.value.message == f"企业 {10 ** 9} 不存在"
    with pytest.raises(PermissionDenied, match="该企业不在您的管辖范围内"):
        get_in_scope(db, outsider, Enterprise, e.id, what="企业", code="t.not_found")
    ent_user = Actor(username="e", roles=frozenset({"enterprise"}), enterprise_id=e.id)
    assert get_in_scope(db, ent_user, Enterprise, e.id, what="企业", code="t", enterprise=lambda r: r.id) is e
    with pytest.raises(PermissionDenied):
        get_in_scope(db, ent_user, Enterprise, e.id, what="企业", code="t")       # agency check only


def test_resumable_parts_grow_then_are_adopted():
    store = ContentStore()
    assert store.received("up1") == 0
    assert store.append("up1", b"hello ") == 6 and store.received("up1") == 6
    assert store.append("up1", b"world") == 11
    sha = hashlib.sha256(b"hello world").hexdigest()
    assert store.part("up1") == get_settings().evidence_path / "uploads" / "up1"
    assert store.adopt(store.part("up1"), sha) and store.read(sha) == b"hello world"
    assert store.received("up1") == 0


def test_files_stored_in_a_synced_at_end_block_are_synced_once_at_its_end(monkeypatch):
    """Outside the block each file is fsync'd before put returns; inside, none is, and the block's
    end syncs them all (before the batch's commit); a block left by an error syncs nothing."""
    import os

    from greensword.core import storage

    calls: list[str] = []
    monkeypatch.setattr(os, "fsync", lambda fd: calls.append("fsync"))
    monkeypatch.setattr(os, "sync", lambda: calls.append("sync"))
    docs = ContentStore("documents", ".docx")
    docs.put(b"outside")
    assert calls == ["fsync"]
    calls.clear()
    with storage.synced_at_end():
        with storage.synced_at_end():            # nested: the outer block syncs
            sha = docs.put(b"inside-1")
        docs.put(b"inside-2")
        assert calls == [] and docs.read(sha) == b"inside-1"
    assert calls == ["sync"]
    calls.clear()
    with pytest.raises(RuntimeError), storage.synced_at_end():
        docs.put(b"inside-3")
        raise RuntimeError("rolled back")
    assert calls == []
    docs.put(b"after")
    assert calls == ["fsync"]
