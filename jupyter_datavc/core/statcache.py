"""The stat cache: (path, inode, size, mtime) -> what hashing that file gave, in SQLite.

A file whose stat matches an entry is never read again. An entry recorded while the file's
mtime was within ``RACY_NS`` of the hashing time could hide a same-size write in the same
timestamp tick, so it is trusted only after the file is re-hashed once later (as Git does).
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

from .manifest import FileEntry

RACY_NS = 1_000_000_000

_SCHEMA = """
CREATE TABLE IF NOT EXISTS files (
    path TEXT PRIMARY KEY,
    ino INTEGER, size INTEGER, mtime_ns INTEGER,
    hash TEXT, chunks TEXT, tab TEXT, racy INTEGER
)
"""


class CachedEntry:
    """What hashing a file gave; ``chunks`` and ``table`` are decoded on first use."""

    __slots__ = ("_chunks", "_table", "hash", "path", "size")

    def __init__(self, path: str, size: int, digest: str, chunks: str | None, table: str | None) -> None:
        self.path, self.size, self.hash = path, size, digest
        self._chunks: Any = chunks
        self._table: Any = table

    @property
    def chunks(self) -> tuple[tuple[str, int], ...]:
        if self._chunks is None:  # stored as NULL: the file is its one chunk (or empty)
            self._chunks = ((self.hash, self.size),) if self.size else ()
        elif isinstance(self._chunks, str):
            self._chunks = tuple((str(c[0]), int(c[1])) for c in json.loads(self._chunks))
        return self._chunks  # type: ignore[no-any-return]

    @property
    def table(self) -> dict[str, Any] | None:
        if isinstance(self._table, str):
            self._table = json.loads(self._table)
        return self._table  # type: ignore[no-any-return]


def _one_chunk(e: FileEntry) -> bool:
    return e.chunks == (((e.hash, e.size),) if e.size else ())


def stat_key(st: os.stat_result) -> tuple[int, int, int]:
    return (st.st_ino, st.st_size, st.st_mtime_ns)


class StatCache:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()

    def _db(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute(_SCHEMA)
            self._local.db = db
        return db

    def lookup_prefix(self, prefix: str) -> dict[str, tuple[tuple[int, int, int], bool, CachedEntry]]:
        """Every entry for ``prefix`` itself or below it, keyed by repo-relative path.

        Chunk lists and table metadata stay encoded until a caller reads them: ``status`` needs
        only the hash of 20,000 files, not their chunk lists.
        """
        db = self._db()
        if prefix:
            rows = db.execute(
                "SELECT * FROM files WHERE path = ? OR (path >= ? AND path < ?)",
                (prefix, prefix + "/", prefix + "0"),
            ).fetchall()
        else:
            rows = db.execute("SELECT * FROM files").fetchall()
        return {
            path: ((ino, size, mtime_ns), bool(racy), CachedEntry(path, size, digest, chunks, tab))
            for path, ino, size, mtime_ns, digest, chunks, tab, racy in rows
        }

    def lookup_hashes(self, prefix: str) -> dict[str, tuple[tuple[int, int, int], bool, str]]:
        """Like :meth:`lookup_prefix`, but only the stat key, the racy flag and the hash."""
        db = self._db()
        query = "SELECT path, ino, size, mtime_ns, racy, hash FROM files"
        if prefix:
            rows = db.execute(
                f"{query} WHERE path = ? OR (path >= ? AND path < ?)", (prefix, prefix + "/", prefix + "0")
            )
        else:
            rows = db.execute(query)
        return {path: ((ino, size, mtime_ns), bool(racy), digest) for path, ino, size, mtime_ns, racy, digest in rows}

    def store(self, items: list[tuple[str, os.stat_result, FileEntry]], hashed_at_ns: int | None = None) -> None:
        now = hashed_at_ns if hashed_at_ns is not None else time.time_ns()
        rows: list[tuple[Any, ...]] = [
            (
                path,
                st.st_ino,
                st.st_size,
                st.st_mtime_ns,
                e.hash,
                None if _one_chunk(e) else json.dumps([list(c) for c in e.chunks]),
                json.dumps(e.table) if e.table is not None else None,
                int(now - st.st_mtime_ns < RACY_NS),
            )
            for path, st, e in items
        ]
        db = self._db()
        with db:
            db.execute("BEGIN IMMEDIATE")
            db.executemany("INSERT OR REPLACE INTO files VALUES (?,?,?,?,?,?,?,?)", rows)

    def forget(self, paths: list[str]) -> None:
        """Drop the entries of ``paths`` (gc and purge: their chunks are about to go)."""
        db = self._db()
        with db:
            db.execute("BEGIN IMMEDIATE")
            db.executemany("DELETE FROM files WHERE path = ?", [(p,) for p in paths])

    def close(self) -> None:
        db = getattr(self._local, "db", None)
        if db is not None:
            db.close()
            self._local.db = None
