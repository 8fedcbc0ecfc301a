"""``purge``: erase one version's bytes for good (an erasure request), keeping its history.

What only that version holds goes: its chunks, its manifest (paths, schema, statistics) and the
cached copies made from them. Chunks another live version, tag or run still needs stay. The ref
stays (refs are immutable) and a purge record beside it says who purged the version, when and
why (:mod:`tombstones`); reading the version from then on raises :class:`VersionPurged`. The
audit log records the purge like any operation and still verifies: it holds hashes and names,
never data. Files in the workspace are the user's and are not touched.

Order, under the exclusive store lock: everything is read and the roots are computed first (an
unreadable root stops the purge before any change), then the purge record is written, then the
bytes go. A kill after the record leaves a purged version whose leftover bytes the next ``gc``
removes; a kill before it leaves the version as it was.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .errors import DataVCError, UsageError
from .gc import forget_stat_entries, remove_objects, remove_paths, size_of
from .locks import store_lock
from .manifest import Manifest
from .reachable import reachable
from .refs import Version
from .revision import parse_rev
from .tombstones import ensure_not_purged, write_record

if TYPE_CHECKING:
    from .repo import Repo


@dataclass(frozen=True)
class PurgeResult:
    version: Version
    reason: str
    author: str
    time: str
    chunks: int  # chunks removed
    bytes: int
    shared: int  # chunks of the version kept because something else needs them
    manifest_removed: bool
    remote: Any = None  # a purge_remote.RemotePurgeResult when the remote's copy was purged too


def _read_manifest(repo: Repo, version: Version) -> Manifest | None:
    """The version's manifest, or None if it is already unreadable (gc then removes what is left)."""
    try:
        data = repo.manifests.get(version.manifest, where=f"manifest of {version.ref}")
        return Manifest.from_bytes(data, where=f"manifest of {version.ref}")
    except DataVCError:
        return None


def purge(
    repo: Repo,
    rev: str,
    reason: str,
    *,
    author: str | None = None,
    timeout: float | None = None,
    remote: str | None = None,
) -> PurgeResult:
    """Remove the bytes only ``rev`` holds and mark it purged with ``reason``.

    With ``remote`` (a remote's name, or "default"), the remote's copy is purged first; if that
    fails, nothing changes here either, so the purge can simply be run again.
    """
    reason = (reason or "").strip()
    if not reason:
        raise UsageError("purge needs a reason (--reason TEXT); it is recorded with the purge")
    spec = parse_rev(rev)
    repo.wait_for(spec.name)
    author = author or repo.author()
    with store_lock(repo.dir, exclusive=True, timeout=timeout, what="purge"):
        version = repo.resolve(spec)
        ensure_not_purged(repo, version)
        manifest = _read_manifest(repo, version)
        keep = reachable(repo, "purge", exclude=(version.dataset, version.number))
        mine = manifest.chunk_ids if manifest is not None else set()
        own = sorted(mine - keep.chunks)
        own_files = {f.hash for f in manifest.files} - keep.file_hashes if manifest is not None else set()
        drop_manifest = version.manifest not in keep.manifests
        when = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        remote_result = None
        if remote is not None:
            from .purge_remote import purge_remote

            doc = {"dataset": version.dataset, "version": version.number, "manifest": version.manifest}
            doc.update(reason=reason, author=author, time=when)
            remote_result = purge_remote(repo, version, doc, None if remote == "default" else remote)
        write_record(repo, version, reason, author, when)
        forget_stat_entries(repo, keep.chunks)
        size = sum(size_of(repo.objects.path(oid)) for oid in own)
        remove_objects(repo.objects, own)
        cache = [repo.dir / "cache" / "files" / h for h in sorted(own_files)]
        if drop_manifest:
            remove_objects(repo.manifests, [version.manifest])
            cache.append(repo.dir / "cache" / "trees" / version.manifest)
        remove_paths(cache)
    result = PurgeResult(
        version, reason, author, when, len(own), size, len(mine) - len(own), drop_manifest, remote_result
    )
    repo.audit(
        "purge",
        by=author,
        dataset=version.dataset,
        version=version.number,
        manifest=version.manifest,
        reason=reason,
        chunks=len(own),
        bytes=size,
        remote=remote_result.remote if remote_result is not None else None,
    )
    return result
