"""Tabular files: which formats we know, their schema/rows/statistics, reading and writing.

``describe`` runs once per new file content (the stat cache keeps the result) and puts what the
cheap diff levels need into the manifest: schema, row count and, for Parquet, the footer's
per-column statistics (no row data is read for Parquet or Arrow IPC).
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

FORMATS = {
    ".parquet": "parquet",
    ".pq": "parquet",
    ".csv": "csv",
    ".feather": "arrow",
    ".arrow": "arrow",
    ".ipc": "arrow",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
}


def format_of(path: str) -> str | None:
    return FORMATS.get(os.path.splitext(path)[1].lower())


def _schema_json(schema: Any) -> list[dict[str, Any]]:
    return [{"name": f.name, "type": str(f.type), "nullable": bool(f.nullable)} for f in schema]


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, bytes):
        return value.hex()
    return str(value)


def _parquet_stats(meta: Any) -> dict[str, dict[str, Any]]:
    stats: dict[str, dict[str, Any]] = {}
    for rg in range(meta.num_row_groups):
        group = meta.row_group(rg)
        for ci in range(group.num_columns):
            col = group.column(ci)
            name = col.path_in_schema
            entry = stats.setdefault(name, {"null_count": 0, "min": None, "max": None, "exact": True})
            s = col.statistics
            if s is None:
                entry["exact"] = False
                continue
            if s.has_null_count:
                entry["null_count"] += s.null_count
            else:
                entry["exact"] = False
            if s.has_min_max:
                try:
                    if entry["min"] is None or s.min < entry["min"]:
                        entry["min"] = s.min
                    if entry["max"] is None or s.max > entry["max"]:
                        entry["max"] = s.max
                except TypeError:
                    entry["exact"] = False
    return {k: {kk: _jsonable(vv) for kk, vv in v.items()} for k, v in stats.items()}


def describe(path: str | os.PathLike[str], fmt: str) -> dict[str, Any]:
    """Schema, rows and (Parquet) footer statistics of a tabular file; ``error`` if unreadable."""
    try:
        if fmt == "parquet":
            import pyarrow.parquet as pq

            pf = pq.ParquetFile(path)
            return {
                "format": fmt,
                "rows": pf.metadata.num_rows,
                "schema": _schema_json(pf.schema_arrow),
                "stats": _parquet_stats(pf.metadata),
            }
        if fmt == "arrow":
            import pyarrow.ipc as ipc

            with ipc.open_file(path) as reader:
                rows = sum(reader.get_batch(i).num_rows for i in range(reader.num_record_batches))
                return {"format": fmt, "rows": rows, "schema": _schema_json(reader.schema)}
        table = read_table([Path(path)], fmt)
        return {"format": fmt, "rows": table.num_rows, "schema": _schema_json(table.schema)}
    except Exception as err:  # a file we cannot parse is still versioned, as bytes
        return {"format": fmt, "error": f"{type(err).__name__}: {err}".splitlines()[0][:300]}


def read_table(paths: list[Path], fmt: str) -> Any:
    """A pyarrow Table from one or more files of one format (parts are concatenated)."""
    import pyarrow as pa

    if fmt == "parquet":
        import pyarrow.parquet as pq

        tables = [pq.read_table(p) for p in paths]
    elif fmt == "csv":
        import pyarrow.csv as pacsv

        tables = [pacsv.read_csv(p) for p in paths]
    elif fmt == "arrow":
        import pyarrow.feather as feather

        tables = [feather.read_table(p) for p in paths]
    elif fmt == "jsonl":
        import pyarrow.json as pajson

        tables = [pajson.read_json(p) for p in paths]
    else:
        raise ValueError(f"not a tabular format: {fmt}")
    if len(tables) == 1:
        return tables[0]
    return pa.concat_tables(tables, promote_options="permissive")


def as_arrow_table(obj: Any) -> Any:
    """A pyarrow Table from a pandas DataFrame or a pyarrow Table; None for anything else."""
    import pyarrow as pa

    if isinstance(obj, pa.Table):
        return obj
    if isinstance(obj, pa.RecordBatch):
        return pa.Table.from_batches([obj])
    try:
        import pandas as pd
    except ImportError:  # pragma: no cover - pandas is a dependency
        return None
    if isinstance(obj, pd.DataFrame):
        return pa.Table.from_pandas(obj, preserve_index=None)
    return None


def write_parquet(table: Any, path: Path) -> None:
    """A deterministic Parquet file: same data and library versions give the same bytes.

    Parquet's content-defined chunking of pages keeps small edits from shifting every page,
    so a slightly changed DataFrame shares most of its chunks with the previous version.
    """
    import pyarrow.parquet as pq

    pq.write_table(
        table,
        path,
        compression="zstd",
        use_content_defined_chunking=True,
        write_statistics=True,
        row_group_size=1 << 20,
    )
