"""Purge on the remote too: an erasure request covers every copy the team shares.

The remote keeps the version's ref (renumbered remotes may hold it under another number) and
gains a purge record beside it; the chunks no other live remote version needs and the manifest
are deleted. Other clones learn of the purge on their next pull (:func:`pull_purge_records`),
so loading the version there says it was purged instead of failing on a missing chunk.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .errors import DataVCError
from .manifest import Manifest
from .refs import Version
from .remote import open_remote
from .remote_fs import RemoteFS
from .remote_refs import local_versions, read_remote_refs, remote_datasets
from .tombstones import is_purged
from .transfer import key

if TYPE_CHECKING:
    from .repo import Repo

_PURGED = re.compile(r"v([0-9]+)\.purged\.json")


@dataclass
class RemotePurgeResult:
    remote: str
    numbers: list[int] = field(default_factory=list)  # the version's numbers on the remote
    chunks: int = 0
    bytes: int = 0
    manifest_removed: bool = False


def _purged_on_remote(remote: RemoteFS, name: str) -> set[int]:
    return {int(m.group(1)) for n in remote.listdir(f"refs/{name}") if (m := _PURGED.fullmatch(n))}


def _manifest(remote: RemoteFS, mid: str, where: str) -> Manifest | None:
    data = remote.get(key("manifests", mid))
    return Manifest.from_bytes(data, where=where) if data is not None else None


def purge_remote(repo: Repo, version: Version, record: dict[str, Any], remote: str | None = None) -> RemotePurgeResult:
    """Delete from the remote what only ``version`` holds there, and record the purge there."""
    fs = open_remote(repo, remote)
    result = RemotePurgeResult(fs.name)
    copies = {n: v for n, v in read_remote_refs(repo, fs, version.dataset).items() if v.manifest == version.manifest}
    if not copies:
        return result  # never pushed: nothing of it is on the remote
    result.numbers = sorted(copies)
    keep_manifests: set[str] = set()
    for name in remote_datasets(fs):
        gone = _purged_on_remote(fs, name)
        for n, v in read_remote_refs(repo, fs, name).items():
            if n not in gone and not (name == version.dataset and v.manifest == version.manifest):
                keep_manifests.add(v.manifest)
    keep_chunks: set[str] = set()
    for mid in sorted(keep_manifests):
        other = _manifest(fs, mid, f"manifest {mid} on remote {fs.name!r}")
        if other is not None:
            keep_chunks |= other.chunk_ids
    mine = _manifest(fs, version.manifest, f"manifest of {version.ref} on remote {fs.name!r}")
    own = sorted((mine.chunk_ids if mine is not None else set()) - keep_chunks)
    body = json.dumps(record, indent=1, sort_keys=True).encode() + b"\n"
    for n in result.numbers:  # the record first: a purge cut short is finished by running it again
        fs.put(f"refs/{version.dataset}/v{n}.purged.json", body)
    sizes = {oid: size for f in (mine.files if mine is not None else ()) for oid, size in f.chunks}
    for oid in own:
        fs.remove(key("objects", oid))
        result.chunks += 1
        result.bytes += sizes.get(oid, 0)
    if version.manifest not in keep_manifests:
        fs.remove(key("manifests", version.manifest))
        result.manifest_removed = True
    return result


def pull_purge_records(repo: Repo, remote: RemoteFS, name: str) -> list[str]:
    """Copy the remote's purge records of ``name`` for versions this store has (same manifest)."""
    from .tombstones import write_record

    local = local_versions(repo, name)
    done = []
    for n in sorted(_purged_on_remote(remote, name)):
        v = local.get(n)
        if v is None or is_purged(repo, v):
            continue
        try:
            doc = json.loads(remote.get(f"refs/{name}/v{n}.purged.json") or b"")
        except ValueError:
            continue
        if not isinstance(doc, dict) or doc.get("manifest") != v.manifest:
            continue
        write_record(repo, v, str(doc.get("reason", "")), str(doc.get("author", "?")), str(doc.get("time", "?")))
        done.append(v.ref)
    return done


__all__ = ["DataVCError", "RemotePurgeResult", "pull_purge_records", "purge_remote"]
