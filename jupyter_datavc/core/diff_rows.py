"""Row-level diff (level 4): rows matched by key, or compared as multisets without one.

Everything is vectorized over whole columns. Key columns become exact int64 codes (the values
themselves for integer-like keys, else indices into a dictionary built over both sides), matched
through a merge of sorted keys, a dense position array, a stable sort (keys in a few ascending
runs) or a hash index; then each value column is compared cell by cell over the matched pairs.
(Without a key, see :mod:`.diff_hash`.)
Columns whose types differ are compared in a common type (or as text); cells of floating-point
columns are equal when ``|a - b| <= atol + rtol * |b|``, and NaN equals NaN.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .diff_json import json_value

_U = np.uint64
RUNS = 1024  # keys in at most this many ascending runs are matched by a stable sort


def align(name: str, ca: Any, cb: Any) -> tuple[Any, Any, str | None]:
    """Both columns in one type; raises ValueError when there is none."""
    import pyarrow as pa

    if ca.type == cb.type:
        return ca, cb, None
    try:
        unified = pa.unify_schemas(
            [pa.schema([pa.field(name, ca.type)]), pa.schema([pa.field(name, cb.type)])], promote_options="permissive"
        )
        t = unified.field(0).type
        return ca.cast(t), cb.cast(t), None
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        pass
    try:
        note = f"column {name!r} is {ca.type} before and {cb.type} after; its cells were compared as text"
        return ca.cast(pa.string()), cb.cast(pa.string()), note
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        raise ValueError(f"{ca.type} before and {cb.type} after cannot be compared") from None


def _as_int64(col: Any) -> Any:
    """The column as int64 numbers when its type is integer-like and it has no nulls, else None."""
    import pyarrow as pa

    t = col.type
    if col.null_count or not (pa.types.is_integer(t) or pa.types.is_boolean(t) or pa.types.is_temporal(t)):
        return None
    for path in ((pa.int64(),), (pa.int32(), pa.int64())):
        try:
            out = col
            for step in path:
                out = out.cast(step)
            return np.asarray(out.to_numpy(), dtype=np.int64)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            continue
    return None


def as_text(col: Any) -> Any:
    import json

    import pyarrow as pa

    return pa.chunked_array([pa.array([None if v is None else json.dumps(json_value(v)) for v in col.to_pylist()])])


def _dict_codes(ca: Any, cb: Any) -> tuple[Any, Any, int]:
    """Indices into one dictionary of both columns' values; null is its own code."""
    import pyarrow as pa
    import pyarrow.compute as pc

    both = pa.chunked_array(ca.chunks + cb.chunks, type=ca.type)
    try:
        enc = pc.dictionary_encode(both.combine_chunks())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):  # nested values
        enc = pc.dictionary_encode(as_text(both).combine_chunks())
    card = len(enc.dictionary)
    codes = np.asarray(pc.fill_null(enc.indices.cast(pa.int64()), card).to_numpy(), dtype=np.int64)
    return codes[: len(ca)], codes[len(ca) :], card + 1


def _dense(xa: Any, xb: Any) -> tuple[Any, Any, int]:
    import pandas as pd

    codes, uniques = pd.factorize(np.concatenate([xa, xb]))
    return codes[: len(xa)], codes[len(xa) :], len(uniques)


def key_codes(cols_a: list[Any], cols_b: list[Any]) -> tuple[Any, Any]:
    """Exact int64 codes of the key on each side: equal codes <=> equal keys."""
    ka: Any = None
    kb: Any = None
    card = 0
    for ca, cb in zip(cols_a, cols_b, strict=True):
        xa, xb = _as_int64(ca), _as_int64(cb)
        if xa is not None and xb is not None:
            if len(cols_a) == 1:
                return xa, xb
            xa, xb, n = _dense(xa, xb)
        else:
            xa, xb, n = _dict_codes(ca, cb)
        if ka is None:
            ka, kb, card = xa, xb, n
            continue
        if card * n >= 1 << 62:
            ka, kb, card = _dense(ka, kb)
        ka, kb, card = ka * n + xa, kb * n + xb, card * n
    return ka, kb


def _duplicates(k: Any) -> Any:
    """Row indices of keys that occur more than once."""
    import pandas as pd

    return np.flatnonzero(pd.Index(k).duplicated(keep=False))


def match(ka: Any, kb: Any) -> tuple[Any, Any, Any]:
    """For each row of b, the row of a with the same key (-1 if none); and a's and b's duplicate rows."""
    na, nb = len(ka), len(kb)
    none = np.empty(0, np.int64)
    if na == 0 or nb == 0:
        return np.full(nb, -1, np.int64), _duplicates(ka), _duplicates(kb)
    if bool(np.all(ka[1:] > ka[:-1])) and bool(np.all(kb[1:] > kb[:-1])):  # sorted and unique
        p = np.searchsorted(ka, kb)
        np.minimum(p, na - 1, out=p)
        p[ka[p] != kb] = -1
        return p, none, none
    lo, hi = int(min(ka.min(), kb.min())), int(max(ka.max(), kb.max()))
    if hi - lo <= 4 * (na + nb) + 1024:  # dense keys: a position array
        ra, rb = ka - lo, kb - lo
        da, db = np.bincount(ra) > 1, np.bincount(rb) > 1
        if da.any() or db.any():
            return none, np.flatnonzero(da[ra]), np.flatnonzero(db[rb])
        pos = np.full(hi - lo + 1, -1, np.int64)
        pos[ra] = np.arange(na)
        return pos[rb], none, none
    if _runs(ka) > RUNS or _runs(kb) > RUNS:  # keys in no particular order: a hash index
        import pandas as pd

        index = pd.Index(ka)
        if not index.is_unique or not pd.Index(kb).is_unique:
            return none, _duplicates(ka), _duplicates(kb)
        return np.asarray(index.get_indexer(kb), dtype=np.int64), none, none
    # keys in a few ascending runs (parts, appended rows, hash buckets): a stable sort merges them
    oa, ob = np.argsort(ka, kind="stable"), np.argsort(kb, kind="stable")
    sa, sb = ka[oa], kb[ob]
    dup_a, dup_b = _sorted_duplicates(sa, oa), _sorted_duplicates(sb, ob)
    if len(dup_a) or len(dup_b):
        return none, dup_a, dup_b
    p = np.searchsorted(sa, sb)
    np.minimum(p, na - 1, out=p)
    ia = np.empty(nb, np.int64)
    ia[ob] = np.where(sa[p] == sb, oa[p], -1)
    return ia, none, none


def _runs(k: Any) -> int:
    """How many ascending runs the keys come in."""
    return int(np.count_nonzero(k[1:] < k[:-1])) + 1


def _sorted_duplicates(s: Any, order: Any) -> Any:
    """Rows (ascending) whose key occurs more than once, from the sorted keys ``s = k[order]``."""
    eq = s[1:] == s[:-1]
    if not eq.any():
        return np.empty(0, np.int64)
    mark = np.zeros(len(s), bool)
    mark[1:] |= eq
    mark[:-1] |= eq
    return np.sort(order[mark])


def equal_cells(a: Any, b: Any, atol: float, rtol: float) -> Any:
    """Element-wise equality of two aligned columns as a numpy bool array (null equals null)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if pa.types.is_floating(a.type):
        av = np.asarray(a.cast(pa.float64()).to_numpy(), dtype=np.float64)
        bv = np.asarray(b.cast(pa.float64()).to_numpy(), dtype=np.float64)
        with np.errstate(invalid="ignore", over="ignore"):
            eq = (av == bv) | (np.isnan(av) & np.isnan(bv))
            if atol or rtol:
                eq |= np.abs(av - bv) <= atol + rtol * np.abs(bv)
        if a.null_count or b.null_count:
            an, bn = _nulls(a), _nulls(b)
            eq = np.where(an | bn, an & bn, eq)
        return eq
    try:
        res = pc.fill_null(pc.equal(a, b), False)
    except (pa.ArrowNotImplementedError, pa.ArrowInvalid):  # nested types: compare as Python values
        return np.fromiter(
            (x == y for x, y in zip(a.to_pylist(), b.to_pylist(), strict=True)), dtype=bool, count=len(a)
        )
    eq = np.asarray(res.to_numpy(), dtype=bool)
    if a.null_count or b.null_count:
        eq |= _nulls(a) & _nulls(b)
    return eq


def _nulls(col: Any) -> Any:
    return np.asarray(col.is_null().to_numpy(), dtype=bool)
