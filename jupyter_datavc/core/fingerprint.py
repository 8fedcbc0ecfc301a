"""Logical table fingerprints: one hash of a table's schema and rows, independent of its encoding.

Two files hold the same data when they have the same columns (names, order, logical types) and
the same values in the same row order, whatever wrote them: Parquet compression, page and row
group sizes, dictionary encoding, string vs large_string, library versions and their metadata
(pandas' ``pandas_version``, ``creator``) do not change the fingerprint.

Normalization, per column: dictionary columns are decoded; string/large_string/string_view are
one "string" type (binary likewise); timestamps, times and durations are compared in nanoseconds
and dates in days, so a writer that stores microseconds gives the same fingerprint unless it lost
precision; a float NaN is a null ("missing" either way), -0.0 is 0.0; nullability flags and
schema metadata are ignored. Each column feeds three running xxh3-128 hashes (validity, value
lengths, value bytes) batch by batch, so batch and row-group boundaries cannot matter and large
files are read in bounded memory. The result is ``"v1:<32 hex>"``; the prefix names the
algorithm, so a future change cannot be mistaken for a data change.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import xxhash

ALGORITHM = "v1"
BATCH_ROWS = 1 << 16


def logical_type(t: Any) -> str:
    """The type as the fingerprint sees it (encoding-only differences removed)."""
    import pyarrow as pa

    ty = pa.types
    if ty.is_dictionary(t):
        return logical_type(t.value_type)
    if ty.is_string(t) or ty.is_large_string(t) or ty.is_string_view(t):
        return "string"
    if ty.is_binary(t) or ty.is_large_binary(t) or ty.is_binary_view(t):
        return "binary"
    if ty.is_timestamp(t):
        return f"timestamp[{t.tz or ''}]"
    if ty.is_date(t):
        return "date"
    if ty.is_time(t):
        return "time"
    if ty.is_duration(t):
        return "duration"
    if ty.is_list(t) or ty.is_large_list(t) or ty.is_list_view(t) or ty.is_large_list_view(t):
        return f"list<{logical_type(t.value_type)}>"
    if ty.is_fixed_size_list(t):
        return f"list<{logical_type(t.value_type)}>[{t.list_size}]"
    if ty.is_struct(t):
        return "struct<" + ",".join(f"{f.name}:{logical_type(f.type)}" for f in t) + ">"
    if ty.is_map(t):
        return f"map<{logical_type(t.key_type)},{logical_type(t.item_type)}>"
    return str(t)


def _fixed(arr: Any) -> tuple[Any, Any]:
    """(validity as uint8, values as little-endian numpy) of a fixed-width array."""
    import pyarrow as pa
    import pyarrow.compute as pc

    ty = pa.types
    t = arr.type
    if ty.is_timestamp(t) or ty.is_time(t) or ty.is_duration(t):
        target = (
            pa.timestamp("ns", t.tz)
            if ty.is_timestamp(t)
            else (pa.time64("ns") if ty.is_time(t) else pa.duration("ns"))
        )
        try:
            arr = arr.cast(target)  # safe: overflow raises and the original unit is kept
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            pass
        arr = arr.cast(pa.int64())
    elif ty.is_date64(t):
        arr = arr.cast(pa.date32())
    if ty.is_date(arr.type):
        arr = arr.cast(pa.int32()).cast(pa.int64())
    valid = np.asarray(arr.is_valid().to_numpy(zero_copy_only=False), dtype=np.uint8)
    if ty.is_floating(arr.type):
        values = np.asarray(arr.cast(pa.float64()).fill_null(0.0).to_numpy(zero_copy_only=False), dtype="<f8")
        nan = np.isnan(values)
        valid &= ~nan
        values = np.where(nan | (values == 0.0), 0.0, values)  # NaN is missing; -0.0 is 0.0
    elif ty.is_boolean(arr.type):
        values = np.asarray(pc.fill_null(arr, False).to_numpy(zero_copy_only=False), dtype=np.uint8)
    elif ty.is_unsigned_integer(arr.type):
        values = np.asarray(arr.fill_null(0).to_numpy(zero_copy_only=False), dtype="<u8")
    else:
        values = np.asarray(arr.fill_null(0).to_numpy(zero_copy_only=False), dtype="<i8")
    return valid, values


def _try_fixed(arr: Any) -> tuple[Any, Any] | None:
    import pyarrow as pa

    ty = pa.types
    t = arr.type
    if not (ty.is_integer(t) or ty.is_floating(t) or ty.is_boolean(t) or ty.is_temporal(t)):
        return None
    try:
        return _fixed(arr)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, TypeError, ValueError):
        return None  # e.g. intervals: fall back to the JSON path


class _Column:
    """The running hashes of one column."""

    def __init__(self) -> None:
        self.valid = xxhash.xxh3_128()
        self.lengths = xxhash.xxh3_128()
        self.values = xxhash.xxh3_128()

    def update(self, arr: Any) -> None:
        import pyarrow as pa
        import pyarrow.compute as pc

        ty = pa.types
        if isinstance(arr, pa.ChunkedArray):
            arr = arr.combine_chunks() if arr.num_chunks != 1 else arr.chunk(0)
        if ty.is_dictionary(arr.type):
            arr = arr.dictionary_decode()
        t = arr.type
        if ty.is_string(t) or ty.is_large_string(t) or ty.is_string_view(t):
            arr = arr.cast(pa.large_string()).cast(pa.large_binary())
        elif ty.is_binary(t) or ty.is_binary_view(t):
            arr = arr.cast(pa.large_binary())
        t = arr.type
        if ty.is_large_binary(t):
            valid = np.asarray(arr.is_valid().to_numpy(zero_copy_only=False), dtype=np.uint8)
            arr = pc.fill_null(arr, b"")
            offsets = np.frombuffer(arr.buffers()[1], dtype="<i8", count=len(arr) + 1, offset=arr.offset * 8)
            self.valid.update(valid.tobytes())
            self.lengths.update(np.diff(offsets).astype("<i8").tobytes())
            data = arr.buffers()[2]
            if data is not None and offsets[-1] > offsets[0]:
                self.values.update(memoryview(data)[int(offsets[0]) : int(offsets[-1])])
        elif (fixed := _try_fixed(arr)) is not None:
            self.valid.update(fixed[0].tobytes())
            self.values.update(fixed[1].tobytes())
        else:  # decimals, intervals, nested and anything else: one canonical JSON text per value
            self.valid.update(np.asarray(arr.is_valid().to_numpy(zero_copy_only=False), dtype=np.uint8).tobytes())
            for value in arr.to_pylist():
                self.values.update(json.dumps(value, sort_keys=True, default=str).encode() + b"\n")

    def digest(self) -> str:
        return self.valid.hexdigest() + self.lengths.hexdigest() + self.values.hexdigest()


def fingerprint_batches(schema: Any, batches: Iterable[Any]) -> str:
    """The fingerprint of a table given as its schema and record batches in row order."""
    columns = [_Column() for _ in schema]
    rows = 0
    for batch in batches:
        rows += batch.num_rows
        for col, arr in zip(columns, batch.columns):
            col.update(arr)
    whole = xxhash.xxh3_128()
    header = {"rows": rows, "columns": [[f.name, logical_type(f.type)] for f in schema]}
    whole.update(json.dumps(header, sort_keys=True).encode())
    for col in columns:
        whole.update(col.digest().encode())
    return f"{ALGORITHM}:{whole.hexdigest()}"


def table_fingerprint(table: Any) -> str:
    """The fingerprint of a pyarrow Table or a pandas DataFrame."""
    from .tabular import as_arrow_table

    arrow = as_arrow_table(table)
    if arrow is None:
        raise TypeError(f"not a table: {type(table).__name__}")
    return fingerprint_batches(arrow.schema, arrow.to_batches(max_chunksize=BATCH_ROWS))


def _parquet_batches(path: str | os.PathLike[str]) -> tuple[Any, Iterator[Any]]:
    import pyarrow.parquet as pq

    pf = pq.ParquetFile(path)
    return pf.schema_arrow, pf.iter_batches(batch_size=BATCH_ROWS)


def file_fingerprint(path: str | os.PathLike[str], fmt: str) -> str:
    """The fingerprint of one tabular file (Parquet is streamed; other formats are read whole)."""
    if fmt == "parquet":
        schema, batches = _parquet_batches(path)
        return fingerprint_batches(schema, batches)
    from .tabular import read_table

    return table_fingerprint(read_table([Path(path)], fmt))
