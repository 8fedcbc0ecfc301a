"""Compare two runs (run names or manifest files): data, parameters, metrics, code, environment.

The regression debugger: for every dataset whose pinned version differs, its diff summary
(core/diff.py) and the lineage story of both versions (core/lineage.py); parameter changes;
metric values with deltas; a unified diff of the code; what changed in the environment.
"""

from __future__ import annotations

import difflib
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import lineage, run_manifest, runs
from .errors import DataVCError

if TYPE_CHECKING:
    from .repo import Repo

SCHEMA_VERSION = 1
ENV_FIELDS = ("python", "implementation", "platform", "machine", "host")
HARDWARE_FIELDS = ("cpu", "cpus", "memory", "gpus")


def environment_changes(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    """Fields and package versions that differ between two environment descriptions."""
    fields: dict[str, Any] = {}
    for key in ENV_FIELDS:
        if a.get(key) != b.get(key):
            fields[key] = {"a": a.get(key), "b": b.get(key)}
    ha, hb = a.get("hardware") or {}, b.get("hardware") or {}
    for key in HARDWARE_FIELDS if ha and hb else ():  # one side may not have described its machine
        if ha.get(key) != hb.get(key):
            fields[f"hardware.{key}"] = {"a": ha.get(key), "b": hb.get(key)}
    ga, gb = a.get("git") or {}, b.get("git") or {}
    for key in ("commit", "dirty"):
        if ga.get(key) != gb.get(key):
            fields[f"git.{key}"] = {"a": ga.get(key), "b": gb.get(key)}
    pa, pb = a.get("packages") or {}, b.get("packages") or {}
    return {
        "fields": fields,
        "packages": {
            "changed": {k: {"a": pa[k], "b": pb[k]} for k in sorted(pa.keys() & pb.keys()) if pa[k] != pb[k]},
            "added": {k: pb[k] for k in sorted(pb.keys() - pa.keys())},
            "removed": {k: pa[k] for k in sorted(pa.keys() - pb.keys())},
        },
    }


def _side(repo: Repo, what: str, cwd: Path | None = None) -> dict[str, Any]:
    """A run file or a manifest, in one shape: label, params, metrics, steps, code cells, environment."""
    path = (cwd or Path.cwd()) / what
    if what.endswith(".json") and path.is_file():
        doc = run_manifest.load(path)
        cells = (doc.get("notebook") or {}).get("cells") or (doc.get("run") or {}).get("cells") or []
        name = (doc.get("run") or {}).get("name")
        label = f"{what}" + (f" (run {name})" if name else "")
        steps = doc["steps"]
    else:
        doc = runs.load(repo, what)
        cells, label = doc.get("cells") or [], what
        steps = []
        for s in doc.get("steps", []):
            try:
                source = lineage.get(repo, s["transform"]).get("source", "")
            except DataVCError:
                source = ""
            steps.append({**s, "source": source})
    if not cells:  # no recorded cells: the steps' code is what we know
        cells = [{"source": s.get("source", "")} for s in steps]
    return {
        "label": label,
        "started": doc.get("started"),
        "git": (doc.get("environment") or {}).get("git"),
        "params": doc.get("params") or {},
        "metrics": doc.get("metrics") or {},
        "steps": steps,
        "cells": [c.get("source", "") for c in cells],
        "environment": doc.get("environment") or {},
    }


def _versions(steps: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The last pinned version of each dataset a run read or wrote."""
    out: dict[str, dict[str, Any]] = {}
    for s in steps:
        for e in s.get("inputs", []) + s.get("outputs", []):
            out[e["dataset"]] = e
    return out


def _story(repo: Repo, rev: str) -> list[str]:
    try:
        return lineage.summary(lineage.lineage(repo, rev))
    except DataVCError as err:
        return [str(err)]


def stat_changes(doc: dict[str, Any], limit: int = 20) -> list[dict[str, Any]]:
    """The columns whose statistics changed in a diff document, with the changed figures."""
    table = doc.get("table")
    tables = [table] if table else [f["table"] for f in doc.get("files", []) if f.get("table")]
    out = []
    for t in tables:
        for col in (t.get("stats") or {}).get("columns") or []:
            if col.get("changed"):
                figures = {
                    name: [(f.get("before") or {}).get("value"), (f.get("after") or {}).get("value")]
                    for name, f in (col.get("figures") or {}).items()
                    if f.get("changed")
                }
                out.append({"column": col.get("name"), "figures": figures})
    return out[:limit]


def dataset_changes(repo: Repo, a: dict[str, Any], b: dict[str, Any]) -> list[dict[str, Any]]:
    from .diff import diff

    va, vb = _versions(a["steps"]), _versions(b["steps"])
    out = []
    for name in sorted(va.keys() | vb.keys()):
        ea, eb = va.get(name), vb.get(name)
        item: dict[str, Any] = {
            "dataset": name,
            "a": f"{name}@v{ea['version']}" if ea else None,
            "b": f"{name}@v{eb['version']}" if eb else None,
            "status": "unchanged",
            "diff": None,
            "statistics": [],
            "lineage": None,
        }
        if ea is None or eb is None:
            item["status"] = "only in a" if eb is None else "only in b"
        elif ea["manifest"] != eb["manifest"]:
            item["status"] = "changed"
            rev_a, rev_b = f"{name}@{ea['manifest'][:16]}", f"{name}@{eb['manifest'][:16]}"
            try:
                doc = diff(repo, rev_a, rev_b).to_json()
                item["diff"], item["statistics"] = doc["summary"], stat_changes(doc)
            except DataVCError as err:
                item["diff"] = {"error": str(err)}
            item["lineage"] = {"a": _story(repo, rev_a), "b": _story(repo, rev_b)}
        out.append(item)
    return out


def _number(v: Any) -> float | None:
    return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else None


def metric_changes(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for name in sorted(a.keys() | b.keys()):
        x, y = _number(a.get(name)), _number(b.get(name))
        delta = y - x if x is not None and y is not None else None
        rel = delta / abs(x) if delta is not None and x else None
        out[name] = {
            "a": a.get(name),
            "b": b.get(name),
            "delta": delta,
            "relative": rel if rel is None or math.isfinite(rel) else None,
            "changed": a.get(name) != b.get(name),
        }
    return out


def param_changes(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    return {
        k: {"a": a.get(k), "b": b.get(k), "in_a": k in a, "in_b": k in b}
        for k in sorted(a.keys() | b.keys())
        if a.get(k) != b.get(k) or (k in a) != (k in b)
    }


def code_diff(a: list[str], b: list[str], label_a: str, label_b: str) -> str:
    def lines(cells: list[str]) -> list[str]:
        out = []
        for i, src in enumerate(cells, 1):
            out.append(f"# --- cell {i} ---")
            out.extend(src.rstrip("\n").splitlines())
        return out

    return "\n".join(difflib.unified_diff(lines(a), lines(b), label_a, label_b, n=2, lineterm=""))


def compare(repo: Repo, a: str, b: str, cwd: Path | None = None) -> dict[str, Any]:
    """The comparison document of run ``a`` with ``b``: run names, or manifest files (relative to ``cwd``)."""
    sa, sb = _side(repo, a, cwd), _side(repo, b, cwd)
    patch = code_diff(sa["cells"], sb["cells"], sa["label"], sb["label"])
    return {
        "schema_version": SCHEMA_VERSION,
        "a": {k: sa[k] for k in ("label", "started", "git")},
        "b": {k: sb[k] for k in ("label", "started", "git")},
        "datasets": dataset_changes(repo, sa, sb),
        "params": param_changes(sa["params"], sb["params"]),
        "metrics": metric_changes(sa["metrics"], sb["metrics"]),
        "code": {"changed": bool(patch), "diff": patch},
        "environment": environment_changes(sa["environment"], sb["environment"]),
    }
