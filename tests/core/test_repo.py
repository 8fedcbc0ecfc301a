from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest

from jupyter_datavc.core import ingest, objects
from jupyter_datavc.core.errors import (
    InvalidRevision,
    NotATable,
    PathError,
    RepoNotFound,
    UnknownDataset,
    UnknownRevision,
    UsageError,
    WorkspaceConflict,
)
from jupyter_datavc.core.manifest import Manifest, path_hashes
from jupyter_datavc.core.repo import Repo


def test_init_writes_git_friendly_layout(project: Path) -> None:
    repo = Repo.init(project)
    ignore = (project / ".datavc" / ".gitignore").read_text()
    for folder in ("objects/", "manifests/", "cache/", "jobs/", "tmp/"):
        assert folder in ignore
    assert "refs/" not in ignore.replace("# jupyter_datavc: refs/", "")
    assert json.loads((project / ".datavc" / "config.json").read_text())["format"] == "datavc.config"
    (project / "a" / "b").mkdir(parents=True)
    assert Repo.discover(project / "a" / "b").root == repo.root


def test_discover_without_repo(tmp_path: Path) -> None:
    with pytest.raises(RepoNotFound, match="datavc init"):
        Repo.discover(tmp_path)


def test_add_file_log_load_and_revisions(repo: Repo, make_parquet) -> None:
    path = make_parquet(rows=100)
    v1 = repo.add(str(path), name="raw", message="initial import")
    assert (v1.number, v1.parent, v1.rows, v1.files, v1.path) == (1, None, 100, 1, "data/raw.parquet")
    manifest = repo.manifest(v1)
    entry = manifest.files[0]
    assert entry.table is not None and entry.table["format"] == "parquet"
    assert [c["name"] for c in entry.table["schema"]] == ["id", "price", "city"]
    assert entry.table["stats"]["id"]["min"] == 0 and entry.table["stats"]["id"]["max"] == 99

    first = pd.read_parquet(path)
    make_parquet(rows=120, seed=1)
    v2 = repo.add(str(path), name="raw", message="more rows")
    assert (v2.number, v2.parent, v2.rows) == (2, 1, 120)
    repo.tag("raw@v1", "baseline")

    pd.testing.assert_frame_equal(repo.load("raw@v1"), first)
    assert repo.load("raw@baseline").shape == (100, 3)
    assert repo.load("raw").shape == (120, 3)
    assert repo.load("raw@latest~1").shape == (100, 3)
    assert repo.load(f"raw@{v1.manifest[:8]}").shape == (100, 3)
    assert isinstance(repo.load("raw@v2", arrow=True), pa.Table)
    assert [v.tags for v in repo.log("raw")] == [("baseline",), ()]
    # the workspace was not touched by load
    assert pd.read_parquet(path).shape == (120, 3)


def test_unchanged_add_makes_no_new_version(repo: Repo, make_parquet) -> None:
    path = make_parquet()
    v1 = repo.add(str(path), name="raw")
    job = repo.start_add(str(path), name="raw")
    assert job.wait() == v1 and job.info["unchanged"] is True
    assert len(repo.log("raw")) == 1


def test_noop_add_of_a_cached_folder_builds_no_manifest(repo: Repo, make_tree, monkeypatch: pytest.MonkeyPatch) -> None:
    root = make_tree(files=6)
    for f in root.rglob("*"):
        os.utime(f, ns=(1_600_000_000 * 10**9, 1_600_000_000 * 10**9))  # old mtimes: cache entries are not racy
    v1 = repo.add(str(root), name="imgs")
    built = []
    real = Manifest.to_bytes
    monkeypatch.setattr(Manifest, "to_bytes", lambda self: built.append(1) or real(self))
    job = repo.start_add(str(root), name="imgs")
    assert job.wait() == v1 and job.info["unchanged"] is True and built == []
    (root / "sub0" / "f0.bin").unlink()  # every other file still hits the cache: a new version all the same
    v2 = repo.add(str(root), name="imgs")
    assert v2.number == 2 and v2.files == v1.files - 1 and built == [1]
    repo.checkout("imgs@v1")  # the workspace now holds v1 again, the latest is v2
    v3 = repo.add(str(root), name="imgs")
    assert v3.number == 3 and v3.manifest == v1.manifest


@pytest.mark.parametrize("setting", [None, True, False])
def test_commit_flushes_the_file_system_unless_fsync_is_off(
    project: Path, monkeypatch: pytest.MonkeyPatch, setting: bool | None
) -> None:
    Repo.init(project)
    if setting is not None:
        config = project / ".datavc" / "config.json"
        config.write_text(json.dumps({**json.loads(config.read_text()), "fsync": setting}))
    flushed: list[Path] = []
    early: list[int] = []
    monkeypatch.setattr(ingest, "sync_filesystem", flushed.append)
    monkeypatch.setattr(objects, "start_writeback", early.append)
    repo = Repo(project)
    (project / "a.bin").write_bytes(os.urandom(1000))
    v1 = repo.add(str(project / "a.bin"), name="a")
    assert flushed == ([] if setting is False else [repo.dir])  # once, before the manifest and the ref
    assert (early == []) == (setting is False)  # the objects' early write-back only serves that flush
    repo.add(str(project / "a.bin"), name="a")  # unchanged: nothing to commit, nothing to flush
    assert len(flushed) == (0 if setting is False else 1) and repo.refs.latest("a") == v1


def test_identical_chunks_are_stored_once(repo: Repo, project: Path) -> None:
    blob = os.urandom(3 << 20)
    (project / "a").mkdir()
    (project / "a" / "one.bin").write_bytes(blob)
    (project / "a" / "two.bin").write_bytes(blob)
    repo.add(str(project / "a"), name="a")
    repo.add(str(project / "a" / "one.bin"), name="b")
    stored = sum(os.path.getsize(repo.objects.path(o)) for o in repo.objects.iter_oids())
    assert stored == len(blob)


def test_directory_add_checkout_roundtrip(repo: Repo, make_tree, snapshot_tree) -> None:
    root = make_tree(files=12)
    v1_tree = snapshot_tree(root)
    repo.add(str(root), name="images")
    (root / "sub0" / "f0.bin").write_bytes(b"changed")
    (root / "sub1" / "f1.bin").unlink()
    (root / "new.txt").write_text("new")
    repo.add(str(root), name="images", message="edits")
    res = repo.checkout("images@v1")
    assert snapshot_tree(root) == v1_tree
    assert sorted(res.written) == ["sub0/f0.bin", "sub1/f1.bin"] and res.removed == ["new.txt"]
    assert res.unchanged == 10
    assert [d.state for d in repo.status().datasets] == ["modified"]
    repo.checkout("images@v2")
    assert [d.state for d in repo.status().datasets] == ["clean"]


def test_checkout_to_elsewhere_and_file_dataset(repo: Repo, make_parquet, project: Path) -> None:
    path = make_parquet()
    repo.add(str(path), name="raw")
    out = project / "elsewhere"
    out.mkdir()
    repo.checkout("raw@v1", to=str(out) + "/")
    assert (out / "raw.parquet").read_bytes() == path.read_bytes()
    repo.checkout("raw@v1", to=str(project / "copy.parquet"))
    assert (project / "copy.parquet").read_bytes() == path.read_bytes()


def test_checkout_refuses_to_overwrite_unversioned_changes(repo: Repo, make_tree) -> None:
    root = make_tree(files=4)
    repo.add(str(root), name="images")
    (root / "sub0" / "f0.bin").write_bytes(b"precious edit")
    (root / "extra.bin").write_bytes(b"unversioned")
    with pytest.raises(WorkspaceConflict, match=r"sub0/f0\.bin") as info:
        repo.checkout("images@v1")
    assert sorted(info.value.files) == ["extra.bin", "sub0/f0.bin"]
    assert (root / "sub0" / "f0.bin").read_bytes() == b"precious edit"
    repo.checkout("images@v1", force=True)
    assert not (root / "extra.bin").exists()


def test_status_reports_new_modified_deleted(repo: Repo, make_tree) -> None:
    root = make_tree(files=6)
    repo.add(str(root), name="images")
    assert repo.status().datasets[0].state == "clean"
    (root / "sub0" / "f0.bin").write_bytes(b"x")
    (root / "sub1" / "f1.bin").unlink()
    (root / "n.bin").write_bytes(b"n")
    st = repo.status().datasets[0]
    assert (st.state, st.modified, st.deleted, st.new) == ("modified", ["sub0/f0.bin"], ["sub1/f1.bin"], ["n.bin"])


def test_add_table_is_deterministic_and_dedupes(repo: Repo) -> None:
    df = pd.DataFrame({"id": range(200_000), "v": [float(i % 97) for i in range(200_000)]})
    v1 = repo.add(None, table=df, name="clean")
    assert v1.path is None and v1.source == "dataframe" and v1.rows == 200_000
    assert repo.add(None, table=df.copy(), name="clean") == v1  # same bytes: no new version
    df.loc[10, "v"] = -1.0
    v2 = repo.add(None, table=df, name="clean")
    assert v2.number == 2
    pd.testing.assert_frame_equal(repo.load("clean@v2"), df)
    with pytest.raises(UsageError, match="--to"):
        repo.checkout("clean@v1")


def test_bad_input_is_one_clear_line(repo: Repo, make_parquet, tmp_path: Path) -> None:
    make_parquet()
    repo.add("data/raw.parquet", name="raw")
    cases = [
        (lambda: repo.load("rwa"), UnknownDataset, "did you mean 'raw'"),
        (lambda: repo.load("raw@v9"), UnknownRevision, "raw has v1..v1"),
        (lambda: repo.load("raw@nosuchtag"), UnknownRevision, "no such tag"),
        (lambda: repo.load("raw@v1~1"), UnknownRevision, "no version before"),
        (lambda: repo.load("raw@@"), InvalidRevision, "malformed"),
        (lambda: repo.add("data/missing.csv", name="m"), PathError, "does not exist"),
        (lambda: repo.add(str(tmp_path), name="outside"), PathError, "outside the repository"),
        (lambda: repo.add(None, table=[1, 2], name="t"), NotATable, "list"),
        (lambda: repo.add(None, table=pd.DataFrame({"a": [1]}), name="bad name"), Exception, "invalid dataset name"),
    ]
    for call, exc, text in cases:
        with pytest.raises(exc, match=text) as info:
            call()
        assert "\n" not in str(info.value)


def test_manifest_paths_are_checked(repo: Repo) -> None:
    evil = (
        b'{"format":"datavc.manifest","version":1,"kind":"dir","meta":{},"files":[{"path":"../x","size":0,"hash":"0"}]}'
    )
    with pytest.raises(Exception, match="unsafe path"):
        Manifest.from_bytes(evil)
    with pytest.raises(Exception, match="unsafe path"):
        path_hashes(evil)


def test_git_workflow_refs_are_plain_files(repo: Repo, make_parquet, project: Path) -> None:
    make_parquet()
    repo.add("data/raw.parquet", name="raw", message="m")
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@e"]
    subprocess.run([*git, "init", "-q"], cwd=project, check=True)
    subprocess.run([*git, "add", ".datavc"], cwd=project, check=True)
    tracked = subprocess.run(["git", "ls-files"], cwd=project, capture_output=True, text=True, check=True).stdout
    assert ".datavc/refs/raw/v1.json" in tracked and ".datavc/config.json" in tracked
    assert "objects/" not in tracked and "manifests/" not in tracked and "cache/" not in tracked
