"""Pydantic in/out shapes of the registry."""

from datetime import date

from pydantic import BaseModel, ConfigDict, Field


class AgencyIn(BaseModel):
    division_code: str
    name: str = Field(min_length=1, max_length=100)
    level: str
    parent_code: str | None = None


class AgencyOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    division_code: str
    name: str
    level: str
    parent_id: int | None
    path: str


class OfficerIn(BaseModel):
    name: str = Field(min_length=1, max_length=50)
    agency_code: str
    cert_no: str | None = None
    roles: list[str] = Field(default_factory=lambda: ["officer"])
    department: str = "生态环境"
    active: bool = True


class OfficerOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    name: str
    agency_id: int
    cert_no: str | None
    roles: list[str]
    department: str
    active: bool


class EnterpriseIn(BaseModel):
    uscc: str
    name: str = Field(min_length=1, max_length=200)
    address: str = ""
    agency_code: str
    industry_code: str
    key_polluter: str = ""
    permit_no: str | None = None
    permit_valid_until: date | None = None
    credit_class: str = "blue"
    positive_list: bool = False


class EnterpriseOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    uscc: str
    name: str
    address: str
    agency_id: int
    industry_code: str
    key_polluter: str
    permit_no: str | None
    permit_valid_until: date | None
    credit_class: str
    positive_list: bool


class FactorIn(BaseModel):
    factor_code: str = Field(min_length=1, max_length=10)
    unit: str = ""
    limit_value: float | None = None
    limit_min: float | None = None
    corrected: bool = False
    standard: str = ""


class FactorOut(FactorIn):
    model_config = ConfigDict(from_attributes=True)


class PointIn(BaseModel):
    mn: str
    enterprise_uscc: str
    name: str = ""
    kind: str
    #: HJ 212 PW; empty = generate a random one at registration (keep the current one on update).
    pw: str | None = None
    ref_o2_pct: float | None = None
    active: bool = True
    factors: list[FactorIn] = Field(default_factory=list)


class PointOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    mn: str
    enterprise_id: int
    name: str
    kind: str
    ref_o2_pct: float | None
    active: bool
    factors: list[FactorOut]
