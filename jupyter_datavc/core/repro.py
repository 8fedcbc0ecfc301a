"""``repro``: re-run a manifest's notebook in a fresh kernel and verify every output it recorded.

Checks come first and fail fast (exit 2 at the CLI): a manifest from a newer schema, no notebook,
a notebook whose code changed since the manifest (unless ``allow_changed``), a pinned input that is
neither in the store nor on a remote. Then the inputs are restored in a clean work directory
(:mod:`.repro_workdir`), the notebook runs there with the manifest's parameters (the executor is
passed in: the core does not start kernels), and the re-run's transform records are compared
with the manifest's steps (:mod:`.repro_compare`). A report names the first diverging step with
its diff, the environment differences and, with ``check_determinism``, the steps whose outputs
differ between two re-runs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import hardware, lineage, notebook, run_manifest, runs
from .errors import DataVCError, UsageError
from .paths import safe_relpath
from .repro_compare import MATCH, MISMATCH, MISSING, SAME_DATA, compare_step, diff_doc, match_steps, nondeterministic
from .repro_workdir import check_inputs, make_workdir, prepare, remove
from .run_compare import environment_changes

if TYPE_CHECKING:
    from .repo import Repo


@dataclass
class Execution:
    """What an executor reports: ``ok``; ``error`` (a cell raised) or ``timeout``: the run does not
    reproduce; ``dead`` (the kernel died) or ``aborted`` (it could not start): no verdict."""

    status: str
    message: str = ""
    cell_index: int | None = None


#: (notebook path inside the work directory, parameters, per-cell timeout in seconds) -> Execution
Executor = Callable[[Path, dict[str, Any], float | None], Execution]


class ReproAborted(DataVCError):
    """The re-run could not complete for a reason outside the notebook's code (the kernel died)."""


class NotebookChanged(UsageError):
    pass


@dataclass
class ReproReport:
    manifest: str
    notebook: str
    workdirs: list[str]
    kept: bool
    execution: Execution
    steps: list[dict[str, Any]]
    first_diverging: int | None
    nondeterministic: list[int] | None
    environment: dict[str, Any]
    metrics: dict[str, Any]
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        good = all(s["status"] in (MATCH, SAME_DATA) for s in self.steps)
        return good and self.execution.status == "ok" and not self.nondeterministic

    @property
    def exit_code(self) -> int:
        return 0 if self.ok else 1

    def to_json(self) -> dict[str, Any]:
        return {
            "schema_version": 1,
            "ok": self.ok,
            "manifest": self.manifest,
            "notebook": self.notebook,
            "workdirs": self.workdirs,
            "kept": self.kept,
            "execution": {"status": self.execution.status, "message": self.execution.message},
            "steps": self.steps,
            "first_diverging": self.first_diverging,
            "nondeterministic": self.nondeterministic,
            "environment": self.environment,
            "metrics": self.metrics,
            "warnings": self.warnings,
        }


def check_notebook(repo: Repo, doc: dict[str, Any], allow_changed: bool) -> tuple[str, list[str]]:
    """The notebook's project-relative path, and how its code changed (refused unless allowed)."""
    info = doc.get("notebook")
    if info is None:
        raise UsageError(
            "the manifest names no notebook (its path was unknown); make it with: datavc manifest NOTEBOOK"
        )
    rel = safe_relpath(info["path"])
    path = repo.root / rel
    if not path.is_file():
        raise UsageError(f"the manifest's notebook {rel} does not exist in the project at {repo.root}")
    changed = notebook.changed_cells(info.get("cells") or [], notebook.code_cells(notebook.read(path)))
    if changed and not allow_changed:
        shown = "; ".join(changed[:5]) + (f"; and {len(changed) - 5} more" if len(changed) > 5 else "")
        raise NotebookChanged(
            f"{rel} changed since the manifest ({len(changed)} cell(s): {shown}); re-run with --allow-changed"
            " to reproduce with the current code"
        )
    return rel, [f"the notebook changed since the manifest: {c}" for c in changed]


def _run_once(
    repo: Repo, doc: dict[str, Any], rel: str, execute: Executor, workdir: Path | None, timeout: float | None
) -> tuple[Path, Repo, Execution, list[dict[str, Any]]]:
    wd = make_workdir(repo, workdir)
    try:
        dst = prepare(repo, wd, rel, doc["inputs"])
        result = execute(wd / rel, dict(doc.get("params") or {}), timeout)
    except BaseException:
        remove(wd)
        raise
    if result.status in ("dead", "aborted"):
        remove(wd)
        where = f" while running cell {result.cell_index}" if result.cell_index is not None else ""
        if result.status == "aborted":
            raise ReproAborted(f"could not run {rel}{where}: {result.message}")
        raise ReproAborted(
            f"the kernel died{where} of {rel}: {result.message or 'no reason given'}; nothing was compared"
        )
    return wd, dst, result, lineage.all_records(dst)


def _new_environment(dst: Repo, doc: dict[str, Any], records: list[dict[str, Any]]) -> dict[str, Any]:
    """The re-run kernel's environment: from its run file, else from its first transform record."""
    name = (doc.get("run") or {}).get("name")
    env: dict[str, Any] = {}
    if name:
        try:
            env = dict(runs.load(dst, name).get("environment") or {})
        except DataVCError:
            pass
    if not env and records:
        env = dict(records[0].get("environment") or {})
    if env:
        env.setdefault("hardware", hardware.describe())  # the kernel ran on this machine
    return env


def _metrics(dst: Repo, doc: dict[str, Any]) -> dict[str, Any]:
    name = (doc.get("run") or {}).get("name")
    recorded = doc.get("metrics") or {}
    if not name or not recorded:
        return {}
    try:
        now = runs.load(dst, name).get("metrics") or {}
    except DataVCError:
        now = {}
    return {k: {"recorded": v, "repro": now.get(k)} for k, v in recorded.items() if now.get(k) != v}


def repro(
    repo: Repo,
    manifest_path: Path,
    execute: Executor,
    *,
    workdir: Path | None = None,
    keep: bool = False,
    allow_changed: bool = False,
    check_determinism: bool = False,
    timeout: float | None = None,
) -> ReproReport:
    """Re-run the manifest's notebook and compare its outputs; raises for input errors and a dead kernel."""
    doc = run_manifest.load(manifest_path)
    rel, warnings = check_notebook(repo, doc, allow_changed)
    check_inputs(repo, doc["inputs"])
    keep = keep or workdir is not None
    done: list[Path] = []
    try:
        wd, dst, result, records = _run_once(repo, doc, rel, execute, workdir, timeout)
        done.append(wd)
        matched = match_steps(doc["steps"], records)
        steps = [compare_step(repo, s, dst, r) for s, r in zip(doc["steps"], matched)]
        first = next((s for s in steps if s["status"] in (MISMATCH, MISSING)), None)
        if first is not None:
            record = matched[steps.index(first)]
            new_out = {e["dataset"]: e for e in (record or {}).get("outputs", [])}
            rec_out = {e["dataset"]: e for e in doc["steps"][steps.index(first)]["outputs"]}
            for o in first["outputs"]:
                if o["status"] == MISMATCH and o["dataset"] in new_out:
                    o["diff"] = diff_doc(repo, rec_out[o["dataset"]], dst, new_out[o["dataset"]])
        nondet = None
        if check_determinism and result.status == "ok":
            wd2, dst2, result2, records2 = _run_once(repo, doc, rel, execute, None, timeout)
            done.append(wd2)
            nondet = nondeterministic(doc["steps"], (dst, records), (dst2, records2))
            if result2.status != "ok":
                warnings.append(f"the second re-run failed: {result2.message}")
            for s in steps:
                s["nondeterministic"] = s["index"] in nondet
        env = environment_changes(doc.get("environment") or {}, _new_environment(dst, doc, records))
        return ReproReport(
            manifest=str(manifest_path),
            notebook=rel,
            workdirs=[str(p) for p in done],
            kept=keep,
            execution=result,
            steps=steps,
            first_diverging=first["index"] if first is not None else None,
            nondeterministic=nondet,
            environment=env,
            metrics=_metrics(dst, doc),
            warnings=warnings,
        )
    finally:
        if not keep:
            for wd in done:
                remove(wd)
