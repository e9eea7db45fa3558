"""The one canonical JSON + SHA-256 used by the audit chain and the published draws."""

import hashlib
from datetime import UTC, date, datetime
from decimal import Decimal

from greensword.core import audit
from greensword.core.canonical import canonical_json, sha256_hex
from greensword.core.lottery import ticket
from greensword.inspection.draw import run_draw


def test_canonical_form_is_sorted_compact_utf8():
    value = {"b": [1, 2], "a": "绿剑", "c": {"y": None, "x": True}}
    assert canonical_json(value) == '{"a":"绿剑","b":[1,2],"c":{"x":true,"y":null}}'
    assert sha256_hex(value) == hashlib.sha256(canonical_json(value).encode()).hexdigest()


def test_dates_decimals_and_sets_become_strings_and_lists():
    value = {"on": date(2023, 6, 30), "at": datetime(2023, 6, 30, 8, 0, tzinfo=UTC),
             "fine": Decimal("100000.50"), "tags": {"b", "a"}}
    assert canonical_json(value) == ('{"at":"2023-06-30T08:00:00+00:00","fine":"100000.50",'
                                     '"on":"2023-06-30","tags":["a","b"]}')


def test_bytes_are_hashed_raw():
    assert sha256_hex(b"abc") == hashlib.sha256(b"abc").hexdigest()


def test_audit_and_draw_use_the_same_digest():
    state = {"name": "某企业", "on": date(2024, 1, 2)}
    assert audit.digest(state) == sha256_hex(state)
    assert audit.digest(None) == hashlib.sha256(b"null").hexdigest()


def test_draw_digest_is_recomputable_from_the_published_recipe():
    enterprises = [{"id": i, "uscc": f"9133{i:014d}", "key_polluter": i % 3 == 0, "credit_class": "blue",
                    "positive_list": False} for i in range(1, 21)]
    officers = [{"id": i, "certified": True, "department": "", "agency_code": "330100"} for i in range(1, 7)]
    params = {"strata": [{"code": "all", "name": "全部", "match": {}, "ratio": 0.25}], "team_size": 2, "teams": 2}
    result = run_draw("seed-2024Q1", enterprises, officers, params)

    def h(v):
        return hashlib.sha256(canonical_json(v).encode()).hexdigest()

    expected = h({"seed": "seed-2024Q1", "enterprises": h(enterprises), "officers": h(officers), "params": h(params)})
    assert result.digest == expected
    drawn = sorted(enterprises, key=lambda e: -ticket(bytes.fromhex(expected), f"enterprise:{e['uscc']}"))[:5]
    assert sorted(i["enterprise_id"] for i in result.items) == sorted(e["id"] for e in drawn)


def test_ticket_is_in_the_open_unit_interval_and_stable():
    d = bytes(32)
    t = ticket(d, "officer:1")
    assert 0 < t < 1 and t == ticket(d, "officer:1") != ticket(d, "officer:2")
    h = hashlib.sha256(d + b":officer:1").digest()
    assert t == (int.from_bytes(h[:8], "big") + 0.5) / 2.0 ** 64
