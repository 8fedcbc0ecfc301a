"""datavc repro in real kernels: same data in another encoding, a nondeterministic step, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest

from jupyter_datavc.cli import main
from jupyter_datavc.nbexec import execute_notebook

SETUP = """import os
import numpy as np
import pandas as pd
%load_ext jupyter_datavc
%dv init
os.makedirs("data", exist_ok=True)
pd.DataFrame({"x": np.arange(n), "y": np.arange(n) % 7}).to_parquet("data/base.parquet")
%dv add data/base.parquet --name base --wait"""

FILTER = """%%dv transform --in base --out clean=data/clean.parquet -m "filter"
b = pd.read_parquet("data/base.parquet")
b[b.y > 0].to_parquet("data/clean.parquet", compression=os.environ.get("DV_TEST_COMPRESSION", "snappy"))"""

NOISE = """%%dv transform --in clean --out noisy=noisy -m "add noise"
rng = np.random.default_rng(None if os.environ.get("DV_TEST_NOISE") else 0)
c = pd.read_parquet("data/clean.parquet")
noisy = c.assign(z=rng.random(len(c)))"""

DIE = """if os.environ.get("DV_TEST_DIE"):
    os._exit(1)"""


@pytest.fixture(scope="module")
def mini(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project with a two-step notebook, executed once, and its manifest runs/mini.json."""
    root = tmp_path_factory.mktemp("repro")
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3"}})
    nb.cells = [
        nbformat.v4.new_code_cell("n = 200", metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell(SETUP),
        nbformat.v4.new_code_cell(FILTER),
        nbformat.v4.new_code_cell(NOISE),
        nbformat.v4.new_code_cell(DIE),
    ]
    nbformat.write(nb, root / "mini.ipynb")
    result = execute_notebook(root / "mini.ipynb", {})
    assert result.status == "ok", result
    assert main(["-C", str(root), "manifest", "mini.ipynb", "-o", "runs/mini.json"]) == 0
    return root


def repro(root: Path, *args: str) -> int:
    return main(["-C", str(root), "repro", "runs/mini.json", *args])


def test_same_data_in_another_encoding_is_not_a_failure(mini: Path, monkeypatch, capsys) -> None:
    # Given a re-run whose writer compresses differently (same rows, other bytes)
    monkeypatch.setenv("DV_TEST_COMPRESSION", "gzip")
    # When it is reproduced
    code = repro(mini)
    out = capsys.readouterr().out
    # Then the step is "same data, different encoding" and the run verifies
    assert code == 0, out
    assert "step 1 'filter'" in out and "same data, different encoding" in out
    assert "OK: every output matches (1 same bytes, 1 same data, different encoding)" in out


def test_nondeterministic_step_is_named(mini: Path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("DV_TEST_NOISE", "1")  # step 2 draws unseeded random numbers
    code = repro(mini, "--check-determinism")
    out = capsys.readouterr().out
    assert code == 1, out
    assert "step 1 'filter'" in out and ": match" in out
    assert "first diverging step: step 2 'add noise'" in out
    assert "its inputs were the same as recorded: this step produced different data" in out
    assert "nondeterministic (two re-runs from the same inputs differ): step 2 'add noise'" in out
    assert "diff noisy@v1 (recorded) -> noisy@v1 (re-run)" in out


def test_kernel_death_is_one_line_and_exit_2(mini: Path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("DV_TEST_DIE", "1")
    assert repro(mini) == 2
    err = capsys.readouterr().err
    assert err.startswith("datavc: error: the kernel died while running cell 4 of mini.ipynb")
    assert err.count("\n") == 1


def _edited_manifest(root: Path, name: str, change) -> str:
    doc = json.loads((root / "runs" / "mini.json").read_text())
    change(doc)
    (root / "runs" / name).write_text(json.dumps(doc))
    return f"runs/{name}"


def test_newer_schema_is_refused(mini: Path, capsys) -> None:
    path = _edited_manifest(mini, "newer.json", lambda d: d.update(schema_version=2))
    assert main(["-C", str(mini), "repro", path]) == 2
    err = capsys.readouterr().err
    assert "uses run manifest schema version 2, newer than this jupyter_datavc reads (1): upgrade" in err


def test_missing_pinned_input_names_it_and_the_remotes(mini: Path, capsys) -> None:
    def lose_input(d: dict) -> None:
        d["inputs"][0]["manifest"] = "0" * 32

    path = _edited_manifest(mini, "missing.json", lose_input)
    assert main(["-C", str(mini), "repro", path]) == 2
    err = capsys.readouterr().err
    assert "pinned input base@v1 (manifest 0000000000) is not in the store" in err
    assert "no remote is configured" in err and err.count("\n") == 1


@pytest.mark.parametrize(
    ("args", "text"),
    [
        (["repro", "runs/nope.json"], "runs/nope.json does not exist"),
        (["repro", "mini.ipynb"], "is a notebook; make its manifest first: datavc manifest mini.ipynb"),
        (["manifest"], "manifest needs the executed notebook"),
        (["runs", "show"], "usage: runs show NAME"),
        (["runs", "show", "nope"], "unknown run 'nope'"),
    ],
)
def test_usage_errors_exit_2(mini: Path, capsys, args: list[str], text: str) -> None:
    assert main(["-C", str(mini), *args]) == 2
    assert text in capsys.readouterr().err


def test_manifest_without_notebook_is_refused(mini: Path, capsys) -> None:
    path = _edited_manifest(mini, "nonb.json", lambda d: d.update(notebook=None))
    assert main(["-C", str(mini), "repro", path]) == 2
    assert "the manifest names no notebook" in capsys.readouterr().err


def test_changed_notebook_needs_allow_changed(mini: Path, capsys) -> None:
    original = (mini / "mini.ipynb").read_bytes()
    nb = nbformat.read(mini / "mini.ipynb", as_version=4)
    nb.cells[2].source = nb.cells[2].source.replace('-m "filter"', '-m "filter"\n# keep rows with y > 0')
    nbformat.write(nb, mini / "mini.ipynb")
    try:
        # Given a notebook whose filter cell changed since the manifest: refused, with the cell named
        assert repro(mini) == 2
        err = capsys.readouterr().err
        assert "mini.ipynb changed since the manifest (1 cell(s): cell 2" in err and "changed); re-run with" in err
        assert "--allow-changed" in err and err.count("\n") == 1
        # When allowed: it runs, warns, matches the step by its outputs and verifies (a comment changes no data)
        assert repro(mini, "--allow-changed") == 0
        out = capsys.readouterr().out
        assert "warning: the notebook changed since the manifest: cell 2" in out
        assert "OK: every output matches (2 same bytes)" in out
    finally:
        (mini / "mini.ipynb").write_bytes(original)
