"""run (start/log/end, in a notebook), manifest, repro, runs (list/show/compare)."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from .. import views
from ..core import repro, run_compare, run_manifest, run_sources, runs
from ..core.errors import UsageError
from ..core.transform import parse_params
from ..lineage_view import JSONView
from ..repro_view import ReproView
from ..runs_view import ComparisonView, RunView, runs_table
from ..verbs import CLI, MAGIC, Verb, arg


def _history(ctx: Any) -> list[str]:
    """The kernel's input history (raw cells, as typed), when running in IPython."""
    ns = ctx.namespace or {}
    get_ipython = ns.get("get_ipython")
    try:
        return list(get_ipython().history_manager.input_hist_raw)
    except Exception:
        return [str(c) for c in ns.get("In", [])]


def _session_notebook(ctx: Any, repo: Any) -> Path | None:
    """The running notebook's path as the front end tells the kernel (JupyterLab, VS Code)."""
    ns = ctx.namespace or {}
    named = os.environ.get("JPY_SESSION_NAME") or ns.get("__session__") or ns.get("__vsc_ipynb_file__")
    if not named:
        return None
    p = Path(str(named))
    cwd = Path(ctx.path("."))
    for cand in (p,) if p.is_absolute() else (cwd / p, repo.root / p, cwd / p.name):
        if cand.is_file():
            return cand.resolve()
    return None


def parse_metrics(items: list[str]) -> dict[str, Any]:
    metrics: dict[str, Any] = {}
    for item in (part for text in items for part in text.split(",") if part.strip()):
        name, sep, raw = item.partition("=")
        if not sep or not name.strip() or not raw.strip():
            raise UsageError(f"run log {item!r}: expected NAME=NUMBER [NAME=NUMBER ...]")
        try:
            metrics[name.strip()] = float(raw) if any(c in raw.lower() for c in ".en") else int(raw)
        except ValueError:
            raise UsageError(f"run log {item!r}: {raw.strip()!r} is not a number") from None
    if not metrics:
        raise UsageError("run log needs NAME=NUMBER values, e.g. %dv run log accuracy=0.91 loss=0.2")
    return metrics


def _run(ctx: Any, ns: argparse.Namespace) -> Any:
    repo = ctx.repo()
    if ns.action == "start":
        if not ns.name:
            raise UsageError("run start needs --name NAME")
        if ns.values:
            raise UsageError(f"run start takes no values ({' '.join(ns.values)}); give --params NAME=VALUE,...")
        nb = _session_notebook(ctx, repo)
        history = _history(ctx)
        run = runs.start(
            repo,
            ns.name,
            parse_params(ns.params),
            notebook=os.path.relpath(nb, repo.root) if nb is not None else None,
            replace=ns.replace,
            code_start=max(len(history) - 1, 0) if history else None,
        )
        params = ", ".join(f"{k}={v!r}" for k, v in run.params.items())
        return views.Message(f"run {run.name} started" + (f" with {params}" if params else ""))
    if ns.name or ns.params or ns.replace:
        raise UsageError(f"--name, --params and --replace go with run start, not run {ns.action}")
    if ns.action == "log":
        run = runs.log(repo, parse_metrics(ns.values))
        return views.Message(f"run {run.name}: " + ", ".join(f"{k}={v}" for k, v in run.metrics.items()))
    if ns.values:
        raise UsageError(f"run {ns.action} takes no values")
    if ns.action == "end":
        current = runs.active(repo)
        history = _history(ctx)
        start = current.code_start if current is not None else None
        run = runs.end(repo, cells=history[start:] if start is not None and history else None)
        return views.Message(f"run {run.name} ended: {len(run.steps)} step(s), metrics {run.metrics or '{}'}")
    current = runs.active(repo)
    return views.Message(f"active run: {current.name}" if current is not None else "no active run")


def _manifest(ctx: Any, ns: argparse.Namespace) -> Any:
    repo = ctx.repo()
    if ctx.namespace is None:  # the shell: a saved, executed notebook
        if not ns.notebook:
            raise UsageError("manifest needs the executed notebook: datavc manifest NOTEBOOK.ipynb -o run.json")
        doc, warnings = run_sources.from_notebook(repo, Path(ctx.path(ns.notebook)))
    else:  # a notebook: this session's run
        nb = Path(ctx.path(ns.notebook)) if ns.notebook else _session_notebook(ctx, repo)
        doc, warnings = run_sources.from_session(repo, nb, _history(ctx), ctx.namespace)
    ctx.notices.extend(f"warning: {w}" for w in warnings)
    if not ns.output:
        return JSONView(doc)
    out = Path(ctx.path(ns.output))
    run_manifest.write(doc, out)
    ins = ", ".join(f"{e['dataset']}@v{e['version']}" for e in doc["inputs"]) or "none"
    run = f"run {doc['run']['name']}, " if doc["run"] else ""
    return views.Message(f"wrote {ns.output}: {run}{len(doc['steps'])} step(s), pinned inputs: {ins}")


def _repro(ctx: Any, ns: argparse.Namespace) -> Any:
    from ..nbexec import execute_notebook

    report = repro.repro(
        ctx.repo(),
        Path(ctx.path(ns.manifest)),
        execute_notebook,
        workdir=Path(ctx.path(ns.workdir)) if ns.workdir else None,
        keep=ns.keep,
        allow_changed=ns.allow_changed,
        check_determinism=ns.check_determinism,
        timeout=ns.timeout,
    )
    view: Any = ReproView(report)
    if ns.json:
        view = JSONView(report.to_json())
        view.exit_code = report.exit_code
    return view


def _runs(ctx: Any, ns: argparse.Namespace) -> Any:
    repo = ctx.repo()
    wanted = {"list": 0, "show": 1, "compare": 2}[ns.action]
    if len(ns.names) != wanted:
        usage = {"list": "runs list", "show": "runs show NAME", "compare": "runs compare A B"}[ns.action]
        raise UsageError(f"usage: {usage} (A and B: run names or manifest files)")
    if ns.action == "list":
        docs = runs.list_runs(repo)
        return JSONView(docs) if ns.json else runs_table(docs)
    if ns.action == "show":
        doc = runs.load(repo, ns.names[0])
        doc["state"] = next((d["state"] for d in runs.list_runs(repo) if d["name"] == doc["name"]), doc["status"])
        return JSONView(doc) if ns.json else RunView(doc)
    doc = run_compare.compare(repo, ns.names[0], ns.names[1], cwd=Path(ctx.path(".")))
    return JSONView(doc) if ns.json else ComparisonView(doc)


VERBS = (
    Verb(
        "run",
        "bind this kernel to a run: run start --name NAME [--params K=V,...] | run log K=V ... | run end",
        (
            arg("action", choices=("start", "log", "end", "status")),
            arg("values", nargs="*", metavar="NAME=NUMBER", help="metrics (run log)"),
            arg("--name", "-n", help="run name (run start)"),
            arg("--params", help="NAME=VALUE[,NAME=VALUE] (run start)"),
            arg("--replace", action="store_true", help="overwrite an earlier run of that name (run start)"),
        ),
        _run,
        where=MAGIC,
    ),
    Verb(
        "manifest",
        "a run manifest: of this session's run (in a notebook) or of a saved, executed NOTEBOOK (shell)",
        (
            arg("notebook", nargs="?", help="the .ipynb (shell: required; notebook: this notebook's path)"),
            arg("--output", "-o", help="write the manifest here (default: show it)"),
        ),
        _manifest,
    ),
    Verb(
        "repro",
        "re-run a manifest's notebook in a fresh kernel and verify its outputs (exit 0 match, 1 mismatch)",
        (
            arg("manifest", help="a run manifest (.json)"),
            arg("--workdir", help="run here (a new or empty folder; kept) instead of a temporary folder"),
            arg("--keep", action="store_true", help="keep the work directory and the executed notebook"),
            arg("--allow-changed", action="store_true", help="re-run even if the notebook's code changed"),
            arg("--check-determinism", action="store_true", help="run twice and name steps whose outputs differ"),
            arg("--timeout", type=float, help="seconds a cell may run (default: no limit)"),
            arg("--json", action="store_true", help="the report as JSON"),
        ),
        _repro,
        where=CLI,
    ),
    Verb(
        "runs",
        "runs list | runs show NAME | runs compare A B (run names or manifest files)",
        (
            arg("action", choices=("list", "show", "compare")),
            arg("names", nargs="*", metavar="RUN"),
            arg("--json", action="store_true", help="as JSON"),
        ),
        _runs,
    ),
)
