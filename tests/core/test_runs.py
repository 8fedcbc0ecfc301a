"""Runs in-process: lifecycle and run files, session manifests, comparing runs, repro with a stand-in executor."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import jsonschema
import nbformat
import pandas as pd
import pytest

import jupyter_datavc as dv
from jupyter_datavc.core import reachable, repro, run_compare, run_files, run_sources, runs
from jupyter_datavc.core.errors import UsageError
from jupyter_datavc.core.repo import Repo
from jupyter_datavc.core.transform import TransformSpec, run_transform
from jupyter_datavc.repro_view import ReproView
from jupyter_datavc.runs_view import ComparisonView

SCHEMA = json.loads((Path(dv.__file__).parent / "schemas" / "run_manifest.schema.json").read_text())
SOURCE = 'b = pd.read_parquet("data/base.parquet")\nb[b.y > 0].to_parquet("data/clean.parquet")\n'


@pytest.fixture(autouse=True)
def fresh_state() -> Iterator[None]:
    runs.forget()
    yield
    runs.forget()


def clean_step(repo: Repo, compression: str = "snappy", change: bool = False) -> dict:
    """One transform: base -> clean, as the cell SOURCE would run it (absolute paths, any cwd)."""
    root = repo.root

    def code() -> None:
        b = pd.read_parquet(root / "data/base.parquet")
        out = b[b.y > 0]
        if change:
            out = out.assign(x=out.x * 2)
        out.to_parquet(root / "data/clean.parquet", compression=compression)

    spec = TransformSpec(inputs=["base@v1"], outputs=[("clean", str(root / "data/clean.parquet"))], message="filter")
    return run_transform(repo, code, spec, source=SOURCE, namespace={})


@pytest.fixture
def project_nb(repo: Repo) -> Path:
    """A repository with base@v1 and a notebook whose transform cell is SOURCE."""
    (repo.root / "data").mkdir()
    pd.DataFrame({"x": range(50), "y": [i % 5 for i in range(50)]}).to_parquet(repo.root / "data/base.parquet")
    repo.add(repo.root / "data/base.parquet", name="base")
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("lr = 0.1", metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell('%%dv transform --in base@v1 --out clean=data/clean.parquet -m "filter"\n' + SOURCE),
    ]
    nbformat.write(nb, repo.root / "nb.ipynb")
    return repo.root / "nb.ipynb"


def test_run_lifecycle_and_run_file(project_nb: Path) -> None:
    repo = Repo.discover()
    run = runs.start(repo, "exp-1", {"lr": 0.1, "tags": ["a"]}, notebook="nb.ipynb")
    doc = run_files.load(repo, "exp-1")
    assert doc["status"] == "running" and doc["params"] == {"lr": 0.1, "tags": ["a"]} and doc["pid"] == os.getpid()
    record = clean_step(repo)
    assert record["run"] == "exp-1"
    dv.log_metric("accuracy", 0.9)
    runs.log(repo, {"loss": float("nan")}, step=3)
    doc = run_files.load(repo, "exp-1")
    assert doc["metrics"] == {"accuracy": 0.9, "loss": "nan"} and doc["metric_log"][-1]["step"] == 3
    (step,) = doc["steps"]
    assert step["transform"] == record["id"]
    for e in step["inputs"] + step["outputs"]:  # the gc contract
        assert {"dataset", "version", "manifest"} <= set(e)
    assert step["outputs"][0]["manifest"] in reachable.run_roots(repo, "test")
    assert [d["state"] for d in runs.list_runs(repo)] == ["running"]
    ended = runs.end(repo, cells=["x = 1", "  ", "%dv run end"])
    assert ended.status == "finished" and [c["source"] for c in ended.cells] == ["x = 1", "%dv run end"]
    assert run_files.load(repo, "exp-1")["ended"] and runs.current_name(repo) is None
    assert clean_step(repo)["run"] is None  # no run any more
    assert run.name == "exp-1"


def test_run_misuse_is_refused(repo: Repo) -> None:
    with pytest.raises(UsageError, match="no active run"):
        runs.log(repo, {"a": 1})
    with pytest.raises(UsageError, match="no active run to end"):
        runs.end(repo)
    runs.start(repo, "r1")
    with pytest.raises(UsageError, match="run 'r1' is still active"):
        runs.start(repo, "r2")
    with pytest.raises(UsageError, match="must be a number"):
        runs.log(repo, {"a": "high"})
    with pytest.raises(dv.DataVCError, match="invalid metric name"):
        runs.log(repo, {"a b": 1})
    runs.end(repo)
    with pytest.raises(UsageError, match=r"run 'r1' already exists \(ended .*\); choose another name or add --replace"):
        runs.start(repo, "r1")
    runs.start(repo, "r1", {"x": 1}, replace=True)
    assert run_files.load(repo, "r1")["params"] == {"x": 1}
    with pytest.raises(run_files.UnknownRun, match=r"unknown run 'r2' \(known: r1\)"):
        run_files.load(repo, "r2")


def test_a_run_whose_process_died_reads_interrupted(repo: Repo) -> None:
    runs.start(repo, "dead")
    runs.forget()  # as if the kernel restarted: the file still says running, this process has no run
    assert [d["state"] for d in runs.list_runs(repo)] == ["interrupted"]
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    path = run_files.run_path(repo, "dead")
    doc = json.loads(path.read_text())
    path.write_text(json.dumps({**doc, "pid": int(gone.stdout)}))
    assert [d["state"] for d in runs.list_runs(repo)] == ["interrupted"]


def test_session_manifest_validates(project_nb: Path) -> None:
    repo = Repo.discover()
    runs.start(repo, "exp-1", {"epochs": 3}, code_start=1)
    clean_step(repo)
    runs.log(repo, {"accuracy": 0.5})
    history = ["lr = 0.2", "%dv run start --name exp-1", "%%dv transform ...", "%dv manifest -o m.json"]
    doc, warnings = run_sources.from_session(repo, project_nb, history, {"lr": 0.2})
    jsonschema.Draft202012Validator(SCHEMA).validate(doc)
    assert warnings == ["run 'exp-1' is still active: the manifest has its metrics so far"]
    assert doc["params"] == {"lr": 0.2, "epochs": 3}  # the session's value of the parameters cell's name
    assert doc["steps"][0]["cell_index"] == 1 and doc["inputs"][0]["dataset"] == "base"
    assert doc["notebook"]["path"] == "nb.ipynb" and doc["metrics"] == {"accuracy": 0.5}
    runs.end(repo)
    doc, warnings = run_sources.from_session(repo, None)
    assert doc["notebook"] is None and "the notebook's path is unknown" in warnings[0]
    assert [c["source"] for c in doc["run"]["cells"]] == []  # ended without a history


def test_compare_runs_escapes_html(project_nb: Path) -> None:
    repo = Repo.discover()
    runs.start(repo, "a", {"note": "plain", "lr": 0.1})
    clean_step(repo)
    runs.log(repo, {"accuracy": 0.8})
    runs.end(repo, cells=["x = 1"])
    runs.start(repo, "b", {"note": "<script>alert(1)</script>", "lr": 0.2})
    clean_step(repo, change=True)
    runs.log(repo, {"accuracy": 0.9})
    runs.end(repo, cells=["x = 2  # <b>"])
    doc = run_compare.compare(repo, "a", "b")
    assert doc["metrics"]["accuracy"]["delta"] == pytest.approx(0.1)
    assert doc["metrics"]["accuracy"]["relative"] == pytest.approx(0.125)
    (clean,) = [d for d in doc["datasets"] if d["dataset"] == "clean"]
    assert clean["status"] == "changed" and clean["a"] == "clean@v1" and clean["b"] == "clean@v2"
    assert clean["lineage"]["b"][0].startswith("Step 1: filter")
    assert "-x = 1" in doc["code"]["diff"] and "+x = 2  # <b>" in doc["code"]["diff"]
    html = ComparisonView(doc)._repr_html_()
    assert "<script>" not in html and "&lt;script&gt;" in html and "&lt;b&gt;" in html
    text = str(ComparisonView(doc))
    assert "note: plain -> <script>alert(1)</script>" in text and "accuracy: 0.8 -> 0.9 (+0.1, +12.50%)" in text


def _stand_in(mode: str):
    """An executor that does what the notebook would, in the work directory, without a kernel."""

    def execute(path: Path, params: dict, timeout: float | None) -> repro.Execution:
        assert params == {"lr": 0.1}
        if mode == "error":
            return repro.Execution("error", "ValueError: boom", 1)
        clean_step(Repo(path.parent), compression="gzip" if mode == "encoding" else "snappy", change=mode == "change")
        return repro.Execution("ok")

    return execute


@pytest.mark.parametrize(
    ("mode", "status", "code"),
    [("same", "match", 0), ("encoding", "same_data", 0), ("change", "mismatch", 1), ("error", "missing", 1)],
)
def test_repro_verdicts(project_nb: Path, mode: str, status: str, code: int) -> None:
    repo = Repo.discover()
    clean_step(repo)
    doc, _ = run_sources.from_notebook(repo, project_nb)
    (repo.root / "m.json").write_text(json.dumps(doc))
    report = repro.repro(repo, repo.root / "m.json", _stand_in(mode))
    view = ReproView(report)
    assert [s["status"] for s in report.steps] == [status] and view.exit_code == code
    assert not any((repo.dir / "repro").glob("repro-*"))
    text = str(view)
    if mode == "change":
        (out,) = report.steps[0]["outputs"]
        assert out["diff"]["summary"]["files"]["modified"] == 1 and report.first_diverging == 1
        assert "first diverging step: step 1 'filter'" in text and "its inputs were the same" in text
        assert "<td>MISMATCH</td>" in view._repr_html_()
    if mode == "error":
        assert "the notebook stopped in cell 1: ValueError: boom" in text
    if mode == "encoding":
        assert "same data, different encoding" in text


def test_repro_keeps_and_restores_into_a_given_workdir(project_nb: Path, tmp_path: Path) -> None:
    repo = Repo.discover()
    clean_step(repo)
    doc, _ = run_sources.from_notebook(repo, project_nb)
    (repo.root / "m.json").write_text(json.dumps(doc))
    workdir = tmp_path / "wd"
    report = repro.repro(repo, repo.root / "m.json", _stand_in("same"), workdir=workdir)
    assert report.ok and report.kept and report.workdirs == [str(workdir.resolve())]
    restored = Repo(workdir)
    assert restored.resolve("base@v1").manifest == repo.resolve("base@v1").manifest
    src = repo.objects.path(next(iter(repo.manifest(repo.resolve("base@v1")).chunk_ids)))
    dst = restored.objects.path(next(iter(restored.manifest(restored.resolve("base@v1")).chunk_ids)))
    assert os.stat(src).st_ino == os.stat(dst).st_ino  # shared by a hard link, not copied
    assert (workdir / "nb.ipynb").read_bytes() == project_nb.read_bytes()
    with pytest.raises(UsageError, match="is not empty"):
        repro.repro(repo, repo.root / "m.json", _stand_in("same"), workdir=workdir)
