"""Which transform records make a run manifest: those of a saved, executed notebook, or of this session.

A saved notebook's ``%%dv transform`` cells print ``transform <id>: ...``; those ids pick the exact
records (else the latest record of the same code). In a kernel, the run bound with ``%dv run start``
(active, or the last one ended) lists its steps; without a run, the transforms of this process.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import lineage, notebook, runs
from .errors import DataVCError
from .run_manifest import build, notebook_section

if TYPE_CHECKING:
    from .repo import Repo


def from_notebook(repo: Repo, path: Path) -> tuple[dict[str, Any], list[str]]:
    """The manifest of a saved, executed notebook: its transform cells matched to their records."""
    section, nbdoc = notebook_section(repo, path)
    by_id = {r["id"]: r for r in lineage.all_records(repo)}
    warnings: list[str] = []
    chosen: list[dict[str, Any]] = []
    by_output: dict[str, int] = {}
    for i, cell in enumerate(nbdoc["cells"]):
        if cell.get("cell_type") != "code":
            continue
        ids = [t for t in notebook.transform_ids(cell) if t in by_id]
        body = notebook.transform_body(notebook.source(cell))
        if not ids and body is not None:
            same = [
                r
                for r in by_id.values()
                if notebook.same_code(r.get("source", ""), body)
                and (not r.get("cell_id") or not cell.get("id") or r["cell_id"] == cell["id"])
            ]
            if same:
                pick = max(same, key=lambda r: str(r.get("started", "")))
                ids = [pick["id"]]
                warnings.append(f"cell {i}: no transform id in its outputs; using the latest record of its code")
            else:
                warnings.append(f"cell {i} is a %%dv transform cell without a record (was it executed?)")
        for t in ids:
            by_output[t] = i
        chosen += sorted((by_id[t] for t in ids), key=lambda r: str(r.get("started", "")))
    if not chosen:
        warnings.append(f"{section['path']} has no recorded transform steps")
    run = None
    names = Counter(r["run"] for r in chosen if r.get("run"))
    if names:
        name = names.most_common(1)[0][0]
        try:
            run = runs.load(repo, name)
        except DataVCError as err:
            warnings.append(f"{err}; the manifest has no metrics")
    return build(repo, chosen, run=run, nb=(section, nbdoc), cells_by_output=by_output), warnings


def from_session(
    repo: Repo,
    notebook_path: Path | None,
    history: list[str] | None = None,
    values: dict[str, Any] | None = None,
) -> tuple[dict[str, Any], list[str]]:
    """The manifest of this process's run (active or last ended), else of its transforms.

    ``history``: the code cells the kernel ran; ``values``: its variables (for the parameters).
    """
    warnings: list[str] = []
    by_id = {r["id"]: r for r in lineage.all_records(repo)}
    current = runs.last(repo)
    steps = current.steps if current is not None else runs.session_steps(repo)
    records = [by_id[s["transform"]] for s in steps if s["transform"] in by_id]
    run = None
    if current is not None:
        run = current.to_json()
        if not run["cells"] and history is not None and current.code_start is not None:
            run["cells"] = runs.code_cells(history[current.code_start :])
        if current.status == "running":
            run["environment"] = runs.describe_environment(repo.root)
            warnings.append(f"run {current.name!r} is still active: the manifest has its metrics so far")
    if not records:
        warnings.append("no transform steps were recorded in this session")
    nb = None
    if notebook_path is not None and notebook_path.is_file():
        nb = notebook_section(repo, notebook_path)
    else:
        warnings.append(
            "the notebook's path is unknown: name it (%dv manifest NOTEBOOK -o FILE) to make it re-runnable"
        )
    return build(repo, records, run=run, nb=nb, values=values), warnings
