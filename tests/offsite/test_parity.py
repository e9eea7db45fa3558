"""DuckDB and Spark (local mode) produce identical hourly tables and identical leads."""

import pytest

from greensword.offsite import engine, generator, hourly
from tests.offsite.conftest import make

pytestmark = pytest.mark.spark


@pytest.fixture(scope="module")
def spark():
    s = hourly.spark_session()
    yield s
    s.stop()


def test_duckdb_and_spark_agree(tmp_path, spark):
    root, labels, limits, s, e = make(tmp_path, {k: 1 for k in generator.KINDS}, seed=42, points=12, days=4)
    assert hourly.duckdb_hourly(root, limits, s, e) == hourly.spark_hourly(spark, root, limits, s, e)
    d = engine.screen(root, limits, s, e, engine="duckdb")
    sp = engine.screen(root, limits, s, e, engine="spark", spark=spark)
    assert [(f.key(), f.score, f.explanation) for f in d] == [(f.key(), f.score, f.explanation) for f in sp]
    assert len(d) >= len(labels)
