"""An import-linter contract type for the house rule between domains (pyproject.toml,
``[tool.importlinter]``): a domain may import another domain's ``service``, ``queries`` and
``schemas`` (and its other public modules), never its ``models``, ``pages``, ``api``, ``cli`` or
``demo`` nor a private ``_name``; the registry's models stay importable as the shared directory.

Every sub-package of the root is a domain except the ones named in ``not_domains``, so a domain
added later is covered without editing the contract. ``lint-imports`` puts the working directory
on ``sys.path``, so run it from the repository root (scripts/test.sh does).
"""

from __future__ import annotations

import re

import grimp
from importlinter import Contract, ContractCheck, fields, output

_FROM_IMPORT = re.compile(r"^\s*from\s+\S+\s+import\s+\(?(?P<names>[^)#]*)")


def _private_names(line: str) -> list[str]:
    """The ``_private`` names a ``from x import a, _b`` line takes (``__dunder__`` excepted)."""
    m = _FROM_IMPORT.match(line or "")
    if not m:
        return []
    names = [part.split(" as ")[0].strip() for part in m.group("names").split(",")]
    return [n for n in names if n.startswith("_") and not n.startswith("__")]


class DomainBoundaries(Contract):
    type_name = "domain_boundaries"

    root = fields.ModuleField()
    not_domains = fields.ListField(subfield=fields.StringField())
    hidden = fields.ListField(subfield=fields.StringField())
    shared = fields.ListField(subfield=fields.StringField(), required=False)

    def _domain(self, module: str) -> str | None:
        parts = module.split(".")
        root = self.root.name  # type: ignore[attr-defined]
        if len(parts) < 2 or parts[0] != root or parts[1] in self.not_domains:  # type: ignore[operator]
            return None
        return parts[1]

    def check(self, graph: grimp.ImportGraph, verbose: bool) -> ContractCheck:
        shared = set(self.shared or [])  # type: ignore[arg-type]
        hidden = set(self.hidden)  # type: ignore[arg-type]
        broken: list[dict] = []
        for importer in sorted(graph.modules):
            src = self._domain(importer)
            if src is None:
                continue
            for imported in sorted(graph.find_modules_directly_imported_by(importer)):
                dst = self._domain(imported)
                if dst is None or dst == src:
                    continue
                tail = imported.split(".")[2:]
                details = graph.get_import_details(importer=importer, imported=imported)
                reasons = []
                if imported not in shared and tail and (tail[0] in hidden or any(p.startswith("_") for p in tail)):
                    reasons.append(f"{dst}'s {'.'.join(tail)} is not public")
                for d in details:
                    private = _private_names(d["line_contents"])
                    if private:
                        reasons.append(f"private name(s) {', '.join(private)} (l.{d['line_number']})")
                if reasons:
                    lines = ", ".join(f"l.{d['line_number']}" for d in details)
                    broken.append({"importer": importer, "imported": imported, "lines": lines, "why": "; ".join(reasons)})
        return ContractCheck(kept=not broken, metadata={"broken": broken})

    def render_broken_contract(self, check: ContractCheck) -> None:
        for b in check.metadata["broken"]:
            output.print_error(f"- {b['importer']} -> {b['imported']} ({b['lines']}): {b['why']}", bold=False)
        output.new_line()
