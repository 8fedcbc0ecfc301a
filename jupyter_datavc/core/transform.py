"""Run a block of code as a transform: capture what it reads and writes, version the outputs, record it.

Everything that can be checked before the code runs is (input revisions, output names and
paths). If the code raises, nothing is versioned or recorded and the error is the code's own.
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import environment, lineage, runs, tabular
from .capture import capture
from .errors import NotATable, UsageError
from .paths import to_repo_relative
from .refs import Version
from .revision import check_name

if TYPE_CHECKING:
    from .repo import Repo

MAX_PARAM_ITEMS = 50


@dataclass
class TransformSpec:
    inputs: list[str] = field(default_factory=list)
    outputs: list[tuple[str, str]] = field(default_factory=list)  # (dataset, path or variable)
    params: dict[str, Any] = field(default_factory=dict)
    message: str = ""


def parse_outputs(items: list[str]) -> list[tuple[str, str]]:
    out = []
    for item in items:
        name, sep, target = item.partition("=")
        if not sep or not target:
            raise UsageError(f"--out {item!r}: expected NAME=PATH or NAME=VARIABLE")
        out.append((check_name(name.strip()), target.strip()))
    return out


def parse_params(text: str | None) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for item in (text or "").split(","):
        if not item.strip():
            continue
        key, sep, raw = item.partition("=")
        if not sep or not key.strip().isidentifier():
            raise UsageError(f"--params {item!r}: expected NAME=VALUE[,NAME=VALUE]")
        try:
            params[key.strip()] = ast.literal_eval(raw.strip())
        except (ValueError, SyntaxError):
            params[key.strip()] = raw.strip()
    return params


def _simple(value: Any, budget: list[int]) -> bool:
    budget[0] -= 1
    if budget[0] < 0:
        return False
    if value is None or isinstance(value, (bool, int, float, str)):
        return not isinstance(value, str) or len(value) <= 1000
    if isinstance(value, (list, tuple)):
        return all(_simple(v, budget) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _simple(v, budget) for k, v in value.items())
    return False


def read_globals(source: str, namespace: dict[str, Any]) -> dict[str, Any]:
    """Simple values (numbers, strings, bools, small lists/dicts) of the global names the code reads."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return {}
    names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    out = {}
    for name in sorted(names):
        if name.startswith("_") or name not in namespace:
            continue
        value = namespace[name]
        if _simple(value, [MAX_PARAM_ITEMS]):
            out[name] = json.loads(json.dumps(value))
    return out


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip("/") + "/")


def _tracked(repo: Repo) -> dict[str, str]:
    """Absolute workspace path of every dataset that has one."""
    out = {}
    for name in repo.refs.datasets():
        latest = repo.refs.latest(name)
        if latest is not None and latest.path is not None:
            out[name] = str(repo.root / latest.path) if latest.path else str(repo.root)
    return out


def _dataset_of(path: str, tracked: dict[str, str]) -> str | None:
    hits = [n for n, root in tracked.items() if _inside(path, root)]
    return max(hits, key=lambda n: len(tracked[n])) if hits else None


def run_transform(
    repo: Repo,
    run_code: Callable[[], None],
    spec: TransformSpec,
    *,
    source: str,
    namespace: dict[str, Any],
    notebook: str | None = None,
    cell_id: str | None = None,
) -> dict[str, Any]:
    """Run ``run_code`` as a transform step and return its record (already saved)."""
    declared_in: list[Version] = [repo.resolve(rev) for rev in spec.inputs]
    out_paths: dict[str, str] = {}
    for name, target in spec.outputs:
        if not target.isidentifier():
            abs_target = os.path.abspath(target)
            to_repo_relative(repo.root, abs_target)  # refuses paths outside the repository
            out_paths[name] = abs_target
    params = {**read_globals(source, namespace), **spec.params}
    tracked = _tracked(repo)
    transform_id = uuid.uuid4().hex[:12]
    started = datetime.now(timezone.utc).isoformat(timespec="microseconds")
    t0 = time.monotonic()
    with capture() as cap:
        run_code()
    duration = time.monotonic() - t0

    input_names = {v.dataset for v in declared_in}
    out_names = {n for n, _ in spec.outputs}
    detected_in = {d for p in cap.reads if (d := _dataset_of(p, tracked)) and d not in input_names | out_names}
    for path in sorted(cap.writes):
        owner = _dataset_of(path, tracked)
        if owner in input_names | detected_in and owner not in out_names:
            rel = os.path.relpath(path, repo.root)
            raise UsageError(f"the cell wrote to {rel}, which belongs to input dataset {owner!r}; nothing was recorded")
    for name, target in spec.outputs:
        if target.isidentifier() and tabular.as_arrow_table(namespace.get(target)) is None:
            if target not in namespace:
                raise UsageError(f"--out {name}={target}: no variable named {target!r} after the cell")
            raise NotATable(f"--out {name}={target}", type(namespace[target]).__name__)
        if not target.isidentifier() and not os.path.exists(out_paths[name]):
            raise UsageError(f"--out {name}={target}: the cell did not write {target}")

    note = f"input of transform {transform_id}"
    inputs = [lineage.edge(v, True) for v in declared_in]
    for name in sorted(detected_in):  # a workspace with unversioned changes is versioned first
        inputs.append(lineage.edge(repo.add(tracked[name], name=name, message=f"versioned as {note}"), False))
    message = spec.message or f"output of transform {transform_id}"
    outputs = []
    for name, target in spec.outputs:
        if target.isidentifier():
            version = repo.add(None, table=namespace[target], name=name, message=message)
        else:
            version = repo.add(out_paths[name], name=name, message=message)
        outputs.append(lineage.edge(version, True))
    for name in sorted({d for p in cap.writes if (d := _dataset_of(p, tracked)) and d not in out_names}):
        outputs.append(lineage.edge(repo.add(tracked[name], name=name, message=message), False))

    record = {
        "schema_version": lineage.SCHEMA_VERSION,
        "id": transform_id,
        "message": spec.message,
        "notebook": notebook,
        "cell_id": cell_id,
        "source": source,
        "source_hash": hashlib.sha256(source.encode()).hexdigest(),
        "params": params,
        "inputs": inputs,
        "outputs": outputs,
        "rows": lineage.row_change({"inputs": inputs, "outputs": outputs}),
        "started": started,
        "duration": round(duration, 6),
        "user": repo.author(),
        "environment": environment.describe(Path(repo.root)),
        "run": runs.current_name(repo),
    }
    lineage.save(repo, record)
    repo.audit("transform", id=transform_id, inputs=inputs, outputs=outputs, source_hash=record["source_hash"])
    runs.on_transform(repo, record)
    return record
