"""Run manifests: one small JSON document that says how to re-run a notebook and what it must produce.

It holds references, never data: the notebook's path, content hash and code cells; the ordered
transform steps with their pinned input and output versions (outputs with per-file content hashes
and logical table fingerprints); the run's parameters and metrics; the environment and the Git
state; start and end times. The shape is ``jupyter_datavc/schemas/run_manifest.schema.json``.
"""

from __future__ import annotations

import importlib.metadata
import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import notebook, runs, tabular
from .errors import DataVCError, UsageError
from .manifest import Manifest
from .objects import write_atomic
from .paths import to_repo_relative
from .reading import cached_file

if TYPE_CHECKING:
    from .repo import Repo

SCHEMA_VERSION = 1
KIND = "datavc.run_manifest"
MAX_FILES = 100  # outputs with more files keep only their manifest hash


class ManifestError(UsageError):
    """A run manifest that cannot be used (unreadable, newer, malformed)."""


def output_entry(repo: Repo, edge: dict[str, Any]) -> dict[str, Any]:
    """A pinned output with its files' content hashes and, for tables, logical fingerprints."""
    entry = runs.pinned(edge)
    where = f"{edge['dataset']}@v{edge['version']}"
    try:
        manifest = Manifest.from_bytes(repo.manifests.get(edge["manifest"], where=where), where=where)
    except DataVCError:
        return entry
    if len(manifest.files) > MAX_FILES:
        entry["files_omitted"] = len(manifest.files)
        return entry
    files = []
    for f in manifest.files:
        item: dict[str, Any] = {"path": f.path, "size": f.size, "hash": f.hash}
        fmt = tabular.format_of(f.path)
        if fmt and not (f.table or {}).get("error"):
            try:
                from .fingerprint import file_fingerprint  # numpy: only when a table is fingerprinted

                item["fingerprint"] = file_fingerprint(cached_file(repo, f, where), fmt)
            except Exception:
                pass  # unreadable as a table: the content hash still pins it
        files.append(item)
    entry["files"] = files
    return entry


def _cell_of(record: dict[str, Any], cells: list[dict[str, Any]], by_output: dict[str, int]) -> int | None:
    if record["id"] in by_output:
        return by_output[record["id"]]
    for c in cells:
        if record.get("cell_id") and c.get("id") == record["cell_id"]:
            return int(c["index"])
    for c in cells:
        body = notebook.transform_body(c["source"])
        if body is not None and notebook.same_code(body, record.get("source", "")):
            return int(c["index"])
    return None


def external_inputs(steps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Inputs no earlier step produced: what a re-run must restore."""
    made: set[tuple[str, str]] = set()
    out: list[dict[str, Any]] = []
    seen: set[tuple[str, int, str]] = set()
    for s in steps:
        for e in s["inputs"]:
            key = (e["dataset"], int(e["version"]), e["manifest"])
            if (e["dataset"], e["manifest"]) not in made and key not in seen:
                seen.add(key)
                out.append(runs.pinned(e))
        made.update((e["dataset"], e["manifest"]) for e in s["outputs"])
    return out


def notebook_section(repo: Repo, path: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the manifest's ``notebook`` object, the parsed notebook) of a notebook inside the project."""
    rel = to_repo_relative(repo.root, path.resolve())
    doc = notebook.read(path)
    cells = notebook.code_cells(doc)
    kernel = ((doc.get("metadata") or {}).get("kernelspec") or {}).get("name")
    section = {
        "path": rel,
        "sha256": notebook.sha256(path.read_bytes()),
        "code_sha256": notebook.sha256("\n".join(c["sha256"] for c in cells)),
        "kernel": kernel,
        "cells": cells,
    }
    return section, doc


def _datavc_version() -> str:
    try:
        return importlib.metadata.version("jupyter_datavc")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def _end_of(record: dict[str, Any]) -> str:
    start = datetime.fromisoformat(record["started"])
    return (start + timedelta(seconds=float(record.get("duration") or 0))).isoformat()


def build(
    repo: Repo,
    records: list[dict[str, Any]],
    *,
    run: dict[str, Any] | None,
    nb: tuple[dict[str, Any], dict[str, Any]] | None,
    cells_by_output: dict[str, int] | None = None,
    values: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The manifest of ``records`` (in order), the run they belong to and the notebook that ran them.

    ``values``: the session's variables; the parameters cell's names take their values from it
    (they may have been injected), else the literals written in the cell.
    """
    section, nbdoc = nb if nb is not None else (None, None)
    cells = section["cells"] if section is not None else []
    steps = []
    for i, r in enumerate(records, 1):
        steps.append(
            {
                "index": i,
                "transform": r["id"],
                "message": r.get("message") or "",
                "cell_id": r.get("cell_id"),
                "cell_index": _cell_of(r, cells, cells_by_output or {}),
                "source_sha256": r.get("source_hash"),
                "source": r.get("source", ""),
                "params": r.get("params", {}),
                "started": r.get("started"),
                "duration": r.get("duration"),
                "inputs": [runs.pinned(e) for e in r.get("inputs", [])],
                "outputs": [output_entry(repo, e) for e in r.get("outputs", [])],
            }
        )
    env = dict((run or {}).get("environment") or (records[0].get("environment") if records else None) or {})
    if not env:
        env = runs.describe_environment(repo.root)
    env.setdefault("hardware", runs.describe_environment(repo.root)["hardware"])
    params = notebook.parameters(nbdoc) if nbdoc is not None else {}
    for name in params:
        if values is not None and isinstance(values.get(name), (bool, int, float, str, type(None), list, dict)):
            try:
                params[name] = json.loads(json.dumps(values[name]))
            except (TypeError, ValueError):
                pass
    params.update((run or {}).get("params") or {})
    started = (run or {}).get("started") or (records[0]["started"] if records else None)
    ended = (run or {}).get("ended") or (max(_end_of(r) for r in records) if records else None)
    run_part = None
    if run is not None:
        run_part = {"name": run["name"], "status": run.get("status"), "notebook": run.get("notebook")}
        if section is None:
            run_part["cells"] = run.get("cells", [])
    return {
        "schema_version": SCHEMA_VERSION,
        "kind": KIND,
        "created": runs.now(),
        "datavc_version": _datavc_version(),
        "notebook": section,
        "run": run_part,
        "params": params,
        "metrics": dict((run or {}).get("metrics") or {}),
        "steps": steps,
        "inputs": external_inputs(steps),
        "environment": env,
        "git": env.get("git"),
        "started": started,
        "ended": ended,
    }


def write(doc: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, json.dumps(doc, indent=1, sort_keys=True, default=str).encode() + b"\n")


def load(path: Path) -> dict[str, Any]:
    """A run manifest from disk, checked enough to be used; :class:`ManifestError` otherwise."""
    try:
        doc = json.loads(path.read_bytes())
    except FileNotFoundError:
        raise ManifestError(f"manifest {path} does not exist") from None
    except (OSError, ValueError) as err:
        raise ManifestError(f"{path} is not a readable run manifest: {str(err).splitlines()[0]}") from None
    if not isinstance(doc, dict) or doc.get("kind") != KIND:
        if path.suffix == ".ipynb":
            raise ManifestError(
                f"{path} is a notebook; make its manifest first: datavc manifest {path.name} -o run.json"
            )
        raise ManifestError(f"{path} is not a datavc run manifest (kind {KIND!r})")
    version = doc.get("schema_version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise ManifestError(f"{path} has no valid schema_version")
    if version > SCHEMA_VERSION:
        raise ManifestError(
            f"{path} uses run manifest schema version {version}, newer than this jupyter_datavc reads"
            f" ({SCHEMA_VERSION}): upgrade jupyter_datavc"
        )
    try:
        for step in doc["steps"]:
            for e in step["inputs"] + step["outputs"]:
                if not (
                    isinstance(e["dataset"], str) and isinstance(e["version"], int) and isinstance(e["manifest"], str)
                ):
                    raise TypeError("a pinned version needs dataset, version and manifest")
        if doc["notebook"] is not None and not isinstance(doc["notebook"]["path"], str):
            raise TypeError("notebook.path must be a string")
        if not isinstance(doc["params"], dict):
            raise TypeError("params must be an object")
    except (KeyError, TypeError, IndexError) as err:
        raise ManifestError(f"{path} is a malformed run manifest: {err}") from None
    return doc
