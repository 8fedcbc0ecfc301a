"""Kill a writer with SIGKILL at random points: the store must stay consistent."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

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
