"""Remotes on a real S3 endpoint: moto in server mode on 127.0.0.1, reached through s3fs over HTTP."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from remote_util import Proxy, S3Server, clone, python

from jupyter_datavc.core import remote as remotes
from jupyter_datavc.core.errors import RemoteError
from jupyter_datavc.core.remote_fs import RemoteFS
from jupyter_datavc.core.remote_refs import identity, read_remote_refs
from jupyter_datavc.core.repo import Repo


def with_remote(repo: Repo, s3_remote: tuple[str, dict[str, Any]], name: str = "origin") -> Repo:
    url, options = s3_remote
    remotes.add_remote(repo, name, url, options=options)
    return repo


def test_s3_push_pull_and_lazy_load(repo: Repo, s3_remote, tmp_path: Path) -> None:
    with_remote(repo, s3_remote)
    big = repo.root / "big.bin"
    rng = np.random.default_rng(0)
    payloads = [rng.bytes(3 << 20) for _ in range(3)]
    for data in payloads:
        big.write_bytes(data)
        repo.add(str(big), name="big")
    res = remotes.push(repo)
    assert [v.ref for v in res.versions] == ["big@v1", "big@v2", "big@v3"] and res.bytes >= 9 << 20
    # another machine, refs from Git: loading v2 fetches v2 and nothing else
    other = clone(repo, tmp_path / "other")
    path = other.load("big@v2", path=True)
    assert Path(path).read_bytes() == payloads[1]
    fetched = other.objects.fetch.remote()  # type: ignore[union-attr]
    assert 3 << 20 <= fetched.received < (3 << 20) + 10_000
    pulled = remotes.pull(other)  # the latest, into the workspace
    assert (other.root / "big.bin").read_bytes() == payloads[2] and pulled.bytes == 3 << 20


WRITER = """
import sys, time
from pathlib import Path
from jupyter_datavc.core.repo import Repo
from jupyter_datavc.core import remote as remotes
repo = Repo(".")
who, count = sys.argv[1], int(sys.argv[2])
while not Path(sys.argv[3]).exists():  # start together
    time.sleep(0.01)
for i in range(count):
    (repo.root / "data.bin").write_bytes(f"{who}-{i} ".encode() * 5000)
    repo.add("data.bin", name="shared", message=f"{who}-{i}")
    res = remotes.push(repo, "shared")
    for note in res.notices:
        print("NOTICE", note, flush=True)
    print("GOT", " ".join(v.ref for v in res.versions), flush=True)
"""


def test_four_writer_processes_lose_no_version_and_share_no_number(repo: Repo, s3_remote, s3_env, tmp_path) -> None:
    # Given a dataset on S3 and four machines that cloned it
    with_remote(repo, s3_remote)
    (repo.root / "data.bin").write_bytes(b"seed")
    repo.add("data.bin", name="shared", message="seed")
    remotes.push(repo)
    writers, per_writer = 4, 3
    go = tmp_path / "go"
    machines = [clone(repo, tmp_path / f"m{w}") for w in range(writers)]
    # When each commits and pushes three versions at the same time
    procs = [python(WRITER, m.root, s3_env, args=[f"w{w}", str(per_writer), str(go)]) for w, m in enumerate(machines)]
    time.sleep(0.5)
    go.touch()
    outputs = [p.communicate(timeout=180) for p in procs]
    for p, (_out, err) in zip(procs, outputs):
        assert p.returncode == 0, err
    # Then the remote has every version exactly once, numbered 1..13 without gaps
    remote = read_remote_refs(repo, remotes.open_remote(repo), "shared")
    assert sorted(remote) == list(range(1, 2 + writers * per_writer))
    messages = sorted(v.message for v in remote.values())
    assert messages == sorted(["seed"] + [f"w{w}-{i}" for w in range(writers) for i in range(per_writer)])
    assert len({identity(v) for v in remote.values()}) == len(remote)
    got = [ref for out, _ in outputs for line in out.splitlines() if line.startswith("GOT") for ref in line.split()[1:]]
    assert sorted(got, key=lambda r: int(r.split("@v")[1])) == [
        f"shared@v{n}" for n in range(2, 2 + writers * per_writer)
    ]
    # and each machine's refs agree with the remote's for every number they hold
    for m in machines:
        for v in Repo(m.root).log("shared"):
            assert identity(remote[v.number]) == identity(v)
    print(f"number conflicts retried: {sum(out.count('NOTICE') for out, _ in outputs)}")


APPENDER = """
import sys, time
from pathlib import Path
from jupyter_datavc.core.repo import Repo
from jupyter_datavc.core import remote as remotes
from jupyter_datavc.core.append import start_append
repo = Repo(".")
who = sys.argv[1]
remotes.pull(repo)
part = repo.root / "events" / f"day-{who}.csv"
part.write_text(f"day,n\\n{who},1\\n")
start_append(repo, "events", part).wait()
while not Path(sys.argv[2]).exists():
    time.sleep(0.01)
print("GOT", " ".join(v.ref for v in remotes.push(repo, "events").versions), flush=True)
"""


def test_concurrent_appends_of_different_partitions_all_land(repo: Repo, s3_remote, s3_env, tmp_path) -> None:
    with_remote(repo, s3_remote)
    (repo.root / "events").mkdir()
    (repo.root / "events" / "day-0.csv").write_text("day,n\n0,1\n")
    repo.add("events", name="events")
    remotes.push(repo)
    go = tmp_path / "go"
    procs = [
        python(APPENDER, clone(repo, tmp_path / f"m{w}").root, s3_env, args=[str(w), str(go)]) for w in (1, 2, 3, 4)
    ]
    time.sleep(0.5)
    go.touch()
    for p in procs:
        _out, err = p.communicate(timeout=180)
        assert p.returncode == 0, err
    remotes.pull(repo, "events")
    assert sorted(p.name for p in (repo.root / "events").iterdir()) == [f"day-{d}.csv" for d in range(5)]
    assert sorted(repo.load("events")["day"].tolist()) == [0, 1, 2, 3, 4]
    assert [v.number for v in repo.log("events")] == [1, 2, 3, 4, 5]


def test_missing_bucket_and_credentials_are_one_clear_line(
    repo: Repo, s3_server: S3Server, s3_env, monkeypatch
) -> None:
    (repo.root / "f.bin").write_bytes(b"x")
    repo.add("f.bin", name="f")
    options = {"endpoint_url": s3_server.endpoint}
    remotes.add_remote(repo, "nobucket", "s3://no-such-bucket/datavc", options=options)
    with pytest.raises(
        RemoteError, match=r"remote 'nobucket' \(s3://no-such-bucket/datavc\): .*the bucket does not exist"
    ):
        remotes.push(repo, remote="nobucket")
    remotes.add_remote(repo, "origin", f"s3://{s3_server.new_bucket()}/datavc", options=options)
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    with pytest.raises(RemoteError, match="no credentials found; set them the fsspec way"):
        remotes.push(repo, remote="origin")
    assert not list((repo.dir / "refs" / "f").glob("v2*"))


def test_bad_credentials_are_permission_denied(repo: Repo, s3_env) -> None:
    server = S3Server(auth=True)  # checks access keys, as S3 does
    try:
        (repo.root / "f.bin").write_bytes(b"x")
        repo.add("f.bin", name="f")
        remotes.add_remote(repo, "origin", "s3://team/datavc", options={"endpoint_url": server.endpoint})
        with pytest.raises(RemoteError, match=r"permission denied .*Access Key Id you provided does not exist"):
            remotes.push(repo)
    finally:
        server.stop()


def test_network_drop_mid_push_leaves_the_remote_consistent(
    repo: Repo, s3_server: S3Server, s3_env, monkeypatch
) -> None:
    bucket = s3_server.new_bucket()
    proxy = Proxy(s3_server.port)
    fast_fail = {"config_kwargs": {"connect_timeout": 1, "read_timeout": 5, "retries": {"max_attempts": 1}}}
    remotes.add_remote(
        repo, "origin", f"s3://{bucket}/d", options={"endpoint_url": f"http://127.0.0.1:{proxy.port}", **fast_fail}
    )
    (repo.root / "big.bin").write_bytes(np.random.default_rng(1).bytes(16 << 20))
    repo.add("big.bin", name="big")
    refs_before = (repo.dir / "refs" / "big" / "v1.json").read_bytes()
    real_put = RemoteFS.put
    sent: list[str] = []

    def put_then_cut(self: RemoteFS, rel: str, data: Any, **kw: Any) -> None:
        real_put(self, rel, data, **kw)
        sent.append(rel)
        if len(sent) == 4:
            proxy.cut()  # the line drops after four chunks

    monkeypatch.setattr(RemoteFS, "put", put_then_cut)
    with pytest.raises(RemoteError, match=r"remote 'origin' .* failed: cannot reach it \(Could not connect") as err:
        remotes.push(repo)
    print(err.value)
    direct = s3_server.fs()
    assert not direct.exists(f"{bucket}/d/refs") and not direct.exists(f"{bucket}/d/manifests")
    assert len(direct.find(f"{bucket}/d/objects")) >= 4
    assert (repo.dir / "refs" / "big" / "v1.json").read_bytes() == refs_before
    # the line is back: the push sends the rest and only the rest
    doc = json.loads((repo.dir / "config.json").read_text())
    doc["storage_options"]["origin"]["endpoint_url"] = s3_server.endpoint
    (repo.dir / "config.json").write_text(json.dumps(doc))
    repo = Repo(repo.root)
    chunks = len(repo.manifest(repo.resolve("big")).chunk_ids)
    already = len(direct.find(f"{bucket}/d/objects"))
    res = remotes.push(repo)
    assert [v.ref for v in res.versions] == ["big@v1"] and res.objects == chunks - already + 1  # + the manifest
    assert direct.exists(f"{bucket}/d/refs/big/v1.json")
