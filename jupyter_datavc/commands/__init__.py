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
# The group that defines each verb, so the CLI imports only the module of the verb it runs
# (start-up time of ``datavc status``). A test keeps it in step with the modules' VERBS.
VERB_GROUPS = {
    **dict.fromkeys(("init", "add", "checkout", "load", "log", "status", "tag", "ls"), "store"),
    **dict.fromkeys(("jobs", "wait", "cancel"), "jobs"),
    **dict.fromkeys(("transform", "lineage", "show-transform"), "lineage"),
    "diff": "diff",
    **dict.fromkeys(("verify", "audit", "gc", "purge"), "integrity"),
    **dict.fromkeys(("remote", "push", "pull", "append", "import-dvc"), "remote"),
    **dict.fromkeys(("run", "manifest", "repro", "runs"), "runs"),
}


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


def group_verbs(group: str) -> list[Verb]:
    return list(importlib.import_module(f"{__name__}.{group}").VERBS)


def all_verbs() -> list[Verb]:
    return [v for group in GROUPS for v in group_verbs(group)]


def verbs_for(name: str | None) -> list[Verb]:
    """The verbs a parser for ``name`` needs: that verb alone when it is known, else all of them."""
    group = VERB_GROUPS.get(name or "")
    if group is None:
        return all_verbs()
    return [v for v in group_verbs(group) if v.name == name]


def run(ctx: Context, ns: argparse.Namespace) -> Any:
    verb = next(v for v in verbs_for(ns.verb) if v.name == ns.verb)
    return verb.run(ctx, ns)
