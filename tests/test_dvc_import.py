"""``import-dvc`` on a real DVC repository built here with the ``dvc`` CLI (from the [test] extras)."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from jupyter_datavc.cli import main
from jupyter_datavc.core.dvc_import import import_dvc
from jupyter_datavc.core.repo import Repo

DVC = Path(sys.executable).with_name("dvc")


def run(cwd: Path, *args: str, env: dict[str, str]) -> str:
    out = subprocess.run(list(args), cwd=cwd, capture_output=True, text=True, env=env, timeout=300)
    assert out.returncode == 0, f"{args}: {out.stderr}"
    return out.stdout.strip()


@pytest.fixture(scope="module")
def dvc_repo(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Three Git commits: prices.csv and images/ added, both changed, a default remote pushed to."""
    base = tmp_path_factory.mktemp("dvc")
    root = base / "proj"
    root.mkdir()
    env = {
        **os.environ,
        "DVC_NO_ANALYTICS": "1",
        "DVC_SITE_CACHE_DIR": str(base / "site-cache"),
        "GIT_AUTHOR_NAME": "Dee Vee",
        "GIT_AUTHOR_EMAIL": "d@example.com",
        "GIT_COMMITTER_NAME": "Dee Vee",
        "GIT_COMMITTER_EMAIL": "d@example.com",
    }

    def git(*args: str) -> str:
        return run(root, "git", *args, env=env)

    def dvc(*args: str) -> str:
        return run(root, str(DVC), *args, env=env)

    git("init", "-q")
    dvc("init", "-q")
    (root / "data").mkdir()
    (root / "images").mkdir()
    prices = [b"day,price\n1,10\n2,11\n", b"day,price\n1,10\n2,12\n3,13\n"]
    (root / "data" / "prices.csv").write_bytes(prices[0])
    for i in range(3):
        (root / "images" / f"img{i}.bin").write_bytes(os.urandom(20_000))
    images_v1 = {p.name: p.read_bytes() for p in (root / "images").iterdir()}
    dvc("add", "-q", "data/prices.csv", "images")
    git("add", "-A")
    git("commit", "-q", "-m", "first data")
    (root / "data" / "prices.csv").write_bytes(prices[1])
    (root / "images" / "img3.bin").write_bytes(os.urandom(30_000))
    images_v2 = {p.name: p.read_bytes() for p in (root / "images").iterdir()}
    dvc("add", "-q", "data/prices.csv", "images")
    git("add", "-A")
    git("commit", "-q", "-m", "more prices, one more image")
    dvc(
        "stage",
        "add",
        "-q",
        "-n",
        "summarize",
        "-d",
        "data/prices.csv",
        "-o",
        "summary.csv",
        "cp data/prices.csv summary.csv",
    )
    dvc("repro", "-q")  # its output is recorded in dvc.lock
    dvc("remote", "add", "-d", "store", str(base / "dvc-remote"))
    dvc("push", "-q")
    git("add", "-A")
    git("commit", "-q", "-m", "a pipeline stage and a default remote")
    commits = git("log", "--reverse", "--format=%H").split()
    md5s = [git("show", f"{c}:data/prices.csv.dvc").split("md5: ")[1].split()[0] for c in commits[:2]]
    return {"root": root, "commits": commits, "prices": prices, "images": [images_v1, images_v2], "md5s": md5s}


def tree(path: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in path.iterdir()}


def test_import_whole_history(repo: Repo, dvc_repo: dict[str, Any], tmp_path: Path) -> None:
    root, commits = dvc_repo["root"], dvc_repo["commits"]
    job = repo.jobs.submit("import-dvc", "*", "test", lambda j: import_dvc(repo, root, None, j))
    res = job.wait()
    assert sorted(v.ref for v in res.versions) == ["images@v1", "images@v2", "prices@v1", "prices@v2", "summary@v1"]
    summary = repo.resolve("summary")
    assert summary.meta["dvc"]["path"] == "summary.csv" and summary.meta["dvc"]["commit"] == commits[2]
    assert Path(repo.load("summary", path=True)).read_bytes() == dvc_repo["prices"][1]
    assert res.skipped == []
    for n in (1, 2):
        v = repo.resolve(f"prices@v{n}")
        assert v.meta["dvc"]["md5"] == dvc_repo["md5s"][n - 1] == hashlib.md5(dvc_repo["prices"][n - 1]).hexdigest()
        assert v.meta["dvc"]["commit"] == commits[n - 1] and v.meta["dvc"]["path"] == "data/prices.csv"
        assert v.author == "Dee Vee" and v.message == ["first data", "more prices, one more image"][n - 1]
        assert Path(repo.load(f"prices@v{n}", path=True)).read_bytes() == dvc_repo["prices"][n - 1]
        assert repo.resolve(f"images@v{n}").meta["dvc"]["md5"].endswith(".dir")
        assert tree(repo.checkout(f"images@v{n}", to=str(tmp_path / f"img{n}")).target) == dvc_repo["images"][n - 1]
    assert len(repo.load("prices@v2")) == 3  # a table like any other
    # importing again adds nothing
    again = repo.jobs.submit("import-dvc", "*", "test", lambda j: import_dvc(repo, root, None, j)).wait()
    assert again.versions == [] and len(repo.log("prices")) == 2


def test_rev_range_and_the_default_remote(project: Path, dvc_repo: dict[str, Any], tmp_path: Path, capsys) -> None:
    # a copy without the DVC cache: the content must come from the default remote
    copy = tmp_path / "copy"
    shutil.copytree(dvc_repo["root"], copy, symlinks=True)
    shutil.rmtree(copy / ".dvc" / "cache")
    first, second = dvc_repo["commits"][:2]
    assert main(["import-dvc", str(copy), "--rev-range", f"{first}..{second}"]) == 0
    out = capsys.readouterr().out
    assert "imported 2 version(s)" in out and f"data/prices.csv at {second[:10]}" in out
    repo = Repo(project)
    assert [v.meta["dvc"]["commit"] for v in repo.log("prices")] == [second]
    assert Path(repo.load("prices", path=True)).read_bytes() == dvc_repo["prices"][1]
    assert main(["import-dvc", str(tmp_path)]) == 2
    assert "not a DVC repository" in capsys.readouterr().err
