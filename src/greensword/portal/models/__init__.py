"""Enterprise portal tables, one module per part of the portal; importing this package imports
them all so Base.metadata (Alembic, tests) knows every table."""

import importlib
import pkgutil

for _info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
    importlib.import_module(f"{__name__}.{_info.name}")
