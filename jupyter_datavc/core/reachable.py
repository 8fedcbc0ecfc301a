"""What the store must keep: every manifest and chunk reachable from a version, tag or run.

Roots are the manifests of every version that is not purged, the manifests tags record, and
whatever run records name. The runs contract (``.datavc/runs`` belongs to the run manifests
work): every ``*.json`` file anywhere under ``.datavc/runs/`` is read, and every string value in
it, at any depth, that is 32 lowercase hex digits is kept alive, both as a manifest (with all its
chunks) and as an object. A run format can therefore name versions' manifests, its own
manifests, or single objects, without gc knowing its schema.

Anything that cannot be read (a ref, a tag, a root manifest, a run record) stops the caller
before it deletes a byte: not knowing what a root needs must never be read as "needs nothing".
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .errors import DataVCError
from .manifest import Manifest
from .objects import OID_RE
from .tombstones import purged_numbers

if TYPE_CHECKING:
    from .repo import Repo


class Unreadable(DataVCError):
    """Something that may hold a root could not be read; nothing was deleted."""

    status = 500

    def __init__(self, what: str, detail: str, doing: str) -> None:
        super().__init__(f"{doing} stopped before deleting anything: {what}: {detail} (run 'datavc verify')")


@dataclass
class Reachable:
    manifests: set[str] = field(default_factory=set)
    chunks: set[str] = field(default_factory=set)
    file_hashes: set[str] = field(default_factory=set)


def _hex_strings(doc: Any) -> Iterator[str]:
    stack = [doc]
    while stack:
        cur = stack.pop()
        if isinstance(cur, str):
            if OID_RE.fullmatch(cur):
                yield cur
        elif isinstance(cur, dict):
            stack.extend(cur.values())
        elif isinstance(cur, list):
            stack.extend(cur)


def run_roots(repo: Repo, doing: str) -> set[str]:
    """Every 32-hex string named by a run record under ``.datavc/runs/`` (see the module doc)."""
    runs = repo.dir / "runs"
    out: set[str] = set()
    if not runs.is_dir():
        return out
    for path in sorted(runs.rglob("*.json")):
        if path.name.startswith(".tmp-"):
            continue
        try:
            out.update(_hex_strings(json.loads(path.read_bytes())))
        except (OSError, ValueError) as err:
            raise Unreadable(f"run record {path.relative_to(repo.dir)}", str(err), doing) from None
    return out


def root_manifests(repo: Repo, doing: str, exclude: tuple[str, int] | None = None) -> tuple[set[str], set[str]]:
    """Manifests of every live version and tag, and those of purged versions (``exclude`` counts as purged)."""
    roots: set[str] = set()
    gone: set[str] = set()
    for name in repo.refs.datasets():
        purged = purged_numbers(repo, name)
        if exclude is not None and exclude[0] == name:
            purged = purged | {exclude[1]}
        for number in repo.refs._numbers(name):
            try:
                version = repo.refs._load(name, number, {})
            except (DataVCError, OSError) as err:
                raise Unreadable(f"{name}@v{number}", str(err), doing) from None
            (gone if number in purged else roots).add(version.manifest)
        roots.update(_tag_manifests(repo, name, purged, doing))
    return roots, gone - roots


def _tag_manifests(repo: Repo, name: str, purged: set[int], doing: str) -> set[str]:
    tags = repo.refs._dir(name) / "tags"
    out: set[str] = set()
    if not tags.is_dir():
        return out
    for path in sorted(tags.glob("*.json")):
        try:
            doc = json.loads(path.read_bytes())
            number, manifest = int(doc["version"]), doc.get("manifest")
        except (OSError, ValueError, KeyError, TypeError) as err:
            raise Unreadable(f"tag file {path.relative_to(repo.dir)}", str(err), doing) from None
        if isinstance(manifest, str) and number not in purged:
            out.add(manifest)
    return out


def reachable(repo: Repo, doing: str = "gc", exclude: tuple[str, int] | None = None) -> Reachable:
    """Everything the roots need; raises :class:`Unreadable` if any root cannot be read."""
    out = Reachable()
    from_runs = run_roots(repo, doing)
    live, purged = root_manifests(repo, doing, exclude)
    from_runs -= purged  # a run that used a purged version does not bring its bytes back
    out.chunks.update(from_runs)  # a run may name a single object
    wanted = live | {h for h in from_runs if repo.manifests.has(h)}
    for mid in sorted(wanted):
        if not OID_RE.fullmatch(mid):
            raise Unreadable(f"manifest id {mid!r}", "not an object id", doing)
        try:
            manifest = Manifest.from_bytes(repo.manifests.get(mid, where=doing), where=f"manifest {mid}")
        except DataVCError as err:
            raise Unreadable(f"manifest {mid}", str(err), doing) from None
        out.manifests.add(mid)
        for entry in manifest.files:
            out.file_hashes.add(entry.hash)
            out.chunks.update(oid for oid, _ in entry.chunks)
    return out
