"""The data ``bench_diff.py`` diffs: random five-column tables and two-version repositories of them.

A change touches 1% of the rows: 0.5% get one changed cell, 0.25% are removed, 0.25% added.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

CHANGED, ADDED, REMOVED = 0.005, 0.0025, 0.0025  # of the rows: 1% in all
CITIES = [f"city-{i:02d}" for i in range(40)]


def _strings(rng: Any, n: int) -> Any:
    """``n`` random lowercase strings of 8-24 characters, built straight from Arrow buffers."""
    import numpy as np
    import pyarrow as pa

    lens = rng.integers(8, 25, n, dtype=np.int32)
    offsets = np.zeros(n + 1, dtype=np.int32)
    np.cumsum(lens, out=offsets[1:])
    data = rng.integers(97, 123, int(offsets[-1]), dtype=np.uint8)
    return pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(data))


def make_table(rng: Any, ids: Any) -> Any:
    """Five columns: int64 id, float64, int64, a high- and a low-cardinality string."""
    import numpy as np
    import pyarrow as pa

    n = len(ids)
    return pa.table(
        {
            "id": pa.array(ids, pa.int64()),
            "price": rng.normal(100.0, 25.0, n),
            "qty": rng.integers(0, 1000, n, dtype=np.int64),
            "name": _strings(rng, n),
            "city": pa.array(CITIES).take(pa.array(rng.integers(0, len(CITIES), n, dtype=np.int32))),
        }
    )


def change(rng: Any, table: Any, next_id: int) -> Any:
    """The table with 1% of its rows touched: cells changed, rows removed, rows added at the end."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    n = table.num_rows
    picks = rng.permutation(n)[: int(n * (CHANGED + REMOVED))]
    edit, drop = picks[: int(n * CHANGED)], picks[int(n * CHANGED) :]
    cols = {name: table.column(name).combine_chunks() for name in table.column_names}
    which = rng.integers(0, 4, len(edit))  # one changed cell per edited row
    other = make_table(rng, np.zeros(len(edit), np.int64))
    for j, name in enumerate(("price", "qty", "name", "city")):
        at = edit[which == j]
        mask = np.zeros(n, bool)
        mask[at] = True
        src = np.zeros(n, np.int64)
        src[at] = np.arange(len(at))
        replacement = other.column(name).combine_chunks().take(pa.array(src))
        cols[name] = pc.if_else(pa.array(mask), replacement, cols[name])
    keep = np.ones(n, bool)
    keep[drop] = False
    kept = pa.table(cols).filter(pa.array(keep))
    added = make_table(rng, np.arange(next_id, next_id + int(n * ADDED), dtype=np.int64))
    return pa.concat_tables([kept, added])


def build_rows_repo(root: Path, rows: int, part_rows: int) -> None:
    """A repo with dataset ``rows`` (a folder of Parquet parts) at v1 and v2."""
    import numpy as np
    import pyarrow.parquet as pq

    import jupyter_datavc as dv

    shutil.rmtree(root, ignore_errors=True)
    dv.Repo.init(root)
    data = root / "rows"
    data.mkdir()
    parts = max(1, rows // part_rows)
    nexts = []
    for p in range(parts):
        rng = np.random.default_rng(p)
        n = rows // parts
        table = make_table(rng, np.arange(p * n, (p + 1) * n, dtype=np.int64))
        pq.write_table(table, data / f"part-{p:03d}.parquet")
        nexts.append((rng, table, rows + p * n))
    repo = dv.Repo(root)
    repo.add(str(data), name="rows", message="v1")
    for p, (rng, table, next_id) in enumerate(nexts):
        pq.write_table(change(rng, table, next_id), data / f"part-{p:03d}.parquet")
    repo.add(str(data), name="rows", message="v2")


def build_files_repo(root: Path, files: int, file_rows: int) -> None:
    """A repo with dataset ``many`` (``files`` Parquet files) at v1 and v2 (1% of the files changed)."""
    import numpy as np
    import pyarrow.parquet as pq

    import jupyter_datavc as dv

    shutil.rmtree(root, ignore_errors=True)
    dv.Repo.init(root)
    rng = np.random.default_rng(7)
    tables = [make_table(rng, np.arange(i * file_rows, (i + 1) * file_rows)) for i in range(files)]
    for i, t in enumerate(tables):
        path = root / "many" / f"d{i // 100:02d}" / f"part-{i:04d}.parquet"
        path.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(t, path)
    repo = dv.Repo(root)
    repo.add(str(root / "many"), name="many", message="v1")
    for i in range(0, files, 100):
        path = root / "many" / f"d{i // 100:02d}" / f"part-{i:04d}.parquet"
        pq.write_table(change(rng, tables[i], 10**12 + i * file_rows), path)
    repo.add(str(root / "many"), name="many", message="v2")
