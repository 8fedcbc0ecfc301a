"""init, add, checkout, load, log, status, tag, ls."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from .. import views
from ..core import tabular
from ..core.errors import NotATable, UsageError
from ..core.repo import Repo
from ..verbs import CLI, MAGIC, REV_HELP, Verb, arg


def _init(ctx: Any, ns: argparse.Namespace) -> Any:
    base = Path(ctx.path(ns.path))
    existing = Repo.find_root(base) if base.exists() else None
    if existing is not None and existing == base.resolve():
        return views.Message(f"datavc repository already at {existing}")
    repo = Repo.init(base)
    return views.Message(f"initialized a datavc repository in {repo.root}")


def _add(ctx: Any, ns: argparse.Namespace) -> Any:
    df_name = getattr(ns, "df", None)
    if df_name is not None and ns.path is not None:
        raise UsageError("give a path or --df, not both")
    if df_name is None and ns.path is None:
        raise UsageError("add needs a path (or --df VARIABLE in a notebook)")
    table = None
    if df_name is not None:
        if ctx.namespace is None or df_name not in ctx.namespace:
            raise UsageError(f"--df: no variable named {df_name!r}")
        table = ctx.namespace[df_name]
        if tabular.as_arrow_table(table) is None:
            raise NotATable(f"--df {df_name}", type(table).__name__)
    repo, created = Repo.open_or_init(ctx.cwd)
    if created:
        ctx.notices.append(f"created a datavc repository in {repo.root}")
    path = None if table is not None else ctx.path(ns.path)
    name = ns.name or (df_name if table is not None else None)
    job = repo.start_add(path, name=name, message=ns.message, table=table)
    if ctx.present_job is not None and not getattr(ns, "wait", False):
        return ctx.present_job(job, repo)
    job.info["waited"] = True
    version = job.wait()
    return views.version_view(version, unchanged=bool(job.info.get("unchanged")))


def _checkout(ctx: Any, ns: argparse.Namespace) -> Any:
    to = None if ns.to is None else ctx.path(ns.to) + ("/" if ns.to.endswith("/") else "")
    return views.checkout_view(ctx.repo().checkout(ns.rev, to=to, force=ns.force))


def _load(ctx: Any, ns: argparse.Namespace) -> Any:
    return ctx.repo().load(ns.rev, arrow=getattr(ns, "arrow", False), path=ns.path)


def _log(ctx: Any, ns: argparse.Namespace) -> Any:
    return views.log_view(ns.name, ctx.repo().log(ns.name))


def _status(ctx: Any, ns: argparse.Namespace) -> Any:
    return views.status_view(ctx.repo().status())


def _tag(ctx: Any, ns: argparse.Namespace) -> Any:
    version = ctx.repo().tag(ns.rev, ns.tag, delete=ns.delete)
    return views.version_view(version, verb="untagged" if ns.delete else "tagged")


def _ls(ctx: Any, ns: argparse.Namespace) -> Any:
    return views.ls_view(ctx.repo().ls())


VERBS = (
    Verb("init", "create a .datavc/ repository", (arg("path", nargs="?", default=".", help="project root"),), _init),
    Verb(
        "add",
        "add a file, a folder or a table as a new version",
        (
            arg("path", nargs="?", help="file or folder inside the repository"),
            arg("--name", "-n", help="dataset name (default: the file or folder name)"),
            arg("--message", "-m", default="", help="what changed"),
            arg("--df", where=MAGIC, metavar="VARIABLE", help="a pandas DataFrame or pyarrow Table variable"),
            arg("--wait", where=MAGIC, action="store_true", help="block until the version is committed"),
        ),
        _add,
    ),
    Verb(
        "checkout",
        "restore a version's files at their workspace path (or --to)",
        (
            arg("rev", help=REV_HELP),
            arg("--to", help="write the files here instead"),
            arg("--force", action="store_true", help="overwrite changes that are in no version"),
        ),
        _checkout,
    ),
    Verb(
        "load",
        "read a version without touching the workspace",
        (
            arg("rev", help=REV_HELP),
            arg("--arrow", action="store_true", where=MAGIC, help="return a pyarrow Table"),
            arg("--path", action="store_true", help="return the path of a read-only copy"),
            arg("--out", where=CLI, help="write the table to this file (.parquet, .csv, .feather, .jsonl)"),
            arg("--head", type=int, default=10, where=CLI, help="rows to preview"),
        ),
        _load,
    ),
    Verb("log", "versions of a dataset", (arg("name", help="dataset name"),), _log),
    Verb("status", "changes in the workspace since the latest versions, and running jobs", (), _status),
    Verb(
        "tag",
        "name a version",
        (
            arg("rev", help=REV_HELP),
            arg("tag", help="tag name"),
            arg("--delete", "-d", action="store_true", help="remove the tag"),
        ),
        _tag,
    ),
    Verb("ls", "datasets with their latest version", (), _ls),
)
