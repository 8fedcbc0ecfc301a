"""Transform records and the lineage graph built from them.

A transform record (``.datavc/transforms/<id>.json``, small JSON meant for Git) says which
versions a step read, which it wrote, and with what code, parameters and environment. The
lineage of a version is the graph of records reachable from it, upstream or downstream.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .errors import CorruptMetadata, DataVCError, UsageError
from .objects import write_atomic

if TYPE_CHECKING:
    from .refs import Version
    from .repo import Repo

SCHEMA_VERSION = 1


class UnknownTransform(DataVCError):
    status = 404


def edge(version: Version, declared: bool, path: str | None = None) -> dict[str, Any]:
    return {
        "dataset": version.dataset,
        "version": version.number,
        "manifest": version.manifest,
        "rows": version.rows,
        "size": version.size,
        "path": path if path is not None else version.path,
        "declared": declared,
    }


def transforms_dir(repo: Repo) -> Any:
    return repo.dir / "transforms"


def save(repo: Repo, record: dict[str, Any]) -> None:
    folder = transforms_dir(repo)
    folder.mkdir(parents=True, exist_ok=True)
    body = json.dumps(record, indent=1, sort_keys=True, default=str).encode() + b"\n"
    write_atomic(folder / f"{record['id']}.json", body, fsync=True)


def all_records(repo: Repo) -> list[dict[str, Any]]:
    folder = transforms_dir(repo)
    if not folder.is_dir():
        return []
    out = []
    for name in os.listdir(folder):
        if not name.endswith(".json"):
            continue
        try:
            out.append(json.loads((folder / name).read_bytes()))
        except (OSError, ValueError) as err:
            raise CorruptMetadata(f"unreadable transform record {folder / name}: {err}") from None
    return sorted(out, key=lambda r: r.get("started", ""))


def get(repo: Repo, transform_id: str) -> dict[str, Any]:
    records = all_records(repo)
    hits = [r for r in records if r["id"].startswith(transform_id)] if transform_id else []
    if len(hits) != 1:
        known = ", ".join(r["id"] for r in records[-5:])
        detail = "ambiguous" if hits else "unknown"
        raise UnknownTransform(f"{detail} transform {transform_id!r}" + (f" (recent: {known})" if known else ""))
    return hits[0]


def _key(e: dict[str, Any]) -> str:
    return f"{e['dataset']}@v{e['version']}"


@dataclass
class LineageGraph:
    root: str
    direction: str
    nodes: dict[str, dict[str, Any]] = field(default_factory=dict)
    edges: list[dict[str, Any]] = field(default_factory=list)
    steps: list[dict[str, Any]] = field(default_factory=list)  # records, in time order

    def to_json(self) -> dict[str, Any]:
        return {
            "schema_version": SCHEMA_VERSION,
            "root": self.root,
            "direction": self.direction,
            "nodes": list(self.nodes.values()),
            "edges": self.edges,
        }


def _dataset_node(e: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": f"dataset:{_key(e)}",
        "kind": "dataset",
        "dataset": e["dataset"],
        "version": e["version"],
        "ref": _key(e),
        "hash": e["manifest"],
        "rows": e.get("rows"),
    }


def _transform_node(r: dict[str, Any]) -> dict[str, Any]:
    first = next((ln.strip() for ln in r.get("source", "").splitlines() if ln.strip()), "")
    return {
        "id": f"transform:{r['id']}",
        "kind": "transform",
        "transform": r["id"],
        "label": r.get("message") or first[:60],
        "started": r.get("started"),
        "duration": r.get("duration"),
    }


def lineage(repo: Repo, rev: str, *, direction: str = "up", depth: int = 10) -> LineageGraph:
    """The DAG of versions and transforms around ``rev`` (``up``: what made it; ``down``: what it made)."""
    if direction not in ("up", "down"):
        raise UsageError(f"direction must be 'up' or 'down', not {direction!r}")
    if depth < 1:
        raise UsageError("depth must be at least 1")
    version = repo.resolve(rev)
    start = {"dataset": version.dataset, "version": version.number, "manifest": version.manifest, "rows": version.rows}
    graph = LineageGraph(_key(start), direction)
    graph.nodes[f"dataset:{_key(start)}"] = _dataset_node(start)
    records = all_records(repo)
    frontier, seen = [_key(start)], set()
    for _ in range(depth):
        nxt: list[str] = []
        for key in frontier:
            for r in records:
                side, other = ("outputs", "inputs") if direction == "up" else ("inputs", "outputs")
                if r["id"] in seen or key not in {_key(e) for e in r.get(side, [])}:
                    continue
                seen.add(r["id"])
                graph.steps.append(r)
                tnode = _transform_node(r)
                graph.nodes[tnode["id"]] = tnode
                for e in r.get("inputs", []):
                    graph.nodes.setdefault(f"dataset:{_key(e)}", _dataset_node(e))
                    graph.edges.append({"from": f"dataset:{_key(e)}", "to": tnode["id"], "declared": e["declared"]})
                for e in r.get("outputs", []):
                    graph.nodes.setdefault(f"dataset:{_key(e)}", _dataset_node(e))
                    graph.edges.append({"from": tnode["id"], "to": f"dataset:{_key(e)}", "declared": e["declared"]})
                nxt.extend(_key(e) for e in r.get(other, []))
        frontier = nxt
        if not frontier:
            break
    graph.steps.sort(key=lambda r: r.get("started", ""))
    return graph


def summary(graph: LineageGraph) -> list[str]:
    """The step-by-step story: what each transform read and wrote, and the rows it removed/added."""
    lines = []
    for i, r in enumerate(graph.steps, 1):
        label = _transform_node(r)["label"]
        ins = ", ".join(f"{_key(e)}{_rows(e)}" for e in r.get("inputs", [])) or "nothing tracked"
        outs = ", ".join(f"{_key(e)}{_rows(e)}" for e in r.get("outputs", [])) or "nothing tracked"
        line = f"Step {i}: {label} [{r['id']}]: {ins} -> {outs}."
        delta = row_change(r)
        if delta:
            line += f" {delta}"
        lines.append(line)
    return lines or [f"{graph.root} was not produced by a recorded transform"]


def _rows(e: dict[str, Any]) -> str:
    return f" ({e['rows']:,} rows)" if e.get("rows") is not None else ""


def row_change(r: dict[str, Any]) -> str:
    rows_in = [e["rows"] for e in r.get("inputs", []) if e.get("rows") is not None]
    rows_out = [e["rows"] for e in r.get("outputs", []) if e.get("rows") is not None]
    if len(rows_in) != 1 or len(rows_out) != 1:
        return ""
    before, after = rows_in[0], rows_out[0]
    if after < before:
        pct = f" ({100 * (before - after) / before:.1f}%)" if before else ""
        return f"Removed {before - after:,} rows{pct}."
    if after > before:
        return f"Added {after - before:,} rows."
    return "Row count unchanged."
