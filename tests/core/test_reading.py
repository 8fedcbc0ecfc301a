from __future__ import annotations

import errno
import os
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.feather as feather
import pyarrow.parquet as pq
import pytest

from jupyter_datavc.core.errors import CorruptObject, StorageError
from jupyter_datavc.core.repo import Repo

FRAME = pd.DataFrame({"id": [1, 2, 3], "name": ["a", "b", "<script>"], "x": [0.5, 1.5, 2.5]})


@pytest.mark.parametrize(
    ("filename", "write"),
    [
        ("t.parquet", lambda df, p: df.to_parquet(p, index=False)),
        ("t.csv", lambda df, p: df.to_csv(p, index=False)),
        ("t.feather", lambda df, p: feather.write_feather(pa.Table.from_pandas(df, preserve_index=False), p)),
        ("t.jsonl", lambda df, p: df.to_json(p, orient="records", lines=True)),
    ],
)
def test_load_each_format(repo: Repo, project: Path, filename: str, write) -> None:
    write(FRAME, project / filename)
    v = repo.add(str(project / filename), name="t")
    assert v.rows == 3
    table = repo.manifest(v).files[0].table
    assert table is not None and [c["name"] for c in table["schema"]] == ["id", "name", "x"]
    pd.testing.assert_frame_equal(repo.load("t"), FRAME, check_dtype=False)
    assert repo.load("t", arrow=True).num_rows == 3


def test_load_partitioned_parquet_directory(repo: Repo, project: Path) -> None:
    df = pd.DataFrame({"id": range(6), "year": [2024, 2024, 2025, 2025, 2026, 2026]})
    pq.write_to_dataset(pa.Table.from_pandas(df, preserve_index=False), project / "events", partition_cols=["year"])
    v = repo.add(str(project / "events"), name="events")
    assert v.rows == 6 and v.files == 3
    loaded = repo.load("events").sort_values("id").reset_index(drop=True)
    assert loaded["id"].tolist() == list(range(6))
    assert sorted(loaded["year"].astype(int).unique()) == [2024, 2025, 2026]


def test_other_files_load_as_read_only_path(repo: Repo, project: Path) -> None:
    (project / "model.bin").write_bytes(b"\x00weights" * 1000)
    repo.add(str(project / "model.bin"), name="model")
    path = repo.load("model")
    assert isinstance(path, Path) and path.read_bytes() == b"\x00weights" * 1000
    assert not os.access(path, os.W_OK) or os.geteuid() == 0
    assert not os.stat(path).st_mode & 0o222


def test_corrupt_chunk_is_named_on_load_and_checkout(repo: Repo, project: Path) -> None:
    (project / "a.bin").write_bytes(os.urandom(5000))
    v = repo.add(str(project / "a.bin"), name="a")
    oid = repo.manifest(v).files[0].chunks[0][0]
    obj = repo.objects.path(oid)
    os.chmod(obj, 0o644)
    data = bytearray(obj.read_bytes())
    data[10] ^= 1
    obj.write_bytes(bytes(data))
    with pytest.raises(CorruptObject, match=r"a@v1 \(a\.bin\)"):
        repo.load("a", path=True)
    with pytest.raises(CorruptObject, match=oid):
        repo.checkout("a@v1", to=str(project / "restored.bin"))
    assert not (project / "restored.bin").exists()


def test_disk_full_during_checkout_leaves_workspace_unchanged(
    repo: Repo, make_tree, snapshot_tree, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_tree(files=9, size=20_000)
    repo.add(str(root), name="imgs")
    for p in sorted(root.rglob("*.bin")):
        p.write_bytes(os.urandom(100))
    repo.add(str(root), name="imgs")
    before = snapshot_tree(root)
    real_write = os.write
    calls = []

    def write(fd: int, data: bytes) -> int:
        calls.append(1)
        if len(calls) > 4:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_write(fd, data)

    monkeypatch.setattr(os, "write", write)
    with pytest.raises(StorageError, match="no space left on device"):
        repo.checkout("imgs@v1")
    monkeypatch.undo()
    assert snapshot_tree(root) == before
    assert not [p for p in root.rglob(".tmp-*")]
