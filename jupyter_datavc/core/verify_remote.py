"""``verify --remote``: the remote's copy of the versions, re-read and re-hashed there.

For each version checked, the remote must hold its manifest (hashing to its name) and every
chunk the manifest lists, with the right size and hash. Every problem is listed; each distinct
object is downloaded and hashed once, several at a time.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from .errors import DataVCError
from .manifest import Manifest
from .objects import hash_bytes
from .refs import Version
from .remote import open_remote
from .remote_fs import RemoteFS
from .tombstones import purged_numbers
from .transfer import key, workers
from .verify import Problem, VerifyReport, _targets

if TYPE_CHECKING:
    from .repo import Repo


def _versions(repo: Repo, rev: str | None, all: bool) -> tuple[list[Version], list[str]]:
    names, only = _targets(repo, rev, all)
    chosen: list[Version] = []
    purged: list[str] = []
    for name in names:
        versions = repo.refs.versions(name)
        if only is not None:
            versions = [v for v in versions if v.number == only]
        elif not all:
            versions = versions[-1:]
        gone = purged_numbers(repo, name)
        purged += [v.ref for v in versions if v.number in gone]
        chosen += [v for v in versions if v.number not in gone]
    return chosen, purged


def _check_object(remote: RemoteFS, kind: str, oid: str, size: int | None) -> tuple[str, str] | None:
    data = remote.get(key(kind, oid))
    if data is None:
        return ("missing-chunk" if kind == "objects" else "dangling-ref", f"{kind[:-1]} {oid} is not on the remote")
    if size is not None and len(data) != size:
        return ("size-mismatch", f"chunk {oid} is {len(data)} bytes on the remote, not {size}")
    if hash_bytes(data) != oid:
        return ("hash-mismatch", f"{kind[:-1]} {oid} on the remote hashes to {hash_bytes(data)}")
    return None


def verify_remote(repo: Repo, rev: str | None = None, all: bool = False, remote: str | None = None) -> VerifyReport:
    """Check the remote's copies of ``rev`` (default: every dataset's latest; ``all``: every version)."""
    fs = open_remote(repo, None if remote in (None, "default") else remote)
    versions, purged = _versions(repo, rev, all)
    report = VerifyReport(purged=purged)
    place = f"remote {fs.name}"
    chunks: dict[str, tuple[int, str]] = {}  # oid -> (size, first place that needs it)
    for version in versions:
        report.versions.append(version.ref)
        where = f"{place}: {version.ref}"
        try:
            found = _check_object(fs, "manifests", version.manifest, None)
            if found is not None:
                report.problems.append(Problem(found[0], where, found[1]))
                continue
            data = fs.get(key("manifests", version.manifest)) or b""
            manifest = Manifest.from_bytes(data, where=f"manifest of {version.ref} on {place}")
        except DataVCError as err:
            report.problems.append(Problem("unreadable-manifest", where, str(err)))
            continue
        for entry in manifest.files:
            for oid, size in entry.chunks:
                chunks.setdefault(oid, (size, f"{where} ({entry.path})"))

    def one(oid: str) -> tuple[str, tuple[str, str] | None]:
        return oid, _check_object(fs, "objects", oid, chunks[oid][0])

    with ThreadPoolExecutor(workers(fs), thread_name_prefix="datavc-verify") as pool:
        for oid, found in pool.map(one, sorted(chunks)):
            report.chunks += 1
            report.bytes += chunks[oid][0]
            if found is not None:
                report.problems.append(Problem(found[0], chunks[oid][1], found[1]))
    return report
