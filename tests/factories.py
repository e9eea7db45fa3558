"""Small worlds built through the public services, shared by every domain's tests.

Layout (division codes are real GB/T 2260 codes of Zhejiang):
  ministry 100000
  └─ province 330000
     ├─ city 330100 ── counties 330102, 330106
     └─ city 330200 ── county 330203
Each county has 2 certified officers, 2 enterprises (one key polluter with a gas and a water
point). Users: one per role at each agency level, and one enterprise user per enterprise.
"""

from types import SimpleNamespace

from greensword.core import auth
from greensword.core.auth import Actor
from greensword.core.validators import uscc_with_check
from greensword.registry import service as registry
from greensword.registry.schemas import AgencyIn, EnterpriseIn, FactorIn, OfficerIn, PointIn

PASSWORD = "secret-pass-1"
SYSTEM = Actor.system("factory")
_HASH: dict[str, str] = {}


def password_hash() -> str:
    if "h" not in _HASH:
        _HASH["h"] = auth.hash_password(PASSWORD)
    return _HASH["h"]


def org_code(seq: int) -> str:
    """9-character organisation code with its GB 11714 check character."""
    body = f"{seq:08d}"
    weights = (3, 7, 9, 10, 5, 8, 4, 2)
    c = 11 - sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11
    return body + ("X" if c == 10 else "0" if c == 11 else str(c))


def make_uscc(division: str, seq: int) -> str:
    return uscc_with_check("91" + division + org_code(seq))


def add_user(session, username: str, roles: list[str], agency=None, enterprise=None, officer=None):
    return auth.create_user(session, SYSTEM, username=username, password=PASSWORD, roles=roles,
                            display_name=username, agency_id=agency.id if agency else None,
                            enterprise_id=enterprise.id if enterprise else None,
                            officer_id=officer.id if officer else None, password_hash=password_hash())


GAS_FACTORS = [
    FactorIn(factor_code="a19001", unit="%"),
    FactorIn(factor_code="a21026", unit="mg/m3", limit_value=50, corrected=True, standard="GB 13271-2014 表3"),
    FactorIn(factor_code="a21002", unit="mg/m3", limit_value=150, corrected=True, standard="GB 13271-2014 表3"),
    FactorIn(factor_code="a34013", unit="mg/m3", limit_value=20, corrected=True, standard="GB 13271-2014 表3"),
]
WATER_FACTORS = [
    FactorIn(factor_code="w01001", unit="", limit_value=9, limit_min=6, standard="GB 8978-1996 表4 一级"),
    FactorIn(factor_code="w01018", unit="mg/L", limit_value=100, standard="GB 8978-1996 表4 一级"),
    FactorIn(factor_code="w21003", unit="mg/L", limit_value=15, standard="GB 8978-1996 表4 一级"),
]


def build_world(session) -> SimpleNamespace:
    w = SimpleNamespace(agencies={}, officers={}, enterprises={}, points={}, users={})

    def agency(code, name, level, parent=None):
        a = registry.create_agency(session, SYSTEM, AgencyIn(division_code=code, name=name, level=level,
                                                             parent_code=parent))
        w.agencies[code] = a
        return a

    agency("100000", "生态环境部", "ministry")
    agency("330000", "浙江省生态环境厅", "province", "100000")
    agency("330100", "杭州市生态环境局", "city", "330000")
    agency("330200", "宁波市生态环境局", "city", "330000")
    agency("330102", "杭州市生态环境局上城分局", "county", "330100")
    agency("330106", "杭州市生态环境局西湖分局", "county", "330100")
    agency("330203", "宁波市生态环境局海曙分局", "county", "330200")

    seq = 1
    for code in ("330102", "330106", "330203"):
        for i in range(2):
            o = registry.save_officer(session, SYSTEM, OfficerIn(name=f"执法员{code}-{i}", agency_code=code,
                                                                cert_no=f"ZJ{code}{i:04d}"))
            w.officers[f"{code}-{i}"] = o
        for i, key in enumerate(("key", "small")):
            e = registry.save_enterprise(session, SYSTEM, EnterpriseIn(
                uscc=make_uscc(code, seq), name=f"测试{code}{'化工' if key == 'key' else '印染'}有限公司",
                address=f"浙江省{code}路{i + 1}号", agency_code=code,
                industry_code="C2614" if key == "key" else "C1713",
                key_polluter="air" if key == "key" else "", credit_class="blue" if key == "key" else "green",
                positive_list=key == "small"))
            seq += 1
            w.enterprises[f"{code}-{key}"] = e
            add_user(session, f"ent-{code}-{key}", ["enterprise"], enterprise=e)
            if key == "key":
                w.points[f"{code}-gas"] = registry.save_point(session, SYSTEM, PointIn(
                    mn=f"33{code}GAS0000000000000001"[:24], enterprise_uscc=e.uscc, name="锅炉排口", kind="gas",
                    ref_o2_pct=9.0, factors=GAS_FACTORS))
                w.points[f"{code}-water"] = registry.save_point(session, SYSTEM, PointIn(
                    mn=f"33{code}WAT0000000000000001"[:24], enterprise_uscc=e.uscc, name="废水总排口",
                    kind="water", factors=WATER_FACTORS))

    for code, a in w.agencies.items():
        for role in ("officer", "reviewer", "leader", "admin", "evaluator"):
            w.users[f"{role}-{code}"] = add_user(session, f"{role}-{code}", [role], agency=a)
    session.flush()
    return w


def actor(session, w, username: str) -> Actor:
    from sqlalchemy import select

    from greensword.core.models import User

    user = session.execute(select(User).where(User.username == username)).scalar_one()
    return auth.actor_for(session, user)


def png_bytes(width: int, height: int, pixel, *, filt: int = 0) -> bytes:
    """An RGBA PNG drawn by ``pixel(x, y) -> (r, g, b, a)``; every row written with filter
    ``filt`` (0 None, 1 Sub, 2 Up; 3 Average and 4 Paeth are written as the raw bytes' filter)."""
    import struct
    import zlib

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    raw, prev = bytearray(), bytes(width * 4)
    for y in range(height):
        line = bytes(c for x in range(width) for c in pixel(x, y))
        if filt == 0:
            out = line
        elif filt == 1:
            out = bytes((line[i] - (line[i - 4] if i >= 4 else 0)) & 255 for i in range(len(line)))
        elif filt == 2:
            out = bytes((line[i] - prev[i]) & 255 for i in range(len(line)))
        elif filt == 3:
            out = bytes((line[i] - (((line[i - 4] if i >= 4 else 0) + prev[i]) >> 1)) & 255 for i in range(len(line)))
        else:
            def paeth(a, b, c):
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                return a if pa <= pb and pa <= pc else b if pb <= pc else c
            out = bytes((line[i] - paeth(line[i - 4] if i >= 4 else 0, prev[i], prev[i - 4] if i >= 4 else 0)) & 255
                        for i in range(len(line)))
        raw += bytes([filt]) + out
        prev = line
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(bytes(raw))) + chunk(b"IEND", b"")


def signature_png(width: int = 240, height: int = 90, *, filt: int = 1, ink: bool = True) -> bytes:
    """A drawn signature as the signature pad sends it: dark strokes (a wave and a line) on a
    transparent background. ``ink=False`` gives the empty pad."""
    import math

    def pixel(x, y):
        on = ink and (abs(y - (height / 2 + height / 4 * math.sin(x / 12))) < 2
                      or (y == height - 15 and width // 5 < x < width - 20))
        return (17, 17, 17, 255) if on else (0, 0, 0, 0)
    return png_bytes(width, height, pixel, filt=filt)
