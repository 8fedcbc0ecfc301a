"""The reference notebooks end to end: runs, manifests (validated by the schema), repro, compare."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import jsonschema
import pytest

import jupyter_datavc as dv
from jupyter_datavc.cli import main
from jupyter_datavc.core import lineage, reachable, runs
from jupyter_datavc.core.repo import Repo
from jupyter_datavc.nbexec import execute_notebook

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
SCHEMA = json.loads((Path(dv.__file__).parent / "schemas" / "run_manifest.schema.json").read_text())


def validate(doc: dict) -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    jsonschema.Draft202012Validator(SCHEMA).validate(doc)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """etl_chain.ipynb once, then train.ipynb twice: run exp-1 (lr 0.5) and run exp-2 (lr 0.1)."""
    root = tmp_path_factory.mktemp("runs")
    for name in ("etl_chain.ipynb", "train.ipynb"):
        shutil.copy(NOTEBOOKS / name, root / name)
    for nb, params in (("etl_chain.ipynb", {}), ("train.ipynb", {}), ("train.ipynb", {"run_name": "exp-2", "lr": 0.1})):
        result = execute_notebook(root / nb, params)
        assert result.status == "ok", result
    return root


def test_runs_bind_transforms_metrics_and_pinned_versions(project: Path) -> None:
    repo = Repo(project)
    by_message = {}
    for r in lineage.all_records(repo):
        by_message.setdefault(r["message"], []).append(r)
    assert [r["run"] for r in by_message["train logistic regression"]] == ["exp-1", "exp-2"]
    assert by_message["model features"][0]["run"] is None  # made outside any run
    run = runs.load(repo, "exp-1")
    assert run["status"] == "finished" and run["params"] == {"lr": 0.5, "epochs": 200, "seed": 0}
    assert set(run["metrics"]) == {"accuracy", "loss"} and 0.5 < run["metrics"]["accuracy"] <= 1
    assert run["notebook"] == "train.ipynb" and any("%dv run log" in c["source"] for c in run["cells"])
    (step,) = run["steps"]
    assert step["inputs"][0]["dataset"] == "features" and step["outputs"][0]["dataset"] == "predictions"
    # the gc contract: every pinned version is an object with dataset, version and manifest
    for e in step["inputs"] + step["outputs"]:
        assert repo.resolve(f"{e['dataset']}@v{e['version']}").manifest == e["manifest"]
    assert step["outputs"][0]["manifest"] in reachable.run_roots(repo, "test")


def test_manifest_of_a_saved_executed_notebook(project: Path, capsys) -> None:
    assert main(["-C", str(project), "manifest", "etl_chain.ipynb", "-o", "runs/etl.json"]) == 0
    assert "wrote runs/etl.json: 2 step(s), pinned inputs: raw@v1" in capsys.readouterr().out
    doc = json.loads((project / "runs" / "etl.json").read_text())
    validate(doc)
    assert doc["notebook"]["path"] == "etl_chain.ipynb" and doc["run"] is None
    assert doc["params"] == {"n_rows": 5000, "seed": 7, "min_amount": 1.0}  # the parameters cell
    assert [s["message"] for s in doc["steps"]] == ["drop missing and tiny amounts", "model features"]
    assert [s["cell_index"] for s in doc["steps"]] == [5, 6] and doc["steps"][0]["cell_id"] == "co-05"
    assert [(e["dataset"], e["version"]) for e in doc["inputs"]] == [("raw", 1)]
    (clean,) = doc["steps"][0]["outputs"]
    assert clean["files"][0]["fingerprint"].startswith("v1:") and len(clean["files"][0]["hash"]) == 32
    env = doc["environment"]
    assert env["python"] and "pandas" in env["packages"] and env["hardware"]["cpus"] >= 1
    assert len(json.dumps(doc)) < 20_000  # references, never data


def test_manifest_written_by_the_notebook_itself(project: Path) -> None:
    doc = json.loads((project / "runs" / "exp-1.json").read_text())
    validate(doc)
    assert doc["run"] == {"name": "exp-1", "status": "finished", "notebook": "train.ipynb"}
    assert doc["params"] == {"run_name": "exp-1", "lr": 0.5, "epochs": 200, "seed": 0}
    assert set(doc["metrics"]) == {"accuracy", "loss"} and doc["started"] < doc["ended"]
    (step,) = doc["steps"]
    assert step["cell_id"] == "co-04" and step["cell_index"] == 4  # the cell id travels like JupyterLab's
    assert [e["dataset"] for e in doc["inputs"]] == ["features"]


def test_repro_of_both_reference_notebooks_matches(project: Path, capsys) -> None:
    assert main(["-C", str(project), "repro", "runs/etl.json"]) == 0
    out = capsys.readouterr().out
    assert "step 1 'drop missing and tiny amounts'" in out and "OK: every output matches (2 same bytes)" in out
    assert main(["-C", str(project), "repro", "runs/exp-1.json", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] and [s["status"] for s in report["steps"]] == ["match"]
    assert report["environment"]["fields"] == {} and report["metrics"] == {}  # same machine, same numbers
    assert not any((project / ".datavc" / "repro").glob("repro-*"))  # work directories removed
    assert (project / ".datavc" / "repro" / ".gitignore").read_text().endswith("*\n")  # never for Git


def test_compare_runs_cli(project: Path, capsys) -> None:
    assert main(["-C", str(project), "runs", "compare", "exp-1", "exp-2"]) == 0
    out = capsys.readouterr().out
    assert "lr: 0.5 -> 0.1" in out
    assert "accuracy: " in out and "loss: " in out and "%)" in out
    assert "features: unchanged (features@v1)" in out
    assert "predictions: predictions@v1 -> predictions@v2: 1 modified; rows 970 -> 970" in out
    assert "probability: min" in out and "lineage (b only): Step 3: train logistic regression" in out
    assert "code:\n  (no changes)" in out
    assert main(["-C", str(project), "runs", "compare", "runs/exp-1.json", "runs/exp-2.json", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["params"]["lr"] == {"a": 0.5, "b": 0.1, "in_a": True, "in_b": True}
    assert doc["params"]["run_name"]["b"] == "exp-2" and set(doc["params"]) == {"lr", "run_name"}
    acc = doc["metrics"]["accuracy"]
    assert acc["changed"] and acc["delta"] == pytest.approx(acc["b"] - acc["a"])
    (pred,) = [d for d in doc["datasets"] if d["dataset"] == "predictions"]
    assert pred["status"] == "changed" and pred["diff"]["files"]["modified"] == 1
    assert any(s["column"] == "probability" for s in pred["statistics"])


def test_runs_list_show_and_python_api(project: Path, capsys) -> None:
    assert main(["-C", str(project), "runs", "list"]) == 0
    out = capsys.readouterr().out
    assert "exp-1  finished" in out and "exp-2  finished" in out and "lr=0.1" in out
    assert main(["-C", str(project), "runs", "show", "exp-2"]) == 0
    assert "train logistic regression: features@v1 -> predictions@v2" in capsys.readouterr().out
    view = dv.compare_runs("exp-1", "exp-2", repo=str(project))
    html = view._repr_html_()
    assert "<h4>metrics</h4>" in html and "predictions@v1 -&gt; predictions@v2" in html
    assert view.to_json()["params"]["lr"]["b"] == 0.1
