"""Endpoints over core modules that may not exist yet (lineage #4, runs #5): 501 until they land.

Only a missing module (or function) answers 501; an error raised inside one that exists is
reported like any other core error.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

from ..core.errors import DataVCError, UsageError
from ..core.repo import Repo


class NotAvailable(DataVCError):
    """A feature whose core module is not part of this installation."""

    status = 501


def _module(name: str, feature: str) -> ModuleType:
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as err:
        if err.name != name:
            raise
        raise NotAvailable(f"{feature} is not available in this version of jupyter_datavc") from None


def _as_json(value: Any) -> Any:
    return value.to_json() if hasattr(value, "to_json") else value


def lineage(repo: Repo, rev: str, direction: str, depth: int) -> Any:
    if direction not in ("up", "down"):
        raise UsageError(f"direction must be 'up' or 'down', not {direction!r}")
    if depth < 0:
        raise UsageError("depth must be zero or more")
    mod = _module("jupyter_datavc.core.lineage", "lineage")
    return _as_json(mod.lineage(repo, rev, direction=direction, depth=depth))


def runs(repo: Repo) -> Any:
    mod = _module("jupyter_datavc.core.runs", "runs")
    fn = getattr(mod, "list_runs", None)
    if fn is None:
        raise NotAvailable("runs are not available in this version of jupyter_datavc (no core.runs.list_runs)")
    return {"runs": [_as_json(r) for r in fn(repo)]}
