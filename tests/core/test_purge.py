"""purge: the bytes only one version holds go; everything else, and the history, stays."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from jupyter_datavc.core.audit import read_events, verify_chain
from jupyter_datavc.core.audit_report import report
from jupyter_datavc.core.errors import UsageError, VersionPurged
from jupyter_datavc.core.gc import gc
from jupyter_datavc.core.purge import purge
from jupyter_datavc.core.repo import Repo
from jupyter_datavc.core.verify import verify


@pytest.fixture
def three(repo: Repo, project: Path) -> Repo:
    """blob v1..v3: v2 changes the middle of the file, v3 goes back to v1's bytes."""
    path = project / "blob.bin"
    first = os.urandom(4 << 20)
    path.write_bytes(first)
    repo.add(str(path), name="blob", message="v1")
    data = bytearray(first)
    data[2 << 20 : (2 << 20) + 4096] = os.urandom(4096)
    path.write_bytes(bytes(data))
    repo.add(str(path), name="blob", message="v2")
    repo.load("blob@v2", path=True)  # a cached copy, which must go too
    path.write_bytes(first)
    repo.add(str(path), name="blob", message="v3")
    return repo


def test_purge_removes_only_what_that_version_holds(three: Repo, project: Path) -> None:
    v1, v2, _ = three.log("blob")
    own = three.manifest(v2).chunk_ids - three.manifest(v1).chunk_ids
    shared = three.manifest(v2).chunk_ids & three.manifest(v1).chunk_ids
    cached = three.dir / "cache" / "files" / three.manifest(v2).files[0].hash
    assert own and shared and cached.exists()
    # When v2 is purged
    res = purge(three, "blob@v2", "GDPR erasure request #123")
    # Then its own chunks, manifest and cached copy are gone; shared chunks stay
    assert res.chunks == len(own) and res.shared == len(shared) and res.manifest_removed
    assert not any(three.objects.has(c) for c in own) and all(three.objects.has(c) for c in shared)
    assert not three.manifests.has(v2.manifest)
    assert not cached.exists()
    # the ref stays, immutable, with a purge record beside it
    assert (three.dir / "refs" / "blob" / "v2.json").exists()
    record = json.loads((three.dir / "refs" / "blob" / "v2.purged.json").read_text())
    assert record["reason"] == "GDPR erasure request #123" and record["author"] == "tester"
    # other versions are whole
    assert three.load("blob@v1", path=True).read_bytes() == three.load("blob@v3", path=True).read_bytes()
    assert verify(three, all=True).ok and verify(three, all=True).purged == ["blob@v2"]
    assert [v.number for v in three.log("blob")] == [1, 2, 3]


def test_a_purged_version_says_when_by_whom_and_why(three: Repo, project: Path) -> None:
    purge(three, "blob@v2", "GDPR erasure request #123")
    three.tag("blob@v2", "old")
    pattern = r"blob@v2 was purged on \d{4}-\d\d-\d\dT[\d:]+Z by tester: GDPR erasure request #123"
    for call in (
        lambda: three.load("blob@v2"),
        lambda: three.load("blob@old", path=True),
        lambda: three.load("blob@v3~1"),
        lambda: three.checkout("blob@v2", to=str(project / "out.bin")),
        lambda: three.manifest(three.resolve("blob@v2")),
    ):
        with pytest.raises(VersionPurged, match=pattern):
            call()
    assert not (project / "out.bin").exists()
    with pytest.raises(VersionPurged, match="purged"):
        purge(three, "blob@v2", "again")
    three.checkout("blob@v1")  # other versions check out; the purged one is not "known" workspace content


def test_purge_keeps_the_audit_chain_intact_and_reports_it(three: Repo) -> None:
    purge(three, "blob@v2", "GDPR #5")
    event = read_events(three.dir)[-1]
    assert event.operation == "purge" and event.details["reason"] == "GDPR #5" and event.details["version"] == 2
    assert verify_chain(three.dir).ok
    rep = report(three, "blob@v2")
    assert rep.purge is not None and rep.purge["reason"] == "GDPR #5"
    assert [e.operation for e in rep.events] == ["add", "load", "purge"]


def test_purge_needs_a_reason(three: Repo) -> None:
    for reason in ("", "   "):
        with pytest.raises(UsageError, match="needs a reason"):
            purge(three, "blob@v2", reason)
    assert verify(three, all=True).purged == []


def test_purging_the_latest_then_adding_the_same_bytes_makes_a_new_version(three: Repo, project: Path) -> None:
    path = project / "blob.bin"
    before = path.read_bytes()
    purge(three, "blob@v3", "mistake")
    assert [d.state for d in three.status().datasets] == ["purged"]
    assert path.read_bytes() == before  # the workspace is the user's
    v4 = three.add(str(path), name="blob")  # the stat cache must not resurrect purged chunks
    assert v4.number == 4 and three.load("blob@v4", path=True).read_bytes() == before
    assert verify(three, all=True).ok


def test_gc_after_purge_and_a_purge_that_shares_everything(three: Repo) -> None:
    purge(three, "blob@v2", "x")
    assert gc(three).chunks == 0
    res = purge(three, "blob@v3", "v3 has v1's bytes")  # same manifest as v1: nothing is only v3's
    assert (res.chunks, res.manifest_removed) == (0, False)
    assert three.load("blob@v1", path=True).exists() and verify(three, all=True).ok
    res = purge(three, "blob@v1", "now it goes")
    assert res.chunks > 0 and res.manifest_removed
    assert list(three.objects.iter_oids()) == [] and verify(three, all=True).ok


def test_a_run_that_used_a_version_does_not_keep_its_bytes(three: Repo) -> None:
    v2 = three.resolve("blob@v2")
    (three.dir / "runs").mkdir()
    (three.dir / "runs" / "r.json").write_text(json.dumps({"inputs": [{"manifest": v2.manifest}]}))
    res = purge(three, "blob@v2", "erasure beats lineage")
    assert res.manifest_removed and res.chunks > 0
    assert gc(three).manifests == 0
