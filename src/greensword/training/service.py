"""The training domain's public service: what other domains, the API, the console, the CLI and
the demo call. The logic lives in the sub-modules (quals, courses, bank, exams, competitions,
equipment); this module re-exports it and adds the read-only summaries other domains use."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..registry.models import Agency, Officer
from . import bank, competitions, courses, equipment, exams, quals
from .competitions import individual_results, results_for_year, team_results
from .courses import hours_of
from .equipment import counts as equipment_counts
from .models import Attendance, Course
from .quals import holds, is_legally_qualified, reminders

__all__ = ["bank", "competitions", "courses", "equipment", "exams", "quals", "is_legally_qualified", "holds",
           "reminders", "individual_results", "team_results", "results_for_year", "equipment_counts", "hours_of",
           "summary"]


def summary(session: Session, agency_path: str, year: int) -> dict:
    """Training figures of a unit's subtree for a year: courses, attendances, hours (total and per
    officer), pool members, equipment. For statistics and evaluation."""
    start, end = date(year, 1, 1), date(year, 12, 31)
    officers = session.execute(select(func.count()).select_from(Officer).join(Agency, Officer.agency_id == Agency.id)
                               .where(Officer.active.is_(True), Agency.path.startswith(agency_path, autoescape=True))
                               ).scalar_one()
    hours, attend = session.execute(
        select(func.coalesce(func.sum(Attendance.hours), 0), func.count(Attendance.id))
        .join(Course, Attendance.course_id == Course.id).join(Officer, Attendance.officer_id == Officer.id)
        .join(Agency, Officer.agency_id == Agency.id)
        .where(Attendance.passed.is_(True), Course.end_on >= start, Course.end_on <= end,
               Agency.path.startswith(agency_path, autoescape=True))).one()
    n_courses = session.execute(select(func.count()).select_from(Course).join(Agency, Course.agency_id == Agency.id)
                                .where(Course.start_on >= start, Course.start_on <= end,
                                       Agency.path.startswith(agency_path, autoescape=True))).scalar_one()
    return {"year": year, "officers": officers, "courses": n_courses, "attendances": attend,
            "hours": float(hours), "hours_per_officer": round(float(hours) / officers, 1) if officers else 0.0,
            "pools": courses.pool_counts(session, agency_path),
            "equipment": equipment.counts(session, agency_path, year=year)}
