"""学法: every answer an enterprise gives to a study question (the first attempt decides whether
the question earns; later attempts are practice). The points themselves are credited in the
cases domain's ledger (cases.service.record_study)."""

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ...core.db import Base, TZDateTime


class StudyAttempt(Base):
    __tablename__ = "portal_study_attempt"

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprise.id"), index=True)
    question: Mapped[str] = mapped_column(String(40), index=True)
    given: Mapped[str] = mapped_column(String(4))
    correct: Mapped[bool] = mapped_column(Boolean)
    #: the first answer to this question by this enterprise (only a first answer can earn)
    first: Mapped[bool] = mapped_column(Boolean)
    points: Mapped[int] = mapped_column(Integer, default=0)
    by: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(TZDateTime)
