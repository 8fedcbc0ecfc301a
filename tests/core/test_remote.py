"""Remotes over fsspec (``file://`` and ``memory://``): config, push/pull, lazy fetch, numbering, append."""

from __future__ import annotations

import errno
import json
import os
import threading
import uuid
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from remote_util import clone

from jupyter_datavc.cli import main
from jupyter_datavc.core import remote as remotes
from jupyter_datavc.core.append import start_append
from jupyter_datavc.core.errors import CorruptObject, RemoteError, UnknownDataset, UsageError
from jupyter_datavc.core.remote_fs import RemoteFS
from jupyter_datavc.core.repo import Repo


def rand(n: int, seed: int) -> bytes:
    return np.random.default_rng(seed).bytes(n)


@pytest.fixture(params=["file", "memory"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "file":
        return (tmp_path / "remote").as_uri()
    return f"memory://datavc-{uuid.uuid4().hex[:8]}"


def remote_numbers(repo: Repo, name: str) -> list[int]:
    from jupyter_datavc.core.remote_refs import read_remote_refs

    return sorted(read_remote_refs(repo, remotes.open_remote(repo), name))


def test_remote_config_is_plain_json(repo: Repo, tmp_path: Path) -> None:
    remotes.add_remote(repo, "origin", str(tmp_path / "r1"))
    remotes.add_remote(repo, "backup", "memory://b", options={"x": 1})
    doc = json.loads((repo.dir / "config.json").read_text())
    assert doc["remotes"] == {"origin": str(tmp_path / "r1"), "backup": "memory://b"}
    assert doc["default_remote"] == "origin" and doc["storage_options"] == {"backup": {"x": 1}}
    assert Repo(repo.root).objects.fetch is not None  # a store with a remote fetches on demand
    remotes.add_remote(repo, "backup", "memory://b", default=True)
    assert remotes.default_remote(repo) == "backup"
    remotes.remove_remote(repo, "backup")
    assert remotes.remotes(repo) == {"origin": str(tmp_path / "r1")} and remotes.default_remote(repo) == "origin"
    with pytest.raises(UsageError, match="already points at"):
        remotes.add_remote(repo, "origin", "memory://other")
    with pytest.raises(RemoteError, match="cannot use nosuch://x"):
        remotes.add_remote(repo, "bad", "nosuch://x")
    with pytest.raises(RemoteError, match="unknown remote 'orgin' \\(did you mean 'origin'"):
        remotes.open_remote(repo, "orgin")
    remotes.remove_remote(repo, "origin")
    assert Repo(repo.root).objects.fetch is None
    with pytest.raises(RemoteError, match="no default remote: datavc remote add NAME URL"):
        remotes.push(repo)


def test_push_pull_round_trip(repo: Repo, url: str, tmp_path: Path, make_parquet, make_tree, snapshot_tree) -> None:
    # Given a store with a table and a folder, pushed
    make_parquet(rows=2000)
    tree = make_tree(files=12, size=5000)
    repo.add("data/raw.parquet", name="raw", message="one")
    repo.add(str(tree), name="images")
    remotes.add_remote(repo, "origin", url)
    res = remotes.push(repo)
    assert sorted(v.ref for v in res.versions) == ["images@v1", "raw@v1"] and res.objects > 0
    # When another machine gets the refs (Git) and pulls
    other = clone(repo, tmp_path / "other")
    pulled = remotes.pull(other)
    # Then it has the same files and tables, verified
    assert sorted(v.ref for v in pulled.versions) == ["images@v1", "raw@v1"]
    assert (other.root / "data/raw.parquet").read_bytes() == (repo.root / "data/raw.parquet").read_bytes()
    assert snapshot_tree(other.root / "data/images") == snapshot_tree(tree)
    pd.testing.assert_frame_equal(other.load("raw@v1"), repo.load("raw@v1"))
    # And a second push sends nothing
    again = remotes.push(repo)
    assert again.versions == [] and again.objects == 0
    # A store that has only the remote's address gets every dataset with --all
    empty = Repo.init(tmp_path / "empty")
    remotes.add_remote(empty, "origin", url)
    got = remotes.pull(empty, all_refs=True, checkout=False)
    assert sorted(v.ref for v in got.versions) == ["images@v1", "raw@v1"] and empty.log("raw")[0].message == "one"


def test_pull_fetches_only_the_chunks_of_the_version_asked_for(repo: Repo, url: str, tmp_path: Path) -> None:
    big = repo.root / "big.bin"
    for seed in range(3):
        big.write_bytes(rand(3 << 20, seed))
        repo.add(str(big), name="big", message=f"v{seed + 1}")
    remotes.add_remote(repo, "origin", url)
    remotes.push(repo)
    other = clone(repo, tmp_path / "other")
    res = remotes.pull(other, "big@v2", checkout=False)
    wanted = {oid for f in repo.manifest(repo.resolve("big@v2")).files for oid, _ in f.chunks}
    assert set(other.objects.iter_oids()) == wanted
    assert res.bytes == 3 << 20 and res.objects == len(wanted)
    assert not (other.root / "big.bin").exists()


def test_a_folder_remote_on_the_same_disk_gets_hard_links(repo: Repo, tmp_path: Path) -> None:
    big = repo.root / "big.bin"
    big.write_bytes(rand(3 << 20, 7))
    version = repo.add(str(big), name="big")
    oids = [oid for f in repo.manifest(version).files for oid, _ in f.chunks]
    remotes.add_remote(repo, "linked", str(tmp_path / "linked"))
    remotes.add_remote(repo, "copied", str(tmp_path / "copied"), options={"hardlinks": "false"})
    sent = [remotes.push(repo, remote=name).bytes for name in ("linked", "copied")]
    assert sent[0] == sent[1] > 3 << 20  # the chunks and the manifest, linked or copied
    for oid in oids:
        local = os.stat(repo.objects.path(oid))
        linked = os.stat(tmp_path / "linked" / "objects" / oid[:2] / oid[2:])
        copied = os.stat(tmp_path / "copied" / "objects" / oid[:2] / oid[2:])
        assert linked.st_ino == local.st_ino and copied.st_ino != local.st_ino
        assert copied.st_mode & 0o777 == 0o444 and copied.st_size == local.st_size
    # the linked remote is a remote like any other: a clone pulls and verifies from it
    other = clone(repo, tmp_path / "other")
    remotes.pull(other, "big@v1", remote="linked")
    assert (other.root / "big.bin").read_bytes() == big.read_bytes()
    # pushing an object the remote already holds as the same file leaves no temp name behind
    rs = RemoteFS("linked", str(tmp_path / "linked"))
    rs.put_file(f"objects/{oids[0][:2]}/{oids[0][2:]}", repo.objects.path(oids[0]), mode=0o444)
    assert not [p for p in (tmp_path / "linked").rglob(".tmp-*")]
    # a damaged local chunk: a copying push refuses to send it, a linked one shares the damage,
    # and reading it from that remote fails its check instead of handing out wrong bytes
    big.write_bytes(rand(1 << 20, 8))
    v2 = repo.add(str(big), name="big")
    (oid,) = [oid for f in repo.manifest(v2).files for oid, _ in f.chunks]
    damaged = repo.objects.path(oid)
    os.chmod(damaged, 0o644)
    damaged.write_bytes(b"x" + damaged.read_bytes()[1:])
    os.chmod(damaged, 0o444)
    with pytest.raises(CorruptObject):
        remotes.push(repo, remote="copied")
    remotes.push(repo, remote="linked")
    with pytest.raises(CorruptObject):
        remotes.pull(clone(repo, tmp_path / "third"), "big@v2", remote="linked")


def test_lazy_load_fetches_one_version_on_demand(repo: Repo, url: str, tmp_path: Path) -> None:
    data = repo.root / "data"
    data.mkdir()
    for seed in range(3):
        (data / "t.csv").write_text("a,b\n" + "".join(f"{i},{seed}\n" for i in range(20000)))
        repo.add(str(data / "t.csv"), name="t")
    remotes.add_remote(repo, "origin", url)
    remotes.push(repo)
    other = clone(repo, tmp_path / "other")  # refs only: no chunks, no manifests
    df = other.load("t@v2")
    assert df["b"].unique().tolist() == [1]
    fetched = other.objects.fetch.remote()  # type: ignore[union-attr]
    v2 = repo.manifest(repo.resolve("t@v2"))
    assert set(other.objects.iter_oids()) == v2.chunk_ids
    assert fetched.received == v2.size + len(repo.manifests.get(repo.resolve("t@v2").manifest))
    other.checkout("t@v3")  # checkout fetches too
    assert (other.root / "data/t.csv").read_bytes() == (data / "t.csv").read_bytes()


def test_missing_everywhere_is_a_clear_error(repo: Repo, url: str, tmp_path: Path) -> None:
    (repo.root / "f.bin").write_bytes(rand(1000, 1))
    repo.add("f.bin", name="f")
    remotes.add_remote(repo, "origin", url)  # never pushed
    other = clone(repo, tmp_path / "other")
    with pytest.raises(RemoteError, match=r"remote 'origin' does not have manifest .* needed by f@v1"):
        remotes.pull(other)
    with pytest.raises(Exception, match="missing object"):
        other.load("f@v1")


def test_interrupted_push_resumes_and_never_publishes_half(repo: Repo, tmp_path: Path, monkeypatch) -> None:
    big = repo.root / "big.bin"
    big.write_bytes(rand(12 << 20, 7))
    repo.add(str(big), name="big")
    # a copying remote (a share mounted from elsewhere: the same disk would get hard links)
    remotes.add_remote(repo, "origin", str(tmp_path / "remote"), options={"hardlinks": "false"})
    chunks = len(repo.manifest(repo.resolve("big")).chunk_ids)
    real_copy, real_put_file = os.copy_file_range, RemoteFS.put_file
    copies: list[int] = []
    puts: list[str] = []
    lock = threading.Lock()

    def flaky_copy(src: int, dst: int, count: int, *args: Any) -> int:  # the share drops half-way through
        with lock:
            if len(copies) >= chunks // 2:
                raise ConnectionResetError(errno.ECONNRESET, "Connection reset by peer")
            copies.append(count)
        return real_copy(src, dst, count, *args)

    def counted_put_file(self: RemoteFS, rel: str, src: Path, **kw: Any) -> int:
        size = real_put_file(self, rel, src, **kw)
        puts.append(rel)
        return size

    before = sorted(p.name for p in (repo.dir / "refs" / "big").iterdir())
    monkeypatch.setattr(os, "copy_file_range", flaky_copy)
    monkeypatch.setattr(RemoteFS, "put_file", counted_put_file)
    with pytest.raises(RemoteError, match=r"remote 'origin' .*: writing objects/.* failed: .*Connection reset by peer"):
        remotes.push(repo)
    # the remote has some chunks, no manifest and no ref; the local store did not change
    assert not (tmp_path / "remote" / "refs" / "big").exists() and not (tmp_path / "remote" / "manifests").exists()
    stored = len([p for p in (tmp_path / "remote" / "objects").rglob("*") if p.is_file()])
    assert stored == len(puts) and 0 < stored < chunks
    assert sorted(p.name for p in (repo.dir / "refs" / "big").iterdir()) == before
    monkeypatch.setattr(os, "copy_file_range", real_copy)
    puts.clear()
    res = remotes.push(repo)
    # only the missing chunks, then the manifest, then the ref
    assert len(puts) == chunks - stored + 1 and puts[-1].startswith("manifests/")
    assert [v.ref for v in res.versions] == ["big@v1"] and (tmp_path / "remote" / "refs" / "big" / "v1.json").exists()


def test_independent_versions_are_renumbered_onto_the_remote(repo: Repo, url: str, tmp_path: Path) -> None:
    f = repo.root / "f.bin"
    f.write_bytes(b"base")
    repo.add("f.bin", name="f", message="base")
    remotes.add_remote(repo, "origin", url)
    remotes.push(repo)
    other = clone(repo, tmp_path / "other")
    # Given both machines made v2 and v3 independently
    for r, tag in ((repo, "a"), (other, "b")):
        for i in (2, 3):
            (r.root / "f.bin").write_bytes(f"{tag}{i}".encode())
            r.add(str(r.root / "f.bin"), name="f", message=f"{tag}{i}")
    other.tag("f@v3", "mine")
    remotes.push(repo)
    # When the second pushes
    res = remotes.push(other)
    # Then its versions take the remote's next numbers, locally too, and its tag follows
    assert [v.ref for v in res.versions] == ["f@v4", "f@v5"] and res.renumbered == [("f", 2, 4), ("f", 3, 5)]
    assert [v.message for v in other.log("f")] == ["base", "a2", "a3", "b2", "b3"]
    assert other.resolve("f@mine").message == "b3" and other.resolve("f@v4").parent == 1
    assert remote_numbers(other, "f") == [1, 2, 3, 4, 5]
    remotes.pull(repo, "f", checkout=False)
    assert [v.manifest for v in repo.log("f")] == [v.manifest for v in other.log("f")]
    assert repo.resolve("f@mine").message == "b3"  # tags travel with their versions


def test_exclusive_create_under_threads(tmp_path: Path, url: str) -> None:
    def writer(fs: RemoteFS, key: str, i: int, barrier: threading.Barrier, wins: list[int]) -> None:
        barrier.wait()
        if fs.create(key, str(i).encode()):
            wins.append(i)

    for mode in (None, "lease"):
        fs = RemoteFS("t", url, create=mode)
        wins: list[int] = []
        barrier = threading.Barrier(8)
        key = f"refs/x/v1-{mode}.json"
        threads = [threading.Thread(target=writer, args=(fs, key, i, barrier, wins)) for i in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(wins) == 1, mode
        assert fs.get(key) == str(wins[0]).encode()


def test_append_hashes_only_the_new_partition(repo: Repo, tmp_path: Path) -> None:
    events = repo.root / "data" / "events"
    events.mkdir(parents=True)
    for day in (1, 2):
        pd.DataFrame({"day": [day] * 100, "x": range(100)}).to_parquet(events / f"2026-11-0{day}.parquet")
    v1 = repo.add(str(events), name="events")
    part = events / "2026-11-03.parquet"
    pd.DataFrame({"day": [3] * 100, "x": range(100)}).to_parquet(part)
    job = start_append(repo, "events", part, message="day 3")
    v2 = job.wait()
    assert job.progress.bytes_total == part.stat().st_size and v2.number == 2 and v2.rows == 300
    assert v2.meta["append"] == {"paths": ["2026-11-03.parquet"], "base": v1.manifest}
    assert len(repo.load("events@v2")) == 300
    assert repo.status().datasets[0].state == "clean"
    again = start_append(repo, "events", part)
    assert again.wait().number == 2 and again.info["unchanged"]
    pd.DataFrame({"day": [4]}).to_parquet(part)
    with pytest.raises(UsageError, match=r"already has 2026-11-03\.parquet with other content"):
        start_append(repo, "events", part).wait()
    outside = tmp_path / "2026-11-05.parquet"
    pd.DataFrame({"day": [5], "x": [0]}).to_parquet(outside)
    assert "2026-11-05.parquet" in repo.manifest(start_append(repo, "events", outside).wait()).by_path()
    (repo.root / "one.bin").write_bytes(b"x")
    repo.add("one.bin", name="one")
    with pytest.raises(UsageError, match="single-file dataset"):
        start_append(repo, "one", outside)
    with pytest.raises(UnknownDataset):
        start_append(repo, "nope", outside)


def test_appends_of_two_writers_both_land(repo: Repo, url: str, tmp_path: Path) -> None:
    events = repo.root / "events"
    events.mkdir()
    (events / "p0.csv").write_text("a\n0\n")
    repo.add(str(events), name="events")
    remotes.add_remote(repo, "origin", url)
    remotes.push(repo)
    other = clone(repo, tmp_path / "other")
    remotes.pull(other)
    # Given each writer appended its own partitions (two on one side) without seeing the other's
    for r, parts in ((repo, ["p1"]), (other, ["p2", "p3"])):
        for p in parts:
            (r.root / "events" / f"{p}.csv").write_text(f"a\n{p[1]}\n")
            start_append(r, "events", r.root / "events" / f"{p}.csv").wait()
    remotes.push(repo)
    res = remotes.push(other)
    # Then the push re-applied the appends on top of the remote's newest version
    assert [v.number for v in res.versions] == [3, 4]
    latest = other.resolve("events")
    assert sorted(other.manifest(latest).by_path()) == ["p0.csv", "p1.csv", "p2.csv", "p3.csv"]
    assert sorted(other.load("events")["a"].tolist()) == [0, 1, 2, 3]
    assert latest.meta["origin_manifest"] != latest.manifest
    remotes.pull(repo, "events")
    assert sorted(p.name for p in (repo.root / "events").iterdir()) == ["p0.csv", "p1.csv", "p2.csv", "p3.csv"]
    assert remotes.push(other).versions == []  # the rebased versions are known as published


def test_cli_verbs(project: Path, tmp_path: Path, capsys) -> None:
    (project / "data").mkdir()
    (project / "data" / "a.csv").write_text("x\n1\n")
    assert main(["add", "data", "--name", "d"]) == 0
    assert main(["remote", "add", "origin", str(tmp_path / "r"), "-o", "auto_mkdir=true"]) == 0
    assert main(["remote", "list"]) == 0
    assert "origin" in capsys.readouterr().out
    assert main(["push", "d@v1"]) == 0
    assert "pushed d@v1 to origin" in capsys.readouterr().out
    (project / "b.csv").write_text("x\n2\n")
    assert main(["append", "d", "b.csv", "-m", "more"]) == 0
    assert "appended as d@v2" in capsys.readouterr().out
    assert main(["push", "--remote", "nope"]) == 2
    assert "unknown remote 'nope'" in capsys.readouterr().err
    assert main(["pull", "d@v1", "--no-checkout"]) == 0
    assert "pulled d@v1 from origin" in capsys.readouterr().out
    assert main(["remote", "remove", "origin"]) == 0


def test_merge_after_an_interrupted_merge(repo: Repo, tmp_path: Path) -> None:
    from dataclasses import replace

    from jupyter_datavc.core.remote_refs import merge_into_local, version_bytes

    for text in ("one", "two"):
        (repo.root / "f.txt").write_text(text)
        repo.add("f.txt", name="f", message=text)
    other = Repo.init(tmp_path / "other")
    (other.root / "f.txt").write_text("theirs")
    theirs = other.add(str(other.root / "f.txt"), name="f", message="theirs")
    remote = {1: repo.resolve("f@v1"), 2: replace(theirs, number=2, parent=1)}
    # Given a merge that died after copying local v2 to v3 (v2 is still there too)
    mine = repo.resolve("f@v2")
    (repo.dir / "refs" / "f" / "v3.json").write_bytes(version_bytes(replace(mine, number=3)))
    # When the merge runs again
    moved = merge_into_local(repo, "f", remote)
    # Then each version is there once, the remote's at their numbers
    assert [v.message for v in repo.log("f")] == ["one", "theirs", "two"]
    assert moved == {2: 3} and repo.resolve("f@v3").parent == 1
