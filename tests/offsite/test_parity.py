"""DuckDB and Spark (local mode) read the same rows (minute aggregates, device hourly and daily
data) and produce identical leads."""

import pytest

from greensword.offsite import adversary, engine, hourly
from tests.offsite.conftest import make

pytestmark = pytest.mark.spark


@pytest.fixture(scope="module")
def spark():
    s = hourly.spark_session()
    yield s
    s.stop()


def test_duckdb_and_spark_agree(tmp_path, spark):
    root, labels, limits, s, e = make(tmp_path, {k: 1 for k in adversary.KINDS}, seed=42, points=12, days=3,
                                      mix={1: 0.4, 10: 0.4, 60: 0.2})
    d_raw = hourly.duckdb_raw(root, limits, s, e)
    s_raw = hourly.spark_raw(spark, root, limits, s, e)
    assert d_raw.minute.num_rows and d_raw.hour.num_rows and d_raw.day.num_rows
    for a, b in ((d_raw.minute, s_raw.minute), (d_raw.hour, s_raw.hour), (d_raw.day, s_raw.day)):
        assert hourly.tuples(a) == hourly.tuples(b)
    d = engine.screen(root, limits, s, e, engine="duckdb")
    sp = engine.screen(root, limits, s, e, engine="spark", spark=spark)
    assert [(f.key(), f.score, f.explanation) for f in d] == [(f.key(), f.score, f.explanation) for f in sp]
    assert len(d) >= len(labels) // 2
