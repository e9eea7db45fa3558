"""The portal figures of one agency's month (portal.figures.MONTH), kept by database triggers on
the warnings, self-checks and rectification items in the same transaction as every write."""

from sqlalchemy import Integer
from sqlalchemy.orm import Mapped, mapped_column

from ...core.db import Base
from ...core.summary import delta_table


class PortalMonth(Base):
    __tablename__ = "portal_month"

    ym: Mapped[int] = mapped_column(Integer, primary_key=True)           # yyyymm (Beijing)
    agency_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    warnings_sent: Mapped[int] = mapped_column(Integer, default=0, server_default="0")       # by sent_at
    warnings_on_time: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    warnings_late: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    warnings_escalated: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    selfchecks: Mapped[int] = mapped_column(Integer, default=0, server_default="0")          # by submitted_at
    rectifications_closed: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # by closed_at


#: what the triggers append between folds (core.summary)
PortalMonthDelta = delta_table(PortalMonth.__table__)
