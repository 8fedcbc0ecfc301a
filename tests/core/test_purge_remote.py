"""An erasure request reaches the team's remote and every clone that pulls from it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from remote_util import clone

from jupyter_datavc.core import remote
from jupyter_datavc.core.errors import RemoteError, VersionPurged
from jupyter_datavc.core.purge import purge
from jupyter_datavc.core.repo import Repo
from jupyter_datavc.core.verify import verify


def _objects(root: Path) -> set[str]:
    return {p.parent.name + p.name for p in (root / "objects").glob("*/*")}


@pytest.fixture
def pushed(repo: Repo, project: Path, tmp_path: Path) -> tuple[Repo, Path]:
    path = project / "raw.bin"
    path.write_bytes(os.urandom(12 << 20))
    repo.add(str(path), name="raw", message="v1")
    with open(path, "r+b") as f:  # v2 shares most chunks with v1
        f.seek(6 << 20)
        f.write(os.urandom(2 << 20))
    repo.add(str(path), name="raw", message="v2")
    remote_dir = tmp_path / "remote"
    remote.add_remote(repo, "origin", remote_dir.as_uri())
    repo = Repo(repo.root)
    remote.push(repo)
    return repo, remote_dir


def test_purge_removes_the_remote_copy_and_other_clones_learn_of_it(pushed, tmp_path: Path) -> None:
    repo, remote_dir = pushed
    other = clone(repo, tmp_path / "other")
    remote.pull(other, "raw@v1")
    v1, v2 = repo.resolve("raw@v1"), repo.resolve("raw@v2")
    only_v1 = repo.manifest(v1).chunk_ids - repo.manifest(v2).chunk_ids
    shared = repo.manifest(v1).chunk_ids & repo.manifest(v2).chunk_ids
    assert only_v1 and shared and only_v1 <= _objects(remote_dir)

    res = purge(repo, "raw@v1", "GDPR erasure request #123", remote="default")

    assert res.remote is not None and res.remote.numbers == [1] and res.remote.chunks == len(only_v1)
    on_remote = _objects(remote_dir)
    assert not (only_v1 & on_remote) and shared <= on_remote  # shared chunks stay for v2
    assert (remote_dir / "refs" / "raw" / "v1.purged.json").exists()
    assert not (remote_dir / "manifests" / v1.manifest[:2] / v1.manifest[2:]).exists()
    assert verify(repo, all=True, remote="default").ok
    # the other clone still has v1's chunks locally until it pulls; then it knows v1 was purged
    result = remote.pull(other, "raw")
    assert any("raw@v1 was purged" in n for n in result.notices)
    with pytest.raises(VersionPurged, match="GDPR erasure request #123"):
        other.load("raw@v1", path=True)
    assert Path(other.load("raw@v2", path=True)).read_bytes() == Path(repo.load("raw@v2", path=True)).read_bytes()


def test_a_failed_remote_purge_changes_nothing_here_and_can_be_run_again(
    pushed, monkeypatch: pytest.MonkeyPatch
) -> None:
    from jupyter_datavc.core.remote_fs import RemoteFS

    repo, remote_dir = pushed
    before_local, before_remote = _objects(repo.dir), _objects(remote_dir)

    def drop(self: RemoteFS, rel: str, data: bytes, **kw: object) -> None:
        raise RemoteError(f"remote {self.name!r}: connection reset while writing {rel}")

    monkeypatch.setattr(RemoteFS, "put", drop)
    with pytest.raises(RemoteError, match="connection reset"):
        purge(repo, "raw@v1", "erasure", remote="default")
    assert _objects(repo.dir) == before_local and _objects(remote_dir) == before_remote
    assert Path(repo.load("raw@v1", path=True)).exists()
    monkeypatch.undo()
    res = purge(repo, "raw@v1", "erasure", remote="default")  # the second attempt completes
    assert res.remote is not None and res.remote.chunks > 0 and res.chunks > 0
