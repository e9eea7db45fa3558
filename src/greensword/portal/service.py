"""Enterprise portal services shared by its pages: the firm's study-points balance (the ledger is
the cases domain's). The parts of the portal have their own modules (warnings, selfcheck,
rectify, delivery, credit, positive, study …)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from ..cases import service as cases
from ..core.auth import Actor


def points_balance(session: Session, actor: Actor) -> int:
    return cases.points_balance(session, actor.enterprise_id)
