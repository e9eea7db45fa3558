"""Inspection services: plans and reproducible draws, targeted tasks, on-site records with
content-addressed evidence (resumable uploads), publication and statistics. Every change is
audited; the draw's inputs and hashes go into the audit trail.

This package re-exports its sub-modules (rules, plans, draws, tasks, records, uploads, stats), so
``from greensword.inspection import service; service.draw(...)`` keeps working."""

from ...core.filetypes import sniff  # noqa: F401  (the record page tells evidence types with it)
from . import field, records, transcript  # noqa: F401
from .draws import Verification, declare_conflict, draw, verify  # noqa: F401
from .field import (  # noqa: F401
    GPS_LOW_ACCURACY_M,
    SIGNATURES,
    Position,
    check_signature,
    kind_of,
    position,
    signature_png,
)
from .plans import PLAN_STATUS, create_plan, get_plan, iter_plans, list_plans, page_plans  # noqa: F401
from .records import amend, evidence_of, record_for, record_hash, save_record, sign, submit, unsign  # noqa: F401
from .rules import (  # noqa: F401
    MODES,
    SOURCES,
    Checklist,
    ChecklistItem,
    ChecklistRules,
    Sampling,
    SamplingRules,
    Stratum,
    TaskRules,
    checklist_for,
    sampling,
    task_rules,
)
from .stats import (  # noqa: F401
    RESULT_TEXT,
    coverage_by_stratum,
    iter_published,
    page_published,
    published_results,
    quarter_bounds,
    statistics,
)
from .tasks import (  # noqa: F401
    TASK_STATUS,
    create_targeted_task,
    get_task,
    iter_tasks,
    lead_task_due,
    mark_referral_opened,
    my_tasks,
    page_tasks,
    task_from_lead,
    task_overdue,
)
from .uploads import EVIDENCE, PHOTO_FAR_M, evidence_path, photo_notes, put_chunk, start_upload, thumbnail  # noqa: F401
