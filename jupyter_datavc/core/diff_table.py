"""One table against another: schema (level 2), statistics (level 3) and rows (level 4).

A table is a :class:`TableSource` (a file, or the parts of a partitioned table). Schema and the
cheap figures come from the manifests; data is read only for computed statistics and rows, and
a file that cannot be read becomes a message while the rest of the diff goes on.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np

from .diff_budget import fits, memory_budget
from .diff_hash import multiset, row_hashes
from .diff_json import JSON, json_value, message, one_line
from .diff_rows import align, equal_cells, key_codes, match
from .diff_schema import TableSource, concat, schema_diff
from .diff_sides import partition_values
from .diff_stats import stats_diff

EQUAL_ROWS = 1 << 18  # matched pairs compared per piece
STATS_READ_LIMIT = 64 << 20  # statistics are computed from the data of tables up to this size (both sides)
STATS_READ_FILES = 64  # ... and this many files per side; larger ones use manifests and footers only


@dataclass(frozen=True)
class RowOptions:
    rows: bool
    key: list[str] | None
    atol: float
    rtol: float
    limit: int
    memory: int | None = None  # bytes of table data a row diff may hold (None: see diff_budget.memory_budget)


def _small(src_a: TableSource | None, src_b: TableSource | None) -> bool:
    """Whether the tables are small enough to compute statistics from their data without being asked."""
    srcs = [s for s in (src_a, src_b) if s is not None]
    size = sum(e.size for s in srcs for e in s.entries)
    return size <= STATS_READ_LIMIT and all(len(s.entries) <= STATS_READ_FILES for s in srcs)


def _content(src: TableSource | None) -> list[tuple[str, str]] | None:
    if src is None or any(not e.hash for e in src.entries):
        return None
    return sorted((str(sorted(partition_values(e.path).items())) if src.hive else "", e.hash) for e in src.entries)


def table_diff(
    src_a: TableSource | None, src_b: TableSource | None, opts: RowOptions, compute: bool, file: str | None = None
) -> tuple[JSON, list[JSON]]:
    """The table-level diff document and its messages (``file`` names them for per-file tables)."""
    msgs: list[JSON] = []
    identical = (
        src_a is not None
        and src_b is not None
        and (src_a.fmt, src_a.hive) == (src_b.fmt, src_b.hive)
        and _content(src_a) is not None
        and _content(src_a) == _content(src_b)
    )
    for src, side in ((src_a, "before"), (src_b, "after")):
        if src is None:
            continue
        for path in src.broken:
            error = ((src.side.entries[path].table or {}).get("error")) or "no table metadata"
            msgs.append(message("error", "unreadable_table", f"{path} ({side}) is not a readable table: {error}", path))
    tables: list[Any] = [None, None]
    partial = [False, False]
    spill: list[Any] = []
    from . import diff_outofcore as outofcore  # it builds on this module

    budget = memory_budget(opts.memory)
    if compute and not identical and opts.rows and src_a is not None and src_b is not None:
        spill, partial = ([], partial) if fits(src_a, src_b, budget) else outofcore.open_sides(src_a, src_b, msgs)
    figures = compute and not identical and not spill and _small(src_a, src_b)  # the same with and without rows
    if compute and not identical and not spill and (opts.rows or figures):
        tables, partial = _read_both(src_a, src_b, msgs)
    if compute and not identical and not figures:
        why = "the rows were compared out of core" if spill else "the tables are large"
        text = f"statistics come from the manifests and Parquet footers only: {why}"
        msgs.append(message("info", "stats_from_metadata", text, file))
    if any(partial):
        msgs.append(
            message("warning", "partial_table", "figures and rows cover only the files that could be read", file)
        )
    doc: JSON = {
        "format": {"before": src_a.fmt if src_a else None, "after": src_b.fmt if src_b else None},
        "identical": identical,
        "schema": schema_diff(src_a.schema() if src_a else [], src_b.schema() if src_b else []),
        "stats": stats_diff(src_a, src_b, (tables[0], tables[1]), (partial[0], partial[1]), figures),
        "rows": None,
    }
    if spill and src_a is not None and src_b is not None:
        if spill[0] is None or spill[1] is None:
            msgs.append(message("error", "rows_skipped", "rows were not compared: a side could not be read", file))
        else:
            try:
                doc["rows"] = outofcore.compare_spilled(src_a, src_b, spill, opts, msgs, file, budget)
            except Exception as err:
                msgs.append(message("error", "rows_failed", f"rows could not be compared: {one_line(err)}", file))
    elif opts.rows and identical and src_a is not None:
        n = src_a.rows or 0
        doc["rows"] = _rows_doc("key" if opts.key else "multiset", opts, [], [], n, n, 0, 0, 0 if opts.key else None)
    elif opts.rows and tables[0] is not None and tables[1] is not None:
        try:
            doc["rows"] = compare_rows(tables[0], tables[1], opts, msgs, file)
        except Exception as err:  # a bug or an exotic type must not take the other levels down
            msgs.append(message("error", "rows_failed", f"rows could not be compared: {one_line(err)}", file))
    elif opts.rows and compute and src_a is not None and src_b is not None:
        msgs.append(message("error", "rows_skipped", "rows were not compared: a side could not be read", file))
    return doc, msgs


def _read_both(src_a: TableSource | None, src_b: TableSource | None, msgs: list[JSON]) -> tuple[list[Any], list[bool]]:
    """Both tables, read in parallel. A file unreadable on one side is left out of both (by path),
    so its rows do not show up as removed or added."""
    with ThreadPoolExecutor(2, thread_name_prefix="datavc-diff-read") as pool:
        futures = [pool.submit(src.read) if src is not None else None for src in (src_a, src_b)]
        reads = [f.result() if f is not None else ({}, {}) for f in futures]
    known = {m["file"] for m in msgs}  # already reported from their metadata
    for (_, failed), side in zip(reads, ("before", "after"), strict=True):
        for path, why in failed.items():
            if path not in known:
                msgs.append(message("error", "unreadable_table", f"{path} ({side}) could not be read: {why}", path))
    bad = set(reads[0][1]) | set(reads[1][1])
    tables: list[Any] = []
    for (parts, _), side in zip(reads, ("before", "after"), strict=True):
        try:
            tables.append(concat([t for p, t in parts.items() if p not in bad]))
        except Exception as err:  # parts whose columns have types that do not combine
            msgs.append(
                message("error", "incompatible_parts", f"{side}: the parts do not form one table: {one_line(err)}")
            )
            tables.append(None)
    partial = [bool(bad) and src is not None for src in (src_a, src_b)]
    import pyarrow as pa

    pa.default_memory_pool().release_unused()  # the readers' buffers: hundreds of MB of a large table
    return tables, partial


def _rows_doc(
    mode: str,
    opts: RowOptions,
    columns: list[str],
    ignored: list[JSON],
    na: int,
    nb: int,
    added: int,
    removed: int,
    changed: int | None,
) -> JSON:
    matched = nb - added
    return {
        "mode": mode,
        "key": opts.key if mode == "key" else None,
        "columns": columns,
        "ignored_columns": ignored,
        "atol": opts.atol,
        "rtol": opts.rtol,
        "counts": {
            "before": na,
            "after": nb,
            "added": added,
            "removed": removed,
            "changed": changed,
            "unchanged": matched - (changed or 0),
        },
        "changed_cells": {},
        "added": {"columns": [], "rows": [], "truncated": False},
        "removed": {"columns": [], "rows": [], "truncated": False},
        "changed": {"rows": [], "truncated": False},
    }


def _columns(table: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for i, f in enumerate(table.schema):
        out.setdefault(f.name, table.column(i))  # a duplicate column name: the first one counts
    return out


def values_at(col: Any, rows: Any) -> list[Any]:
    """Python values of a few cells (``take`` on a column of many chunks costs a pass over it)."""
    if len(rows) <= 1000:
        return [col[int(i)].as_py() for i in rows]
    return list(col.take(rows).to_pylist())


def _sample(table: Any, idx: Any, total: int) -> JSON:
    cols = _columns(table)
    taken = [[json_value(v) for v in values_at(col, idx)] for col in cols.values()]
    return {"columns": list(cols), "rows": [list(r) for r in zip(*taken, strict=True)], "truncated": total > len(idx)}


@dataclass
class RowPlan:
    """What the row comparison works on: the comparable columns in a common type, and the key."""

    aligned: dict[str, tuple[Any, Any]]
    ignored: list[JSON]
    key: list[str] | None


def plan_rows(ta: Any, tb: Any, opts: RowOptions, msgs: list[JSON], file: str | None) -> RowPlan:
    """Columns both tables have, aligned to one type, and the key if it can be used (with messages)."""
    cols_a, cols_b = _columns(ta), _columns(tb)
    for t, side in ((ta, "before"), (tb, "after")):
        if t.num_columns > len(_columns(t)):
            msgs.append(
                message("warning", "duplicate_columns", f"{side}: duplicate column names; the first counts", file)
            )
    aligned: dict[str, tuple[Any, Any]] = {}
    ignored: list[JSON] = []
    for name in (n for n in cols_a if n in cols_b):
        try:
            a, b, note = align(name, cols_a[name], cols_b[name])
        except ValueError as err:
            ignored.append({"name": name, "reason": str(err)})
            msgs.append(message("warning", "incompatible_types", f"column {name!r}: {err}; not compared", file))
            continue
        aligned[name] = (a, b)
        if note:
            msgs.append(message("warning", "type_mismatch", note, file))
    key = opts.key
    if key:
        missing = {k: [s for c, s in ((cols_a, "before"), (cols_b, "after")) if k not in c] for k in key}
        if any(missing.values()):
            where = ", ".join(f"{k!r} ({' and '.join(sides)})" for k, sides in missing.items() if sides)
            text = f"key column missing: {where}; rows compared without a key"
            msgs.append(message("error", "key_missing", text, file))
            key = None
        elif any(k not in aligned for k in key):
            msgs.append(
                message(
                    "error",
                    "key_type",
                    "key columns have types that cannot be compared; rows compared without a key",
                    file,
                )
            )
            key = None
    return RowPlan(aligned, ignored, key)


def duplicate_key_message(count: int, examples: str, side: str, file: str | None) -> JSON:
    return message(
        "error",
        "duplicate_key",
        f"{count} rows {side} share a key with another row (e.g. {examples}); rows compared without a key",
        file,
    )


def multiset_allowed(opts: RowOptions, plan: RowPlan, msgs: list[JSON], file: str | None) -> bool:
    """Notes for a comparison without a key; False when there is no column to compare."""
    if opts.atol or opts.rtol:
        msgs.append(message("info", "tolerance_unused", "atol/rtol apply only when rows are matched by a key", file))
    if not plan.aligned:
        msgs.append(
            message("error", "no_common_columns", "the tables have no column in common; rows not compared", file)
        )
        return False
    return True


def compare_rows(ta: Any, tb: Any, opts: RowOptions, msgs: list[JSON], file: str | None) -> JSON | None:
    plan = plan_rows(ta, tb, opts, msgs, file)
    aligned, key = plan.aligned, plan.key
    na, nb = ta.num_rows, tb.num_rows
    if key:
        ka, kb = key_codes([aligned[k][0] for k in key], [aligned[k][1] for k in key])
        ia, dup_a, dup_b = match(ka, kb)
        del ka, kb
        if len(dup_a) or len(dup_b):
            for dups, t, side in ((dup_a, ta, "before"), (dup_b, tb, "after")):
                if len(dups):
                    msgs.append(
                        duplicate_key_message(len(dups), key_examples(key, key_values(t, key, dups[:3])), side, file)
                    )
        else:
            core = keyed_core(ta, tb, key, aligned, ia, opts)
            doc = _rows_doc("key", opts, list(aligned), plan.ignored, na, nb, *core.counts)
            doc["changed_cells"] = core.changed_cells()
            doc["added"] = _sample(tb, core.added_idx[: opts.limit], len(core.added_idx))
            doc["removed"] = _sample(ta, core.removed_idx[: opts.limit], len(core.removed_idx))
            pick = core.changed_pos[: opts.limit]
            doc["changed"] = {
                "rows": changed_rows(ta, tb, key, core, pick),
                "truncated": len(core.changed_pos) > len(pick),
            }
            return doc
    if not multiset_allowed(opts, plan, msgs, file):
        return None
    ha, hb = row_hashes(list(aligned.values()), na, nb)
    added, removed, sample_a, sample_b = multiset(ha, hb, opts.limit)
    doc = _rows_doc("multiset", opts, list(aligned), plan.ignored, na, nb, added, removed, None)
    doc["added"] = _sample(tb, sample_b, added)
    doc["removed"] = _sample(ta, sample_a, removed)
    return doc


def key_values(table: Any, key: list[str], rows: Any) -> list[tuple[Any, ...]]:
    cols = _columns(table)
    values = [values_at(cols[k], rows) for k in key]
    return [tuple(vs) for vs in zip(*values, strict=True)]


def key_examples(key: list[str], rows: list[tuple[Any, ...]]) -> str:
    return "; ".join(", ".join(f"{k}={v!r}" for k, v in zip(key, vs, strict=True)) for vs in rows)


def _picker(col: Any, rows: Any) -> Any:
    """A function (start, stop) -> the cells ``rows[start:stop]`` of ``col`` (all rows when None).

    ``take`` from a column of many chunks is slow (and may combine them on every call), so a piece
    whose rows lie close together is taken from a combined slice; otherwise the column is combined once.
    """
    import pyarrow as pa

    whole: list[Any] = []

    def pick(start: int, stop: int) -> Any:
        if rows is None:
            return col.slice(start, stop - start)
        idx = rows[start:stop]
        if not len(idx):
            return col.slice(0, 0)
        lo, hi = int(idx.min()), int(idx.max())
        if col.num_chunks <= 1 or hi - lo < 4 * EQUAL_ROWS:
            return pa.chunked_array([col.slice(lo, hi - lo + 1).combine_chunks().take(idx - lo)], col.type)
        if not whole:
            whole.append(col.combine_chunks())
        return pa.chunked_array([whole[0].take(idx)], col.type)

    return pick


def _identity(idx: Any, n: int) -> bool:
    return len(idx) == n and (n == 0 or (idx[0] == 0 and idx[-1] == n - 1 and bool(np.all(np.diff(idx) == 1))))


@dataclass
class KeyedCore:
    """Rows matched by key: positions of added, removed and matched rows, and equal cells per column."""

    added_idx: Any  # rows of b without a match
    removed_idx: Any  # rows of a without a match
    ia_m: Any  # the a row of each matched pair
    ib: Any  # the b row of each matched pair (ascending)
    eqs: dict[str, Any]  # value column -> equal cells over the matched pairs
    changed_pos: Any  # matched pairs with a changed cell

    @property
    def counts(self) -> tuple[int, int, int]:
        return len(self.added_idx), len(self.removed_idx), len(self.changed_pos)

    def changed_cells(self) -> dict[str, int]:
        return {n: int((~eq).sum()) for n, eq in self.eqs.items() if not eq.all()}


def keyed_core(
    ta: Any, tb: Any, key: list[str], aligned: dict[str, tuple[Any, Any]], ia: Any, opts: RowOptions
) -> KeyedCore:
    na, nb = ta.num_rows, tb.num_rows
    ib = np.flatnonzero(ia >= 0)
    ia_m = ia[ib]
    removed_mask = np.ones(na, dtype=bool)
    removed_mask[ia_m] = False
    same_a, same_b = _identity(ia_m, na), _identity(ib, nb)
    eqs: dict[str, Any] = {}
    for name, (a, b) in aligned.items():
        if name in key:
            continue
        eq = np.empty(len(ib), dtype=bool)
        pick_a, pick_b = _picker(a, None if same_a else ia_m), _picker(b, None if same_b else ib)
        for start in range(0, len(ib), EQUAL_ROWS):  # in pieces: no full-length copies of the columns
            stop = min(start + EQUAL_ROWS, len(ib))
            eq[start:stop] = equal_cells(pick_a(start, stop), pick_b(start, stop), opts.atol, opts.rtol)
        eqs[name] = eq
    all_eq = np.logical_and.reduce(list(eqs.values())) if eqs else np.ones(len(ib), dtype=bool)
    changed_pos = np.flatnonzero(~all_eq)
    return KeyedCore(np.flatnonzero(ia < 0), np.flatnonzero(removed_mask), ia_m, ib, eqs, changed_pos)


def changed_rows(ta: Any, tb: Any, key: list[str], core: KeyedCore, pick: Any) -> list[JSON]:
    """The changed rows at ``pick`` (positions among the matched pairs): key and cells before -> after."""
    rows_a, rows_b = core.ia_m[pick], core.ib[pick]
    cols_a, cols_b = _columns(ta), _columns(tb)
    keys = [[json_value(v) for v in values_at(cols_b[k], rows_b)] for k in key]
    cells: list[JSON] = [{} for _ in pick]
    for name, eq in core.eqs.items():
        diff_at = np.flatnonzero(~eq[pick])
        if not len(diff_at):
            continue
        before = values_at(cols_a[name], rows_a[diff_at])
        after = values_at(cols_b[name], rows_b[diff_at])
        for j, pos in enumerate(diff_at):
            cells[pos][name] = {"before": json_value(before[j]), "after": json_value(after[j])}
    return [{"key": dict(zip(key, [kv[i] for kv in keys], strict=True)), "cells": cells[i]} for i in range(len(pick))]
