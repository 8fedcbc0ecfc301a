"""diff through the CLI, the magic and the Python API (the engine itself: tests/core/test_diff.py)."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pandas as pd
import pytest
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell

import jupyter_datavc as dv
from jupyter_datavc.cli import main

SCHEMA = Path(dv.__file__).parent / "schemas" / "diff.schema.json"


@pytest.fixture
def two_versions(repo, project: Path) -> Path:
    path = project / "data" / "raw.parquet"
    path.parent.mkdir()
    df = pd.DataFrame({"id": range(100), "price": [float(i) for i in range(100)], "city": ["x"] * 100})
    df.to_parquet(path, index=False)
    repo.add(str(path), name="raw", message="one")
    df.loc[df.id == 7, "price"] = -1.0
    df = df[df.id != 9].assign(extra=1)
    df.to_parquet(path, index=False)
    repo.add(str(path), name="raw", message="two")
    return path


def test_cli_diff_json_follows_the_schema(two_versions: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diff", "raw@v1", "raw@v2", "--key", "id", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    jsonschema.validate(doc, json.loads(SCHEMA.read_text()))
    assert doc["schema_version"] == 1
    assert doc["table"]["schema"]["added"][0]["name"] == "extra"
    assert doc["table"]["rows"]["counts"]["removed"] == 1
    assert doc["table"]["rows"]["counts"]["changed"] == 1


def test_cli_diff_text_and_errors(two_versions: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diff", "raw@v1", "raw@v2"]) == 0
    text = capsys.readouterr().out
    assert "extra" in text and "raw@v1" in text and "raw@v2" in text
    assert main(["diff", "raw@v1", "raw@v7"]) == 2
    assert "unknown revision raw@v7" in capsys.readouterr().err


def test_magic_and_api_diff(two_versions: Path) -> None:
    ip = InteractiveShell.instance()
    ip.run_line_magic("load_ext", "jupyter_datavc")
    result = ip.run_line_magic("dv", "diff raw@v1 raw@v2 --rows --key id")
    html = result._repr_html_()
    assert "Schema" in html and "extra" in html
    # a version against the workspace: the workspace holds v2, so v2 is identical to it
    assert dv.diff("raw@v2").to_json()["summary"]["identical"] is True
    assert dv.diff("raw@v1").to_json()["summary"]["identical"] is False
    with pytest.raises(UsageError, match="unknown dataset"):
        ip.run_line_magic("dv", "diff nope@v1")


def test_cli_diff_memory_budget(two_versions: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diff", "raw@v1", "raw@v2", "--key", "id", "--json"]) == 0
    in_memory = json.loads(capsys.readouterr().out)
    assert main(["diff", "raw@v1", "raw@v2", "--key", "id", "--json", "--memory", "1K"]) == 0
    spilled = json.loads(capsys.readouterr().out)
    jsonschema.validate(spilled, json.loads(SCHEMA.read_text()))
    assert spilled["table"]["rows"] == in_memory["table"]["rows"]
    notes = [m["message"] for m in spilled["messages"] if m["code"] == "stats_from_metadata"]
    assert notes and "out of core" in notes[0]
    assert dv.diff("raw@v1", "raw@v2", key="id", memory=1024).to_json()["table"]["rows"] == in_memory["table"]["rows"]
    assert main(["diff", "raw@v1", "raw@v2", "--rows", "--memory", "lots"]) == 2
    assert "--memory 'lots'" in capsys.readouterr().err
