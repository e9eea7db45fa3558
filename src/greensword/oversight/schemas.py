"""执法稽查 shapes: the service returns plain dicts for statistics; grades are named here."""

from typing import Literal

Grade = Literal["meets", "attention", "improvement"]
