import io

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from greensword.core.errors import ValidationFailed
from greensword.core.models import AuditEntry
from greensword.registry import io as registry_io
from greensword.registry.models import Enterprise
from tests.factories import SYSTEM, actor, make_uscc

pytestmark = pytest.mark.db
HEADER = "统一社会信用代码,企业名称,地址,所属区县代码,行业代码,重点排污单位类别,排污许可证编号,许可证有效期至,环境信用等级,正面清单"


def _csv(rows: list[str]) -> bytes:
    return ("\n".join([HEADER, *rows]) + "\n").encode("utf-8-sig")


def _count(db, model):
    return db.execute(select(func.count()).select_from(model)).scalar_one()


def test_import_creates_and_audits(db, world):
    before, audit_before = _count(db, Enterprise), _count(db, AuditEntry)
    data = _csv([f"{make_uscc('330102', 900 + i)},新企业{i}有限公司,地址{i},330102,C2614,,,,环保良好企业,否" for i in range(5)])
    result = registry_io.import_file(db, SYSTEM, "enterprises", data, "e.csv")
    assert (result.created, result.updated) == (5, 0)
    assert _count(db, Enterprise) == before + 5
    assert _count(db, AuditEntry) == audit_before + 5


def test_one_bad_credit_code_writes_nothing_and_names_the_row(db, world):
    good = [f"{make_uscc('330102', 900 + i)},新企业{i}有限公司,地址,330102,C2614,,,,green,0" for i in range(4)]
    bad_code = make_uscc("330102", 999)
    bad_code = bad_code[:-1] + ("0" if bad_code[-1] != "0" else "1")  # wrong check character
    rows = good[:2] + [f"{bad_code},坏代码有限公司,地址,330102,C2614,,,,green,0"] + good[2:]
    before, audit_before = _count(db, Enterprise), _count(db, AuditEntry)
    with pytest.raises(ValidationFailed) as exc:
        registry_io.import_file(db, SYSTEM, "enterprises", _csv(rows), "e.csv")
    err = exc.value
    assert err.code == "registry.import_invalid"
    assert err.details == [{"line": 4, "column": "统一社会信用代码", "reason": f"统一社会信用代码“{bad_code}”校验位错误"}]
    assert "第 4 行" in err.message
    db.rollback()
    assert _count(db, Enterprise) == before and _count(db, AuditEntry) == audit_before


def test_every_bad_row_is_reported(db, world):
    dup = make_uscc("330102", 901)
    rows = [
        f"{dup},甲有限公司,地址,330102,C2614,,,,green,0",
        f"{dup},乙有限公司,地址,330102,C2614,,,,green,0",           # duplicate in file
        f"{make_uscc('330102', 902)},丙有限公司,地址,999999,C2614,,,,green,0",  # unknown county
        f"{make_uscc('330102', 903)},丁有限公司,地址,330102,26,,,,purple,0",   # bad industry + credit
        f"{make_uscc('330102', 904)},,地址,330102,C2614,,,,green,maybe",       # empty name + bad bool
        f"{make_uscc('330102', 905)},戊有限公司,地址,330102,C2614,,,2027-13-01,green,0",  # bad date
        "12345,己有限公司,地址,330102,C2614,,,,green,0",                         # short code
    ]
    with pytest.raises(ValidationFailed) as exc:
        registry_io.import_file(db, SYSTEM, "enterprises", _csv(rows), "e.csv")
    got = {(d["line"], d["column"]) for d in exc.value.details}
    assert got == {
        (3, "统一社会信用代码"), (4, "所属区县代码"), (5, "行业代码"), (5, "环境信用等级"),
        (6, "正面清单"), (7, "许可证有效期至"), (8, "统一社会信用代码"),
    }


def test_xlsx_round_trip_and_upsert(db, world):
    admin = actor(db, world, "admin-330100")
    data = registry_io.export_file(db, admin, "enterprises", "e.xlsx")
    wb = load_workbook(io.BytesIO(data))
    rows = list(wb.active.iter_rows(values_only=True))
    assert rows[0][0] == "统一社会信用代码" and len(rows) == 1 + 4  # the city's 4 enterprises
    rows[1] = (rows[1][0], "改名后的企业有限公司", *rows[1][2:])
    out = Workbook()
    for r in rows:
        out.active.append(list(r))
    buf = io.BytesIO()
    out.save(buf)
    result = registry_io.import_file(db, admin, "enterprises", buf.getvalue(), "e.xlsx")
    assert (result.created, result.updated) == (0, 4)
    assert db.execute(select(Enterprise).where(Enterprise.uscc == rows[1][0])).scalar_one().name == "改名后的企业有限公司"


def test_import_outside_jurisdiction_is_a_row_error(db, world):
    admin = actor(db, world, "admin-330200")
    rows = [f"{make_uscc('330102', 950)},越权企业有限公司,地址,330102,C2614,,,,green,0"]
    with pytest.raises(ValidationFailed) as exc:
        registry_io.import_file(db, admin, "enterprises", _csv(rows), "e.csv")
    assert exc.value.details[0]["line"] == 2 and "管辖范围" in exc.value.details[0]["reason"]


def test_broken_upload_and_missing_columns(db, world):
    with pytest.raises(ValidationFailed) as exc:
        registry_io.import_file(db, SYSTEM, "enterprises", b"PK\x03\x04garbage", "e.xlsx")
    assert exc.value.code == "registry.import_unreadable"
    with pytest.raises(ValidationFailed) as exc:
        registry_io.import_file(db, SYSTEM, "enterprises", "企业名称,地址\n甲,乙\n".encode(), "e.csv")
    assert exc.value.code == "registry.import_header" and "统一社会信用代码" in exc.value.message
    with pytest.raises(ValidationFailed) as exc:
        registry_io.import_file(db, SYSTEM, "enterprises", b"x", "e.txt")
    assert exc.value.code == "registry.import_type"


def test_gbk_csv_is_read(db, world):
    data = (HEADER + "\n" + f"{make_uscc('330102', 960)},国标编码有限公司,地址,330102,C2614,,,,green,0\n").encode("gbk")
    assert registry_io.import_file(db, SYSTEM, "enterprises", data, "e.csv").created == 1


def test_points_import_groups_factors_and_checks_standard(db, world):
    ent = world.enterprises["330102-small"]
    head = "监测点编码MN,企业统一社会信用代码,监测点名称,类型,基准氧含量%,监测因子编码,单位,排放限值,限值下限,按折算值判定,执行标准"
    rows = [
        f"MN0001,{ent.uscc},锅炉,gas,9,a19001,%,,,否,",
        f"MN0001,{ent.uscc},锅炉,gas,9,a21026,mg/m3,50,,是,GB 13271-2014",
        f"MN0002,{ent.uscc},废水,water,,w01018,mg/L,100,,否,",  # limit without standard
    ]
    data = ("\n".join([head, *rows]) + "\n").encode()
    with pytest.raises(ValidationFailed) as exc:
        registry_io.import_file(db, SYSTEM, "points", data, "p.csv")
    assert [(d["line"], d["column"]) for d in exc.value.details] == [(4, "执行标准")]
    rows[2] = rows[2] + "GB 8978-1996"
    data = ("\n".join([head, *rows]) + "\n").encode()
    assert registry_io.import_file(db, SYSTEM, "points", data, "p.csv").created == 2


def test_agencies_import_with_parents_in_file(db, world):
    data = "行政区划代码,机构名称,层级,上级区划代码\n330300,温州市生态环境局,city,330000\n330302,鹿城分局,县级,330300\n".encode()
    assert registry_io.import_file(db, SYSTEM, "agencies", data, "a.csv").created == 2
    bad = "行政区划代码,机构名称,层级,上级区划代码\n330402,南湖分局,county,330400\n330400,嘉兴市生态环境局,city,330000\n".encode()
    with pytest.raises(ValidationFailed) as exc:
        registry_io.import_file(db, SYSTEM, "agencies", bad, "a.csv")
    assert exc.value.details[0]["line"] == 2
