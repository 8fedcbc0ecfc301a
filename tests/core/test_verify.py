"""verify: every problem is found and reported, none stops the check."""

from __future__ import annotations

import json
import os
import random
from pathlib import Path

import pytest
from integrity_util import build_store, craft_version, flip_bit, manifest_doc, referenced, rewrite

from jupyter_datavc.core.errors import RemoteError, UnknownDataset, UnknownRevision, UsageError
from jupyter_datavc.core.objects import hash_bytes
from jupyter_datavc.core.repo import Repo
from jupyter_datavc.core.verify import verify


@pytest.fixture
def store(repo: Repo) -> Repo:
    build_store(repo)
    return repo


def kinds(report) -> set[str]:
    return {p.kind for p in report.problems}


def test_a_healthy_store_verifies(store: Repo) -> None:
    report = verify(store, all=True)
    assert report.ok and report.problems == []
    assert sorted(report.versions) == ["blob@v1", "blob@v2", "imgs@v1", "imgs@v2"]
    chunks, _ = referenced(store)
    assert report.chunks == len(chunks)
    assert report.bytes == sum(os.path.getsize(store.objects.path(c)) for c in chunks)
    latest = verify(store)
    assert sorted(latest.versions) == ["blob@v2", "imgs@v2"]
    assert verify(store, "imgs@v1").versions == ["imgs@v1"]
    assert verify(store, "imgs").versions == ["imgs@v2"]
    assert verify(store, "imgs", all=True).versions == ["imgs@v1", "imgs@v2"]


def test_every_bit_flip_in_a_chunk_or_manifest_is_detected(store: Repo) -> None:
    # Given every object the versions reference
    chunks, manifests = referenced(store)
    targets = [(store.objects.path(c), c) for c in chunks] + [(store.manifests.path(m), m) for m in manifests]
    rng = random.Random(8)
    trials = 60
    for _ in range(trials):
        # When one random bit of one random object flips
        path, oid = rng.choice(targets)
        original = flip_bit(path, rng.randrange(os.path.getsize(path) * 8))
        # Then verify reports that object as a hash mismatch
        report = verify(store, all=True)
        assert not report.ok
        assert any(p.kind == "hash-mismatch" and oid in p.detail for p in report.problems), report.problems
        rewrite(path, original)
    assert verify(store, all=True).ok


def test_every_problem_is_reported_in_one_run(store: Repo) -> None:
    imgs1, imgs2 = store.log("imgs")
    blob1, blob2 = store.log("blob")
    only_blob1 = sorted(store.manifest(blob1).chunk_ids - store.manifest(blob2).chunk_ids)
    only_imgs1 = sorted(store.manifest(imgs1).chunk_ids - store.manifest(imgs2).chunk_ids)
    # truncated chunk, deleted chunk, deleted manifest, unreadable ref, dangling tag: all at once
    path = store.objects.path(only_blob1[0])
    rewrite(path, path.read_bytes()[:100])
    os.unlink(store.objects.path(only_imgs1[0]))
    os.unlink(store.manifests.path(blob2.manifest))
    (store.dir / "refs" / "imgs" / "v2.json").write_text('{"dataset": "imgs", "numb')
    (store.dir / "refs" / "blob" / "tags").mkdir()
    (store.dir / "refs" / "blob" / "tags" / "gone.json").write_text('{"version": 9, "manifest": "x"}')
    report = verify(store, all=True)
    assert kinds(report) == {"size-mismatch", "missing-chunk", "dangling-ref", "unreadable-ref"}
    text = "\n".join(map(str, report.problems))
    assert "blob@v1 (blob.bin)" in text and only_blob1[0] in text
    assert only_imgs1[0] in text and "imgs@v1" in text
    assert f"blob@v2: its manifest {blob2.manifest} is not in the store" in text
    assert "imgs@v2" in text and "tag blob@gone: points to v9" in text


def test_unsafe_paths_and_bad_ids_in_manifests_are_problems(store: Repo) -> None:
    empty = hash_bytes(b"")
    craft_version(store, "evil", manifest_doc([{"path": "../escape", "size": 0, "hash": empty}]))
    craft_version(store, "evil", manifest_doc([{"path": "/etc/passwd", "size": 0, "hash": empty}]))
    craft_version(
        store, "evil", manifest_doc([{"path": "a", "size": 3, "hash": "../../x", "chunks": [["../../x", 3]]}])
    )
    report = verify(store, "evil", all=True)
    assert [p.kind for p in report.problems] == ["unsafe-path", "unsafe-path", "unreadable-manifest"]
    assert "'../escape'" in str(report.problems[0]) and "absolute" in str(report.problems[1])


def test_a_file_whose_chunks_do_not_assemble_to_its_hash(store: Repo) -> None:
    chunk = store.objects.put_bytes(b"hello")
    craft_version(store, "odd", manifest_doc([{"path": "a", "size": 5, "hash": "0" * 32, "chunks": [[chunk, 5]]}]))
    report = verify(store, "odd")
    assert [p.kind for p in report.problems] == ["hash-mismatch"] and "assembled file" in report.problems[0].detail


def test_an_unreadable_manifest_with_the_right_name(store: Repo) -> None:
    data = b'{"format": "something else"}'
    mid = store.manifests.put_bytes(data)
    craft_version(store, "weird", manifest_doc([]), manifest=mid)
    report = verify(store, "weird")
    assert [p.kind for p in report.problems] == ["unreadable-manifest"]
    assert "not a datavc manifest" in str(report.problems[0])


def test_a_bad_ref_does_not_hide_the_good_versions(store: Repo) -> None:
    path = store.dir / "refs" / "imgs" / "v1.json"
    doc = json.loads(path.read_text())
    doc["manifest"] = "../../../../etc/passwd"
    path.write_text(json.dumps(doc))
    report = verify(store, all=True)
    assert [(p.kind, p.where) for p in report.problems] == [("unreadable-ref", "imgs@v1")]
    assert "imgs@v2" in report.versions
    assert verify(store, "imgs@v2").ok  # a version named exactly is checked even if a sibling ref is bad
    (store.dir / "refs" / "no good").mkdir()
    (store.dir / "refs" / "no good" / "v1.json").write_text("{}")
    assert ("unreadable-ref", "refs/no good") in [(p.kind, p.where) for p in verify(store).problems]


def test_verify_arguments(store: Repo) -> None:
    with pytest.raises(UnknownDataset, match="did you mean 'imgs'"):
        verify(store, "img")
    with pytest.raises(UnknownRevision):
        verify(store, "imgs@v7")
    with pytest.raises(UsageError, match="--all"):
        verify(store, "imgs@v1", all=True)
    with pytest.raises(RemoteError, match="no default remote"):
        verify(store, remote="default")


def test_verify_remote_finds_every_problem_on_the_remote(store: Repo, tmp_path: Path) -> None:
    from jupyter_datavc.core import remote

    # copies, not hard links: the damage below must hit the remote's copy only
    remote.add_remote(store, "origin", (tmp_path / "remote").as_uri(), options={"hardlinks": "false"})
    store = Repo(store.root)
    remote.push(store)
    clean = verify(store, all=True, remote="default")
    assert clean.ok and clean.chunks > 0 and clean.versions
    # Given a remote whose copy is damaged three ways
    v1 = store.resolve("blob@v1")
    chunks = [oid for f in store.manifest(v1).files for oid, _ in f.chunks]
    objects = tmp_path / "remote" / "objects"
    flipped = objects / chunks[0][:2] / chunks[0][2:]
    os.chmod(flipped, 0o644)
    data = bytearray(flipped.read_bytes())
    data[0] ^= 1
    flipped.write_bytes(bytes(data))
    v2 = store.resolve("blob@v2")
    gone = next(oid for f in store.manifest(v2).files for oid, _ in f.chunks if oid not in chunks)
    (objects / gone[:2] / gone[2:]).unlink()
    latest = store.resolve("imgs")
    (tmp_path / "remote" / "manifests" / latest.manifest[:2] / latest.manifest[2:]).unlink()
    # When the remote is verified, Then each damage is named, and the local store is still fine
    report = verify(store, all=True, remote="origin")
    kinds = {(p.kind, p.detail.split()[1]) for p in report.problems}
    assert ("hash-mismatch", chunks[0]) in kinds
    assert ("missing-chunk", gone) in kinds
    assert ("dangling-ref", latest.manifest) in kinds
    assert verify(store, all=True).ok
