"""One small function per verb: parsed arguments in, a core call, a view out.

Shared by the CLI and the magics; they differ only in the :class:`Context` they pass (where
variables come from, and how a started background job is presented).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import views
from .core.errors import NotATable, UnknownJob, UsageError
from .core.jobs import Job, read_job_files, request_cancel
from .core.repo import Repo


@dataclass
class Context:
    cwd: Path | None = None
    namespace: dict[str, Any] | None = None
    present_job: Callable[[Job, Repo], Any] | None = None  # None: wait for the job here
    notices: list[str] = field(default_factory=list)

    def repo(self) -> Repo:
        return Repo.discover(self.cwd)


def _add(ctx: Context, ns: argparse.Namespace) -> Any:
    df_name = getattr(ns, "df", None)
    if df_name is not None and ns.path is not None:
        raise UsageError("give a path or --df, not both")
    if df_name is None and ns.path is None:
        raise UsageError("add needs a path (or --df VARIABLE in a notebook)")
    repo, created = Repo.open_or_init(ctx.cwd)
    if created:
        ctx.notices.append(f"created a datavc repository in {repo.root}")
    table = None
    if df_name is not None:
        if ctx.namespace is None or df_name not in ctx.namespace:
            raise UsageError(f"--df: no variable named {df_name!r}")
        table = ctx.namespace[df_name]
        from .core import tabular

        if tabular.as_arrow_table(table) is None:
            raise NotATable(f"--df {df_name}", type(table).__name__)
    path = None if table is not None else (str((ctx.cwd or Path.cwd()) / ns.path))
    name = ns.name or (df_name if table is not None else None)
    job = repo.start_add(path, name=name, message=ns.message, table=table)
    if ctx.present_job is not None and not getattr(ns, "wait", False):
        return ctx.present_job(job, repo)
    version = job.wait()
    return views.version_view(version, unchanged=bool(job.info.get("unchanged")))


def _init(ctx: Context, ns: argparse.Namespace) -> Any:
    base = (ctx.cwd or Path.cwd()) / ns.path
    existing = Repo.find_root(base) if base.exists() else None
    if existing is not None and existing == base.resolve():
        return views.Message(f"datavc repository already at {existing}")
    repo = Repo.init(base)
    return views.Message(f"initialized a datavc repository in {repo.root}")


def _checkout(ctx: Context, ns: argparse.Namespace) -> Any:
    to = None if ns.to is None else str((ctx.cwd or Path.cwd()) / ns.to) + ("/" if ns.to.endswith("/") else "")
    return views.checkout_view(ctx.repo().checkout(ns.rev, to=to, force=ns.force))


def _load(ctx: Context, ns: argparse.Namespace) -> Any:
    return ctx.repo().load(ns.rev, arrow=getattr(ns, "arrow", False), path=ns.path)


def _log(ctx: Context, ns: argparse.Namespace) -> Any:
    return views.log_view(ns.name, ctx.repo().log(ns.name))


def _status(ctx: Context, ns: argparse.Namespace) -> Any:
    return views.status_view(ctx.repo().status())


def _tag(ctx: Context, ns: argparse.Namespace) -> Any:
    version = ctx.repo().tag(ns.rev, ns.tag, delete=ns.delete)
    return views.version_view(version, verb="untagged" if ns.delete else "tagged")


def _ls(ctx: Context, ns: argparse.Namespace) -> Any:
    return views.ls_view(ctx.repo().ls())


def _jobs(ctx: Context, ns: argparse.Namespace) -> Any:
    return views.job_rows(read_job_files(ctx.repo().dir / "jobs"))


def _wait(ctx: Context, ns: argparse.Namespace) -> Any:
    repo = ctx.repo()
    jobs = [repo.jobs.get(ns.job)] if ns.job else [j for j in repo.jobs.jobs() if not j.info.get("waited")]
    out = []
    for job in jobs:
        job.info["waited"] = True
        version = job.wait()  # raises the job's own error
        out.append(str(views.version_view(version, unchanged=bool(job.info.get("unchanged")))))
    return views.Message("\n".join(out) if out else "no jobs to wait for")


def _cancel(ctx: Context, ns: argparse.Namespace) -> Any:
    repo = ctx.repo()
    try:
        job = repo.jobs.get(ns.job)
    except UnknownJob:
        doc = request_cancel(repo.dir / "jobs", ns.job)
        return views.Message(f"asked job {doc['id']} to cancel")
    job.cancel()
    return views.Message(f"cancelling job {job.id} ({job.description})")


RUNNERS: dict[str, Callable[[Context, argparse.Namespace], Any]] = {
    "init": _init,
    "add": _add,
    "checkout": _checkout,
    "load": _load,
    "log": _log,
    "status": _status,
    "tag": _tag,
    "ls": _ls,
    "jobs": _jobs,
    "wait": _wait,
    "cancel": _cancel,
}


def run(ctx: Context, ns: argparse.Namespace) -> Any:
    return RUNNERS[ns.verb](ctx, ns)
