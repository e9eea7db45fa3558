"""Inspection services: plans and reproducible draws, targeted tasks, on-site records with
content-addressed evidence (resumable uploads), publication and statistics. Every change is
audited; the draw's inputs and hashes go into the audit trail.

This package re-exports its sub-modules (rules, plans, draws, tasks, records, uploads, stats), so
``from greensword.inspection import service; service.draw(...)`` keeps working."""

from .draws import Verification, declare_conflict, draw, verify  # noqa: F401
from .plans import create_plan, get_plan, list_plans  # noqa: F401
from .records import amend, evidence_of, record_for, record_hash, save_record, sign, submit  # noqa: F401
from .rules import (  # noqa: F401
    MODES,
    SOURCES,
    Checklist,
    ChecklistItem,
    ChecklistRules,
    SamplingRules,
    Stratum,
    checklist_for,
    sampling,
)
from .stats import RESULT_TEXT, coverage_by_stratum, published_results, quarter_bounds, statistics  # noqa: F401
from .tasks import create_targeted_task, get_task, mark_referral_opened, my_tasks, task_from_lead  # noqa: F401
from .uploads import evidence_path, put_chunk, start_upload  # noqa: F401
