"""``push`` and ``pull``: versions between the local store and a remote.

Push writes in the order that keeps the remote consistent at every moment: chunks, then
manifests, then refs -- each ref by exclusive create, so it takes a number nobody else holds. Only
when every ref is on the remote are the local refs merged with the remote's (renumbered, see
:mod:`.remote_refs`), so a push that fails leaves the local store as it was and the remote
without any ref to a missing object; running it again sends only what is still missing.

Pull reads refs, then the manifests of the versions asked for, then only the chunks those
versions need and the store lacks, each verified as it arrives.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from .append import append_base, appended_paths, apply_append
from .errors import RemoteError, VersionPurged
from .manifest import Manifest
from .refs import Version
from .remote_refs import (
    identity,
    local_versions,
    merge_into_local,
    pull_tags,
    push_tags,
    read_remote_refs,
    remote_datasets,
    version_bytes,
)
from .revision import parse_rev
from .tombstones import is_purged
from .transfer import download, missing_on_remote, require, upload

if TYPE_CHECKING:
    from .jobs import Job
    from .remote_fs import RemoteFS
    from .repo import Repo

CLAIM_ATTEMPTS = 50


@dataclass
class SyncResult:
    remote: str
    versions: list[Version] = field(default_factory=list)  # pushed (as numbered on the remote) or pulled
    renumbered: list[tuple[str, int, int]] = field(default_factory=list)  # (dataset, local number, new number)
    objects: int = 0
    bytes: int = 0
    notices: list[str] = field(default_factory=list)


def _manifest(repo: Repo, remote: RemoteFS, version: Version) -> Manifest:
    require(remote, repo.manifests, "manifests", version.manifest, f"{version.ref}")
    return repo.manifest(version)  # raises VersionPurged for a purged version


def push(repo: Repo, remote: RemoteFS, target: str | None, job: Job) -> SyncResult:
    result = SyncResult(remote.name)
    job.set_phase("comparing")
    remote.check()
    spec = parse_rev(target) if target else None
    names = [spec.name] if spec else repo.refs.datasets()
    plans: list[tuple[str, dict[int, Version], list[Version]]] = []
    for name in names:
        upto = repo.resolve(spec).number if spec is not None else None
        remote_refs = read_remote_refs(repo, remote, name)
        ids = {identity(v) for v in remote_refs.values()}
        local = local_versions(repo, name)
        todo = [v for n, v in sorted(local.items()) if identity(v) not in ids and (upto is None or n <= upto)]
        plans.append((name, remote_refs, todo))
    _push_data(repo, remote, plans, job, result)
    job.set_phase("publishing")
    for name, remote_refs, todo in plans:
        if todo:
            _publish(repo, remote, name, remote_refs, todo, job, result)
            for old, new in merge_into_local(repo, name, remote_refs).items():
                result.renumbered.append((name, old, new))
        push_tags(repo, remote, name, remote_refs)
    return result


def _push_data(
    repo: Repo, remote: RemoteFS, plans: list[tuple[str, dict[int, Version], list[Version]]], job: Job, r: SyncResult
) -> None:
    """Chunks, then manifests, of every version about to be published; only what the remote lacks."""
    sizes: dict[str, int] = {}
    manifests: set[str] = set()
    known: set[str] = set()  # chunks the remote surely has: those of versions already on it
    for name, remote_refs, todo in plans:
        local = local_versions(repo, name)
        by_id = {identity(v) for v in remote_refs.values()}
        on_remote = [v for v in local.values() if identity(v) in by_id]
        bases = {v.parent for v in todo} | ({max(on_remote, key=lambda v: v.number).number} if on_remote else set())
        for v in on_remote:
            if v.number in bases and repo.manifests.has(v.manifest):
                known |= repo.manifest(v).chunk_ids
        for v in list(todo):
            try:
                files = repo.manifest(v).files
            except VersionPurged:
                todo.remove(v)  # its bytes are gone on purpose: it stays a local version, unpublished
                r.notices.append(f"not pushing {v.ref}: it was purged")
                continue
            manifests.add(v.manifest)
            for f in files:
                sizes.update(f.chunks)
    job.set_phase("comparing")
    missing = missing_on_remote(remote, "objects", set(sizes) - known, job)
    missing_manifests = missing_on_remote(remote, "manifests", manifests, job)
    total = sum(sizes[o] for o in missing) + sum(len(repo.manifests.get(m)) for m in missing_manifests)
    job.set_totals(total, len(missing) + len(missing_manifests))
    job.set_phase("uploading")
    r.bytes += upload(remote, repo.objects, "objects", missing, job)
    r.bytes += upload(remote, repo.manifests, "manifests", missing_manifests, job)
    r.objects += len(missing) + len(missing_manifests)
    remote.flush()  # chunks and manifests are durable before the first ref names them


def _publish(
    repo: Repo,
    remote: RemoteFS,
    name: str,
    remote_refs: dict[int, Version],
    todo: list[Version],
    job: Job,
    r: SyncResult,
) -> None:
    """Give each version in ``todo`` the remote's next number (exclusive create), in order."""
    local = local_versions(repo, name)
    placed: dict[int, int] = {}
    for v in todo:
        for _ in range(CLAIM_ATTEMPTS):
            job.check_cancel()
            ids = {identity(rv): n for n, rv in remote_refs.items()}
            if identity(v) in ids:  # published meanwhile by a second push of this same store
                placed[v.number] = ids[identity(v)]
                break
            top = max(remote_refs, default=0)
            doc = replace(v, parent=_parent(v, local, placed, ids))
            base = append_base(v)
            if base is not None and top and remote_refs[top].manifest != base:
                doc = _reapply(repo, remote, doc, remote_refs[top])
            doc = replace(doc, number=top + 1, parent=top if base is not None and top else doc.parent)
            if remote.create(f"refs/{name}/v{top + 1}.json", version_bytes(doc)):
                remote_refs[top + 1] = doc
                placed[v.number] = top + 1
                r.versions.append(doc)
                break
            r.notices.append(f"{name}@v{top + 1} was just taken by another writer; taking the next number")
            remote_refs.update(read_remote_refs(repo, remote, name))
        else:
            raise RemoteError(
                f"remote {remote.name!r}: gave up publishing {name}@v{v.number} after {CLAIM_ATTEMPTS} attempts:"
                " other writers kept taking the next version number (push again)"
            )


def _parent(
    v: Version, local: dict[int, Version], placed: dict[int, int], ids: dict[tuple[str, ...], int]
) -> int | None:
    if v.parent is None:
        return None
    if v.parent in placed:
        return placed[v.parent]
    parent = local.get(v.parent)
    return ids.get(identity(parent), v.parent) if parent is not None else v.parent


def _reapply(repo: Repo, remote: RemoteFS, v: Version, top: Version) -> Version:
    """Re-apply the append ``v`` on top of the remote's newest version ``top``."""
    paths = appended_paths(v) or []
    own = repo.manifest(v).by_path()
    merged, conflicts = apply_append(_manifest(repo, remote, top), [own[p] for p in paths if p in own])
    if conflicts:
        raise RemoteError(
            f"{top.ref} on remote {remote.name!r} already has {', '.join(conflicts)} with other content;"
            " rename the partition and append again"
        )
    if merged is None:
        merged = _manifest(repo, remote, top)
    data = merged.to_bytes()
    mid = repo.manifests.put_bytes(data)
    remote.put(f"manifests/{mid[:2]}/{mid[2:]}", data, mode=0o444)  # its chunks: top's, plus v's (pushed)
    meta = {
        **v.meta,
        "origin_manifest": v.meta.get("origin_manifest", v.manifest),
        "append": {"paths": paths, "base": top.manifest},
    }
    return replace(v, manifest=mid, size=merged.size, files=len(merged.files), rows=merged.rows, meta=meta)


def pull(repo: Repo, remote: RemoteFS, target: str | None, job: Job, *, all_refs: bool = False) -> SyncResult:
    """Fetch ``target`` (NAME[@REV]; default: the latest version of every dataset the local refs name)."""
    result = SyncResult(remote.name)
    job.set_phase("reading refs")
    remote.check()
    spec = parse_rev(target) if target else None
    if spec is not None:
        names = [spec.name]
    else:
        names = sorted(set(repo.refs.datasets()) | (set(remote_datasets(remote)) if all_refs else set()))
    if spec is not None or all_refs:  # without a name, the refs are what Git gave us: keep them
        for name in names:
            for old, new in merge_into_local(repo, name, read_remote_refs(repo, remote, name)).items():
                result.renumbered.append((name, old, new))
            pull_tags(repo, remote, name)
    from .purge_remote import pull_purge_records

    for name in names:  # erasures done from another clone reach this store too
        for ref in pull_purge_records(repo, remote, name):
            result.notices.append(f"{ref} was purged on the remote; its data is gone here too")
    versions = [repo.resolve(spec)] if spec is not None else [v for n in names if (v := repo.refs.latest(n))]
    if spec is None:
        versions = [v for v in versions if not is_purged(repo, v)]
    job.set_phase("reading manifests")
    needed: dict[str, int] = {}
    for v in versions:
        for f in _manifest(repo, remote, v).files:
            needed.update(f.chunks)
    todo = {oid for oid in needed if not repo.objects.has(oid)}
    job.set_totals(sum(needed[o] for o in todo), len(todo))
    job.set_phase("downloading")
    where = ", ".join(v.ref for v in versions)
    result.bytes = download(remote, repo.objects, "objects", todo, job, where=where)
    result.objects = len(todo)
    result.versions = versions
    return result
