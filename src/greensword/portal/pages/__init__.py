"""Enterprise portal pages: one module per part of the portal (study, warnings, documents …), each
with its own ``router``; this package gathers them so the app mounts one ``router``."""

import importlib
import pkgutil

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
for _info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
    _module = importlib.import_module(f"{__name__}.{_info.name}")
    if getattr(_module, "router", None) is not None:
        router.include_router(_module.router)
