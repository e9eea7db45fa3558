"""rules/offsite/detectors.yaml as attribute access (each block is a dict with its source)."""

from types import SimpleNamespace

from ..core.rules import load_raw


def rules() -> SimpleNamespace:
    raw = load_raw("offsite/detectors.yaml")
    return SimpleNamespace(**raw)
