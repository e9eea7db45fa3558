"""The import contracts in pyproject.toml hold, and they catch what they promise to catch: each
case injects one bad import into a copy of the source and runs ``lint-imports`` on it."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.architecture import _private_names

ROOT = Path(__file__).resolve().parent.parent
LINT = Path(sys.executable).with_name("lint-imports")


def _lint(src: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(src))
    # run from the repository root: the custom contract type lives in tests/architecture.py
    return subprocess.run([str(LINT), "--config", str(ROOT / "pyproject.toml"), "--no-cache", "--no-logo"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def copy(tmp_path_factory):
    """A pristine copy of src/ per test (restored from one template copy)."""
    template = tmp_path_factory.mktemp("template") / "src"
    shutil.copytree(ROOT / "src", template, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))

    def make(tmp: Path) -> Path:
        dst = tmp / "src"
        shutil.copytree(template, dst)
        return dst

    return make


def _inject(src: Path, module: str, line: str) -> None:
    path = src / (module.replace(".", "/") + ".py")
    path.write_text(path.read_text(encoding="utf-8") + f"\n{line}\n", encoding="utf-8")


pytestmark = pytest.mark.skipif(not LINT.exists(), reason="import-linter is not installed")


def test_the_tree_keeps_every_contract():
    r = _lint(ROOT / "src")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "0 broken" in r.stdout


@pytest.mark.parametrize(("module", "line", "says"), [
    # a lower layer importing a higher one
    ("greensword.registry.service", "from greensword.evaluation import service as _up  # noqa", "greensword.registry is not allowed to import greensword.evaluation"),
    ("greensword.core.auth", "from greensword.registry import models as _up  # noqa", "greensword.core is not allowed to import greensword.registry"),
    ("greensword.offsite.service", "from greensword.inspection import service as _up  # noqa", "greensword.offsite is not allowed to import greensword.inspection"),
    # the web kit is low; the web shell is on top
    ("greensword.cases.pages", "from greensword.web import core_pages as _up  # noqa", "greensword.cases is not allowed to import greensword.web"),
    # another domain's models, pages or private names
    ("greensword.review.service", "from greensword.cases.models import Case as _m  # noqa", "cases's models is not public"),
    ("greensword.evaluation.service", "from greensword.inspection import pages as _p  # noqa", "inspection's pages is not public"),
    ("greensword.cases.service", "from greensword.inspection.queries import _referral  # noqa", "private name(s) _referral"),
    # a cycle inside a package (the old codec ↔ sm4 one)
    ("greensword.hj212.sm4", "from greensword.hj212 import codec as _c  # noqa", "No cycles are allowed in greensword.hj212"),
])
def test_a_bad_import_is_caught(copy, tmp_path, module, line, says):
    src = copy(tmp_path)
    _inject(src, module, line)
    r = _lint(src)
    assert r.returncode == 1, r.stdout + r.stderr
    assert says in " ".join(r.stdout.split()), r.stdout


def test_registry_models_stay_shared_and_services_are_public(copy, tmp_path):
    src = copy(tmp_path)
    _inject(src, "greensword.review.service", "from greensword.registry.models import Officer as _o  # noqa")
    _inject(src, "greensword.review.pages", "from greensword.cases import queries as _q  # noqa")
    r = _lint(src)
    assert r.returncode == 0, r.stdout


def test_a_new_package_must_be_placed_in_a_layer(copy, tmp_path):
    src = copy(tmp_path)
    (src / "greensword" / "newdomain").mkdir()
    (src / "greensword" / "newdomain" / "__init__.py").write_text("", encoding="utf-8")
    r = _lint(src)
    assert r.returncode == 1 and "newdomain" in r.stdout, r.stdout


def test_private_names_are_read_from_the_import_line():
    assert _private_names("from ..inspection.draw import _ticket, sha256") == ["_ticket"]
    assert _private_names("from x import (a as b, _c as d)") == ["_c"]
    assert _private_names("from x import __version__") == []
    assert _private_names("import greensword.x") == []
