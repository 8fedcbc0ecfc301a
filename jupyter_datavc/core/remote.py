"""Remotes: their configuration, push/pull as background jobs, and fetching objects on demand.

``.datavc/config.json`` (meant for Git, so no secrets in it)::

    "remotes": {"origin": "s3://team-bucket/datavc"},   # any fsspec URL, or a local path
    "default_remote": "origin",
    "storage_options": {"origin": {"endpoint_url": "https://..."}},   # passed to fsspec
    "exclusive_create": {"origin": "lease"}                          # rarely needed, see remote_fs

Credentials come the fsspec way (environment variables, profiles, instance roles, or
``storage_options``). A store with a default remote fetches the chunks and manifests it lacks
from it when a version is read (:class:`LazyFetch`, the ``fetch`` hook of ``ObjectStore``).
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from filelock import FileLock

from .errors import DataVCError, RemoteError, UsageError, WorkspaceConflict, _suggest
from .locks import store_lock
from .manifest import Manifest
from .objects import ObjectStore, write_atomic
from .refs import Version
from .remote_fs import RemoteFS
from .revision import check_name, parse_rev
from .sync import SyncResult
from .transfer import fetch_one

if TYPE_CHECKING:
    from .jobs import Job
    from .repo import Repo


# -- configuration ------------------------------------------------------------------------------
def remotes(repo: Repo) -> dict[str, str]:
    found = repo.config.get("remotes") or {}
    return {str(k): str(v) for k, v in found.items()} if isinstance(found, dict) else {}


def default_remote(repo: Repo) -> str | None:
    known = remotes(repo)
    name = repo.config.get("default_remote")
    if isinstance(name, str) and name in known:
        return name
    return next(iter(known)) if len(known) == 1 else None


def _update_config(repo: Repo, change: Callable[[dict[str, Any]], None]) -> None:
    path = repo.dir / "config.json"
    (repo.dir / "locks").mkdir(parents=True, exist_ok=True)
    with FileLock(str(repo.dir / "locks" / "config.lock")):
        try:
            doc = json.loads(path.read_bytes())
        except FileNotFoundError:
            doc = {"format": "datavc.config", "version": 1}
        change(doc)
        write_atomic(path, json.dumps(doc, indent=1, sort_keys=True).encode() + b"\n", fsync=True)
    repo.config = doc
    attach_lazy_fetch(repo)


def _check_url(url: str) -> None:
    import fsspec

    protocol, _ = fsspec.core.split_protocol(url)
    try:
        fsspec.get_filesystem_class(protocol or "file")
    except (ImportError, ValueError) as err:
        raise RemoteError(f"cannot use {url}: {str(err).splitlines()[0]}") from None


def add_remote(
    repo: Repo, name: str, url: str, *, default: bool = False, options: dict[str, Any] | None = None
) -> None:
    check_name(name, "remote name")
    if not url:
        raise UsageError("remote add needs a URL (s3://bucket/path, gs://, az://, file:///path, memory://...)")
    _check_url(url)
    if name in remotes(repo) and remotes(repo)[name] != url:
        raise UsageError(f"remote {name!r} already points at {remotes(repo)[name]} (remove it first)")

    def change(doc: dict[str, Any]) -> None:
        doc.setdefault("remotes", {})[name] = url
        if options:
            doc.setdefault("storage_options", {})[name] = options
        if default or not doc.get("default_remote"):
            doc["default_remote"] = name

    _update_config(repo, change)


def remove_remote(repo: Repo, name: str) -> None:
    if name not in remotes(repo):
        raise UsageError(f"unknown remote {name!r}{_suggest(name, remotes(repo))}")

    def change(doc: dict[str, Any]) -> None:
        for key in ("remotes", "storage_options", "exclusive_create"):
            if isinstance(doc.get(key), dict):
                doc[key].pop(name, None)
        if doc.get("default_remote") == name:
            doc.pop("default_remote")

    _update_config(repo, change)


def open_remote(repo: Repo, name: str | None = None) -> RemoteFS:
    known = remotes(repo)
    name = name or default_remote(repo)
    if name is None:
        hint = "datavc remote add NAME URL" if not known else f"give --remote ({', '.join(known)})"
        raise RemoteError(f"no default remote: {hint}")
    if name not in known:
        raise RemoteError(f"unknown remote {name!r}{_suggest(name, known)}")
    url = known[name]
    if "://" not in url and not os.path.isabs(url):
        url = str(repo.root / url)  # a relative path in config.json is relative to the project
    options = (repo.config.get("storage_options") or {}).get(name) or {}
    create = (repo.config.get("exclusive_create") or {}).get(name)
    return RemoteFS(name, url, dict(options), create)


# -- push and pull ----------------------------------------------------------------------------
def start_push(repo: Repo, target: str | None = None, *, remote: str | None = None) -> Job:
    from .sync import push as push_versions

    if target:
        repo.resolve(target)  # an unknown dataset or revision fails here, before the job starts
    fs = open_remote(repo, remote)

    def run(job: Job) -> SyncResult:
        result = push_versions(repo, fs, target, job)
        if result.versions:
            repo.audit("push", remote=fs.name, url=fs.url, versions=[v.ref for v in result.versions])
        return result

    dataset = parse_rev(target).name if target else "*"
    return repo.jobs.submit("push", dataset, f"push {target or 'every dataset'} to {fs.name}", run)


def push(repo: Repo, target: str | None = None, *, remote: str | None = None) -> SyncResult:
    result: SyncResult = start_push(repo, target, remote=remote).wait()
    return result


def start_pull(repo: Repo, target: str | None = None, *, remote: str | None = None, all_refs: bool = False) -> Job:
    from .sync import pull as pull_versions

    if target:
        parse_rev(target)
    fs = open_remote(repo, remote)

    def run(job: Job) -> SyncResult:
        with store_lock(repo.dir, exclusive=False, on_wait=job.check_cancel, what="pull"):
            result = pull_versions(repo, fs, target, job, all_refs=all_refs)
        repo.audit("pull", remote=fs.name, url=fs.url, versions=[v.ref for v in result.versions])
        return result

    dataset = parse_rev(target).name if target else "*"
    return repo.jobs.submit("pull", dataset, f"pull {target or 'every dataset'} from {fs.name}", run)


def pull(
    repo: Repo,
    target: str | None = None,
    *,
    remote: str | None = None,
    checkout: bool = True,
    all_refs: bool = False,
    force: bool = False,
) -> SyncResult:
    """Fetch ``target``'s data, then (``checkout``) restore its files at their workspace paths."""
    result: SyncResult = start_pull(repo, target, remote=remote, all_refs=all_refs).wait()
    if checkout:
        for v in result.versions:
            if v.path is not None:
                restore(repo, v, force)
    return result


def restore(repo: Repo, version: Version, force: bool = False) -> Any:
    """Check ``version`` out; files whose content some version of this store holds may be replaced.

    After ``git checkout`` of an older commit the workspace still holds the newer data, which no
    ref names any more; it is in the store, though, so overwriting it loses nothing.
    """
    try:
        return repo.checkout(f"{version.dataset}@v{version.number}", force=force)
    except WorkspaceConflict as conflict:
        if not _in_store(repo, version, conflict.files):
            raise
        return repo.checkout(f"{version.dataset}@v{version.number}", force=True)


def _in_store(repo: Repo, version: Version, files: list[str]) -> bool:
    import xxhash

    base = repo.root / version.path if version.path else repo.root
    manifest = repo.manifest(version)
    hashes = set()
    for rel in files:
        path = base if manifest.kind == "file" else base / rel
        h = xxhash.xxh3_128()
        with open(path, "rb") as f:
            while piece := f.read(16 << 20):
                h.update(piece)
        hashes.add(h.hexdigest())
    known: set[str] = set()
    for oid in repo.manifests.iter_oids():
        try:
            known |= {f.hash for f in Manifest.from_bytes(repo.manifests.get(oid)).files}
        except DataVCError:
            continue
        if hashes <= known:
            return True
    return False


# -- lazy fetch -------------------------------------------------------------------------------
class _Opener:
    """Opens the remote on first use, once, for both object kinds."""

    def __init__(self, repo: Repo, name: str) -> None:
        self.repo = repo
        self.name = name
        self.fs: RemoteFS | None = None
        self.lock = threading.Lock()

    def __call__(self) -> RemoteFS:
        with self.lock:
            if self.fs is None:
                self.fs = open_remote(self.repo, self.name)
            return self.fs


class LazyFetch:
    """``ObjectStore.fetch``: get a missing object from the default remote, check it, keep it."""

    def __init__(self, opener: _Opener, store: ObjectStore, kind: str) -> None:
        self.remote = opener
        self.store = store
        self.kind = kind

    def __call__(self, oid: str) -> bool:
        return fetch_one(self.remote(), self.store, self.kind, oid) is not None


def attach_lazy_fetch(repo: Repo) -> None:
    name = default_remote(repo)
    if name is None:
        repo.objects.fetch = repo.manifests.fetch = None
        return
    opener = _Opener(repo, name)
    repo.objects.fetch = LazyFetch(opener, repo.objects, "objects")
    repo.manifests.fetch = LazyFetch(opener, repo.manifests, "manifests")
