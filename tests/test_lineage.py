"""%%dv transform in a real kernel: declared, detected and variable outputs, failures, params, DAG."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from jupyter_datavc.core import lineage, openlineage
from jupyter_datavc.core.repo import Repo

SETUP = """
import os, numpy as np, pandas as pd, pyarrow.parquet as pq
os.makedirs("data", exist_ok=True)
pd.DataFrame({"id": range(100), "price": [None if i % 20 == 0 else float(i) for i in range(100)]}).to_parquet(
    "data/raw.parquet")
open("data/notes.txt", "w").write("hello")
%dv add data/raw.parquet --name raw -m "import" --wait
%dv add data/notes.txt --name notes --wait
threshold = 10
"""

CELLS = {
    "declared": """%%dv transform --in raw@v1 --out clean=data/clean.parquet -m "drop null prices"
df = pd.read_parquet("data/raw.parquet")
df = df[df.price.notna() & (df.price > threshold)]
df.to_parquet("data/clean.parquet")""",
    "detected": """%%dv transform --out features=feats -m "features" --params scale=2.5
clean = pq.read_table("data/clean.parquet").to_pandas()
note = open("data/notes.txt").read()
feats = clean.assign(double=clean.price * 2, note=note)""",
    "third": """%%dv transform --out model_input=data/model.csv -m "select"
f = pd.read_parquet("data/clean.parquet")
f.head(10).to_csv("data/model.csv", index=False)""",
    "failing": """%%dv transform --out broken=data/broken.parquet -m "fails"
pd.DataFrame({"a": [1]}).to_parquet("data/broken.parquet")
raise RuntimeError("boom in the cell")""",
    "unknown_input": """%%dv transform --in raw@v9 --out x=data/x.parquet
ran_unknown = True""",
    "outside": """%%dv transform --out x=../outside.parquet
ran_outside = True""",
    "writes_input": """%%dv transform --in raw@v1 --out y=data/y.parquet
pd.read_parquet("data/raw.parquet").to_parquet("data/raw.parquet")
pd.DataFrame({"a": [1]}).to_parquet("data/y.parquet")""",
    "missing_var": """%%dv transform --out z=zz
nothing = 1""",
    "line_form": """%dv transform --out z=zz""",
}


@pytest.fixture(scope="module")
def executed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    root = tmp_path_factory.mktemp("lineage")
    (root / ".git").mkdir()  # not a real Git repo: environment.git_state must cope
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("%load_ext jupyter_datavc\n%dv init\n" + SETUP)] + [
        nbformat.v4.new_code_cell(c) for c in CELLS.values()
    ]
    client = NotebookClient(
        nb, timeout=300, kernel_name="python3", allow_errors=True, resources={"metadata": {"path": str(root)}}
    )
    client.execute()
    outputs = {}
    for name, cell in zip(["setup", *CELLS], nb.cells):
        text = []
        for o in cell.outputs:
            text.append(o.get("text", "") or o.get("data", {}).get("text/plain", "") or o.get("evalue", ""))
        outputs[name] = "\n".join(str(t) for t in text)
    return root, outputs


def test_declared_transform(executed) -> None:
    root, out = executed
    repo = Repo(root)
    assert "transform" in out["declared"] and "raw@v1 -> clean@v1" in out["declared"]
    (rec,) = [r for r in lineage.all_records(repo) if r["message"] == "drop null prices"]
    assert [(e["dataset"], e["version"], e["declared"]) for e in rec["inputs"]] == [("raw", 1, True)]
    assert [(e["dataset"], e["version"], e["declared"]) for e in rec["outputs"]] == [("clean", 1, True)]
    assert rec["inputs"][0]["manifest"] == repo.resolve("raw@v1").manifest
    assert rec["params"] == {"threshold": 10}
    assert rec["rows"] == "Removed 15 rows (15.0%)."
    env = rec["environment"]
    assert env["python"] and "pandas" in env["packages"] and "pyarrow" in env["packages"]
    assert len(rec["source_hash"]) == 64 and rec["source"].startswith("df = pd.read_parquet")
    assert rec["duration"] > 0 and rec["user"]


def test_detected_inputs_and_variable_output(executed) -> None:
    root, _out = executed
    repo = Repo(root)
    (rec,) = [r for r in lineage.all_records(repo) if r["message"] == "features"]
    inputs = {(e["dataset"], e["declared"]) for e in rec["inputs"]}
    assert inputs == {("clean", False), ("notes", False)}  # pyarrow read and plain open(), both detected
    assert [(e["dataset"], e["declared"]) for e in rec["outputs"]] == [("features", True)]
    assert rec["params"]["scale"] == 2.5
    feats = repo.load("features")
    assert list(feats.columns) == ["id", "price", "double", "note"] and (feats.note == "hello").all()


def test_failures_record_nothing(executed) -> None:
    root, out = executed
    repo = Repo(root)
    assert "boom in the cell" in out["failing"]
    assert not repo.refs.exists("broken")
    assert "unknown revision raw@v9" in out["unknown_input"] and "ran_unknown" not in out["unknown_input"]
    assert "outside the repository" in out["outside"]
    assert "belongs to input dataset 'raw'" in out["writes_input"] and not repo.refs.exists("y")
    assert "no variable named 'zz'" in out["missing_var"]
    assert "%%dv transform" in out["line_form"]
    messages = {r["message"] for r in lineage.all_records(repo)}
    assert messages == {"drop null prices", "features", "select"}


def test_lineage_dag_across_three_steps(executed) -> None:
    root, _ = executed
    repo = Repo(root)
    graph = lineage.lineage(repo, "model_input@v1")
    refs = {n["ref"] for n in graph.nodes.values() if n["kind"] == "dataset"}
    assert refs == {"model_input@v1", "clean@v1", "raw@v1"}
    assert sum(1 for n in graph.nodes.values() if n["kind"] == "transform") == 2
    story = lineage.summary(graph)
    assert story[0].startswith("Step 1: drop null prices") and "Removed 15 rows (15.0%)" in story[0]
    assert story[1].startswith("Step 2: select") and "Removed 75 rows" in story[1]
    down = lineage.lineage(repo, "raw@v1", direction="down", depth=1)
    assert {n["ref"] for n in down.nodes.values() if n["kind"] == "dataset"} == {"raw@v1", "clean@v1"}
    deeper = lineage.lineage(repo, "raw@v1", direction="down")
    assert {"features@v1", "model_input@v1"} <= {n.get("ref") for n in deeper.nodes.values()}


def test_lineage_cli_and_views(executed) -> None:
    from jupyter_datavc.cli import main
    from jupyter_datavc.lineage_view import LineageView

    root, _ = executed
    repo = Repo(root)
    svg = LineageView(lineage.lineage(repo, "model_input")).svg()
    assert svg.startswith("<svg") and "clean@v1" in svg and svg.count("<line") == 4
    assert main(["-C", str(root), "lineage", "model_input", "--summary"]) == 0
    assert main(["-C", str(root), "lineage", "model_input", "--json"]) == 0
    rec = lineage.all_records(repo)[0]
    assert main(["-C", str(root), "show-transform", rec["id"][:6]]) == 0
    assert main(["-C", str(root), "show-transform", "nope"]) == 2


def test_openlineage_events_validate_with_the_official_client(executed) -> None:
    from openlineage.client.event_v2 import InputDataset, Job, OutputDataset, Run, RunEvent, RunState
    from openlineage.client.facet_v2 import schema_dataset, source_code_job
    from openlineage.client.serde import Serde

    root, _ = executed
    repo = Repo(root)
    for rec in lineage.all_records(repo):
        events = openlineage.events(repo, rec)
        assert [e["eventType"] for e in events] == ["START", "COMPLETE"]
        for ev in events:

            def ds(d, cls):
                facets = {}
                if "schema" in d["facets"]:
                    fields = [
                        schema_dataset.SchemaDatasetFacetFields(f["name"], f["type"])
                        for f in d["facets"]["schema"]["fields"]
                    ]
                    facets["schema"] = schema_dataset.SchemaDatasetFacet(fields=fields)
                return cls(namespace=d["namespace"], name=d["name"], facets=facets)

            model = RunEvent(
                eventType=RunState(ev["eventType"]),
                eventTime=ev["eventTime"],
                run=Run(runId=ev["run"]["runId"]),
                job=Job(
                    namespace=ev["job"]["namespace"],
                    name=ev["job"]["name"],
                    facets={"sourceCode": source_code_job.SourceCodeJobFacet("python", rec["source"])},
                ),
                inputs=[ds(d, InputDataset) for d in ev["inputs"]],
                outputs=[ds(d, OutputDataset) for d in ev["outputs"]],
                producer=ev["producer"],
            )
            back = json.loads(Serde.to_json(model))
            assert back["run"]["runId"] == ev["run"]["runId"] and back["job"]["name"] == ev["job"]["name"]
            assert [d["name"] for d in back["inputs"]] == [d["name"] for d in ev["inputs"]]
            for mine, theirs in zip(ev["inputs"] + ev["outputs"], back["inputs"] + back["outputs"]):
                if "schema" in mine["facets"]:
                    pairs = [(f["name"], f["type"]) for f in theirs["facets"]["schema"]["fields"]]
                    assert [(f["name"], f["type"]) for f in mine["facets"]["schema"]["fields"]] == pairs
    # stable names: the same record always gives the same run id and job name
    rec = lineage.all_records(repo)[0]
    assert openlineage.events(repo, rec)[0]["run"] == openlineage.events(repo, rec)[0]["run"]


def test_openlineage_http_endpoint(executed) -> None:
    root, _ = executed
    repo = Repo(root)
    received: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append({"path": self.path, "event": json.loads(body)})
            self.send_response(201)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        repo.config["openlineage"] = {"url": f"http://127.0.0.1:{server.server_port}"}
        rec = lineage.all_records(repo)[0]
        assert openlineage.emit_configured(repo, rec) is None
    finally:
        server.shutdown()
        server.server_close()
    assert [r["path"] for r in received] == ["/api/v1/lineage"] * 2
    assert [r["event"]["eventType"] for r in received] == ["START", "COMPLETE"]
    repo.config["openlineage"] = {"url": f"http://127.0.0.1:{server.server_port}"}
    assert "could not post" in (openlineage.emit_configured(repo, rec) or "")  # the server is gone now
