"""The Git workflow: refs and config in Git, data through the remote; a checkout of any commit + pull."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from jupyter_datavc.cli import main


def git(cwd: Path, *args: str) -> str:
    out = subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.strip()


def datavc(cwd: Path, *args: str) -> None:
    assert main(["-C", str(cwd), *args]) == 0


def frame(rows: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"id": np.arange(rows), "x": rng.random(rows)})


def test_clone_pull_and_checkout_of_older_commit(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("DATAVC_AUTHOR", "tester")
    # Given a project whose refs and config are in Git and whose data went to a file:// remote
    a = tmp_path / "a"
    (a / "data").mkdir(parents=True)
    git(a, "init", "-q")
    # the data is not in Git (.datavc/.gitignore keeps the store and the audit log out by itself)
    (a / ".gitignore").write_text("data/\n")
    datavc(a, "init")
    datavc(a, "remote", "add", "origin", (tmp_path / "remote").as_uri())
    frame(5000, 1).to_parquet(a / "data" / "raw.parquet")
    (a / "data" / "parts").mkdir()
    (a / "data" / "parts" / "p1.csv").write_text("k\n1\n")
    datavc(a, "add", "data/raw.parquet", "--name", "raw", "-m", "first")
    datavc(a, "add", "data/parts", "--name", "parts")
    datavc(a, "push")
    git(a, "add", "-A")
    git(a, "commit", "-q", "-m", "data v1")
    first = git(a, "rev-parse", "HEAD")
    v1 = (a / "data" / "raw.parquet").read_bytes()
    frame(6000, 2).to_parquet(a / "data" / "raw.parquet")
    datavc(a, "add", "data/raw.parquet", "--name", "raw", "-m", "second")
    (a / "data" / "parts" / "p2.csv").write_text("k\n2\n")
    datavc(a, "append", "parts", "data/parts/p2.csv")
    datavc(a, "push")
    git(a, "add", "-A")
    git(a, "commit", "-q", "-m", "data v2")
    v2 = (a / "data" / "raw.parquet").read_bytes()
    assert "objects" not in git(a, "ls-files") and ".datavc/refs/raw/v2.json" in git(a, "ls-files")
    # When someone clones it and runs `datavc pull` (a real CLI process)
    b = tmp_path / "b"
    git(tmp_path, "clone", "-q", str(a), str(b))
    env = {**os.environ, "DATAVC_AUTHOR": "other"}
    run = subprocess.run(
        [sys.executable, "-m", "jupyter_datavc", "pull"], cwd=b, capture_output=True, text=True, env=env
    )
    # Then the data of the latest commit is back, byte for byte
    assert run.returncode == 0, run.stderr
    assert (b / "data" / "raw.parquet").read_bytes() == v2
    assert sorted(p.name for p in (b / "data" / "parts").iterdir()) == ["p1.csv", "p2.csv"]
    # And `git checkout <older commit>` + pull restores that commit's versions
    git(b, "checkout", "-q", first)
    datavc(b, "pull")
    assert (b / "data" / "raw.parquet").read_bytes() == v1
    assert sorted(p.name for p in (b / "data" / "parts").iterdir()) == ["p1.csv"]
    assert git(b, "status", "--porcelain", "--", ".datavc/refs", ".datavc/config.json") == ""  # no refs added
    git(b, "checkout", "-q", "-")
    datavc(b, "pull")
    assert (b / "data" / "raw.parquet").read_bytes() == v2
