"""gc: removes what nothing needs, keeps what versions, tags and runs need, never races an add."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
from integrity_util import build_store, referenced

import jupyter_datavc.core.ingest as ingest
from jupyter_datavc.core.audit import read_events
from jupyter_datavc.core.chunking import chunk_and_store
from jupyter_datavc.core.errors import JobCancelled, StoreBusy
from jupyter_datavc.core.gc import gc
from jupyter_datavc.core.locks import store_lock
from jupyter_datavc.core.reachable import Unreadable
from jupyter_datavc.core.repo import Repo
from jupyter_datavc.core.verify import verify


def garbage(repo: Repo, project: Path, n: int = 3) -> set[str]:
    """Chunks stored by no version (what a cancelled or killed add leaves)."""
    out: set[str] = set()
    for i in range(n):
        path = project / f"garbage{i}.bin"
        path.write_bytes(os.urandom(20_000 + i))
        out |= {oid for oid, _ in chunk_and_store(path, repo.objects).chunks}
        path.unlink()
    return out


def test_gc_removes_only_unreachable_chunks_and_manifests(repo: Repo, project: Path) -> None:
    build_store(repo)
    chunks, manifests = referenced(repo)
    junk = garbage(repo, project)
    stray_manifest = repo.manifests.put_bytes(b'{"format":"datavc.manifest","version":1,"kind":"dir","files":[]}')
    dry = gc(repo, dry_run=True)
    assert (dry.chunks, dry.manifests, dry.kept_chunks) == (3, 1, len(chunks))
    assert all(repo.objects.has(o) for o in junk)  # a dry run deletes nothing
    res = gc(repo)
    assert (res.chunks, res.manifests, res.dry_run) == (3, 1, False) and res.chunk_bytes == 3 * 20_000 + 3
    assert not any(repo.objects.has(o) for o in junk) and not repo.manifests.has(stray_manifest)
    assert sorted(repo.objects.iter_oids()) == chunks and sorted(repo.manifests.iter_oids()) == manifests
    assert verify(repo, all=True).ok
    assert read_events(repo.dir)[-1].operation == "gc" and read_events(repo.dir)[-1].details["chunks"] == 3
    assert gc(repo).chunks == 0


def test_runs_keep_what_they_name(repo: Repo, project: Path) -> None:
    # The assumed runs contract: any 32-hex string in .datavc/runs/**/*.json is kept alive.
    (project / "x.bin").write_bytes(os.urandom(30_000))
    v = repo.add("x.bin", name="x")
    run_only = repo.manifests.put_bytes(
        json.dumps({"format": "datavc.manifest", "version": 1, "kind": "dir", "meta": {}, "files": []}).encode()
    )
    lone = sorted(garbage(repo, project, 2))
    (repo.dir / "runs" / "2024" / "r1").mkdir(parents=True)
    record = {"outputs": [{"manifest": run_only}], "artifacts": {"model": lone[0]}, "note": "abc"}
    (repo.dir / "runs" / "2024" / "r1" / "run.json").write_text(json.dumps(record))
    res = gc(repo)
    assert res.chunks == 1 and repo.objects.has(lone[0]) and not repo.objects.has(lone[1])
    assert repo.manifests.has(run_only) and repo.manifests.has(v.manifest)
    (repo.dir / "runs" / "broken.json").write_text("{")
    with pytest.raises(Unreadable, match=r"run record runs/broken\.json"):
        gc(repo)


def test_gc_refuses_when_a_root_is_unreadable(repo: Repo, project: Path) -> None:
    build_store(repo)
    junk = garbage(repo, project)
    v = repo.resolve("imgs@v1")
    os.chmod(repo.manifests.path(v.manifest), 0o644)
    repo.manifests.path(v.manifest).write_bytes(b"{}")
    with pytest.raises(Unreadable, match="gc stopped before deleting anything: manifest"):
        gc(repo)
    (repo.dir / "refs" / "blob" / "v1.json").write_text("{")
    with pytest.raises(Unreadable, match="blob@v1"):
        gc(repo)
    assert all(repo.objects.has(o) for o in junk)


def test_gc_forgets_stat_cache_entries_of_chunks_it_removes(
    repo: Repo, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given an add that stored chunks and stat-cache entries, then died before its commit
    path = project / "big.bin"
    path.write_bytes(os.urandom(3 << 20))

    def die(*a: object, **k: object) -> None:
        raise RuntimeError("killed before commit")

    monkeypatch.setattr(ingest, "commit", die)
    with pytest.raises(RuntimeError):
        repo.add(str(path), name="big")
    monkeypatch.undo()
    assert repo.statcache.lookup_prefix("big.bin")
    # When gc removes those chunks
    assert gc(repo).chunks >= 1
    assert not repo.statcache.lookup_prefix("big.bin")
    # Then the next add of the unchanged file stores them again instead of trusting the cache
    assert repo.add(str(path), name="big").number == 1
    assert verify(repo, "big").ok and repo.load("big", path=True).read_bytes() == path.read_bytes()


def test_stale_temp_files_older_than_an_hour_go(repo: Repo, project: Path) -> None:
    (project / "a.bin").write_bytes(b"a" * 100)
    repo.add("a.bin", name="a")
    old, fresh = repo.dir / "objects" / "ab" / ".tmp-x-old", repo.dir / "refs" / "a" / ".tmp-v2-fresh"
    old.parent.mkdir(exist_ok=True)
    stage = repo.dir / "tmp" / "deadbeef"
    stage.mkdir()
    for p in (old, fresh, stage / "t.parquet"):
        p.write_bytes(b"partial")
    long_ago = time.time() - 7200
    os.utime(old, (long_ago, long_ago))
    os.utime(stage, (long_ago, long_ago))
    assert gc(repo).temp_files == 2
    assert not old.exists() and not stage.exists() and fresh.exists()


def test_gc_removes_cached_copies_nothing_needs(repo: Repo, project: Path) -> None:
    (project / "d").mkdir()
    (project / "d" / "f.csv").write_text("x\n1\n")
    repo.add("d", name="d")
    repo.load("d@v1", path=True)
    (project / "d" / "f.csv").write_text("x\n2\n")
    repo.add("d", name="d")
    repo.load("d@v2", path=True)
    os.unlink(repo.dir / "refs" / "d" / "v2.json")  # v2 gone: its cached file and tree are garbage
    res = gc(repo)
    assert res.cache_entries == 2 and res.manifests == 1
    assert len(list((repo.dir / "cache" / "files").iterdir())) == 1
    assert repo.load("d@v1", path=True).is_dir()


def test_gc_waits_for_an_add_and_an_add_waits_for_gc(repo: Repo, project: Path) -> None:
    (project / "a.bin").write_bytes(os.urandom(1000))
    with store_lock(repo.dir, exclusive=False), pytest.raises(StoreBusy, match="store is busy"):  # an add runs
        gc(repo, timeout=0.2)
    with store_lock(repo.dir, exclusive=True):  # gc in progress: adds wait, say so, can be cancelled
        cancelled = repo.start_add("a.bin", name="a")
        waiting = repo.start_add("a.bin", name="b")
        deadline = time.monotonic() + 10
        while waiting.progress.phase != "waiting for gc" and time.monotonic() < deadline:
            time.sleep(0.01)
        assert waiting.progress.phase == "waiting for gc" and not waiting.done
        cancelled.cancel()
        with pytest.raises(JobCancelled):
            cancelled.wait(10)
    assert waiting.wait(10).ref == "b@v1"
    assert gc(repo, timeout=1).chunks == 0
