"""jobs, wait, cancel."""

from __future__ import annotations

import argparse
from typing import Any

from .. import views
from ..core.errors import UnknownJob
from ..core.jobs import read_job_files, request_cancel
from ..verbs import Verb, arg


def _jobs(ctx: Any, ns: argparse.Namespace) -> Any:
    return views.job_rows(read_job_files(ctx.repo().dir / "jobs"))


def _wait(ctx: Any, ns: argparse.Namespace) -> Any:
    repo = ctx.repo()
    jobs = [repo.jobs.get(ns.job)] if ns.job else [j for j in repo.jobs.jobs() if not j.info.get("waited")]
    out = []
    for job in jobs:
        job.info["waited"] = True
        try:
            version = job.wait()  # raises the job's own error
        finally:
            job.republish()  # its widget's final state, from this cell
        out.append(str(views.version_view(version, unchanged=bool(job.info.get("unchanged")))))
    return views.Message("\n".join(out) if out else "no jobs to wait for")


def _cancel(ctx: Any, ns: argparse.Namespace) -> Any:
    repo = ctx.repo()
    try:
        job = repo.jobs.get(ns.job)
    except UnknownJob:
        doc = request_cancel(repo.dir / "jobs", ns.job)  # a job of another process
        return views.Message(f"asked job {doc['id']} to cancel")
    job.cancel()
    return views.Message(f"cancelling job {job.id} ({job.description})")


VERBS = (
    Verb("jobs", "background jobs of every process using this repository", (), _jobs),
    Verb("wait", "wait for a job (default: every job not waited for) and report it", (arg("job", nargs="?"),), _wait),
    Verb("cancel", "cancel a running job", (arg("job"),), _cancel),
)
