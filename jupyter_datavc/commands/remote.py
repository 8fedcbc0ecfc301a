"""remote, push, pull, append, import-dvc."""

from __future__ import annotations

import argparse
from typing import Any

from .. import views
from ..core import remote as remotes
from ..core.append import start_append
from ..core.dvc_import import ImportResult, import_dvc
from ..core.errors import UsageError
from ..core.jobs import Job
from ..core.repo import Repo
from ..core.sync import SyncResult
from ..verbs import REV_HELP, Verb, arg


def _wait(job: Job) -> Any:
    """Block until ``job`` ends; on a terminal, show its progress on stderr meanwhile."""
    views.show_progress_on_terminal(job)
    return job.wait()


def _options(pairs: list[str] | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise UsageError(f"--option {pair!r}: expected KEY=VALUE")
        out[key] = {"true": True, "false": False}.get(value.lower(), value)
    return out


def _remote(ctx: Any, ns: argparse.Namespace) -> Any:
    repo = ctx.repo()
    if ns.action == "add":
        if not ns.name or not ns.url:
            raise UsageError("usage: remote add NAME URL [--default] [--option KEY=VALUE ...]")
        remotes.add_remote(repo, ns.name, ns.url, default=ns.default, options=_options(ns.option))
        return views.Message(f"added remote {ns.name} -> {ns.url}")
    if ns.action == "remove":
        if not ns.name:
            raise UsageError("usage: remote remove NAME")
        remotes.remove_remote(repo, ns.name)
        return views.Message(f"removed remote {ns.name}")
    default = remotes.default_remote(repo)
    rows = [(name, url, "yes" if name == default else "") for name, url in remotes.remotes(repo).items()]
    return views.Table(["remote", "url", "default"], rows, "remotes")


def _sync_view(verb: str, res: SyncResult) -> views.Message:
    lines = list(res.notices)
    refs = ", ".join(v.ref for v in res.versions)
    if verb == "push":
        lines.append(
            f"pushed {refs} to {res.remote}: {res.objects} object(s), {views.human_size(res.bytes)} sent"
            if res.versions
            else f"{res.remote} already has every version (nothing to push)"
        )
    else:
        size = views.human_size(res.bytes)
        lines.append(f"pulled {refs or 'nothing'} from {res.remote}: {res.objects} chunk(s), {size} fetched")
    lines += [f"{name}@v{old} is now {name}@v{new} (numbers follow the remote)" for name, old, new in res.renumbered]
    return views.Message("\n".join(lines))


def _push(ctx: Any, ns: argparse.Namespace) -> Any:
    return _sync_view("push", _wait(remotes.start_push(ctx.repo(), ns.target, remote=ns.remote)))


def _pull(ctx: Any, ns: argparse.Namespace) -> Any:
    repo: Repo = ctx.repo()
    res: SyncResult = _wait(remotes.start_pull(repo, ns.target, remote=ns.remote, all_refs=ns.all))
    view = _sync_view("pull", res)
    if not ns.no_checkout:
        done = [remotes.restore(repo, v, ns.force) for v in res.versions if v.path is not None]
        view.text += "".join(f"\n{views.checkout_view(c)}" for c in done)
    return view


def _append(ctx: Any, ns: argparse.Namespace) -> Any:
    repo = ctx.repo()
    job = start_append(repo, ns.name, ctx.path(ns.path), message=ns.message)
    version = _wait(job)
    return views.version_view(version, verb="appended as", unchanged=bool(job.info.get("unchanged")))


def _import_dvc(ctx: Any, ns: argparse.Namespace) -> Any:
    repo, created = Repo.open_or_init(ctx.cwd)
    if created:
        ctx.notices.append(f"created a datavc repository in {repo.root}")
    path = ctx.path(ns.path)
    job = repo.jobs.submit(
        "import-dvc", "*", f"import DVC history of {ns.path}", lambda j: import_dvc(repo, path, ns.rev_range, j)
    )
    res: ImportResult = _wait(job)
    lines = [f"imported {len(res.versions)} version(s) from {ns.path}"]
    lines += [f"  {v.ref} ({v.short}): {v.meta['dvc']['path']} at {v.meta['dvc']['commit'][:10]}" for v in res.versions]
    lines += [f"  skipped {s}" for s in res.skipped]
    return views.Message("\n".join(lines))


VERBS = (
    Verb(
        "remote",
        "configure remotes (any fsspec URL: s3://, gs://, az://, file://, memory://)",
        (
            arg("action", nargs="?", default="list", choices=("add", "list", "remove")),
            arg("name", nargs="?", help="remote name"),
            arg("url", nargs="?", help="fsspec URL or local path"),
            arg("--default", action="store_true", help="make it the default remote"),
            arg("--option", "-o", action="append", metavar="KEY=VALUE", help="an fsspec storage option"),
        ),
        _remote,
    ),
    Verb(
        "push",
        "upload versions (missing chunks, then manifests, then refs) to a remote",
        (
            arg("target", nargs="?", metavar="NAME[@REV]", help="a dataset, up to REV (default: every dataset)"),
            arg("--remote", "-r", help="remote name (default: the default remote)"),
        ),
        _push,
    ),
    Verb(
        "pull",
        "fetch the chunks a version needs from a remote and restore its files",
        (
            arg("target", nargs="?", metavar="NAME[@REV]", help=f"{REV_HELP} (default: the latest of every dataset)"),
            arg("--remote", "-r", help="remote name (default: the default remote)"),
            arg(
                "--all", action="store_true", help="also bring every version others pushed (not only the refs you have)"
            ),
            arg("--no-checkout", action="store_true", help="only fetch; leave the workspace as it is"),
            arg("--force", action="store_true", help="overwrite changes that are in no version"),
        ),
        _pull,
    ),
    Verb(
        "append",
        "add a partition file to a folder dataset as a new version (hashes only the new file)",
        (
            arg("name", help="dataset name"),
            arg("path", help="the partition file"),
            arg("--message", "-m", default="", help="what changed"),
        ),
        _append,
    ),
    Verb(
        "import-dvc",
        "turn a DVC repository's Git history into versions",
        (
            arg("path", help="the DVC repository (a Git working copy)"),
            arg("--rev-range", metavar="A..B", help="Git revision range (default: all of HEAD's history)"),
        ),
        _import_dvc,
    ),
)
