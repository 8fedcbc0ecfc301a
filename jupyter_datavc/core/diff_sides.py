"""The two sides of a diff: a stored version or the workspace, seen as file entries and tables.

A side lists its files as :class:`FileEntry` values (for the workspace: hashed now, with the stat
cache's table metadata when a file's stat is unchanged) and reads a file's bytes or table on
demand: stored files through the verified read cache, workspace files straight from disk.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import tabular
from .diff_json import JSON, one_line
from .errors import UsageError
from .ingest import WorkFile, scan
from .manifest import FileEntry, Manifest
from .objects import hash_file
from .reading import cached_file
from .refs import Version
from .statcache import stat_key
from .tombstones import ensure_not_purged

if TYPE_CHECKING:
    import pyarrow as pa

    from .repo import Repo

HASH_WORKERS = 4
HIVE_NULL = "__HIVE_DEFAULT_PARTITION__"
_SUFFIXES = tuple(tabular.FORMATS)
_LONGEST = max(len(s) for s in _SUFFIXES)


@dataclass
class Side:
    """One side of a diff."""

    label: str
    dataset: str
    version: Version | None  # None for the workspace
    kind: str  # "file" | "dir"
    path: str | None  # the workspace path (repo-relative) when this side is the workspace
    entries: dict[str, FileEntry]
    local: Callable[[FileEntry], Path]
    errors: dict[str, str] = field(default_factory=dict)  # files that could not be hashed
    missing: bool = False  # the workspace path does not exist
    tables: dict[str, Any] = field(default_factory=dict, repr=False)  # tables read while describing files
    tmp: Path | None = None  # where temporary files go (the repository's .datavc/tmp)
    _tabular: list[FileEntry] | None = field(default=None, repr=False)

    @property
    def workspace(self) -> bool:
        return self.version is None

    def tabular(self) -> list[FileEntry]:
        """The files in a tabular format, sorted by path (computed once: manifests can be large)."""
        if self._tabular is None:
            maybe = (e for e in self.entries.values() if e.path[-_LONGEST:].lower().endswith(_SUFFIXES))
            self._tabular = sorted((e for e in maybe if tabular.format_of(e.path)), key=lambda e: e.path)
        return self._tabular

    @property
    def rows(self) -> int | None:
        known = [int(e.table["rows"]) for e in self.entries.values() if e.table and e.table.get("rows") is not None]
        return sum(known) if known else None

    def header(self) -> JSON:
        v = self.version
        return {
            "label": self.label,
            "dataset": self.dataset,
            "ref": v.ref if v else None,
            "version": v.number if v else None,
            "manifest": v.manifest if v else None,
            "workspace": self.workspace,
            "path": self.path if self.workspace else (v.path if v else None),
            "kind": self.kind,
            "files": len(self.entries),
            "size": sum(e.size for e in self.entries.values()),
            "rows": self.rows,
        }

    def read_table(self, entry: FileEntry) -> Any:
        """The table of one file, dictionary columns decoded; raises whatever reading raised."""
        cached = self.tables.pop(entry.path, None)
        if cached is not None:
            return cached
        fmt = tabular.format_of(entry.path)
        if fmt is None:
            raise ValueError(f"{entry.path} is not a tabular file")
        if fmt == "parquet":
            return read_parquet(self.local(entry))
        return decode_dictionaries(tabular.read_table([self.local(entry)], fmt))

    def read_bytes(self, entry: FileEntry) -> bytes:
        return self.local(entry).read_bytes()


def read_parquet(path: Path) -> pa.Table:
    """A Parquet file read one row group at a time: the same table as ``pyarrow.parquet.read_table``,
    with about half its peak memory (no whole-file read buffers)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    with pq.ParquetFile(path) as pf:
        if pf.num_row_groups <= 1:
            return decode_dictionaries(pf.read())
        groups = [decode_dictionaries(pf.read_row_group(i)) for i in range(pf.num_row_groups)]
    return pa.concat_tables(groups)


def decode_dictionaries(table: pa.Table) -> pa.Table:
    import pyarrow as pa

    for i, f in enumerate(table.schema):
        if pa.types.is_dictionary(f.type):
            table = table.set_column(
                i, pa.field(f.name, f.type.value_type, f.nullable), table.column(i).cast(f.type.value_type)
            )
    return table


_MANIFESTS: OrderedDict[tuple[str, str], Manifest] = OrderedDict()  # recently parsed, by repo and hash
_MANIFESTS_KEPT = 4


def _manifest(repo: Repo, version: Version) -> Manifest:
    """The version's manifest; a process keeps the last few parsed (they are immutable, named by hash)."""
    key = (str(repo.dir), version.manifest)
    cached = _MANIFESTS.get(key)
    if cached is None:
        cached = _MANIFESTS[key] = repo.manifest(version)
        while len(_MANIFESTS) > _MANIFESTS_KEPT:
            _MANIFESTS.popitem(last=False)
    else:
        ensure_not_purged(repo, version)
        _MANIFESTS.move_to_end(key)
    return cached


def version_side(repo: Repo, version: Version) -> Side:
    manifest = _manifest(repo, version)

    def local(entry: FileEntry) -> Path:
        return cached_file(repo, entry, f"{version.ref} ({entry.path})")

    side = Side(version.ref, version.dataset, version, manifest.kind, None, manifest.by_path(), local)
    side.tmp = repo.dir / "tmp"
    return side


def workspace_side(repo: Repo, version: Version) -> Side:
    """The dataset's workspace path as it is on disk now."""
    latest = repo.refs.latest(version.dataset)
    rel = latest.path if latest is not None and latest.path is not None else version.path
    if rel is None:
        raise UsageError(f"{version.ref} was added from a table and has no workspace path; compare two versions")
    base = repo.root / rel if rel else repo.root
    kind = repo.manifest(latest or version).kind
    if base.exists():
        kind = "dir" if base.is_dir() else "file"
    files = scan(base, kind) if base.exists() else []
    label = f"workspace ({rel or '.'})"

    def local(entry: FileEntry) -> Path:
        return base if kind == "file" else base.joinpath(*entry.path.split("/"))

    side = Side(label, version.dataset, None, kind, rel, {}, local, missing=not base.exists(), tmp=repo.dir / "tmp")
    cached = repo.statcache.lookup_prefix(rel)

    def key(f: WorkFile) -> str:
        if kind == "file":
            return rel
        return f"{rel}/{f.rel}" if rel else f.rel

    def one(f: WorkFile) -> FileEntry:
        hit = cached.get(key(f))
        if hit is not None and not hit[1] and hit[0] == stat_key(f.st):
            return FileEntry(f.rel, hit[2].size, hit[2].hash, (), hit[2].table)
        try:
            digest = hash_file(f.abs)
        except OSError as err:
            side.errors[f.rel] = f"cannot read {f.abs}: {err.strerror or err}"
            return FileEntry(f.rel, f.st.st_size, "", (), None)
        return FileEntry(f.rel, f.st.st_size, digest, (), _describe(side, f))

    with ThreadPoolExecutor(HASH_WORKERS, thread_name_prefix="datavc-diff-hash") as pool:
        for entry in pool.map(one, files):
            side.entries[entry.path] = entry
    return side


def _describe(side: Side, f: WorkFile) -> JSON | None:
    """Table metadata of a workspace file; CSV and JSON Lines are read whole, so keep the table."""
    fmt = tabular.format_of(f.rel)
    if fmt is None:
        return None
    if fmt in ("parquet", "arrow"):
        return tabular.describe(f.abs, fmt)
    try:
        table = decode_dictionaries(tabular.read_table([Path(f.abs)], fmt))
    except Exception as err:
        return {"format": fmt, "error": one_line(err)}
    side.tables[f.rel] = table
    schema = [{"name": c.name, "type": str(c.type), "nullable": bool(c.nullable)} for c in table.schema]
    return {"format": fmt, "rows": table.num_rows, "schema": schema}


def partition_values(path: str) -> dict[str, str | None]:
    """Hive-style ``key=value`` folders on the way to a file."""
    out: dict[str, str | None] = {}
    for part in path.split("/")[:-1]:
        k, sep, v = part.partition("=")
        if sep and k:
            out[k] = None if v == HIVE_NULL else v
    return out


def partition_types(paths: list[str]) -> dict[str, str]:
    """Each partition key's type: ``int64`` when every value reads as an integer, else ``string``."""
    values: dict[str, list[str | None]] = {}
    for p in paths:
        for k, v in partition_values(p).items():
            values.setdefault(k, []).append(v)
    out = {}
    for k, vs in values.items():
        ints = all(v is None or v.lstrip("-").isdigit() for v in vs)
        out[k] = "int64" if ints else "string"
    return out
