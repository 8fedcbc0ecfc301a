"""Row diff of tables that do not fit the memory budget: hash partitions spilled to disk.

Each side is streamed in record batches (Parquet row groups, Arrow IPC batches, CSV and JSON
Lines blocks) and its rows are split into N buckets by a hash of the key columns (keyed) or of
the whole row (unkeyed), computed in the columns' common type, so equal keys and equal rows of
both sides land in the same bucket. Buckets are Arrow IPC files in the repository's
``.datavc/tmp/`` (removed afterwards, also on error) with each row's position in its table.
Bucket pairs are then compared one at a time by the in-memory code of :mod:`.diff_table`;
counts add up and each sample keeps the rows with the lowest positions, so the result is the
one the in-memory comparison gives. Statistics then come from the manifests only.
"""

from __future__ import annotations

import math
import tempfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .diff_budget import table_bytes
from .diff_hash import multiset, side_hashes
from .diff_json import JSON, message, one_line
from .diff_rows import align, key_codes, match
from .diff_schema import TableSource
from .diff_sides import partition_values
from .diff_table import (
    RowOptions,
    RowPlan,
    _columns,
    _rows_doc,
    _sample,
    changed_rows,
    duplicate_key_message,
    key_examples,
    key_values,
    keyed_core,
    multiset_allowed,
    plan_rows,
)

BATCH = 1 << 20  # rows per record batch read
MAX_BUCKETS = 128  # files open at once per side while splitting
POS, HASH = "__datavc_pos", "__datavc_hash"


def _plain(schema: Any) -> Any:
    """The schema with dictionary columns as their value type (as the in-memory reader decodes them)."""
    import pyarrow as pa

    fields = [pa.field(f.name, f.type.value_type, f.nullable) if pa.types.is_dictionary(f.type) else f for f in schema]
    return pa.schema(fields)


@dataclass
class _Part:
    src: TableSource
    path: str
    schema: Any  # with the partition keys, dictionaries decoded
    local: str  # the file on disk (verified once; "" when the side holds the table already)

    def _raw(self) -> Iterator[Any]:
        cached = self.src.side.tables.get(self.path)
        if cached is not None:
            yield from cached.to_batches(max_chunksize=BATCH)
            return
        local = self.local
        if self.src.fmt == "parquet":
            import pyarrow.parquet as pq

            yield from pq.ParquetFile(local).iter_batches(batch_size=BATCH)
        elif self.src.fmt == "arrow":
            import pyarrow.feather as feather

            yield from feather.read_table(local, memory_map=True).to_batches(max_chunksize=BATCH)
        elif self.src.fmt == "csv":
            import pyarrow.csv as pacsv

            yield from pacsv.open_csv(local)
        else:
            import pyarrow.json as pajson

            yield from pajson.open_json(local)

    def batches(self, schema: Any) -> Iterator[Any]:
        """Record batches in the table's (unified) ``schema``."""
        import pyarrow as pa

        values = partition_values(self.path)
        for batch in self._raw():
            n = batch.num_rows
            names = [f.name for f in batch.schema]
            cols = [c.cast(c.type.value_type) if pa.types.is_dictionary(c.type) else c for c in batch.columns]
            for k, typ in self.src.hive.items():
                if k not in names:
                    v = values.get(k)
                    t = pa.int64() if typ == "int64" else pa.string()
                    one = pa.array([int(v) if v is not None and typ == "int64" else v], t)
                    cols.append(one.take(pa.array(np.zeros(n, np.int32))))
                    names.append(k)
            if len(set(names)) < len(names) or names == schema.names:  # as it is (duplicates: by position)
                out = [c if c.type == f.type else c.cast(f.type) for c, f in zip(cols, schema, strict=True)]
            else:  # by name, as the parts of a table are combined: missing columns are null
                first = {name: c for name, c in reversed(list(zip(names, cols, strict=True)))}
                out = []
                for f in schema:
                    c = first.get(f.name)
                    out.append(pa.nulls(n, f.type) if c is None else c if c.type == f.type else c.cast(f.type))
            yield pa.RecordBatch.from_arrays(out, schema=schema)


def _schema_of(src: TableSource, path: str) -> tuple[Any, str]:
    """A part's schema as the table will have it, and its file on disk."""
    import pyarrow as pa

    cached = src.side.tables.get(path)
    local = ""
    if cached is not None:
        schema = cached.schema
    else:
        local = str(src.side.local(src.side.entries[path]))
        if src.fmt == "parquet":
            import pyarrow.parquet as pq

            schema = pq.read_schema(local)
        elif src.fmt == "arrow":
            import pyarrow.feather as feather

            schema = feather.read_table(local, memory_map=True).schema
        elif src.fmt == "csv":
            import pyarrow.csv as pacsv

            schema = pacsv.open_csv(local).schema
        else:
            import pyarrow.json as pajson

            schema = pajson.open_json(local).schema
    schema = _plain(schema)
    for k, typ in src.hive.items():
        if k not in schema.names:
            schema = schema.append(pa.field(k, pa.int64() if typ == "int64" else pa.string()))
    return schema, local


@dataclass
class _Side:
    parts: list[_Part]
    schema: Any
    rows: int = 0
    files: list[Path] = field(default_factory=list)


def open_sides(src_a: TableSource, src_b: TableSource, msgs: list[JSON]) -> tuple[list[_Side | None], list[bool]]:
    """Both sides' readable parts and table schemas; messages as the in-memory reader gives them."""
    import pyarrow as pa

    found: list[dict[str, Any]] = [{}, {}]
    failed: list[dict[str, str]] = [{}, {}]
    for i, src in enumerate((src_a, src_b)):
        for entry in src.entries:
            try:
                found[i][entry.path] = _schema_of(src, entry.path)
            except Exception as err:
                failed[i][entry.path] = one_line(err)
    known = {m["file"] for m in msgs}
    for fails, side in zip(failed, ("before", "after"), strict=True):
        for path, why in fails.items():
            if path not in known:
                msgs.append(message("error", "unreadable_table", f"{path} ({side}) could not be read: {why}", path))
    bad = set(failed[0]) | set(failed[1])
    sides: list[_Side | None] = []
    for i, (src, side) in enumerate(zip((src_a, src_b), ("before", "after"), strict=True)):
        parts = [_Part(src, e.path, *found[i][e.path]) for e in src.entries if e.path not in bad]
        try:
            if not parts:
                raise ValueError("no readable part")
            schema = (
                parts[0].schema
                if len(parts) == 1
                else pa.unify_schemas([p.schema for p in parts], promote_options="permissive")
            )
            sides.append(_Side(parts, schema))
        except Exception as err:
            msgs.append(
                message("error", "incompatible_parts", f"{side}: the parts do not form one table: {one_line(err)}")
            )
            sides.append(None)
    return sides, [bool(bad), bool(bad)]


def _split(side: _Side, which: int, plan: RowPlan, hashed: list[str], keep_hash: bool, n: int, folder: Path) -> None:
    """Stream one side into ``n`` bucket files by the hash of the ``hashed`` columns (in their common type)."""
    import pyarrow as pa

    extra = [pa.field(POS, pa.int64())] + ([pa.field(HASH, pa.uint64())] if keep_hash else [])
    out_schema = pa.schema([*side.schema, *extra])
    side.files = [folder / f"{which}-{b}.arrow" for b in range(n)]
    writers = [pa.ipc.new_file(str(p), out_schema) for p in side.files]
    try:
        pos = 0
        for part in side.parts:
            for batch in part.batches(side.schema):
                rows = batch.num_rows
                index = {f.name: batch.column(i) for i, f in reversed(list(enumerate(batch.schema)))}
                cols = [pa.chunked_array([index[c].cast(plan.aligned[c][which].type)]) for c in hashed]
                h = side_hashes(cols, rows)
                bucket = h % np.uint64(n)
                order = np.argsort(bucket, kind="stable")
                counts = np.bincount(bucket.astype(np.int64), minlength=n)
                more = [pa.array(np.arange(pos, pos + rows, dtype=np.int64))]
                if keep_hash:
                    more.append(pa.array(h))
                whole = pa.RecordBatch.from_arrays([*batch.columns, *more], schema=out_schema).take(pa.array(order))
                start = 0
                for b, c in enumerate(counts):
                    if c:
                        writers[b].write_batch(whole.slice(start, int(c)))
                    start += int(c)
                pos += rows
        side.rows = pos
    finally:
        for w in writers:
            w.close()


def _bucket(path: Path, keep_hash: bool) -> tuple[Any, Any, Any]:
    """A bucket's table (user columns only), its rows' positions and (unkeyed) row hashes."""
    import pyarrow as pa

    with pa.memory_map(str(path)) as source:
        table = pa.ipc.open_file(source).read_all().combine_chunks()  # one chunk: fast takes, off the map
    width = table.num_columns - (2 if keep_hash else 1)
    pos = np.asarray(table.column(width).to_numpy(), dtype=np.int64)
    h = np.asarray(table.column(width + 1).to_numpy(), dtype=np.uint64) if keep_hash else None
    for _ in range(table.num_columns - width):
        table = table.remove_column(width)
    return table, pos, h


@dataclass
class _Samples:
    """Per-bucket samples with their rows' positions; the lowest ``limit`` positions win."""

    limit: int
    items: list[tuple[int, Any]] = field(default_factory=list)
    total: int = 0

    def add(self, positions: Any, rows: list[Any], total: int) -> None:
        self.items += zip((int(p) for p in positions), rows, strict=True)
        self.total += total
        if len(self.items) > 4 * self.limit + 64:
            self.items = sorted(self.items, key=lambda x: x[0])[: self.limit]

    def rows(self) -> list[Any]:
        return [r for _, r in sorted(self.items, key=lambda x: x[0])[: self.limit]]

    def doc(self, side: _Side) -> JSON:
        """A sample of rows as :func:`.diff_table._sample` gives it."""
        columns = list(_columns(side.schema.empty_table()))
        return {"columns": columns, "rows": self.rows(), "truncated": self.total > min(self.limit, self.total)}


def compare_spilled(
    src_a: TableSource,
    src_b: TableSource,
    sides: list[_Side],
    opts: RowOptions,
    msgs: list[JSON],
    file: str | None,
    budget: int,
) -> JSON | None:
    """The rows section of two tables too large for memory (see the module's docstring)."""
    a, b = sides
    plan = plan_rows(a.schema.empty_table(), b.schema.empty_table(), opts, msgs, file)
    key = plan.key
    if not key and not multiset_allowed(opts, plan, msgs, file):
        return None
    n = min(MAX_BUCKETS, max(2, math.ceil(2 * (table_bytes(src_a) + table_bytes(src_b)) / budget)))
    tmp = src_a.side.tmp or src_b.side.tmp
    if tmp is not None:
        tmp.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="diff-", dir=tmp) as folder:
        hashed = key if key else list(plan.aligned)
        with ThreadPoolExecutor(2, thread_name_prefix="datavc-diff-split") as pool:
            jobs = [pool.submit(_split, s, i, plan, hashed, not key, n, Path(folder)) for i, s in enumerate(sides)]
            for job in jobs:
                job.result()
        if key:
            doc, fall_back = _keyed(a, b, plan, opts, msgs, file, n)
            if not fall_back:
                return doc
        return _unkeyed(a, b, plan, opts, n, bool(key))


def _keyed(
    a: _Side, b: _Side, plan: RowPlan, opts: RowOptions, msgs: list[JSON], file: str | None, n: int
) -> tuple[JSON | None, bool]:
    """Rows matched by key, bucket by bucket; or (None, True) when a key is duplicated: compare as multisets."""
    key = plan.key
    assert key is not None
    lim = opts.limit
    added, removed, changed = _Samples(lim), _Samples(lim), _Samples(lim)
    cells: dict[str, int] = {}
    dups: list[_Samples] = [_Samples(3), _Samples(3)]
    for i in range(n):
        ta, pa_, _ = _bucket(a.files[i], False)
        tb, pb, _ = _bucket(b.files[i], False)
        cols_a, cols_b = _columns(ta), _columns(tb)
        aligned = {c: align(c, cols_a[c], cols_b[c])[:2] for c in plan.aligned}
        ka, kb = key_codes([aligned[k][0] for k in key], [aligned[k][1] for k in key])
        ia, dup_a, dup_b = match(ka, kb)
        if len(dup_a) or len(dup_b):
            for d, t, p, s in ((dup_a, ta, pa_, dups[0]), (dup_b, tb, pb, dups[1])):
                s.add(p[d[:3]], key_values(t, key, d[:3]), len(d))
            continue
        if dups[0].total or dups[1].total:
            continue  # only duplicates are looked for now
        core = keyed_core(ta, tb, key, aligned, ia, opts)
        for name, count in core.changed_cells().items():
            cells[name] = cells.get(name, 0) + count
        added.add(pb[core.added_idx[:lim]], _sample(tb, core.added_idx[:lim], 0)["rows"], len(core.added_idx))
        removed.add(pa_[core.removed_idx[:lim]], _sample(ta, core.removed_idx[:lim], 0)["rows"], len(core.removed_idx))
        pick = core.changed_pos[:lim]
        changed.add(pb[core.ib[pick]], changed_rows(ta, tb, key, core, pick), len(core.changed_pos))
    if dups[0].total or dups[1].total:
        for s, side in zip(dups, ("before", "after"), strict=True):
            if s.total:
                msgs.append(duplicate_key_message(s.total, key_examples(key, s.rows()), side, file))
        return None, multiset_allowed(opts, plan, msgs, file)
    doc = _rows_doc(
        "key", opts, list(plan.aligned), plan.ignored, a.rows, b.rows, added.total, removed.total, changed.total
    )
    doc["changed_cells"] = {c: cells[c] for c in plan.aligned if c in cells}
    doc["added"] = added.doc(b)
    doc["removed"] = removed.doc(a)
    doc["changed"] = {"rows": changed.rows(), "truncated": changed.total > min(lim, changed.total)}
    return doc, False


def _unkeyed(a: _Side, b: _Side, plan: RowPlan, opts: RowOptions, n: int, rehash: bool) -> JSON:
    """Rows compared as multisets, bucket by bucket (``rehash``: the buckets were split by key)."""
    lim = opts.limit
    added, removed = _Samples(lim), _Samples(lim)
    for i in range(n):
        ta, pa_, ha = _bucket(a.files[i], not rehash)
        tb, pb, hb = _bucket(b.files[i], not rehash)
        if rehash:
            cols_a, cols_b = _columns(ta), _columns(tb)
            aligned = [align(c, cols_a[c], cols_b[c])[:2] for c in plan.aligned]
            ha = side_hashes([x for x, _ in aligned], ta.num_rows)
            hb = side_hashes([y for _, y in aligned], tb.num_rows)
        n_add, n_rem, sample_a, sample_b = multiset(ha, hb, lim, pa_, pb)
        added.add(pb[sample_b], _sample(tb, sample_b, 0)["rows"], n_add)
        removed.add(pa_[sample_a], _sample(ta, sample_a, 0)["rows"], n_rem)
    doc = _rows_doc(
        "multiset", opts, list(plan.aligned), plan.ignored, a.rows, b.rows, added.total, removed.total, None
    )
    doc["added"] = added.doc(b)
    doc["removed"] = removed.doc(a)
    return doc
