"""Password hashing: safe parameters, old hashes upgraded, a burst of sign-ins queued."""

import threading
import time

import argon2
from argon2.low_level import Type
from sqlalchemy import select

from greensword.core import auth
from greensword.core.models import User
from tests.factories import PASSWORD


def test_new_hashes_are_argon2id_at_or_above_the_owasp_minimum():
    p = argon2.extract_parameters(auth.hash_password("a-long-enough-pass"))
    assert p.type is Type.ID
    assert p.memory_cost >= 19 * 1024 and p.time_cost >= 2 and p.parallelism >= 1, p


def test_a_hash_with_other_parameters_verifies_and_is_rehashed_at_sign_in(db, world):
    old = argon2.PasswordHasher(time_cost=3, memory_cost=65536, parallelism=4).hash(PASSWORD)
    user = db.execute(select(User).where(User.username == "officer-330102")).scalar_one()
    user.password_hash = old
    db.flush()
    secret, _ = auth.login(db, "officer-330102", PASSWORD)
    assert secret
    p = argon2.extract_parameters(user.password_hash)
    assert (p.memory_cost, p.time_cost, p.parallelism) == (19 * 1024, 2, 1)
    assert auth.verify_password(user.password_hash, PASSWORD)


def test_hashes_run_at_most_one_per_core_share_at_once(monkeypatch):
    """Twelve sign-ins at once: the hashes queue, at most ``_argon2_slots()`` run together."""
    running, peak, lock = 0, 0, threading.Lock()

    class Slow:
        def verify(self, h, pw):
            nonlocal running, peak
            with lock:
                running += 1
                peak = max(peak, running)
            time.sleep(0.02)
            with lock:
                running -= 1
            return True

    monkeypatch.setattr(auth, "_hasher", Slow())
    threads = [threading.Thread(target=auth.verify_password, args=("h", "pw")) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert 1 <= peak <= auth._argon2_slots() < 12, peak
