"""Statistics of a table diff (level 3): row count and per-column figures, before -> after.

Every figure says where it came from: ``manifest`` (row counts recorded at add time), ``footer``
(Parquet footer statistics kept in the manifest: null count, min, max), ``computed`` (read from
the column data now) or ``estimated`` (distinct counts of large high-cardinality columns, from a
sample). ``exact`` is false for estimates and for figures that cover only part of the table
(a file could not be read).
"""

from __future__ import annotations

import math
import re
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from .diff_json import JSON, side_value
from .diff_schema import TableSource

ORDERED = ("numeric", "boolean", "string", "binary", "temporal")
TOLERANT = ("mean", "std", "avg_length")  # sums whose last digits depend on the order of the data
SAMPLE_ROWS = 1_000_000  # above this, distinct counts of high-cardinality columns are estimated
_INT = re.compile(r"u?int(8|16|32|64)")


def kind_of(type_name: str) -> str:
    """``numeric``, ``boolean``, ``string``, ``binary``, ``temporal`` or ``other`` for an Arrow type name."""
    t = type_name.strip()
    if _INT.fullmatch(t) or t in ("halffloat", "float", "double") or t.startswith("decimal"):
        return "numeric"
    if t == "bool":
        return "boolean"
    if t in ("string", "large_string", "string_view"):
        return "string"
    if t in ("binary", "large_binary", "binary_view") or t.startswith("fixed_size_binary"):
        return "binary"
    if t.startswith(("date", "timestamp", "time32", "time64", "duration")):
        return "temporal"
    return "other"


def _footer(src: TableSource) -> dict[str, dict[str, JSON]]:
    """Null count, min and max per column from the Parquet footers, where every file has them."""
    if src.fmt != "parquet" or src.broken:
        return {}
    out: dict[str, dict[str, JSON]] = {}
    metas = src.metas
    columns = [{c["name"] for c in meta["schema"]} for meta in metas]
    for col in src.schema():
        name, kind = col["name"], kind_of(col["type"])
        if name in src.hive or kind not in ("numeric", "string", "binary", "boolean") or "decimal" in col["type"]:
            continue
        nulls, lo, hi, ok = 0, None, None, True
        for meta, names in zip(metas, columns, strict=True):
            if name not in names:
                nulls += int(meta["rows"])  # missing from this part: all null in the table
                continue
            st = (meta.get("stats") or {}).get(name)
            if not st or not st.get("exact"):
                ok = False
                break
            nulls += int(st["null_count"])
            mn, mx = st.get("min"), st.get("max")
            if mn is None or mx is None:
                ok = st["null_count"] >= meta["rows"]  # an all-null part has no min/max
                if not ok:
                    break
                continue
            try:
                lo = mn if lo is None or mn < lo else lo
                hi = mx if hi is None or mx > hi else hi
            except TypeError:  # e.g. "inf" (text) against a number
                ok = False
                break
        if ok:
            out[name] = {k: side_value(v, "footer") for k, v in (("null_count", nulls), ("min", lo), ("max", hi))}
    return out


def distinct(col: Any) -> tuple[int, bool]:
    """Distinct non-null values and whether the count is exact.

    Up to ``SAMPLE_ROWS`` values, or when a sample shows few distinct values, the count is exact.
    Otherwise it is estimated from a sample with Haas and Stokes' Duj1 estimator (the one
    PostgreSQL's ANALYZE uses): ``n*d / (n - f1 + f1*n/N)`` for ``d`` distinct values and ``f1``
    singletons among ``n`` sampled of ``N`` values. Exactly counting ten million unique strings
    takes seconds; the estimate takes a tenth of a second and is right for unique columns.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    valid = len(col) - col.null_count
    if valid <= SAMPLE_ROWS:
        return (len(pc.dictionary_encode(col.combine_chunks()).dictionary) if valid else 0), True
    rng = np.random.default_rng(len(col))
    picks = np.sort(rng.integers(0, len(col), SAMPLE_ROWS))
    picks = picks[np.concatenate([[True], picks[1:] != picks[:-1]])]  # no repeats (np.unique is slower)
    sample = pc.drop_null(col.take(pa.array(picks)).combine_chunks())
    enc = pc.dictionary_encode(sample)
    n, d = len(sample), len(enc.dictionary)
    if n == 0 or d <= n // 10:  # few values: counting them all is cheap
        return pc.count_distinct(col, mode="only_valid").as_py(), True
    f1 = int(np.count_nonzero(np.bincount(np.asarray(enc.indices.to_numpy(), dtype=np.int64)) == 1))
    estimate = n * d / (n - f1 + f1 * n / valid)
    return round(min(max(estimate, d), valid)), False


def compute_column(col: Any, kind: str) -> dict[str, Any]:
    """Figures of one column, read from its data with Arrow compute.

    A figure Arrow cannot compute for this type (half floats, exotic decimals) is left out.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    def as_float() -> Any:
        return col.cast(pa.float64(), safe=False)

    def length() -> Any:
        return pc.mean(pc.utf8_length(col) if kind == "string" else pc.binary_length(col)).as_py()

    out: dict[str, Any] = {"null_count": col.null_count}
    errors = (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError)
    if kind in ORDERED:
        try:
            mm = pc.min_max(col)
            out["min"], out["max"] = mm["min"].as_py(), mm["max"].as_py()
        except errors:
            pass
    wanted: list[tuple[str, Any]] = []
    if kind == "numeric":
        wanted += [
            ("mean", lambda: pc.mean(as_float()).as_py()),
            ("std", lambda: pc.stddev(as_float(), ddof=1).as_py()),
        ]
    elif kind == "boolean":
        wanted += [("mean", lambda: pc.mean(col.cast(pa.uint8())).as_py())]
    elif kind in ("string", "binary"):
        wanted += [("distinct", lambda: distinct(col)), ("avg_length", length)]
    for name, compute in wanted:
        try:
            out[name] = compute()
        except errors:
            continue
    return out


def _side_figures(src: TableSource | None, table: Any, partial: bool, compute: bool) -> dict[str, dict[str, JSON]]:
    if src is None:
        return {}
    figures = _footer(src)
    if not compute or table is None:
        return figures
    seen: set[str] = set()
    for i, field in enumerate(table.schema):
        if field.name in seen:
            continue  # a duplicate column name: the first one counts
        seen.add(field.name)
        computed = compute_column(table.column(i), kind_of(str(field.type)))
        mine = figures.setdefault(field.name, {})
        for fig, value in computed.items():
            if fig in mine:
                continue
            if isinstance(value, tuple):  # (value, exact): an estimate when not exact
                mine[fig] = side_value(value[0], "computed" if value[1] else "estimated", value[1] and not partial)
            else:
                mine[fig] = side_value(value, "computed", not partial)
    return figures


def _number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def figure(before: JSON | None, after: JSON | None, tolerant: bool = False) -> JSON:
    """One figure before -> after, with the change when both are numbers."""
    bv: Any = before["value"] if before else None
    av: Any = after["value"] if after else None
    change = av - bv if _number(av) and _number(bv) else None
    estimated = any(v is not None and v["source"] == "estimated" for v in (before, after))
    if _number(av) and _number(bv) and (tolerant or estimated):
        same = math.isclose(av, bv, rel_tol=0.01 if estimated else 1e-9, abs_tol=1e-12)
    else:
        same = (before is None) == (after is None) and bv == av and isinstance(bv, bool) == isinstance(av, bool)
    return {"before": before, "after": after, "change": change, "changed": not same}


def rows_value(src: TableSource | None, table: Any, partial: bool) -> JSON | None:
    if src is None:
        return None
    if src.rows is not None:  # for the workspace: read from the file's metadata (or the file) just now
        source = "manifest" if not src.side.workspace else "footer" if src.fmt in ("parquet", "arrow") else "computed"
        return side_value(src.rows, source)
    if table is not None:
        return side_value(table.num_rows, "computed", not partial)
    return None


def stats_diff(
    src_a: TableSource | None,
    src_b: TableSource | None,
    tables: tuple[Any, Any],
    partial: tuple[bool, bool],
    compute: bool,
) -> JSON:
    """Row count and per-column figures of two tables (either may be missing)."""
    with ThreadPoolExecutor(2, thread_name_prefix="datavc-diff-stats") as pool:
        fa = pool.submit(_side_figures, src_a, tables[0], partial[0], compute)
        fb = pool.submit(_side_figures, src_b, tables[1], partial[1], compute)
        figs_a, figs_b = fa.result(), fb.result()
    types_a = _types(src_a, tables[0])
    types_b = _types(src_b, tables[1])
    columns = []
    for name in dict.fromkeys([*types_a, *types_b]):
        ta, tb = types_a.get(name), types_b.get(name)
        status = "common" if ta is not None and tb is not None else ("added" if ta is None else "removed")
        ca, cb = figs_a.get(name, {}), figs_b.get(name, {})
        figs = {f: figure(ca.get(f), cb.get(f), f in TOLERANT) for f in dict.fromkeys([*ca, *cb])}
        columns.append(
            {
                "name": name,
                "status": status,
                "type": {"before": ta, "after": tb},
                "kind": kind_of(tb if tb is not None else ta or ""),
                "changed": status != "common" or ta != tb or any(f["changed"] for f in figs.values()),
                "figures": figs,
            }
        )
    rows = figure(rows_value(src_a, tables[0], partial[0]), rows_value(src_b, tables[1], partial[1]))
    return {"computed": compute, "rows": rows, "columns": columns}


def _types(src: TableSource | None, table: Any) -> dict[str, str]:
    """Column name -> type name: the table read now when there is one, else the metadata."""
    if src is None:
        return {}
    pairs = (
        [(f.name, str(f.type)) for f in table.schema]
        if table is not None
        else [(c["name"], c["type"]) for c in src.schema()]
    )
    out: dict[str, str] = {}
    for name, typ in pairs:
        out.setdefault(name, typ)  # a duplicate column name: the first one counts
    return out
