"""verify, audit, gc, purge."""

from __future__ import annotations

import argparse
from typing import Any

from .. import integrity_views as views
from ..core import audit
from ..core.audit_report import report
from ..core.errors import UsageError
from ..core.gc import gc
from ..core.purge import purge
from ..core.verify import verify
from ..verbs import REV_HELP, Verb, arg


def _verify(ctx: Any, ns: argparse.Namespace) -> Any:
    remote = "default" if ns.remote else None
    result = verify(ctx.repo(), ns.target, all=ns.all, remote=remote)
    if ns.target and ("@" in ns.target or "~" in ns.target):
        what = ns.target
    else:
        what = f"{ns.target or 'every dataset'} ({'every version' if ns.all else 'latest version'})"
    return views.verify_view(result, what)


def _audit(ctx: Any, ns: argparse.Namespace) -> Any:
    if ns.verify and ns.report:
        raise UsageError("give --verify or --report, not both")
    repo = ctx.repo()
    if ns.report:
        rep = report(repo, ns.report)
        return views.JsonView(rep.to_json(), int(not rep.chain.ok)) if ns.json else views.custody_view(rep)
    if ns.verify:
        chain = audit.verify_chain(repo.dir)
        if ns.json:
            doc = {"ok": chain.ok, "events": chain.events, "problems": [p.__dict__ for p in chain.problems]}
            return views.JsonView(doc, int(not chain.ok))
        return views.chain_view(chain)
    events = audit.read_events(repo.dir)
    if ns.json:
        return views.JsonView([e.to_json() for e in events])
    return views.log_view(events[-ns.limit :] if ns.limit > 0 else events, len(events))


def _gc(ctx: Any, ns: argparse.Namespace) -> Any:
    return views.gc_view(gc(ctx.repo(), dry_run=ns.dry_run))


def _purge(ctx: Any, ns: argparse.Namespace) -> Any:
    repo = ctx.repo()
    from ..core.remote import default_remote

    remote = None if ns.local_only or default_remote(repo) is None else "default"
    return views.purge_view(purge(repo, ns.rev, ns.reason, remote=remote))


VERBS = (
    Verb(
        "verify",
        "re-hash stored data and list every problem (exit status 1 if any)",
        (
            arg("target", nargs="?", metavar="NAME[@REV]", help="a dataset (its latest version) or one version"),
            arg("--all", action="store_true", help="every version, not only the latest"),
            arg("--remote", action="store_true", help="check the default remote's copy instead of the local store"),
        ),
        _verify,
    ),
    Verb(
        "audit",
        "the hash-chained operation log",
        (
            arg("--verify", action="store_true", help="check the chain; exit status 1 if it was tampered with"),
            arg("--report", metavar="REV", help=f"chain of custody of one version; {REV_HELP}"),
            arg("--json", action="store_true", help="machine-readable output"),
            arg("--limit", type=int, default=50, help="events to show (0: all)"),
        ),
        _audit,
    ),
    Verb(
        "gc",
        "delete chunks and manifests that no version, tag or run needs",
        (arg("--dry-run", action="store_true", help="only count what would be removed"),),
        _gc,
    ),
    Verb(
        "purge",
        "erase the bytes only one version holds, here and on the default remote (its history stays)",
        (
            arg("rev", help=REV_HELP),
            arg("--reason", required=True, help="why (recorded with the purge)"),
            arg("--local-only", action="store_true", help="leave the default remote's copy alone"),
        ),
        _purge,
    ),
)
