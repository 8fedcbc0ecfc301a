"""Refs across machines: reading a remote's versions, and merging them into the local refs.

Numbering policy: **the remote assigns version numbers.** A version is created locally under the
next local number; when it is pushed it takes the remote's next free number by exclusive create
(``refs/<name>/vN.json``; whoever creates the file owns N, the others re-read and take N+1). If
that number differs from the local one, the local ref is renumbered to match, and so are the local
versions that were never pushed (they move above the remote's versions, in their order). So after
a push or a pull, ``raw@v7`` names the same version on every machine that has it.

A version's identity across machines is its content and origin -- manifest (or, for an append
that was re-applied onto a newer base, the manifest it was first made with), time, author,
message, path, source -- not its number. Remote refs are immutable, so each is read once and
kept under ``.datavc/cache/remotes/``.
"""

from __future__ import annotations

import json
import os
import re
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from filelock import FileLock

from .errors import CorruptMetadata, InvalidName, UnknownDataset
from .objects import hash_bytes, write_atomic
from .refs import Version
from .revision import NAME_RE, check_name

if TYPE_CHECKING:
    from .remote_fs import RemoteFS
    from .repo import Repo

REF_RE = re.compile(r"v([0-9]+)\.json")
FETCH_WORKERS = 8


def version_bytes(v: Version) -> bytes:
    doc = v.to_json()
    doc.pop("tags")
    return json.dumps(doc, indent=1, sort_keys=True).encode() + b"\n"


def parse_version(data: bytes, name: str, number: int, where: str) -> Version:
    try:
        doc = json.loads(data)
        v = Version(**{k: doc[k] for k in Version.__dataclass_fields__ if k in doc and k != "tags"})
    except (ValueError, TypeError, AttributeError) as err:
        raise CorruptMetadata(f"unreadable {where}: {err}") from None
    if v.dataset != name or v.number != number:
        raise CorruptMetadata(f"{where} names {v.dataset}@v{v.number}")
    return v


def identity(v: Version) -> tuple[str, ...]:
    origin = v.meta.get("origin_manifest") if isinstance(v.meta, dict) else None
    return (str(origin or v.manifest), v.time, v.author, v.message, str(v.path), v.source)


def remote_datasets(remote: RemoteFS) -> list[str]:
    return sorted(n for n in remote.listdir("refs") if NAME_RE.fullmatch(n))


def read_remote_refs(repo: Repo, remote: RemoteFS, name: str) -> dict[int, Version]:
    """Every version of ``name`` on the remote, by number (only refs not seen before are read)."""
    check_name(name)
    cache = repo.dir / "cache" / "remotes" / hash_bytes(remote.url.encode())[:16] / name
    numbers = sorted(int(m.group(1)) for n in remote.listdir(f"refs/{name}") if (m := REF_RE.fullmatch(n)))
    out: dict[int, Version] = {}
    todo: list[int] = []
    for n in numbers:
        try:
            out[n] = parse_version((cache / f"v{n}.json").read_bytes(), name, n, "cached remote ref")
        except (OSError, CorruptMetadata):
            todo.append(n)

    def fetch(n: int) -> tuple[int, bytes | None]:
        return n, remote.get(f"refs/{name}/v{n}.json")

    with ThreadPoolExecutor(FETCH_WORKERS, thread_name_prefix="datavc-refs") as pool:
        for n, data in pool.map(fetch, todo):
            if data is None:
                continue
            out[n] = parse_version(data, name, n, f"{name}@v{n} on remote {remote.name!r}")
            try:
                cache.mkdir(parents=True, exist_ok=True)
                write_atomic(cache / f"v{n}.json", data)
            except OSError:
                pass  # the cache only saves reads
    return out


def local_versions(repo: Repo, name: str) -> dict[int, Version]:
    try:
        return {v.number: replace(v, tags=()) for v in repo.refs.versions(name)}
    except UnknownDataset:
        return {}


def refs_lock(repo: Repo, name: str) -> FileLock:
    """Held while a dataset's local refs are rewritten (merge) or extended from the latest (append)."""
    (repo.dir / "locks").mkdir(parents=True, exist_ok=True)
    return FileLock(str(repo.dir / "locks" / f"{check_name(name)}.refs.lock"))


def merge_into_local(repo: Repo, name: str, remote: dict[int, Version]) -> dict[int, int]:
    """Give the local refs of ``name`` the remote's versions at the remote's numbers.

    Local versions the remote lacks move above the remote's newest, in their order; returns
    ``{old number: new number}`` of every local version whose number changed. A version is written at its new number
    before its old file is replaced, so a crash leaves it twice (merged away next time), never
    missing. Local tags follow their versions.
    """
    with refs_lock(repo, name):
        for _ in range(100):
            moved = _merge_once(repo, name, remote)
            if moved is not None:
                return moved
    raise CorruptMetadata(f"could not merge the remote's versions of {name}: local writers kept adding versions")


def _merge_once(repo: Repo, name: str, remote: dict[int, Version]) -> dict[int, int] | None:
    folder = repo.refs.root / check_name(name)
    local = local_versions(repo, name)
    by_id = {identity(v): n for n, v in remote.items()}
    published: dict[int, int] = {}
    unpublished: list[Version] = []
    seen: set[tuple[str, ...]] = set()
    for n in sorted(local):
        key = identity(local[n])
        if key in by_id:
            published[n] = by_id[key]
        elif key not in seen:  # a second copy is what an interrupted move leaves behind
            seen.add(key)
            unpublished.append(local[n])
    new_number: dict[int, int] = {}
    nxt = max(remote, default=0) + 1
    for v in unpublished:
        new_number[v.number] = max(v.number, nxt)
        nxt = new_number[v.number] + 1

    def parent_of(p: int | None) -> int | None:
        if p is None:
            return None
        return published.get(p, new_number.get(p, p))

    targets: dict[int, Version] = dict(remote)
    for v in unpublished:
        targets[new_number[v.number]] = replace(v, number=new_number[v.number], parent=parent_of(v.parent))
    folder.mkdir(parents=True, exist_ok=True)
    for v in unpublished:
        target = targets[new_number[v.number]]
        if target.number != v.number:
            if not _create(folder, target):
                return None  # a local add took that number meanwhile: plan again
        elif target != v:
            write_atomic(folder / f"v{v.number}.json", version_bytes(target), fsync=True)
    for n, rv in remote.items():
        cur = local.get(n)
        if cur == rv:
            continue
        if cur is not None:
            write_atomic(folder / f"v{n}.json", version_bytes(rv), fsync=True)
        elif not _create(folder, rv):
            return None
    for n, v in local.items():
        if n not in targets:
            _remove_if_unchanged(folder, v)
    _retarget_tags(repo, name, folder, targets, {**published, **new_number})
    return {old: new for old, new in {**published, **new_number}.items() if old != new}


def _create(folder: Path, v: Version) -> bool:
    """Write ``v`` at its number unless another version holds it (a copy of ``v`` itself is replaced)."""
    path = folder / f"v{v.number}.json"
    tmp = folder / f".tmp-v{v.number}-{uuid.uuid4().hex[:8]}"
    write_atomic(tmp, version_bytes(v), fsync=True)
    try:
        os.link(tmp, path)
    except FileExistsError:
        try:
            same = identity(parse_version(path.read_bytes(), v.dataset, v.number, str(path))) == identity(v)
        except (OSError, CorruptMetadata):
            same = False
        if same:  # left by an interrupted merge
            os.replace(tmp, path)
        return same
    finally:
        if tmp.exists():
            os.unlink(tmp)
    return True


def _remove_if_unchanged(folder: Path, v: Version) -> None:
    path = folder / f"v{v.number}.json"
    try:
        if parse_version(path.read_bytes(), v.dataset, v.number, str(path)) == v:
            os.unlink(path)
    except (OSError, CorruptMetadata):
        pass


def _retarget_tags(repo: Repo, name: str, folder: Path, targets: dict[int, Version], moved: dict[int, int]) -> None:
    tag_dir = folder / "tags"
    if not tag_dir.is_dir():
        return
    for path in sorted(tag_dir.glob("*.json")):
        try:
            doc: dict[str, Any] = json.loads(path.read_bytes())
            number, manifest = int(doc["version"]), str(doc.get("manifest", ""))
        except (OSError, ValueError, KeyError, TypeError):
            continue
        current = targets.get(number)
        if current is not None and current.manifest == manifest:
            continue
        new = moved.get(number)
        if new is None or new not in targets:
            hits = [v for v in targets.values() if v.manifest == manifest]
            if not hits:
                continue
            new = max(v.number for v in hits)
        repo.refs.set_tag(targets[new], path.stem)


def _tag_body(v: Version) -> bytes:
    return json.dumps({"version": v.number, "manifest": v.manifest}, sort_keys=True).encode() + b"\n"


def push_tags(repo: Repo, remote: RemoteFS, name: str, remote_refs: dict[int, Version]) -> None:
    """Write the local tags of ``name`` that name published versions to the remote (a moved tag: last writer wins)."""
    tags = repo.refs.tags(name)
    if not tags:
        return
    local = local_versions(repo, name)
    published = {identity(v) for v in remote_refs.values()}
    for tag, number in sorted(tags.items()):
        v = local.get(number)
        if v is None or identity(v) not in published or remote_refs.get(number) != v:
            continue
        key = f"refs/{name}/tags/{tag}.json"
        if remote.get(key) != _tag_body(v):
            remote.put(key, _tag_body(v))


def pull_tags(repo: Repo, remote: RemoteFS, name: str) -> None:
    """Create the remote's tags of ``name`` that this store lacks (a local tag is never moved)."""
    have = repo.refs.tags(name)
    local = local_versions(repo, name)
    for entry in remote.listdir(f"refs/{name}/tags"):
        tag = entry[:-5]
        if not entry.endswith(".json") or tag in have:
            continue
        try:
            doc = json.loads(remote.get(f"refs/{name}/tags/{entry}") or b"")
            v = local.get(int(doc["version"]))
        except (ValueError, KeyError, TypeError):
            continue
        if v is not None and v.manifest == doc.get("manifest"):
            try:
                repo.refs.set_tag(v, tag)
            except InvalidName:
                continue  # not a tag name this store accepts: leave it on the remote
