"""How much table data a row diff may hold in memory, and whether two tables fit in it."""

from __future__ import annotations

import os

from .diff_schema import TableSource

ENV = "DATAVC_DIFF_MEMORY"
EXPANSION = {"parquet": 3.0, "arrow": 1.0, "csv": 1.0, "jsonl": 1.0}  # in-memory bytes per file byte, about
_UNITS = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}


def memory_budget(explicit: int | None = None) -> int:
    """Bytes of table data a row diff may hold: ``explicit``, else ``$DATAVC_DIFF_MEMORY`` (e.g. ``512M``),
    else 2 GiB or an eighth of the machine's memory, whichever is less."""
    if explicit is not None:
        return max(1, explicit)
    size = parse_size(os.environ.get(ENV, ""))
    if size is not None:
        return size
    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    return min(2 << 30, total // 8)


def parse_size(text: str) -> int | None:
    """``512M``, ``2G``, ``1.5GiB``, ``1000000`` -> bytes; None for an empty or unreadable text."""
    text = text.strip().lower().removesuffix("ib").removesuffix("b")
    if not text:
        return None
    unit = text[-1] if text[-1] in _UNITS and not text[-1].isdigit() else ""
    try:
        size = int(float(text[: len(text) - len(unit)]) * _UNITS[unit])
    except ValueError:
        return None
    return size if size > 0 else None


def table_bytes(src: TableSource) -> int:
    """Estimated bytes of the table in memory, from the files' sizes."""
    return int(sum(e.size for e in src.entries) * EXPANSION.get(src.fmt, 1.0))


def fits(src_a: TableSource, src_b: TableSource, budget: int) -> bool:
    return table_bytes(src_a) + table_bytes(src_b) <= budget
