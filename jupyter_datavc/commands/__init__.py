"""The verbs: one module per group, each listing its verbs with their arguments and runner.

A runner takes parsed arguments and a :class:`Context`, makes one core call and returns a view.
The CLI and the magics differ only in the Context they pass.
"""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..core.jobs import Job
from ..core.repo import Repo
from ..verbs import Verb

GROUPS = ("store", "jobs", "lineage", "diff", "integrity", "remote", "runs")


@dataclass
class Context:
    cwd: Path | None = None
    namespace: dict[str, Any] | None = None  # the notebook's variables (magics only)
    present_job: Callable[[Job, Repo], Any] | None = None  # None: wait for the job here
    notices: list[str] = field(default_factory=list)
    cell: str | None = None  # the body of a %%dv cell
    run_cell: Callable[[str], None] | None = None  # runs code in the notebook's namespace
    cell_info: dict[str, str | None] = field(default_factory=dict)  # notebook path, cell id

    def repo(self) -> Repo:
        return Repo.discover(self.cwd)

    def path(self, p: str) -> str:
        return str((self.cwd or Path.cwd()) / p)


def all_verbs() -> list[Verb]:
    verbs: list[Verb] = []
    for group in GROUPS:
        verbs.extend(importlib.import_module(f"{__name__}.{group}").VERBS)
    return verbs


def run(ctx: Context, ns: argparse.Namespace) -> Any:
    verb = next(v for v in all_verbs() if v.name == ns.verb)
    return verb.run(ctx, ns)
