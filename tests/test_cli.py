from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from jupyter_datavc.cli import main


def datavc(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATAVC_AUTHOR": "cli-user"}
    return subprocess.run(
        [sys.executable, "-m", "jupyter_datavc", *args], cwd=cwd, capture_output=True, text=True, env=env, timeout=120
    )


def test_cli_end_to_end(project: Path, make_parquet) -> None:
    path = make_parquet(rows=50)
    r = datavc("add", "data/raw.parquet", "--name", "raw", "-m", "first", cwd=project)
    assert r.returncode == 0, r.stderr
    assert "created a datavc repository" in r.stderr and "added raw@v1" in r.stdout and "50 rows" in r.stdout
    make_parquet(rows=70, seed=2)
    assert datavc("add", "data/raw.parquet", "--name", "raw", "-m", "second", cwd=project).returncode == 0
    assert "no changes" in datavc("add", "data/raw.parquet", "--name", "raw", cwd=project).stdout
    log = datavc("log", "raw", cwd=project).stdout
    assert log.index("v2") < log.index("v1") and "cli-user" in log and "second" in log and "70" in log
    assert "tagged raw@v1" in datavc("tag", "raw@v1", "baseline", cwd=project).stdout
    ls = datavc("ls", cwd=project).stdout
    assert "raw" in ls and "v2" in ls
    status = datavc("status", cwd=project).stdout
    assert "clean" in status
    out = project / "out.csv"
    r = datavc("load", "raw@baseline", "--out", str(out), cwd=project)
    assert r.returncode == 0 and "50 rows" in r.stdout
    assert len(pd.read_csv(out)) == 50
    preview = datavc("load", "raw@v1", "--head", "3", cwd=project).stdout
    assert "[50 rows x 3 columns]" in preview
    r = datavc("checkout", "raw@v1", cwd=project)
    assert r.returncode == 0 and "1 written" in r.stdout
    assert len(pd.read_parquet(path)) == 50
    assert "modified" in datavc("status", cwd=project).stdout
    sub = project / "deep" / "er"
    sub.mkdir(parents=True)
    assert "raw" in datavc("ls", cwd=sub).stdout  # found by walking up


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["load", "rwa"], "unknown dataset 'rwa' (did you mean 'raw'?)"),
        (["load", "raw@v7"], "unknown revision raw@v7"),
        (["checkout", "raw@@x"], "malformed revision"),
        (["add", "nope.csv"], "does not exist"),
        (["add", "/"], "outside the repository"),
        (["tag", "raw@v1", "v2"], "invalid tag"),
        (["bogus"], "invalid choice"),
        (["log"], "the following arguments are required"),
        (["wait", "zzz"], "unknown job"),
    ],
)
def test_cli_errors_are_one_line_and_exit_2(project: Path, make_parquet, args: list[str], message: str) -> None:
    make_parquet()
    assert datavc("add", "data/raw.parquet", "--name", "raw", cwd=project).returncode == 0
    r = datavc(*args, cwd=project)
    assert r.returncode == 2
    assert message in r.stderr
    assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1


def test_cli_without_repository(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["-C", str(tmp_path), "ls"]) == 2
    assert "datavc init" in capsys.readouterr().err
    assert main(["-C", str(tmp_path), "init"]) == 0
    assert (tmp_path / ".datavc" / "refs").is_dir()


def test_cli_checkout_conflict_names_files(project: Path, make_tree, capsys: pytest.CaptureFixture[str]) -> None:
    root = make_tree(files=3)
    assert main(["add", str(root), "--name", "imgs"]) == 0
    (root / "sub0" / "f0.bin").write_bytes(b"mine")
    capsys.readouterr()
    assert main(["checkout", "imgs@v1"]) == 2
    err = capsys.readouterr().err
    assert "sub0/f0.bin" in err and "--force" in err
    assert main(["checkout", "imgs@v1", "--force"]) == 0


def test_verb_groups_name_every_verb_of_its_module() -> None:
    from jupyter_datavc import commands

    defined = {v.name: g for g in commands.GROUPS for v in commands.group_verbs(g)}
    assert defined == commands.VERB_GROUPS


def test_cli_imports_only_the_module_of_the_verb_it_runs(project: Path) -> None:
    assert main(["init"]) == 0
    code = (
        "import sys; from jupyter_datavc.cli import main; rc = main(['-C', sys.argv[1], 'status']);"
        "print(sorted(m for m in sys.modules if m.startswith('jupyter_datavc.commands.'))); sys.exit(rc)"
    )
    r = subprocess.run([sys.executable, "-c", code, str(project)], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip().splitlines()[-1] == "['jupyter_datavc.commands.store']"
    r = datavc("--help", cwd=project)  # help still lists every verb
    assert r.returncode == 0 and "import-dvc" in r.stdout and "repro" in r.stdout
