"""``gc``: delete the chunks and manifests no version, tag or run needs; sweep stale temp files.

Safe with concurrent writers: gc holds the store lock (:mod:`locks`) exclusively from its first
look at the roots to its last deletion, and every add holds it shared from its start to its
commit, so a chunk that an add found in the store (and so did not write) is never deleted before
the add's ref points at it. Roots and their contract with run records: :mod:`reachable`.

Deletion order makes a kill at any point harmless: stat-cache rows naming a chunk that is not
kept are forgotten first (otherwise an unchanged file would be "added" from chunks that are
gone), then chunks, manifests and cached copies go. Nothing a root needs is touched, so the
store verifies after a kill, and the next gc finishes the job.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import StorageError
from .locks import store_lock
from .objects import ObjectStore
from .reachable import reachable

if TYPE_CHECKING:
    from .repo import Repo

TEMP_AGE = 3600.0  # a temp file this old belongs to a process that died
TEMP_DIRS = ("objects", "manifests", "refs", "cache", "runs")


@dataclass(frozen=True)
class GCResult:
    dry_run: bool
    chunks: int
    chunk_bytes: int
    manifests: int
    cache_entries: int
    temp_files: int
    kept_chunks: int
    kept_manifests: int


def size_of(path: Path) -> int:
    try:
        return os.lstat(path).st_size
    except FileNotFoundError:
        return 0


def _is_old(path: Path, now: float) -> bool:
    try:
        return now - os.lstat(path).st_mtime > TEMP_AGE
    except FileNotFoundError:
        return False


def stale_temps(repo: Repo, now: float) -> list[Path]:
    """``.tmp-*`` files older than an hour in the store, and old staging folders in ``tmp/``."""
    out: list[Path] = []
    for sub in TEMP_DIRS:
        for folder, _, files in os.walk(repo.dir / sub):
            out.extend(p for name in files if name.startswith(".tmp-") and _is_old(p := Path(folder, name), now))
    tmp = repo.dir / "tmp"
    if tmp.is_dir():
        out.extend(p for p in tmp.iterdir() if _is_old(p, now))
    return out


def stale_cache(repo: Repo, file_hashes: set[str], manifests: set[str]) -> list[Path]:
    """Cached read-only copies of files and trees that no kept manifest needs."""
    out: list[Path] = []
    for sub, keep in (("files", file_hashes), ("trees", manifests)):
        folder = repo.dir / "cache" / sub
        if folder.is_dir():
            out.extend(p for p in folder.iterdir() if p.name not in keep and not p.name.startswith(".tmp-"))
    return out


def forget_stat_entries(repo: Repo, kept_chunks: set[str]) -> None:
    """Drop stat-cache rows naming a chunk that is not kept (they would let an add skip re-storing it)."""
    rows = repo.statcache.lookup_prefix("")
    stale = [path for path, (_, _, entry) in rows.items() if any(oid not in kept_chunks for oid, _ in entry.chunks)]
    if stale:
        repo.statcache.forget(stale)


def remove_objects(store: ObjectStore, oids: Iterable[str]) -> None:
    for oid in oids:
        try:
            store.remove(oid)
        except OSError as err:
            raise StorageError.from_os_error(err, f"removing object {oid}") from err


def remove_paths(paths: Iterable[Path]) -> None:
    for path in paths:
        try:
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                os.unlink(path)
        except FileNotFoundError:
            pass
        except OSError as err:
            raise StorageError.from_os_error(err, f"removing {path}") from err


def gc(repo: Repo, *, dry_run: bool = False, timeout: float | None = None) -> GCResult:
    """Delete unreachable chunks, manifests and cached copies (``dry_run``: only count them)."""
    with store_lock(repo.dir, exclusive=True, timeout=timeout, what="gc"):
        keep = reachable(repo, "gc")
        all_chunks, all_manifests = list(repo.objects.iter_oids()), list(repo.manifests.iter_oids())
        chunks = [oid for oid in all_chunks if oid not in keep.chunks]
        manifests = [mid for mid in all_manifests if mid not in keep.manifests]
        cache = stale_cache(repo, keep.file_hashes, keep.manifests)
        temps = stale_temps(repo, time.time())
        size = sum(size_of(repo.objects.path(oid)) for oid in chunks)
        if not dry_run:
            forget_stat_entries(repo, keep.chunks)
            remove_objects(repo.objects, chunks)
            remove_objects(repo.manifests, manifests)
            remove_paths([*cache, *temps])
    kept = (len(all_chunks) - len(chunks), len(all_manifests) - len(manifests))
    result = GCResult(dry_run, len(chunks), size, len(manifests), len(cache), len(temps), *kept)
    if not dry_run:
        repo.audit("gc", chunks=len(chunks), bytes=size, manifests=len(manifests), cache=len(cache), temp=len(temps))
    return result
