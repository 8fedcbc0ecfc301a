"""The workspace side: ``status`` (what changed since the latest version) and ``checkout``."""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import PathError, StorageError, UnsafePath, UsageError, WorkspaceConflict
from .ingest import WorkFile, scan
from .jobs import read_job_files
from .locks import store_lock
from .manifest import FileEntry, Manifest
from .objects import hash_file
from .paths import join_all_inside, join_inside, to_repo_relative
from .reading import write_entry
from .refs import Version
from .revision import parse_rev
from .tombstones import ensure_not_purged, is_purged

if TYPE_CHECKING:
    from .repo import Repo

WRITE_WORKERS = 4


@dataclass(frozen=True)
class DatasetStatus:
    name: str
    path: str | None
    version: str
    state: str  # clean | modified | missing | table
    new: list[str] = field(default_factory=list)
    modified: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class StatusReport:
    datasets: list[DatasetStatus]
    jobs: list[dict[str, Any]]


@dataclass(frozen=True)
class CheckoutResult:
    version: Version
    target: Path
    written: list[str]
    removed: list[str]
    unchanged: int


def current_hashes(repo: Repo, files: list[WorkFile], rel_of: Any) -> dict[str, str]:
    """Content hash of each workspace file: from the stat cache when its stat is unchanged."""
    if rel_of is None:
        return {f.rel: hash_file(f.abs) for f in files}
    cached = repo.statcache.lookup_hashes(rel_of(None))
    out: dict[str, str] = {}
    for f in files:  # 20,000 files in a status: the per-file steps are inlined
        hit = cached.get(rel_of(f))
        st = f.st
        if hit is not None and not hit[1] and hit[0] == (st.st_ino, st.st_size, st.st_mtime_ns):
            out[f.rel] = hit[2]
        else:
            out[f.rel] = hash_file(f.abs)
    return out


def _workspace(repo: Repo, base: Path, kind: str) -> list[WorkFile]:
    if kind == "file":
        if base.is_dir():
            raise PathError(f"{base} is a folder, but this dataset is one file")
        return scan(base, "file") if base.exists() else []
    if base.exists() and not base.is_dir():
        raise PathError(f"{base} is a file, but this dataset is a folder")
    return scan(base, "dir") if base.exists() else []


def _rel_of(repo: Repo, base: Path, kind: str) -> Any:
    try:
        prefix = to_repo_relative(repo.root, base)
    except PathError:
        return None
    if kind == "file":
        return lambda f: prefix
    return lambda f: prefix if f is None else (f"{prefix}/{f.rel}" if prefix else f.rel)


def status(repo: Repo) -> StatusReport:
    out = []
    for name in repo.refs.datasets():
        latest = repo.refs.latest(name)
        assert latest is not None
        if latest.path is None:
            out.append(DatasetStatus(name, None, latest.ref, "table"))
            continue
        if is_purged(repo, latest):
            out.append(DatasetStatus(name, latest.path, latest.ref, "purged"))
            continue
        kind, want = repo.manifest_hashes(latest)
        base = repo.root / latest.path if latest.path else repo.root
        if not base.exists():
            out.append(DatasetStatus(name, latest.path, latest.ref, "missing"))
            continue
        files = _workspace(repo, base, kind)
        have = current_hashes(repo, files, _rel_of(repo, base, kind))
        if kind == "file":
            have = dict(zip([next(iter(want), base.name)], have.values()))
        new = sorted(set(have) - set(want))
        deleted = sorted(set(want) - set(have))
        modified = sorted(p for p in set(have) & set(want) if have[p] != want[p])
        state = "modified" if new or deleted or modified else "clean"
        out.append(DatasetStatus(name, latest.path, latest.ref, state, new, modified, deleted))
    return StatusReport(out, [j for j in read_job_files(repo.dir / "jobs") if j["state"] in ("queued", "running")])


def _known_hashes(repo: Repo, dataset: str) -> set[str]:
    known: set[str] = set()
    for v in repo.refs.versions(dataset):
        if not is_purged(repo, v):
            known.update(f.hash for f in repo.manifest(v).files)
    return known


def checkout(repo: Repo, rev: str, *, to: str | os.PathLike[str] | None = None, force: bool = False) -> CheckoutResult:
    """Make the workspace path (or ``to``) hold exactly ``rev``'s files.

    Only files that differ are rewritten, each through a temp file; all temp files are written
    before the first rename, so a failure (disk full) leaves the workspace as it was.
    """
    spec = parse_rev(rev)
    repo.wait_for(spec.name)
    version = repo.resolve(spec)
    manifest = repo.manifest(version)
    if to is None:
        if version.path is None:
            raise UsageError(f"{version.ref} was added from a table and has no workspace path: give --to, or load it")
        base = join_inside(repo.root, version.path) if version.path else repo.root  # refs may be hostile
        if base.is_symlink():
            raise UnsafePath(f"unsafe path: {base} is a symlink (give --to to write through it)")
    else:
        base = Path(os.path.abspath(os.fspath(to)))
        if manifest.kind == "file" and (base.is_dir() or os.fspath(to).endswith(("/", os.sep))):
            base = base / manifest.files[0].path
    from filelock import FileLock  # imported here: ``status`` needs no lock

    (repo.dir / "locks").mkdir(exist_ok=True)
    store = store_lock(repo.dir, exclusive=False, what=f"checkout of {version.ref}")  # no purge or gc meanwhile
    with store, FileLock(str(repo.dir / "locks" / f"{version.dataset}.lock")):
        ensure_not_purged(repo, version)
        result = _checkout_locked(repo, version, manifest, base, force)
    where = to_repo_relative(repo.root, base) if base.is_relative_to(repo.root) else str(base)
    details: dict[str, Any] = {"target": where, "written": len(result.written), "removed": len(result.removed)}
    repo.audit("checkout", dataset=version.dataset, version=version.number, manifest=version.manifest, **details)
    return result


def _checkout_locked(repo: Repo, version: Version, manifest: Manifest, base: Path, force: bool) -> CheckoutResult:
    files = _workspace(repo, base, manifest.kind)
    rel_of = _rel_of(repo, base, manifest.kind)
    have = current_hashes(repo, files, rel_of)
    if manifest.kind == "file":
        entry = manifest.files[0]
        have = dict(zip([entry.path], have.values()))
        targets = {entry.path: (entry, base)}
        by_rel = {entry.path: files[0]} if files else {}
    else:
        dests = join_all_inside(base, [e.path for e in manifest.files])
        targets = {e.path: (e, dest) for e, dest in zip(manifest.files, dests, strict=True)}
        by_rel = {f.rel: f for f in files}
    to_write = [(e, dest) for rel, (e, dest) in targets.items() if have.get(rel) != e.hash]
    to_remove = sorted(set(have) - set(targets))
    dirty = [rel for rel, _ in ((e.path, d) for e, d in to_write) if rel in have] + to_remove
    if dirty and not force:
        known = _known_hashes(repo, version.dataset)
        conflicts = [rel for rel in dirty if have[rel] not in known]
        if conflicts:
            raise WorkspaceConflict(version.dataset, conflicts)
    staged: list[tuple[Path, Path, os.stat_result]] = []
    try:
        staged = _stage(repo, version, to_write)
        stats = {str(dest): st for _, dest, st in staged}
        for tmp, dest, _ in staged:
            os.replace(tmp, dest)
        staged = []
        for rel in to_remove:
            os.unlink(by_rel[rel].abs)
    except OSError as err:
        raise StorageError.from_os_error(err, f"checkout of {version.ref}") from err
    finally:
        _unlink_all(staged)
    if manifest.kind == "dir":
        _prune_empty_dirs(base, {os.path.dirname(r) for r in to_remove})
    if rel_of is not None and to_write:  # the temp files' stat: a rename keeps inode, size and mtime
        repo.statcache.store(
            [(rel_of(WorkFile(e.path, str(dest), stats[str(dest)])), stats[str(dest)], e) for e, dest in to_write]
        )
    return CheckoutResult(version, base, sorted(e.path for e, _ in to_write), to_remove, len(targets) - len(to_write))


STAGE_BATCH = 64  # files per task: one hand-off per batch, not per file


def _stage(
    repo: Repo, version: Version, to_write: list[tuple[FileEntry, Path]]
) -> list[tuple[Path, Path, os.stat_result]]:
    """Write every file to a temp name beside its destination; return (temp, destination, stat) triples."""
    for parent in sorted({dest.parent for _, dest in to_write}):
        parent.mkdir(parents=True, exist_ok=True)
    prefix = f".tmp-{uuid.uuid4().hex[:8]}"

    def batch(start: int) -> list[tuple[Path, Path, os.stat_result]]:
        done = []
        try:
            for i, (entry, dest) in enumerate(to_write[start : start + STAGE_BATCH], start):
                tmp = dest.with_name(f"{prefix}-{i}-{dest.name}")
                st = write_entry(repo, entry, tmp, f"{version.ref} ({entry.path})", atomic=False)
                done.append((tmp, dest, st))
        except BaseException:
            _unlink_all(done)
            raise
        return done

    staged: list[tuple[Path, Path, os.stat_result]] = []
    from concurrent.futures import ThreadPoolExecutor  # here: status, the common command, needs no pool

    with ThreadPoolExecutor(WRITE_WORKERS, thread_name_prefix="datavc-checkout") as pool:
        futures = [pool.submit(batch, i) for i in range(0, len(to_write), STAGE_BATCH)]
        error: BaseException | None = None
        for fut in futures:
            try:
                staged.extend(fut.result())
            except BaseException as err:  # keep collecting so every temp file gets cleaned up
                error = error or err
        if error is not None:
            _unlink_all(staged)
            raise error
    return staged


def _unlink_all(staged: list[tuple[Path, Path, os.stat_result]]) -> None:
    for tmp, _, _ in staged:
        try:
            os.unlink(tmp)
        except OSError:
            pass


def _prune_empty_dirs(base: Path, rel_dirs: set[str]) -> None:
    for rel in sorted(rel_dirs, key=len, reverse=True):
        cur = base / rel if rel else base
        while cur != base and cur.is_relative_to(base):
            try:
                cur.rmdir()
            except OSError:
                break
            cur = cur.parent
