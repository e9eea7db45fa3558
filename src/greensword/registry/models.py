"""Registry tables: the agency tree, officers, enterprises, monitoring points and their factors."""

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, Float, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.db import Base, TZDateTime
from ..core.summary import delta_table


class Agency(Base):
    """An enforcement agency; ``path`` is the materialised path of ids ("/1/4/17/") used for
    jurisdiction (subtree = prefix) and roll-ups."""

    __tablename__ = "agency"

    id: Mapped[int] = mapped_column(primary_key=True)
    division_code: Mapped[str] = mapped_column(String(6), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    #: ministry | province | city | county
    level: Mapped[str] = mapped_column(String(16), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"), index=True)
    path: Mapped[str] = mapped_column(String(200), index=True)
    updated_at: Mapped[datetime] = mapped_column(TZDateTime)


class Officer(Base):
    __tablename__ = "officer"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    #: Enforcement certificate number (执法证号); empty for staff without one.
    cert_no: Mapped[str | None] = mapped_column(String(40), unique=True)
    roles: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: Department for cross-department joint plans (生态环境, 自然资源, 水利…).
    department: Mapped[str] = mapped_column(String(40), default="生态环境")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(TZDateTime)

    agency: Mapped[Agency] = relationship(lazy="joined")


class Enterprise(Base):
    __tablename__ = "enterprise"
    #: the portal's self-check completion counts firms per county and kind of firm from this index
    #: alone (migration 0711_registry_enterprise_kind)
    __table_args__ = (Index("ix_enterprise_agency_kind", "agency_id", "industry_code", "key_polluter",
                            "positive_list"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    uscc: Mapped[str] = mapped_column(String(18), unique=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    address: Mapped[str] = mapped_column(String(300), default="")
    #: The county agency whose jurisdiction the enterprise lies in.
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    industry_code: Mapped[str] = mapped_column(String(5), index=True)
    #: Key-polluter category code from rules/registry/classes.yaml ("" = not a key polluter).
    key_polluter: Mapped[str] = mapped_column(String(16), default="", index=True)
    permit_no: Mapped[str | None] = mapped_column(String(40))
    permit_valid_until: Mapped[date | None] = mapped_column(Date)
    #: Environmental credit class code from rules/registry/classes.yaml.
    credit_class: Mapped[str] = mapped_column(String(16), default="blue", index=True)
    positive_list: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    updated_at: Mapped[datetime] = mapped_column(TZDateTime)

    agency: Mapped[Agency] = relationship(lazy="joined")


def new_device_password(length: int = 12) -> str:
    """A random HJ 212 access password (PW) for one device. Letters and digits only (no ``;``,
    ``=``, ``,``, ``&``, which frame the packet); 12 characters ≈ 71 bits, far beyond online
    guessing at the gateway's throttled rate, and within the 32-character column."""
    import secrets
    import string

    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(length))


class MonitoringPoint(Base):
    __tablename__ = "monitoring_point"

    id: Mapped[int] = mapped_column(primary_key=True)
    mn: Mapped[str] = mapped_column(String(24), unique=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprise.id"), index=True)
    name: Mapped[str] = mapped_column(String(100), default="")
    #: gas | water | noise | power
    kind: Mapped[str] = mapped_column(String(8), index=True)
    #: HJ 212 access password (PW) the device must send: generated per point at registration
    #: (no shared default), rotated with ``greensword hj212 device rotate-pw``.
    pw: Mapped[str] = mapped_column(String(32), default=new_device_password)
    #: Reference oxygen (%) for corrected (折算) gas values; null where none applies.
    ref_o2_pct: Mapped[float | None] = mapped_column(Float)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(TZDateTime)

    enterprise: Mapped[Enterprise] = relationship(lazy="joined")
    factors: Mapped[list["PointFactor"]] = relationship(
        back_populates="point", cascade="all, delete-orphan", order_by="PointFactor.factor_code", lazy="selectin"
    )


class PointFactor(Base):
    """A monitored factor of a point with its emission limit and the standard that sets it."""

    __tablename__ = "point_factor"
    __table_args__ = (UniqueConstraint("point_id", "factor_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    point_id: Mapped[int] = mapped_column(ForeignKey("monitoring_point.id", ondelete="CASCADE"), index=True)
    factor_code: Mapped[str] = mapped_column(String(10))
    unit: Mapped[str] = mapped_column(String(16), default="")
    #: Upper limit (mg/m³, mg/L …); null for factors without one (O2, flow, temperature).
    limit_value: Mapped[float | None] = mapped_column(Float)
    #: Lower limit where the standard sets a range (pH 6–9).
    limit_min: Mapped[float | None] = mapped_column(Float)
    #: Whether the limit applies to the reference-oxygen corrected value.
    corrected: Mapped[bool] = mapped_column(Boolean, default=False)
    standard: Mapped[str] = mapped_column(String(100), default="")
    position: Mapped[int] = mapped_column(Integer, default=0)

    point: Mapped[MonitoringPoint] = relationship(back_populates="factors")


class PowerLink(Base):
    """A power meter reading (a factor of a power-monitoring point, its own MN) that explains an
    emission point: the production line it serves or its treatment facility. Off-site screening
    compares the two (用电监控)."""

    __tablename__ = "power_link"
    __table_args__ = (UniqueConstraint("point_id", "meter_id", "factor_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    point_id: Mapped[int] = mapped_column(ForeignKey("monitoring_point.id", ondelete="CASCADE"), index=True)
    meter_id: Mapped[int] = mapped_column(ForeignKey("monitoring_point.id", ondelete="CASCADE"), index=True)
    factor_code: Mapped[str] = mapped_column(String(10))
    #: production | treatment
    role: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(TZDateTime)

    meter: Mapped[MonitoringPoint] = relationship(foreign_keys=[meter_id], lazy="joined")


class EnterprisePopulation(Base):
    """Enterprises not on the positive list per county (registry.figures.POPULATION: kept by
    database triggers on enterprise in the same transaction as every write) — the statistics'
    coverage denominator without counting 300,000 firms."""

    __tablename__ = "enterprise_population"

    agency_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    enterprises: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


#: what the triggers append between folds (core.summary: writers never wait for a kept row)
EnterprisePopulationDelta = delta_table(EnterprisePopulation.__table__)
