"""Read-only views other domains take from training (evaluation, statistics, the notice, legal
review): qualification on a date, competition results, yearly figures. No table of this domain is
read anywhere else."""

from .competitions import individual_results, results_for_year, team_results  # noqa: F401
from .equipment import counts as equipment_counts  # noqa: F401
from .quals import holds, is_legally_qualified  # noqa: F401
from .service import summary  # noqa: F401
