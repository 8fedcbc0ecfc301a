"""``verify``: re-read and re-hash what versions need, and list every problem found.

It never stops at the first problem: each ref, tag, manifest, file and chunk is checked on its
own, so one run tells the whole damage. Kinds: ``unreadable-ref``, ``dangling-ref`` (a ref whose
manifest is not in the store, a tag naming a missing version or another manifest),
``unreadable-manifest``, ``unsafe-path``, ``missing-chunk``, ``size-mismatch``, ``hash-mismatch``
(of a chunk, a manifest or an assembled file). A purged version's missing data is expected: it
is listed under ``purged``, not as a problem; so is a chunk missing from a store that fetches
chunks from a remote on demand (counted as ``not_local``). Each distinct chunk is read once.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import xxhash

from .errors import DataVCError, UnknownDataset, UnknownRevision, UnsafePath, UsageError
from .manifest import FileEntry, Manifest
from .objects import OID_RE, hash_bytes
from .refs import Version
from .revision import parse_rev
from .tombstones import purged_numbers

if TYPE_CHECKING:
    from .repo import Repo


@dataclass(frozen=True)
class Problem:
    kind: str
    where: str
    detail: str

    def __str__(self) -> str:
        return f"{self.kind}: {self.where}: {self.detail}"


@dataclass
class VerifyReport:
    versions: list[str] = field(default_factory=list)  # refs whose data was checked
    purged: list[str] = field(default_factory=list)  # refs purged on purpose (data expected missing)
    chunks: int = 0  # distinct chunks read and hashed
    not_local: int = 0  # chunks missing here in a store that fetches them from a remote on demand
    bytes: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


class _Checker:
    def __init__(self, repo: Repo, report: VerifyReport) -> None:
        self.repo = repo
        self.report = report
        self.chunk_state: dict[str, tuple[str, str] | None] = {}  # oid -> (kind, detail) or None if good
        self.good_files: set[tuple[str, tuple[tuple[str, int], ...]]] = set()
        self.lazy = getattr(repo.objects, "fetch", None) is not None

    def problem(self, kind: str, where: str, detail: str) -> None:
        self.report.problems.append(Problem(kind, where, detail))

    def chunk(self, oid: str, size: int) -> bytes | None:
        if oid in self.chunk_state and self.chunk_state[oid] is not None:
            return None
        try:
            with open(self.repo.objects.path(oid), "rb") as f:
                data = f.read()
        except FileNotFoundError:
            self.chunk_state[oid] = ("missing-chunk", f"chunk {oid} is not in the store")
            return None
        except OSError as err:
            self.chunk_state[oid] = ("missing-chunk", f"chunk {oid} cannot be read: {err.strerror}")
            return None
        if oid not in self.chunk_state:
            self.report.chunks += 1
            self.report.bytes += len(data)
        if len(data) != size:
            self.chunk_state[oid] = ("size-mismatch", f"chunk {oid} has {len(data)} bytes instead of {size}")
        elif hash_bytes(data) != oid:
            self.chunk_state[oid] = ("hash-mismatch", f"chunk {oid} content hashes to {hash_bytes(data)}")
        else:
            self.chunk_state[oid] = None
            return data
        return None

    def file(self, entry: FileEntry, where: str) -> None:
        key = (entry.hash, entry.chunks)
        if key in self.good_files:
            return
        whole = xxhash.xxh3_128()
        intact = True
        for oid, size in entry.chunks:
            if not OID_RE.fullmatch(oid):
                self.problem("unreadable-manifest", where, f"invalid chunk id {oid!r}")
                intact = False
                continue
            data = self.chunk(oid, size)
            state = self.chunk_state.get(oid)
            if data is None and self.lazy and state is not None and state[0] == "missing-chunk":
                self.report.not_local += 1  # the remote holds it; verify --remote checks it there
                intact = False
            elif data is None:
                kind, detail = state if state is not None else ("missing-chunk", f"chunk {oid}")
                self.problem(kind, where, detail)
                intact = False
            elif intact:
                whole.update(data)
        if intact and whole.hexdigest() != entry.hash:
            self.problem("hash-mismatch", where, f"assembled file hashes to {whole.hexdigest()}, not {entry.hash}")
        elif intact:
            self.good_files.add(key)

    def manifest(self, version: Version) -> Manifest | None:
        where = f"manifest of {version.ref}"
        if not OID_RE.fullmatch(version.manifest):
            self.problem("unreadable-ref", version.ref, f"invalid manifest id {version.manifest!r}")
            return None
        try:
            with open(self.repo.manifests.path(version.manifest), "rb") as f:
                data = f.read()
        except FileNotFoundError:
            self.problem("dangling-ref", version.ref, f"its manifest {version.manifest} is not in the store")
            return None
        except OSError as err:
            self.problem("unreadable-manifest", where, f"{version.manifest}: {err.strerror}")
            return None
        if hash_bytes(data) != version.manifest:
            self.problem("hash-mismatch", where, f"manifest {version.manifest} content hashes to {hash_bytes(data)}")
            return None
        try:
            return Manifest.from_bytes(data, where=where)
        except UnsafePath as err:
            self.problem("unsafe-path", where, str(err))
        except DataVCError as err:
            self.problem("unreadable-manifest", where, str(err))
        return None

    def version(self, version: Version) -> None:
        manifest = self.manifest(version)
        self.report.versions.append(version.ref)
        if manifest is None:
            return
        for entry in manifest.files:
            self.file(entry, f"{version.ref} ({entry.path})")

    def tags(self, name: str, numbers: dict[int, str]) -> None:
        folder = self.repo.refs._dir(name) / "tags"
        for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
            where = f"tag {name}@{path.stem}"
            try:
                doc = json.loads(path.read_bytes())
                number = int(doc["version"])
            except (OSError, ValueError, KeyError, TypeError) as err:
                self.problem("unreadable-ref", where, f"{path.name}: {err}")
                continue
            if number not in numbers:
                self.problem("dangling-ref", where, f"points to v{number}, which {name} does not have")
            elif doc.get("manifest") not in (None, numbers[number]):
                self.problem("dangling-ref", where, f"records manifest {doc.get('manifest')} but v{number} has another")


def _targets(repo: Repo, rev: str | None, all: bool) -> tuple[list[str], int | None]:
    """Datasets to check, and the single version number to check (None: latest or every one)."""
    if rev is None:
        return repo.refs.datasets(), None
    spec = parse_rev(rev)
    if not repo.refs.exists(spec.name):
        raise UnknownDataset(spec.name, repo.refs.datasets())
    if "@" not in rev and "~" not in rev:
        return [spec.name], None
    if all:
        raise UsageError("--all checks every version: give a dataset NAME, not NAME@REV")
    if spec.kind == "version" and not spec.back:  # no full resolve: another version's bad ref must not stop us
        if int(spec.value) not in repo.refs._numbers(spec.name):
            raise UnknownRevision(spec.name, f"v{spec.value}", "no such version")
        return [spec.name], int(spec.value)
    return [spec.name], repo.resolve(spec).number


def verify(repo: Repo, rev: str | None = None, all: bool = False, remote: str | None = None) -> VerifyReport:
    """Check ``rev`` (default: the latest version of every dataset; ``all``: every version)."""
    if remote is not None:  # the remote's copy instead of the local store
        from .verify_remote import verify_remote

        return verify_remote(repo, rev, all, remote)
    names, only = _targets(repo, rev, all)
    report = VerifyReport()
    checker = _Checker(repo, report)
    for name in names:
        numbers: dict[int, str] = {}
        loaded: list[Version] = []
        try:
            found = repo.refs._numbers(name)
        except DataVCError as err:  # a folder under refs/ that is no dataset name
            checker.problem("unreadable-ref", f"refs/{name}", str(err))
            continue
        for number in found:
            try:
                version = repo.refs._load(name, number, {})
            except (DataVCError, OSError) as err:
                checker.problem("unreadable-ref", f"{name}@v{number}", str(err))
                continue
            numbers[number] = version.manifest
            loaded.append(version)
        checker.tags(name, numbers)
        purged = purged_numbers(repo, name)
        if only is not None:
            loaded = [v for v in loaded if v.number == only]
        elif not all:
            loaded = loaded[-1:]
        for version in loaded:
            if version.number in purged:
                report.purged.append(version.ref)
            else:
                checker.version(version)
    return report
