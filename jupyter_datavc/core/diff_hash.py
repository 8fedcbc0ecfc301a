"""Rows compared without a key: 64-bit row hashes and a multiset difference.

Each cell becomes a uint64 that depends only on its value, so the two sides hash in parallel
threads (numpy and Arrow release the GIL): integers and times are their int64 value, floats their
normalized bits (-0.0 is 0.0, one NaN), text and bytes a hash of their 8-byte words computed with
numpy straight from Arrow's buffers (for low-cardinality columns only the dictionary is hashed).
Everything else is first cast to text. A row hash mixes its cells with splitmix64's finalizer.
Two different rows collide with probability about 2**-63 per pair, which would hide one change.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from .diff_rows import as_text

_U = np.uint64
_GOLDEN = 0x9E3779B97F4A7C15
_NULL = _U(0x6E756C6C6E756C6C)
_MASKS = np.array([(1 << (8 * i)) - 1 for i in range(8)] + [(1 << 64) - 1], dtype=_U)  # the low i bytes
BLOCK = 1 << 20  # strings hashed per numpy pass
DENSE_WORDS = 4  # words of each value hashed in passes over the whole piece (values up to 32 bytes)
ROWS = 1 << 16  # rows hashed per piece
SURPLUS_ROWS = 1 << 20  # distinct hashes looked up per piece


def _text_types() -> tuple[Any, ...]:
    import pyarrow as pa

    t = pa.types
    return (t.is_string, t.is_large_string, t.is_binary, t.is_large_binary, t.is_string_view, t.is_binary_view)


def mix(x: Any) -> Any:
    """splitmix64's finalizer, element-wise on a uint64 array (wrap-around is intended)."""
    x = x ^ (x >> _U(30))
    x *= _U(0xBF58476D1CE4E5B9)
    x ^= x >> _U(27)
    x *= _U(0x94D049BB133111EB)
    x ^= x >> _U(31)
    return x


def _bytes_hash(arr: Any) -> Any:
    """A uint64 per value of a (large_)string/(large_)binary Array, from its bytes and length.

    Each value is cut into 8-byte words (read unaligned from Arrow's data buffer through a
    one-byte-stride view); a value's hash is the sum of its words, each mixed with its position.
    Word ``k`` of every value is gathered in one pass, over the values that are long enough, so
    short strings (the common case) take a few passes over the whole column and no per-word
    index arrays.
    """
    import pyarrow as pa

    out = np.empty(len(arr), dtype=_U)
    wide = pa.types.is_large_string(arr.type) or pa.types.is_large_binary(arr.type)
    width = 8 if wide else 4
    for start in range(0, len(arr), BLOCK):
        a = arr.slice(start, BLOCK)
        bufs = a.buffers()
        off: Any = np.frombuffer(bufs[1], dtype=f"<i{width}", count=len(a) + 1, offset=a.offset * width)
        base = int(off[0])
        padded = np.zeros(int(off[-1]) - base + 8, dtype=np.uint8)  # 8 spare bytes: reads past the end are safe
        if bufs[2] is not None:
            padded[:-8] = np.frombuffer(bufs[2], dtype=np.uint8)[base : int(off[-1])]
        words = np.ndarray((len(padded) - 7,), dtype="<u8", buffer=padded, strides=(1,))  # words[k]: bytes k..k+7
        begin = off[:-1].astype(np.int64) - base
        lens = np.diff(off).astype(np.int64)
        sums = np.zeros(len(a), dtype=_U)
        at, left, k = begin, lens.copy(), 0
        last = len(words) - 1
        while k < DENSE_WORDS and len(a):  # the first words of every value: whole-piece passes, no index sets
            live = left > 0
            if not live.any():
                break
            w = words[np.minimum(at, last)]
            w &= _MASKS[np.clip(left, 0, 8)]
            term = mix(w ^ _U(k * _GOLDEN % (1 << 64)))
            term *= live  # values already done add nothing
            sums += term
            at, left, k = at + 8, left - 8, k + 1
        act = np.flatnonzero(left > 0)  # the rest of longer values
        at, left = at[act], left[act]
        while len(act):
            w = words[at]
            short = left < 8
            if short.any():
                w[short] &= (_U(1) << (_U(8) * left[short].astype(_U))) - _U(1)
            sums[act] += mix(w ^ _U(k * _GOLDEN % (1 << 64)))
            more = left > 8
            act, at, left = act[more], at[more] + 8, left[more] - 8
            k += 1
        out[start : start + len(a)] = mix(sums ^ (lens.astype(_U) * _U(0xC2B2AE3D27D4EB4F)))
    return out


def _text_ids(col: Any) -> Any:
    import pyarrow as pa
    import pyarrow.compute as pc

    if pa.types.is_string_view(col.type) or pa.types.is_binary_view(col.type):
        col = col.cast(pa.large_string() if pa.types.is_string_view(col.type) else pa.large_binary())
    arr = col.combine_chunks()
    probe = arr.slice(0, 1 << 16)
    if len(pc.unique(probe)) * 4 < len(probe):  # few distinct values: hash the dictionary only
        enc = pc.dictionary_encode(arr)
        ids = _bytes_hash(enc.dictionary)
        codes = np.asarray(pc.fill_null(enc.indices, 0).to_numpy(), dtype=np.int64)
        return ids[codes] if len(ids) else np.zeros(len(arr), dtype=_U)
    return _bytes_hash(arr)


def cell_ids(col: Any) -> Any:
    """A uint64 per cell, equal for equal values of the same type (nulls have one of their own)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    t = col.type
    if pa.types.is_floating(t):
        v = np.asarray(col.cast(pa.float64()).to_numpy(), dtype=np.float64) + 0.0  # -0.0 -> 0.0
        v[np.isnan(v)] = np.nan  # one NaN bit pattern
        ids = mix(v.view(_U))
    elif pa.types.is_integer(t) or pa.types.is_boolean(t) or pa.types.is_temporal(t):
        as_int = col.cast(pa.int32()) if pa.types.is_date32(t) or pa.types.is_time32(t) else col
        ids = mix(np.asarray(pc.fill_null(as_int.cast(pa.int64()), 0).to_numpy(), dtype=np.int64).view(_U))
    elif any(is_text(t) for is_text in _text_types()):
        ids = _text_ids(col)
    else:
        try:
            ids = _text_ids(col.cast(pa.large_string()))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
            ids = _text_ids(as_text(col))
    if col.null_count:
        ids[np.asarray(col.is_null().to_numpy(), dtype=bool)] = _NULL
    return ids


def side_hashes(cols: list[Any], n: int) -> Any:
    """A 63-bit hash per row of the columns, computed in pieces of ``ROWS`` rows.

    Pieces keep every temporary array small (in cache, and reused by the allocator instead of
    fresh pages from the OS); low-cardinality text is dictionary-encoded piece by piece.
    """
    h = np.empty(n, dtype=_U)
    prepared = [_prepare(col) for col in cols]
    for start in range(0, n, ROWS):
        stop = min(start + ROWS, n)
        acc = np.zeros(stop - start, dtype=_U)
        for i, ids in enumerate(prepared):
            acc *= _U(_GOLDEN)
            acc += mix(ids(start, stop) ^ _U((i + 1) * _GOLDEN % (1 << 64)))
        h[start:stop] = mix(acc) >> _U(1)  # 63 bits: multiset() keeps the side in the lowest bit
    return h


def _prepare(col: Any) -> Any:
    """A function (start, stop) -> the cell ids of those rows of ``col``."""
    import pyarrow as pa
    import pyarrow.compute as pc

    t = col.type
    if any(is_text(t) for is_text in _text_types()) and len(col) > ROWS:
        if pa.types.is_string_view(t) or pa.types.is_binary_view(t):
            col = col.cast(pa.large_string() if pa.types.is_string_view(t) else pa.large_binary())
        probe = col.slice(0, 1 << 16)
        if len(pc.unique(probe)) * 4 < len(probe):  # few distinct values: hash each piece's dictionary only

            def from_dictionary(start: int, stop: int) -> Any:
                piece = col.slice(start, stop - start)
                enc = pc.dictionary_encode(piece.combine_chunks())
                ids = _bytes_hash(enc.dictionary) if len(enc.dictionary) else np.zeros(1, _U)
                out = ids[np.asarray(pc.fill_null(enc.indices, 0).to_numpy(), dtype=np.int64)]
                if piece.null_count:
                    out[np.asarray(piece.is_null().to_numpy(), dtype=bool)] = _NULL
                return out

            return from_dictionary

        def from_bytes(start: int, stop: int) -> Any:
            piece = col.slice(start, stop - start)
            out = _bytes_hash(piece.combine_chunks())
            if piece.null_count:
                out[np.asarray(piece.is_null().to_numpy(), dtype=bool)] = _NULL
            return out

        return from_bytes
    return lambda start, stop: cell_ids(col.slice(start, stop - start))


def row_hashes(cols: list[tuple[Any, Any]], na: int, nb: int) -> tuple[Any, Any]:
    """Row hashes of both sides over the same (aligned) columns, one thread per side."""
    with ThreadPoolExecutor(2, thread_name_prefix="datavc-diff-hash") as pool:
        fa = pool.submit(side_hashes, [a for a, _ in cols], na)
        fb = pool.submit(side_hashes, [b for _, b in cols], nb)
        return fa.result(), fb.result()


def _extra_rows(h: Any, keep: Any, extra_h: Any, extra_n: Any, limit: int) -> Any:
    """The first ``limit`` positions in ``h`` (where ``keep``) whose hash is in sorted ``extra_h``,
    at most ``extra_n`` of each.

    Scans ``h`` in growing pieces and stops once the sample is full, so a large table with
    changes near its start is not searched to the end.
    """
    if limit <= 0 or len(extra_h) == 0 or len(h) == 0:
        return np.empty(0, np.int64)
    found: list[Any] = []
    start, step = 0, 1 << 16
    kept = np.empty(0, np.int64)
    while start < len(h):
        piece = h[start : start + step]
        p = np.minimum(np.searchsorted(extra_h, piece), len(extra_h) - 1)
        found.append(np.flatnonzero((extra_h[p] == piece) & keep[start : start + step]) + start)
        start, step = start + step, step * 4
        idx = np.concatenate(found)
        hv = h[idx]
        order = np.argsort(hv, kind="stable")
        sv = hv[order]
        starts = np.flatnonzero(np.concatenate([[True], sv[1:] != sv[:-1]])) if len(sv) else np.empty(0, np.int64)
        rank = np.arange(len(sv)) - np.repeat(starts, np.diff(np.concatenate([starts, [len(sv)]])))
        kept = np.sort(idx[order[rank < extra_n[np.searchsorted(extra_h, sv)]]])
        if len(kept) >= limit:
            break
    return kept[:limit]


def _distinct(h: Any, keep: Any) -> tuple[Any, Any]:
    """The distinct values of ``h[keep]``, sorted, and how often each occurs (None: once each)."""
    s = h[keep]
    s.sort()
    if len(s) < 2 or not np.count_nonzero(s[1:] == s[:-1]):  # all distinct: the common case
        return s, None
    starts = np.concatenate([[0], np.flatnonzero(s[1:] != s[:-1]) + 1])
    return s[starts], np.diff(np.concatenate([starts, [len(s)]]))


def _surplus(u: Any, c: Any, other_u: Any, other_c: Any) -> tuple[Any, Any]:
    """The hashes of ``u`` (occurring ``c`` times) that occur more often than in ``other_u``, and by how much."""
    hashes: list[Any] = [np.empty(0, _U)]
    counts: list[Any] = [np.empty(0, np.int64)]
    for start in range(0, len(u), SURPLUS_ROWS):  # in pieces: small temporaries
        piece = u[start : start + SURPLUS_ROWS]
        mine = c[start : start + SURPLUS_ROWS] if c is not None else np.ones(len(piece), np.int64)
        if len(other_u):
            at = np.searchsorted(other_u, piece)
            np.minimum(at, len(other_u) - 1, out=at)
            mine = mine - np.where(other_u[at] == piece, other_c[at] if other_c is not None else 1, 0)
        more = mine > 0
        hashes.append(piece[more])
        counts.append(mine[more])
    return np.concatenate(hashes), np.concatenate(counts)


def multiset(ha: Any, hb: Any, limit: int, pos_a: Any = None, pos_b: Any = None) -> tuple[int, int, Any, Any]:
    """Rows only in b (added) and only in a (removed), duplicates counted; with samples of each.

    Rows equal at the same position pair up first; the rest are sorted and counted per distinct
    hash on each side (one thread per side), and each side's counts are looked up in the other's.
    ``pos_a``/``pos_b`` (ascending) are the rows' positions in their whole tables when ``ha`` and
    ``hb`` hold only some of the rows (one bucket of an out-of-core diff); by default 0, 1, 2, ...
    """
    empty = np.empty(0, np.int64)
    keep_a, keep_b = np.ones(len(ha), bool), np.ones(len(hb), bool)
    if pos_a is None or pos_b is None:
        if len(ha) == len(hb) and np.array_equal(ha, hb):
            return 0, 0, empty, empty
        m = min(len(ha), len(hb))
        np.not_equal(ha[:m], hb[:m], out=keep_a[:m])
        keep_b[:m] = keep_a[:m]
    else:
        _, at_a, at_b = np.intersect1d(pos_a, pos_b, assume_unique=True, return_indices=True)
        same = ha[at_a] == hb[at_b]
        keep_a[at_a[same]] = False
        keep_b[at_b[same]] = False
    with ThreadPoolExecutor(2, thread_name_prefix="datavc-diff-sort") as pool:  # np.sort releases the GIL
        runs_a, runs_b = pool.submit(_distinct, ha, keep_a), pool.submit(_distinct, hb, keep_b)
        (ua, ca), (ub, cb) = runs_a.result(), runs_b.result()
        extra_a, extra_b = pool.submit(_surplus, ua, ca, ub, cb), pool.submit(_surplus, ub, cb, ua, ca)
        (xa, na), (xb, nb) = extra_a.result(), extra_b.result()  # hashes beyond the other side's count
    sample_b = _extra_rows(hb, keep_b, xb, nb, limit)
    sample_a = _extra_rows(ha, keep_a, xa, na, limit)
    return int(nb.sum()), int(na.sum()), sample_a, sample_b
