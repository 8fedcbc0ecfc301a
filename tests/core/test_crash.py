"""Kill a writer with SIGKILL at random points: the store must stay consistent."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from jupyter_datavc.core.repo import Repo

WRITER = r"""
import os, sys
from jupyter_datavc.core.repo import Repo
repo = Repo(sys.argv[1])
path = sys.argv[2]
for i in range(1000):
    with open(path, "r+b") as f:
        f.seek((i * 7919) % (6 << 20))
        f.write(os.urandom(64 << 10))
    v = repo.add(path, name="blob")
    sys.stdout.write(f"{v.number} {v.manifest}\n")
    sys.stdout.flush()
"""


def check_store(repo: Repo) -> int:
    """Every committed version's manifest and chunks are present and verify."""
    count = 0
    for name in repo.refs.datasets():
        for v in repo.refs.versions(name):
            manifest = repo.manifest(v)
            for entry in manifest.files:
                for oid, size in entry.chunks:
                    repo.objects.get(oid, where=v.ref, size=size)
            count += 1
    return count


def test_sigkill_during_add_leaves_store_consistent(project: Path, stress: bool) -> None:
    Repo.init(project)
    path = project / "blob.bin"
    path.write_bytes(os.urandom(8 << 20))
    rng = random.Random(1)
    reported: dict[int, str] = {}
    trials = 200 if stress else 8
    for _ in range(trials):
        proc = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(project), str(path)], stdout=subprocess.PIPE, text=True
        )
        time.sleep(rng.uniform(0.3, 1.5))
        proc.send_signal(signal.SIGKILL)
        out, _ = proc.communicate()
        for line in out.split("\n")[:-1]:  # complete lines only: a kill can cut the last one
            number, manifest = line.split()
            reported[int(number)] = manifest
        committed = {v.number: v.manifest for v in Repo(project).refs.versions("blob")} if reported else {}
        for number, manifest in reported.items():
            assert committed[number] == manifest  # every reported version survived intact
        check_store(Repo(project))
    assert len(reported) >= 1


# -- kills during checkout, tag, gc and purge ----------------------------------------------------
# Each writer loops over one operation; the test kills it at a random moment, then checks that
# the store verifies, the audit chain is intact, every version reported committed is whole, and
# (checkout) every workspace file holds exactly one version's bytes.

LOOPS = {
    "checkout": r"""
import sys
from jupyter_datavc.core.repo import Repo
repo = Repo(sys.argv[1])
for i in range(10_000):
    repo.checkout(f"d@v{i % 3 + 1}")
""",
    "tag": r"""
import sys
from jupyter_datavc.core.repo import Repo
repo = Repo(sys.argv[1])
for i in range(100_000):
    repo.tag(f"d@v{i % 3 + 1}", f"t{i % 7}", delete=bool(i % 5 == 4))
""",
    "gc": r"""
import os, sys
from jupyter_datavc.core.chunking import chunk_and_store
from jupyter_datavc.core.gc import gc
from jupyter_datavc.core.repo import Repo
repo = Repo(sys.argv[1])
junk = os.path.join(sys.argv[1], "junk.bin")
for i in range(10_000):
    with open(junk, "wb") as f:
        f.write(os.urandom(3 << 20))
    chunk_and_store(junk, repo.objects)
    gc(repo)
""",
    "purge": r"""
import os, sys
from jupyter_datavc.core.purge import purge
from jupyter_datavc.core.repo import Repo
repo = Repo(sys.argv[1])
path = os.path.join(sys.argv[1], "p.bin")
for i in range(10_000):
    with open(path, "wb") as f:
        f.write(os.urandom(2 << 20))
    v = repo.add(path, name="p")
    sys.stdout.write(f"{v.number} {v.manifest}\n")
    sys.stdout.flush()
    if v.number > 1:
        purge(repo, f"p@v{v.number - 1}", "crash test")
""",
}


def _three_versions(project: Path) -> dict[str, set[str]]:
    """Dataset d in three versions of 5 files; returns each file's possible contents (hashes)."""
    from jupyter_datavc.core.objects import hash_bytes

    repo = Repo.init(project)
    rng = random.Random(5)
    seen: dict[str, set[str]] = {}
    for _ in range(3):
        for i in range(5):
            data = rng.randbytes(rng.choice([1 << 20, 3 << 20]))
            path = project / "d" / f"f{i}.bin"
            path.parent.mkdir(exist_ok=True)
            path.write_bytes(data)
            seen.setdefault(f"f{i}.bin", set()).add(hash_bytes(data))
        repo.add(str(project / "d"), name="d")
    return seen


def _check_after_kill(project: Path, reported: dict[int, str]) -> None:
    from jupyter_datavc.core.audit import verify_chain
    from jupyter_datavc.core.verify import verify

    repo = Repo(project)
    report = verify(repo, all=True)
    assert report.ok, report.problems
    assert verify_chain(repo.dir).ok, verify_chain(repo.dir).problems
    if reported:
        committed = {v.number: v.manifest for v in repo.refs.versions("p")}
        assert all(committed[n] == m for n, m in reported.items())


@pytest.mark.parametrize("operation", ["checkout", "tag", "gc", "purge"])
def test_sigkill_during_operations_leaves_store_and_workspace_consistent(
    project: Path, stress: bool, operation: str
) -> None:
    from jupyter_datavc.core.objects import hash_bytes

    contents = _three_versions(project)
    rng = random.Random(operation)
    reported: dict[int, str] = {}
    for _ in range(200 if stress else 3):
        proc = subprocess.Popen(
            [sys.executable, "-c", LOOPS[operation], str(project)], stdout=subprocess.PIPE, text=True
        )
        time.sleep(rng.uniform(0.5, 1.2))
        proc.send_signal(signal.SIGKILL)
        out, _ = proc.communicate()
        for line in out.split("\n")[:-1]:
            number, manifest = line.split()
            reported[int(number)] = manifest
        _check_after_kill(project, reported)
        for path in (project / "d").iterdir():  # whole files only; a kill can leave .tmp- files
            if not path.name.startswith(".tmp-"):
                assert hash_bytes(path.read_bytes()) in contents[path.name]
    if operation == "purge":
        assert list((project / ".datavc" / "refs" / "p").glob("v*.purged.json"))
