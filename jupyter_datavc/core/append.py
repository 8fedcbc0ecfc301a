"""``append``: add one partition file to a folder dataset as a new version.

Only the new file is read and hashed; every other entry is taken from the latest manifest. The
version records what it appended and the manifest it was appended to (``meta["append"]``), so a
push that finds someone else's newer version on the remote re-applies the append on top of it
(:func:`apply_append`) instead of replacing their partitions: appends of different partitions by
different writers all land.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import tabular
from .chunking import Cancelled, chunk_and_store
from .errors import FileChanged, JobCancelled, PathError, UnknownDataset, UsageError
from .ingest import commit
from .jobs import Job
from .locks import store_lock
from .manifest import FileEntry, Manifest
from .paths import safe_relpath, to_repo_relative
from .refs import Version
from .remote_refs import refs_lock
from .revision import check_name
from .statcache import stat_key

if TYPE_CHECKING:
    from .repo import Repo

META_KEY = "append"


def apply_append(base: Manifest, entries: list[FileEntry]) -> tuple[Manifest | None, list[str]]:
    """``base`` plus ``entries``: (the new manifest or None if nothing changed, conflicting paths)."""
    files = base.by_path()
    conflicts = [e.path for e in entries if e.path in files and files[e.path].hash != e.hash]
    new = [e for e in entries if e.path not in files]
    if conflicts or not new:
        return None, conflicts
    files.update((e.path, e) for e in new)
    return Manifest("dir", tuple(files[p] for p in sorted(files)), base.meta), []


def appended_paths(version: Version) -> list[str] | None:
    """The partitions ``version`` appended, or None if it is not an append."""
    info = version.meta.get(META_KEY) if isinstance(version.meta, dict) else None
    if not isinstance(info, dict) or not isinstance(info.get("paths"), list):
        return None
    return [str(p) for p in info["paths"]]


def append_base(version: Version) -> str | None:
    info = version.meta.get(META_KEY) if isinstance(version.meta, dict) else None
    return str(info["base"]) if isinstance(info, dict) and info.get("base") else None


def _partition_path(repo: Repo, latest: Version, target: Path) -> str:
    """Where the file goes inside the dataset: its path below the dataset's folder, else its name."""
    if latest.path is not None:
        folder = repo.root / latest.path if latest.path else repo.root
        try:
            return safe_relpath(target.relative_to(folder).as_posix())
        except ValueError:
            pass
    return safe_relpath(target.name)


def start_append(
    repo: Repo, name: str, path: str | os.PathLike[str], *, message: str = "", author: str | None = None
) -> Job:
    """Validate, then start the job that appends the file at ``path`` to dataset ``name``."""
    check_name(name)
    latest = repo.refs.latest(name)
    if latest is None:
        raise UnknownDataset(name, repo.refs.datasets())
    target = Path(os.path.abspath(os.fspath(path)))
    if target.is_symlink() or not target.is_file():
        raise PathError(f"{path} is not a regular file (append adds one partition file)")
    if repo.manifest(latest).kind != "dir":
        raise UsageError(f"{name} is a single-file dataset; append adds partition files to a folder dataset")
    rel = _partition_path(repo, latest, target)
    author = author or repo.author()
    try:
        repo_rel: str | None = to_repo_relative(repo.root, target)
    except PathError:
        repo_rel = None

    def run(job: Job) -> Version:
        with store_lock(repo.dir, exclusive=False, on_wait=job.check_cancel, what=f"append to {name}"):
            entry, st = _hash_partition(repo, job, target, rel)
            with refs_lock(repo, name):  # read the latest and commit on top of it, one appender at a time
                base_version = repo.refs.latest(name)
                assert base_version is not None
                merged, conflicts = apply_append(repo.manifest(base_version), [entry])
                if conflicts:
                    raise UsageError(
                        f"{base_version.ref} already has {rel} with other content; append adds new partitions"
                        " (use add to replace a file)"
                    )
                if merged is None:
                    job.info["unchanged"] = True
                    return base_version
                meta: dict[str, Any] = {META_KEY: {"paths": [rel], "base": base_version.manifest}}
                msg = message or f"append {rel}"
                version = commit(repo, job, name, merged, base_version.path, base_version.source, msg, author, meta)
        if repo_rel is not None:
            repo.statcache.store([(repo_rel, st, entry)], job.info.get("hashed_at"))
        return version

    return repo.jobs.submit("append", name, f"append {rel} to {name}", run)


def _hash_partition(repo: Repo, job: Job, target: Path, rel: str) -> tuple[FileEntry, os.stat_result]:
    st = os.stat(target)
    job.set_totals(st.st_size, 1)
    job.set_phase("hashing")
    job.info["hashed_at"] = time.time_ns()
    try:
        res = chunk_and_store(
            target,
            repo.objects,
            on_bytes=lambda n: job.advance(n),
            should_stop=lambda: job.cancel_requested,
            size_hint=st.st_size,
        )
    except Cancelled:
        raise JobCancelled(job.id) from None
    except FileNotFoundError:
        raise FileChanged(str(target)) from None
    if stat_key(os.stat(target)) != stat_key(st) or res.size != st.st_size:
        raise FileChanged(str(target))
    fmt = tabular.format_of(rel)
    job.advance(0, 1)
    return FileEntry(rel, res.size, res.hash, res.chunks, tabular.describe(target, fmt) if fmt else None), st
