"""The one description of every verb and its arguments; ``%dv`` and ``datavc`` are built from it."""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from typing import Any

BOTH, MAGIC, CLI = "both", "magic", "cli"


@dataclass(frozen=True)
class Arg:
    flags: tuple[str, ...]
    options: dict[str, Any] = field(default_factory=dict)
    where: str = BOTH


@dataclass(frozen=True)
class Verb:
    name: str
    help: str
    args: tuple[Arg, ...] = ()


def _a(*flags: str, where: str = BOTH, **options: Any) -> Arg:
    return Arg(flags, options, where)


REV_HELP = "NAME[@REV]: REV is vN, latest, a tag or a hash prefix (6+ hex), optionally ~k"

VERBS: tuple[Verb, ...] = (
    Verb("init", "create a .datavc/ repository", (_a("path", nargs="?", default=".", help="project root"),)),
    Verb(
        "add",
        "add a file, a folder or a table as a new version",
        (
            _a("path", nargs="?", help="file or folder inside the repository"),
            _a("--name", "-n", help="dataset name (default: the file or folder name)"),
            _a("--message", "-m", default="", help="what changed"),
            _a("--df", where=MAGIC, metavar="VARIABLE", help="a pandas DataFrame or pyarrow Table variable"),
            _a("--wait", where=MAGIC, action="store_true", help="block until the version is committed"),
        ),
    ),
    Verb(
        "checkout",
        "restore a version's files at their workspace path (or --to)",
        (
            _a("rev", help=REV_HELP),
            _a("--to", help="write the files here instead"),
            _a("--force", action="store_true", help="overwrite changes that are in no version"),
        ),
    ),
    Verb(
        "load",
        "read a version without touching the workspace",
        (
            _a("rev", help=REV_HELP),
            _a("--arrow", action="store_true", where=MAGIC, help="return a pyarrow Table"),
            _a("--path", action="store_true", help="return the path of a read-only copy"),
            _a("--out", where=CLI, help="write the table to this file (.parquet, .csv, .feather, .jsonl)"),
            _a("--head", type=int, default=10, where=CLI, help="rows to preview"),
        ),
    ),
    Verb("log", "versions of a dataset", (_a("name", help="dataset name"),)),
    Verb("status", "changes in the workspace since the latest versions, and running jobs"),
    Verb(
        "tag",
        "name a version",
        (
            _a("rev", help=REV_HELP),
            _a("tag", help="tag name"),
            _a("--delete", "-d", action="store_true", help="remove the tag"),
        ),
    ),
    Verb("ls", "datasets with their latest version"),
    Verb("jobs", "background jobs of every process using this repository"),
    Verb("wait", "wait for a job (default: all) and report its result", (_a("job", nargs="?"),)),
    Verb("cancel", "cancel a running job", (_a("job"),)),
)


def build_parser(prog: str, target: str, parser_class: type[argparse.ArgumentParser]) -> argparse.ArgumentParser:
    """An argparse parser for ``target`` ("cli" or "magic") from :data:`VERBS`."""
    parser = parser_class(prog=prog, description="Version datasets: add, checkout, load, log.")
    if target == CLI:
        parser.add_argument("-C", dest="cwd", metavar="DIR", help="run as if started in DIR")
    sub = parser.add_subparsers(dest="verb", metavar="VERB", parser_class=parser_class)
    sub.required = True
    for verb in VERBS:
        p = sub.add_parser(verb.name, help=verb.help, description=verb.help)
        for arg in verb.args:
            if arg.where in (BOTH, target):
                p.add_argument(*arg.flags, **arg.options)
    return parser
