import pytest

from greensword.registry import service as registry
from greensword.registry.schemas import EnterpriseIn, OfficerIn
from tests.factories import SYSTEM, make_uscc


@pytest.fixture
def county(world, db):
    """330102 with 40 more enterprises (some key, some poor credit, some on the positive list) and
    4 more certified officers."""
    for i in range(40):
        e = registry.save_enterprise(db, SYSTEM, EnterpriseIn(
            uscc=make_uscc("330102", 100 + i), name=f"上城测试企业{i}", address=f"上城路{i}号", agency_code="330102",
            industry_code="C2614" if i % 3 else "D4411", key_polluter="water" if i % 5 == 0 else "",
            credit_class=["green", "blue", "yellow", "red"][i % 4], positive_list=i % 10 == 9))
        world.enterprises[f"330102-x{i}"] = e
    for i in range(4):
        world.officers[f"330102-extra{i}"] = registry.save_officer(db, SYSTEM, OfficerIn(
            name=f"执法员上城{i}", agency_code="330102", cert_no=f"ZJX330102{i:03d}"))
    db.commit()
    return world.agencies["330102"]
