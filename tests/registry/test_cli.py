import subprocess
import sys

import pytest

from tests.factories import make_uscc


@pytest.fixture
def env(tmp_path):
    import os

    e = dict(os.environ, GREENSWORD_DATA_DIR=str(tmp_path / "var"))
    run(e, "db", "upgrade")
    data = "行政区划代码,机构名称,层级,上级区划代码\n100000,生态环境部,ministry,\n330000,浙江省生态环境厅,province,100000\n" \
           "330100,杭州市生态环境局,city,330000\n330102,上城分局,county,330100\n"
    (tmp_path / "a.csv").write_text(data, encoding="utf-8")
    assert run(e, "registry", "import", "agencies", str(tmp_path / "a.csv")).returncode == 0
    return e


def run(env, *args):
    return subprocess.run([sys.executable, "-m", "greensword.cli", *args], env=env, capture_output=True, text=True)


def test_bad_import_exits_nonzero_with_row_and_reason(env, tmp_path):
    bad = make_uscc("330102", 1)[:-1] + "0"
    f = tmp_path / "e.csv"
    f.write_text(f"统一社会信用代码,企业名称,所属区县代码,行业代码\n{make_uscc('330102', 2)},甲公司,330102,C2614\n"
                 f"{bad},乙公司,330102,C2614\n", encoding="utf-8")
    r = run(env, "registry", "import", "enterprises", str(f))
    assert r.returncode == 2
    assert "registry.import_invalid" in r.stderr and "line=3" in r.stderr and "统一社会信用代码" in r.stderr
    out = tmp_path / "out.csv"
    assert run(env, "registry", "export", "enterprises", str(out)).returncode == 0
    assert out.read_text(encoding="utf-8-sig").strip().count("\n") == 0  # header only: nothing was written


def test_export_round_trip_xlsx(env, tmp_path):
    f = tmp_path / "e.csv"
    f.write_text(f"统一社会信用代码,企业名称,所属区县代码,行业代码\n{make_uscc('330102', 2)},甲公司,330102,C2614\n",
                 encoding="utf-8")
    assert run(env, "registry", "import", "enterprises", str(f)).returncode == 0
    x = tmp_path / "e.xlsx"
    assert run(env, "registry", "export", "enterprises", str(x)).returncode == 0
    r = run(env, "registry", "import", "enterprises", str(x))
    assert r.returncode == 0 and "更新 1 条" in r.stdout
