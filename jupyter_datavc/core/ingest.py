"""``add``: scan a file, a folder or a table, store its chunks, commit one version.

Everything a user can get wrong is checked before the job starts, so bad input raises at once.
The job writes chunks, then the manifest, then the ref (the only step that makes the version
visible), so a crash or a cancel leaves unreferenced objects at worst, never half a version.
"""

from __future__ import annotations

import os
import re
import shutil
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from . import tabular
from .chunking import SMALL_FILE, Cancelled, chunk_and_store
from .errors import DataVCError, FileChanged, JobCancelled, NotATable, PathError, StorageError, UsageError
from .jobs import Job
from .locks import store_lock
from .manifest import FileEntry, Manifest
from .objects import hash_bytes, sync_filesystem
from .paths import to_repo_relative
from .refs import Version
from .revision import check_name
from .statcache import stat_key
from .tombstones import is_purged

if TYPE_CHECKING:
    from .repo import Repo

SKIP_NAMES = {".datavc", ".git", ".ipynb_checkpoints"}
DIRNAME_REL = ".datavc"
HASH_WORKERS = 4


class WorkFile(NamedTuple):  # a tuple: scans of 20,000 files make 20,000 of these
    rel: str  # path inside the dataset
    abs: str
    st: os.stat_result


def scan(target: Path, kind: str) -> list[WorkFile]:
    """The regular files of a dataset's workspace path, sorted; symlinks are refused."""
    if kind == "file":
        st = os.stat(target)
        return [WorkFile(target.name, str(target), st)]
    out: list[WorkFile] = []
    stack = [("", str(target))]
    while stack:
        prefix, folder = stack.pop()
        with os.scandir(folder) as it:
            for e in it:
                if e.name in SKIP_NAMES or e.name.startswith(".tmp-"):
                    continue
                rel = f"{prefix}{e.name}"
                if e.is_symlink():
                    raise PathError(f"{e.path} is a symlink; datavc versions regular files only")
                if e.is_dir():
                    stack.append((rel + "/", e.path))
                elif e.is_file():
                    out.append(WorkFile(rel, e.path, e.stat()))
    out.sort(key=lambda w: w.rel)
    return out


def default_name(path: Path) -> str:
    stem = path.name.split(".")[0] if path.is_file() else path.name
    name = re.sub(r"[^A-Za-z0-9_.\-]", "_", stem).lstrip("_.-")
    return name or "data"


def start_add(
    repo: Repo,
    path: str | os.PathLike[str] | None = None,
    *,
    name: str | None = None,
    message: str = "",
    table: Any = None,
    author: str | None = None,
    meta: dict[str, Any] | None = None,
) -> Job:
    """Validate, then start the background job that adds ``path`` (or ``table``) as a version."""
    if (path is None) == (table is None):
        raise UsageError("give exactly one of a path or a table to add")
    if table is not None:
        if not name:
            raise UsageError("adding a table needs a dataset name (--name)")
        check_name(name)
        arrow = tabular.as_arrow_table(table)
        if arrow is None:
            raise NotATable("the value", type(table).__name__)
        staging = repo.dir / "tmp" / uuid.uuid4().hex
        try:
            staging.mkdir(parents=True)
            target = staging / f"{name}.parquet"
            tabular.write_parquet(arrow, target)  # in the foreground: the caller may mutate the frame
        except OSError as err:
            shutil.rmtree(staging, ignore_errors=True)
            raise StorageError.from_os_error(err, f"writing table {name}") from err
        rel, kind, source = None, "file", "dataframe"
    else:
        assert path is not None
        target = Path(os.path.abspath(os.path.join(os.getcwd(), os.fspath(path))))
        rel = to_repo_relative(repo.root, target)
        if rel == DIRNAME_REL or rel.startswith(DIRNAME_REL + "/"):
            raise PathError(f"{path} is inside the store itself")
        if not target.exists():
            raise PathError(f"{path} does not exist")
        if target.is_symlink():
            raise PathError(f"{path} is a symlink; add the file it points to")
        if not os.access(target, os.R_OK):
            raise PathError(f"{path}: permission denied")
        kind = "dir" if target.is_dir() else "file"
        source = kind
        name = check_name(name) if name else default_name(target)
        staging = None
    assert name is not None
    what = f"table {name}" if table is not None else str(path)

    def run(job: Job) -> Version:
        try:  # the shared store lock from the first chunk to the ref: gc cannot take chunks we rely on
            with store_lock(repo.dir, exclusive=False, on_wait=lambda: _wait_for_gc(job), what=f"add {what}"):
                latest = repo.refs.latest(name)
                same_as = (
                    _latest_hashes(repo, latest, kind)
                    if latest is not None and latest.path == rel and not meta
                    else None
                )
                manifest = snapshot(repo, job, target, kind, rel, same_as)
                if manifest is None:  # every file unchanged since the stat cache saw it, and as in the latest version
                    assert latest is not None
                    job.info["unchanged"] = True
                    return latest
                who = author or repo.author()  # only now: it may ask git, and a no-op add needs no author
                return commit(repo, job, name, manifest, rel, source, message, who, meta or {})
        finally:
            if staging is not None:
                shutil.rmtree(staging, ignore_errors=True)

    return repo.jobs.submit("add", name, f"add {what} as {name}", run)


def _latest_hashes(repo: Repo, latest: Version, kind: str) -> dict[str, str] | None:
    """Path -> hash of ``latest`` when a no-op add may compare against it (else None: build a manifest)."""
    if is_purged(repo, latest):
        return None
    try:
        latest_kind, hashes = repo.manifest_hashes(latest)
    except DataVCError:  # unreadable or not local: the full path below says what is wrong, if anything
        return None
    return hashes if latest_kind == kind else None


def _wait_for_gc(job: Job) -> None:
    """Called while gc or purge holds the store lock: say so, and stay cancellable."""
    if job.progress.phase != "waiting for gc":
        job.set_phase("waiting for gc")
    job.check_cancel()


def snapshot(
    repo: Repo, job: Job, target: Path, kind: str, rel: str | None, same_as: dict[str, str] | None = None
) -> Manifest | None:
    """Hash and store every file of ``target``; the stat cache skips files seen unchanged.

    Returns None when every file hit the stat cache and the path -> hash map equals ``same_as``
    (the latest version's): nothing to store, and no manifest of 20,000 entries to build.
    """
    job.set_phase("scanning")
    files = scan(target, kind)
    total = sum(f.st.st_size for f in files)
    job.set_totals(total, len(files))
    repo_rel = (lambda f: f"{rel}/{f.rel}" if kind == "dir" and rel else (rel or f.rel)) if rel is not None else None
    # first the stat key and hash alone (cheap): enough to see that nothing changed
    hits, hashes, todo = _cache_hits(repo.statcache.lookup_hashes(rel) if rel is not None else {}, files, repo_rel)
    if not todo and hashes == same_as:
        job.advance(total, len(files))
        return None
    # then the chunk lists and table metadata of the hits (an entry rewritten meanwhile is a miss)
    full = repo.statcache.lookup_prefix(rel) if rel is not None else {}
    entries: dict[str, FileEntry] = {}
    for f in hits:
        assert repo_rel is not None
        hit = full.get(repo_rel(f))
        if hit is not None and not hit[1] and hit[0] == stat_key(f.st):
            c = hit[2]
            entries[f.rel] = FileEntry(f.rel, c.size, c.hash, c.chunks, c.table)
        else:
            todo.append(f)
    job.advance(sum(f.st.st_size for f in hits if f.rel in entries), len(entries))
    job.set_phase("hashing")
    hashed_at = time.time_ns()

    def one(f: WorkFile) -> tuple[WorkFile, FileEntry]:
        job.check_cancel()
        try:
            res = chunk_and_store(
                f.abs,
                repo.objects,
                on_bytes=lambda n: job.advance(n),
                should_stop=lambda: job.cancel_requested,
                size_hint=f.st.st_size,
            )
        except Cancelled:
            raise JobCancelled(job.id) from None
        except FileNotFoundError:
            raise FileChanged(f.abs) from None
        after = os.stat(f.abs)
        if stat_key(after) != stat_key(f.st) or res.size != f.st.st_size:
            raise FileChanged(f.abs)
        fmt = tabular.format_of(f.rel)
        table = tabular.describe(f.abs, fmt) if fmt else None
        job.advance(0, 1)
        return f, FileEntry(f.rel, res.size, res.hash, res.chunks, table)

    small = [f for f in todo if f.st.st_size <= SMALL_FILE]
    large = [f for f in todo if f.st.st_size > SMALL_FILE]
    done: list[tuple[WorkFile, FileEntry]] = []
    if small:
        from concurrent.futures import ThreadPoolExecutor  # here: a no-op add needs no pool

        with ThreadPoolExecutor(HASH_WORKERS, thread_name_prefix="datavc-hash") as pool:
            futures = [pool.submit(one, f) for f in small]
            try:
                done.extend(fut.result() for fut in futures)
            except BaseException:
                job.cancel()  # stop the other workers early
                raise
    done.extend(one(f) for f in large)
    for f, e in done:
        entries[f.rel] = e
    if repo_rel is not None and done:
        repo.statcache.store([(repo_rel(f), f.st, e) for f, e in done], hashed_at)
    return Manifest(kind, tuple(entries[f.rel] for f in files))


def _cache_hits(
    cached: dict[str, tuple[tuple[int, int, int], bool, str]], files: list[WorkFile], repo_rel: Any
) -> tuple[list[WorkFile], dict[str, str], list[WorkFile]]:
    """The files whose stat matches a settled cache entry, their path -> hash, and the other files."""
    hits: list[WorkFile] = []
    hashes: dict[str, str] = {}
    todo: list[WorkFile] = []
    for f in files:  # 20,000 files in a no-op add: the per-file steps are inlined
        hit = cached.get(repo_rel(f)) if repo_rel is not None else None
        st = f.st
        if hit is not None and not hit[1] and hit[0] == (st.st_ino, st.st_size, st.st_mtime_ns):
            hits.append(f)
            hashes[f.rel] = hit[2]
        else:
            todo.append(f)
    return hits, hashes, todo


def commit(
    repo: Repo,
    job: Job | None,
    name: str,
    manifest: Manifest,
    path: str | None,
    source: str,
    message: str,
    author: str,
    meta: dict[str, Any],
) -> Version:
    """Write the manifest, then the ref. Unchanged content returns the latest version as is."""
    if job is not None:
        job.check_cancel()
        job.set_phase("committing")
    data = manifest.to_bytes()
    mid = hash_bytes(data)
    latest = repo.refs.latest(name)
    unchanged = latest is not None and latest.manifest == mid and latest.path == path and not meta
    if latest is not None and unchanged and not is_purged(repo, latest):
        if job is not None:
            job.info["unchanged"] = True
        return latest
    if repo.fsync:
        sync_filesystem(repo.objects.root.parent)
    repo.manifests.put(mid, data)
    draft = Version(
        dataset=name,
        number=0,
        manifest=mid,
        parent=None,
        message=message,
        author=author,
        time=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        path=path,
        source=source,
        size=manifest.size,
        files=len(manifest.files),
        rows=manifest.rows,
        meta=meta,
    )
    version = repo.refs.create_version(draft)
    repo.audit("add", by=author, dataset=name, version=version.number, manifest=mid, path=path, source=source)
    return version
