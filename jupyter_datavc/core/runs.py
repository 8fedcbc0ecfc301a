"""Runs: a kernel session bound to a named experiment, its parameters, metrics and transform steps.

``start`` binds this process to a run; while it is active every ``%%dv transform`` record carries
the run's name and is added to the run as a step; ``log`` records metrics; ``end`` closes it. The
run lives in memory and in ``.datavc/runs/<name>.json``, rewritten atomically as it progresses,
so a run whose kernel died still says what it did. Data is referenced only by pinned versions:
objects with ``dataset``, ``version`` and ``manifest`` (gc keeps every manifest a run file names).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import socket
import threading
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import environment, hardware, run_files
from .errors import UsageError
from .objects import write_atomic
from .repo import DIRNAME
from .revision import check_name
from .run_files import KIND, SCHEMA_VERSION, run_path
from .run_files import load as load  # runs.load(repo, name): a run file as a dict

if TYPE_CHECKING:
    from .repo import Repo

PINNED_KEYS = ("dataset", "version", "manifest", "path", "rows", "size", "declared")


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


def pinned(edge: dict[str, Any]) -> dict[str, Any]:
    """A pinned version as runs and manifests store it (``dataset``, ``version``, ``manifest`` first)."""
    return {k: edge.get(k) for k in PINNED_KEYS if k in edge}


def step_of(record: dict[str, Any]) -> dict[str, Any]:
    """The part of a transform record a run keeps: which cell, which versions in and out."""
    return {
        "transform": record["id"],
        "message": record.get("message") or "",
        "notebook": record.get("notebook"),
        "cell_id": record.get("cell_id"),
        "source_sha256": record.get("source_hash"),
        "started": record.get("started"),
        "duration": record.get("duration"),
        "inputs": [pinned(e) for e in record.get("inputs", [])],
        "outputs": [pinned(e) for e in record.get("outputs", [])],
    }


def metric_value(name: str, value: Any) -> float | int | str:
    """A metric as stored: a number; NaN and infinities as text (JSON has no literal for them)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        try:
            value = float(value)
        except (TypeError, ValueError):
            raise UsageError(f"metric {name}={value!r}: a metric must be a number") from None
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return float(value) if isinstance(value, float) else int(value)


@dataclass
class Run:
    root: Path
    name: str
    params: dict[str, Any]
    started: str
    notebook: str | None = None
    status: str = "running"
    ended: str | None = None
    metrics: dict[str, Any] = field(default_factory=dict)
    metric_log: list[dict[str, Any]] = field(default_factory=list)
    steps: list[dict[str, Any]] = field(default_factory=list)
    cells: list[dict[str, Any]] = field(default_factory=list)
    environment: dict[str, Any] = field(default_factory=dict)
    code_start: int | None = None  # where this run starts in the kernel's input history (not saved)

    def to_json(self) -> dict[str, Any]:
        return {
            "schema_version": SCHEMA_VERSION,
            "kind": KIND,
            "name": self.name,
            "status": self.status,
            "started": self.started,
            "ended": self.ended,
            "notebook": self.notebook,
            "host": socket.gethostname(),
            "pid": os.getpid(),
            "params": self.params,
            "metrics": self.metrics,
            "metric_log": self.metric_log,
            "steps": self.steps,
            "cells": self.cells,
            "environment": self.environment,
        }


_lock = threading.RLock()
_active: Run | None = None
_last: Run | None = None
_session_steps: list[dict[str, Any]] = []  # every transform of this process, run or not


def forget() -> None:
    """Drop this process's run state without writing anything (what a kernel restart does)."""
    global _active, _last
    with _lock:
        _active, _last = None, None
        _session_steps.clear()


def save(run: Run) -> None:
    folder = run.root / DIRNAME / "runs"
    folder.mkdir(parents=True, exist_ok=True)
    body = json.dumps(run.to_json(), indent=1, sort_keys=True, default=str).encode() + b"\n"
    write_atomic(folder / f"{run.name}.json", body)


def describe_environment(root: Path) -> dict[str, Any]:
    return {**environment.describe(root), "hardware": hardware.describe()}


def start(
    repo: Repo,
    name: str,
    params: dict[str, Any] | None = None,
    *,
    notebook: str | None = None,
    replace: bool = False,
    code_start: int | None = None,
) -> Run:
    """Bind this process to a new run ``name`` and write its file."""
    global _active
    path = run_path(repo, name)
    clean = json.loads(json.dumps(params or {}, default=str))
    with _lock:
        if _active is not None:
            raise UsageError(f"run {_active.name!r} is still active; end it first (%dv run end)")
        if path.exists() and not replace:
            old = load(repo, name)
            when = f"ended {old.get('ended')}" if old.get("ended") else "never ended"
            raise UsageError(f"run {name!r} already exists ({when}); choose another name or add --replace")
        run = Run(repo.root, name, clean, now(), notebook=notebook, code_start=code_start)
        run.environment = describe_environment(repo.root)
        save(run)
        _active = run
    repo.audit("run start", run=name, params=clean)
    return run


def active(repo: Repo | None = None) -> Run | None:
    run = _active
    if run is None or (repo is not None and run.root != repo.root):
        return None
    return run


def last(repo: Repo) -> Run | None:
    """The active run of this process, else the one it ended last (in ``repo``)."""
    run = _active or _last
    return run if run is not None and run.root == repo.root else None


def current_name(repo: Repo) -> str | None:
    run = active(repo)
    return run.name if run is not None else None


def session_steps(repo: Repo) -> list[dict[str, Any]]:
    return [s for s in _session_steps if s.get("_root") == str(repo.root)]


def on_transform(repo: Repo, record: dict[str, Any]) -> None:
    """Called once a transform record is saved: the active run gains a step."""
    step = step_of(record)
    with _lock:
        _session_steps.append({**step, "_root": str(repo.root)})
        run = active(repo)
        if run is not None:
            run.steps.append(step)
            save(run)


def log(repo: Repo | None, metrics: dict[str, Any], step: int | None = None) -> Run:
    """Record metrics on the active run (the last value of each name is its metric)."""
    with _lock:
        run = active(repo)
        if run is None:
            raise UsageError("no active run: start one with %dv run start --name NAME (or dv.start_run)")
        when = now()
        for name, value in metrics.items():
            check_name(name, "metric name")
            stored = metric_value(name, value)
            run.metrics[name] = stored
            entry: dict[str, Any] = {"name": name, "value": stored, "time": when}
            if step is not None:
                entry["step"] = step
            run.metric_log.append(entry)
        save(run)
    return run


def end(repo: Repo | None = None, cells: list[str] | None = None) -> Run:
    """Close the active run: its end time, the code it ran and the packages it imported."""
    global _active, _last
    with _lock:
        run = active(repo)
        if run is None:
            raise UsageError("no active run to end")
        if cells is not None:
            run.cells = code_cells(cells)
        run.environment = describe_environment(run.root)
        run.status = "finished"
        run.ended = now()
        save(run)
        _active, _last = None, run
    from .repo import Repo

    Repo(run.root).audit("run end", run=run.name, metrics=run.metrics, steps=[s.get("transform") for s in run.steps])
    return run


def code_cells(sources: list[str]) -> list[dict[str, Any]]:
    return [{"source": s, "sha256": hashlib.sha256(s.encode()).hexdigest()} for s in sources if s.strip()]


def list_runs(repo: Repo) -> list[dict[str, Any]]:
    """Every run file, oldest first, each with its ``state`` (see :func:`run_files.list_runs`)."""
    return run_files.list_runs(repo, _active.name if _active is not None else None)
