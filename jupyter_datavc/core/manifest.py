"""Manifests: the immutable description of one version's files.

A manifest is canonical JSON (sorted keys, no spaces) stored as an object; the xxh3-128 of its
bytes is the version's identity. Paths inside are relative to the dataset root and are checked
on every load.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from .errors import CorruptMetadata, DataVCError
from .paths import safe_relpath

FORMAT = "datavc.manifest"
# a relative path of plain segments: no empty, "." or ".." segment, no backslash, NUL or drive colon
_PLAIN_PATH = re.compile(r"(?:(?!\.\.?(?:/|$))[^/\\\x00:]+/)*(?!\.\.?$)[^/\\\x00:]+")
VERSION = 1


@dataclass(frozen=True)
class FileEntry:
    path: str
    size: int
    hash: str
    chunks: tuple[tuple[str, int], ...]
    table: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        d: dict[str, Any] = {"path": self.path, "size": self.size, "hash": self.hash}
        if not (len(self.chunks) == 1 and self.chunks[0][0] == self.hash):
            d["chunks"] = [list(c) for c in self.chunks]
        if self.table is not None:
            d["table"] = self.table
        return d

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> FileEntry:
        chunks = d.get("chunks")
        parsed = tuple((str(c[0]), int(c[1])) for c in chunks) if chunks is not None else ((d["hash"], d["size"]),)
        if d["size"] == 0:
            parsed = ()
        if sum(n for _, n in parsed) != d["size"]:
            raise ValueError(f"chunk sizes of {d['path']!r} do not add up to its size")
        if not isinstance(d.get("table"), (dict, type(None))):
            raise ValueError(f"table description of {d['path']!r} is not an object")
        path = d["path"]
        if not (isinstance(path, str) and _PLAIN_PATH.fullmatch(path)):
            safe_relpath(path)  # the slow, exact check (and its message) for anything unusual
        return cls(path, int(d["size"]), str(d["hash"]), parsed, d.get("table"))


@dataclass(frozen=True)
class Manifest:
    kind: str  # "file" (the dataset is one file) or "dir"
    files: tuple[FileEntry, ...]
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def size(self) -> int:
        return sum(f.size for f in self.files)

    @property
    def rows(self) -> int | None:
        tables = [f.table for f in self.files if f.table is not None and f.table.get("rows") is not None]
        return sum(int(t["rows"]) for t in tables) if tables else None

    @property
    def chunk_ids(self) -> set[str]:
        return {oid for f in self.files for oid, _ in f.chunks}

    def by_path(self) -> dict[str, FileEntry]:
        return {f.path: f for f in self.files}

    def to_bytes(self) -> bytes:
        doc = {
            "format": FORMAT,
            "version": VERSION,
            "kind": self.kind,
            "meta": self.meta,
            "files": [f.to_json() for f in sorted(self.files, key=lambda f: f.path)],
        }
        return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()

    @classmethod
    def from_bytes(cls, data: bytes, where: str = "manifest") -> Manifest:
        try:
            doc, kind = _header(data)
            files = tuple(FileEntry.from_json(f) for f in doc["files"])
            if kind == "file" and len(files) != 1:
                raise ValueError("a one-file dataset's manifest must list exactly one file")
        except DataVCError:
            raise
        except (ValueError, KeyError, TypeError, IndexError, AttributeError) as err:
            raise CorruptMetadata(f"unreadable {where}: {err}") from None
        return cls(kind, files, doc.get("meta") or {})


def path_hashes(data: bytes, where: str = "manifest") -> tuple[str, dict[str, str]]:
    """The kind and the path -> content hash of each file, without building :class:`FileEntry` values.

    ``status`` and the no-op ``add`` compare 20,000 files by hash alone; chunk lists and table
    metadata are not looked at (:meth:`Manifest.from_bytes` checks them where they are used).
    """
    try:
        doc, kind = _header(data)
        out: dict[str, str] = {}
        for f in doc["files"]:
            path = f["path"]
            if not (isinstance(path, str) and _PLAIN_PATH.fullmatch(path)):
                safe_relpath(path)
            out[path] = str(f["hash"])
        if kind == "file" and len(out) != 1:
            raise ValueError("a one-file dataset's manifest must list exactly one file")
    except DataVCError:
        raise
    except (ValueError, KeyError, TypeError, IndexError, AttributeError) as err:
        raise CorruptMetadata(f"unreadable {where}: {err}") from None
    return kind, out


def _header(data: bytes) -> tuple[dict[str, Any], str]:
    """The parsed document and its kind, after the checks every reader needs."""
    doc = json.loads(data)
    if doc.get("format") != FORMAT:
        raise ValueError("not a datavc manifest")
    if int(doc.get("version", 0)) > VERSION:
        raise ValueError(f"manifest format {doc['version']} is newer than this datavc ({VERSION}); upgrade")
    kind = doc["kind"]
    if kind not in ("file", "dir"):
        raise ValueError(f"unknown kind {kind!r}")
    if not isinstance(doc.get("meta") or {}, dict):
        raise ValueError("meta is not an object")
    return doc, str(kind)
