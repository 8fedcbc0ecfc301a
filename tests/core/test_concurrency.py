"""Real processes at once: adders of one dataset lose no version; gc never takes an add's chunks."""

from __future__ import annotations

from pathlib import Path

from integrity_util import python

from jupyter_datavc.core.audit import read_events, verify_chain
from jupyter_datavc.core.repo import Repo
from jupyter_datavc.core.verify import verify

ADDER = r"""
import os, sys
from jupyter_datavc.core.repo import Repo
repo = Repo(sys.argv[1])
me, count = sys.argv[2], int(sys.argv[3])
folder = os.path.join(sys.argv[1], f"w{me}")
os.makedirs(folder, exist_ok=True)
for i in range(count):
    path = os.path.join(folder, "part.bin")
    with open(path, "wb") as f:
        f.write(f"{me}-{i}-".encode() * 2000 + os.urandom(5000))
    v = repo.add(path, name="shared")
    print(v.number, v.manifest, flush=True)
"""

GARBAGE_ADDER = r"""
import os, sys, time
import jupyter_datavc.core.ingest as ingest
from jupyter_datavc.core.chunking import chunk_and_store
from jupyter_datavc.core.repo import Repo
repo = Repo(sys.argv[1])
real = ingest.commit
def slow_commit(*a, **k):
    time.sleep(0.03)  # widen the window between finding chunks in the store and the ref that keeps them
    return real(*a, **k)
ingest.commit = slow_commit
for i in range(int(sys.argv[2])):
    path = os.path.join(sys.argv[1], "g.bin")
    with open(path, "wb") as f:
        f.write(os.urandom(600_000))
    chunk_and_store(path, repo.objects)  # the chunks are in the store, referenced by nothing: garbage
    v = repo.add(path, name="g")  # finds them there and does not write them again
    print(v.number, v.manifest, flush=True)
"""

COLLECTOR = r"""
import os, sys
from jupyter_datavc.core.gc import gc
from jupyter_datavc.core.repo import Repo
repo = Repo(sys.argv[1])
runs = removed = 0
while not os.path.exists(sys.argv[2]) or runs == 0:
    removed += gc(repo).chunks
    runs += 1
print(runs, removed, flush=True)
"""


def reported(out: str) -> dict[int, str]:
    return {int(n): m for n, m in (line.split() for line in out.splitlines())}


def test_concurrent_adders_lose_no_version(repo: Repo, stress: bool) -> None:
    # Given 4 processes each adding versions of one dataset at the same time
    procs, count = 4, 25 if stress else 5
    running = [python(ADDER, str(repo.root), str(i), str(count)) for i in range(procs)]
    seen: dict[int, str] = {}
    for p in running:
        out, err = p.communicate(timeout=600)
        assert p.returncode == 0, err
        mine = reported(out)
        assert len(mine) == count and not set(mine) & set(seen)  # no number was handed out twice
        seen.update(mine)
    # Then every version each process was told about is there, intact, under its number
    versions = repo.log("shared")
    assert [v.number for v in versions] == list(range(1, procs * count + 1))
    assert {v.number: v.manifest for v in versions} == seen
    assert verify(repo, all=True).ok
    chain = verify_chain(repo.dir)
    assert chain.ok and sum(e.operation == "add" for e in read_events(repo.dir)) == procs * count


def test_gc_running_beside_an_add_never_takes_its_chunks(repo: Repo, project: Path, stress: bool) -> None:
    # Given an adder whose chunks are in the store as garbage just before each add, and gc in a loop
    stop = project / "stop"
    collector = python(COLLECTOR, str(repo.root), str(stop))
    adder = python(GARBAGE_ADDER, str(repo.root), str(40 if stress else 8))
    out, err = adder.communicate(timeout=600)
    stop.touch()
    runs, err2 = collector.communicate(timeout=120)
    assert adder.returncode == 0, err
    assert collector.returncode == 0, err2
    assert int(runs.split()[0]) >= 2  # gc really ran meanwhile
    # Then every committed version is whole
    versions = {v.number: v.manifest for v in repo.log("g")}
    assert versions == reported(out)
    assert verify(repo, all=True).ok
    for n in versions:
        assert repo.load(f"g@v{n}", path=True).stat().st_size == 600_000
