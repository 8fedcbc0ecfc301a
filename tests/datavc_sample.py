"""A sample repository for the server and browser tests and the sidebar benchmark.

``make_sample_repo(root)`` builds, through the real store:
- ``raw``: a Parquet table in three versions (v2 changes prices and rows, v3 adds a column),
  v2 tagged ``baseline``;
- ``images``: a folder of binary files in two versions;
- ``notes``: a CSV whose file name, column name, cells, commit message and author are all the
  hostile string ``HOSTILE`` (dataset and tag names cannot hold it: the revision grammar forbids
  ``<``, ``>``, ``=`` and spaces);
- with ``many=N``, ``big``: N versions of a small text file (written without a job per version).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from jupyter_datavc.core.ingest import commit
from jupyter_datavc.core.manifest import FileEntry, Manifest
from jupyter_datavc.core.repo import Repo

HOSTILE = "<img src=x onerror=alert(1)>"


def raw_frame(version: int) -> pd.DataFrame:
    rng = np.random.default_rng(7)
    df = pd.DataFrame(
        {
            "id": np.arange(100, dtype="int64"),
            "price": np.round(rng.random(100) * 100, 2),
            "city": rng.choice(["Oslo", "Lima", "Pune"], 100),
        }
    )
    if version >= 2:
        df.loc[[3, 10, 42], "price"] = [1.5, 2.5, 3.5]
        df = df.drop(index=[0, 1])
        extra = pd.DataFrame({"id": [100, 101, 102], "price": [7.0, 8.0, 9.0], "city": ["Oslo", "Lima", "Pune"]})
        df = pd.concat([df, extra], ignore_index=True)
    if version >= 3:
        df["qty"] = np.arange(len(df), dtype="int64") % 7
    return df


def make_sample_repo(root: Path, *, many: int = 0) -> Repo:
    repo = Repo.init(root)
    data = root / "data"
    data.mkdir(exist_ok=True)

    raw = data / "raw.parquet"
    for v, message in ((1, "initial import"), (2, "fix prices, drop test rows"), (3, "add qty column")):
        raw_frame(v).to_parquet(raw, index=False)
        repo.add(raw, name="raw", message=message)
    repo.tag("raw@v2", "baseline")

    images = data / "images"
    rng = np.random.default_rng(1)
    for i in range(4):
        (images / f"part{i % 2}").mkdir(parents=True, exist_ok=True)
        (images / f"part{i % 2}" / f"img{i}.bin").write_bytes(rng.bytes(2000))
    repo.add(images, name="images", message="four images")
    (images / "part0" / "img0.bin").write_bytes(rng.bytes(3000))
    (images / "part1" / "img3.bin").unlink()
    (images / "part1" / "img9.bin").write_bytes(rng.bytes(500))
    repo.add(images, name="images", message="replace img0, drop img3, add img9")

    notes = data / "notes"
    notes.mkdir(exist_ok=True)
    hostile_csv = notes / f"{HOSTILE}.csv"
    for v in (1, 2):
        pd.DataFrame({"id": [1, 2], HOSTILE: [HOSTILE, f"v{v} {HOSTILE}"]}).to_csv(hostile_csv, index=False)
        repo.add(notes, name="notes", message=f"{HOSTILE} v{v}", author=HOSTILE)

    if many:
        add_many_versions(repo, "big", many)
    return repo


def add_many_versions(repo: Repo, name: str, count: int) -> None:
    """``count`` versions of one small text file, committed chunk -> manifest -> ref like ``add``."""
    repo.config["fsync"] = False  # a throwaway sample: skip the file-system flush before each ref
    for i in range(1, count + 1):
        body = f"line {i}\n".encode() * (i % 50 + 1)
        oid = repo.objects.put_bytes(body)
        manifest = Manifest("file", (FileEntry("big.txt", len(body), oid, ((oid, len(body)),)),))
        commit(repo, None, name, manifest, None, "file", f"step {i}", "bench", {})


TRANSFORM_SOURCE = """\
df = pd.read_parquet("data/raw.parquet")
df[df.price > 20].to_parquet("data/clean.parquet", index=False)
"""


def add_transform(repo: Repo) -> dict[str, object]:
    """raw@v3 -> (transform) -> clean@v1, recorded by the core lineage API (issue #4)."""
    from jupyter_datavc.core.transform import TransformSpec, run_transform

    raw, clean = repo.root / "data" / "raw.parquet", repo.root / "data" / "clean.parquet"

    def run() -> None:
        df = pd.read_parquet(raw)
        df[df.price > 20].to_parquet(clean, index=False)

    spec = TransformSpec(inputs=["raw@v3"], outputs=[("clean", str(clean))], message="keep prices over 20")
    return run_transform(repo, run, spec, source=TRANSFORM_SOURCE, namespace={})
