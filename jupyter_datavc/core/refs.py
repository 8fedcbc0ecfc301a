"""Refs: which versions a dataset has, and its tags.

Each version is one small JSON file, ``refs/<name>/v<N>.json``, created exclusively (a hard link
of a fully written temp file), so two writers can never both take number N: the loser re-reads
and takes N+1. Tags are ``refs/<name>/tags/<tag>.json``. All of it is plain text meant to be
committed to Git.
"""

from __future__ import annotations

import json
import os
import re
import uuid
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from .errors import CorruptMetadata, UnknownDataset, UnknownRevision
from .objects import write_atomic
from .revision import RevSpec, check_name, check_tag

_VFILE = re.compile(r"v([0-9]+)\.json")


@dataclass(frozen=True)
class Version:
    dataset: str
    number: int
    manifest: str
    parent: int | None
    message: str
    author: str
    time: str
    path: str | None
    source: str  # "file" | "dir" | "dataframe"
    size: int
    files: int
    rows: int | None
    meta: dict[str, Any] = field(default_factory=dict)
    tags: tuple[str, ...] = ()

    @property
    def ref(self) -> str:
        return f"{self.dataset}@v{self.number}"

    @property
    def short(self) -> str:
        return self.manifest[:10]

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["tags"] = list(self.tags)
        return d


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_bytes())
    except FileNotFoundError:
        raise
    except (OSError, ValueError) as err:
        raise CorruptMetadata(f"unreadable metadata file {path}: {err}") from None


def _well_typed(v: Version) -> bool:
    optional_int = (v.parent, v.rows)
    return (
        isinstance(v.manifest, str)
        and all(x is None or (isinstance(x, int) and not isinstance(x, bool)) for x in optional_int)
        and (v.path is None or isinstance(v.path, str))
        and all(isinstance(x, str) for x in (v.message, v.author, v.time, v.source))
        and all(isinstance(x, int) for x in (v.size, v.files))
        and isinstance(v.meta, dict)
    )


class RefStore:
    def __init__(self, root: Path) -> None:
        self.root = root  # .datavc/refs

    def _dir(self, name: str) -> Path:
        return self.root / check_name(name)

    def datasets(self) -> list[str]:
        if not self.root.is_dir():
            return []
        return sorted(
            p.name for p in self.root.iterdir() if p.is_dir() and any(_VFILE.fullmatch(c) for c in os.listdir(p))
        )

    def exists(self, name: str) -> bool:
        d = self._dir(name)
        return d.is_dir() and any(_VFILE.fullmatch(c) for c in os.listdir(d))

    def _numbers(self, name: str) -> list[int]:
        d = self._dir(name)
        if not d.is_dir():
            return []
        return sorted(int(m.group(1)) for c in os.listdir(d) if (m := _VFILE.fullmatch(c)))

    def tags(self, name: str) -> dict[str, int]:
        d = self._dir(name) / "tags"
        out: dict[str, int] = {}
        if d.is_dir():
            for p in sorted(d.glob("*.json")):
                try:
                    out[p.stem] = int(_read_json(p)["version"])
                except (KeyError, TypeError, ValueError):
                    raise CorruptMetadata(f"unreadable tag file {p}") from None
        return out

    def _load(self, name: str, number: int, tags: dict[int, list[str]]) -> Version:
        path = self._dir(name) / f"v{number}.json"
        doc = _read_json(path)
        try:
            v = Version(**{k: doc[k] for k in Version.__dataclass_fields__ if k in doc and k != "tags"})
        except TypeError as err:
            raise CorruptMetadata(f"unreadable version file {path}: {err}") from None
        if v.number != number or v.dataset != name:
            raise CorruptMetadata(f"version file {path} names {v.dataset}@v{v.number}")
        if not _well_typed(v):  # refs may come from anywhere (Git): never hand on a list as a hash
            raise CorruptMetadata(f"version file {path} has fields of the wrong type")
        return replace(v, tags=tuple(sorted(tags.get(number, ()))))

    def versions(self, name: str) -> list[Version]:
        """Every version of ``name``, oldest first, with their tags."""
        numbers = self._numbers(name)
        if not numbers:
            raise UnknownDataset(name, self.datasets())
        by_version: dict[int, list[str]] = {}
        for tag, n in self.tags(name).items():
            by_version.setdefault(n, []).append(tag)
        return [self._load(name, n, by_version) for n in numbers]

    def latest(self, name: str) -> Version | None:
        numbers = self._numbers(name)
        if not numbers:
            return None
        by_version: dict[int, list[str]] = {}
        for tag, n in self.tags(name).items():
            by_version.setdefault(n, []).append(tag)
        return self._load(name, numbers[-1], by_version)

    def resolve(self, spec: RevSpec) -> Version:
        versions = self.versions(spec.name)
        by_number = {v.number: v for v in versions}
        if spec.kind == "latest":
            base = versions[-1]
        elif spec.kind == "version":
            n = int(spec.value)
            if n not in by_number:
                raise UnknownRevision(spec.name, f"v{n}", f"{spec.name} has v1..v{versions[-1].number}")
            base = by_number[n]
        elif spec.kind == "tag":
            tags = self.tags(spec.name)
            if spec.value not in tags:
                raise UnknownRevision(spec.name, spec.value, "no such tag", known=list(tags))
            base = by_number[tags[spec.value]]
        else:
            hits = [v for v in versions if v.manifest.startswith(spec.value)]
            if not hits:
                raise UnknownRevision(spec.name, spec.value, "no version has a hash starting so")
            if len({v.manifest for v in hits}) > 1:
                raise UnknownRevision(spec.name, spec.value, "ambiguous hash prefix; give more digits")
            base = hits[-1]
        for _ in range(spec.back):
            if base.parent is None or base.parent not in by_number:
                raise UnknownRevision(spec.name, spec.rev, f"v{base.number} has no version before it")
            base = by_number[base.parent]
        return base

    def create_version(self, draft: Version) -> Version:
        """Record ``draft`` under the next free number; returns it with number and parent set."""
        d = self._dir(draft.dataset)
        d.mkdir(parents=True, exist_ok=True)
        for _ in range(10_000):
            numbers = self._numbers(draft.dataset)
            number = numbers[-1] + 1 if numbers else 1
            version = replace(draft, number=number, parent=numbers[-1] if numbers else None, tags=())
            doc = version.to_json()
            doc.pop("tags")
            tmp = d / f".tmp-v{number}-{uuid.uuid4().hex[:8]}"
            write_atomic(tmp, json.dumps(doc, indent=1, sort_keys=True).encode() + b"\n", fsync=True)
            try:
                os.link(tmp, d / f"v{number}.json")
            except FileExistsError:
                continue  # another writer took this number; take the next one
            finally:
                os.unlink(tmp)
            return version
        raise CorruptMetadata(f"could not allocate a version number for {draft.dataset}")

    def set_tag(self, version: Version, tag: str) -> None:
        check_tag(tag)
        d = self._dir(version.dataset) / "tags"
        d.mkdir(parents=True, exist_ok=True)
        body = {"version": version.number, "manifest": version.manifest}
        write_atomic(d / f"{tag}.json", json.dumps(body, sort_keys=True).encode() + b"\n", fsync=True)

    def remove_tag(self, name: str, tag: str) -> None:
        check_tag(tag)
        try:
            os.unlink(self._dir(name) / "tags" / f"{tag}.json")
        except FileNotFoundError:
            raise UnknownRevision(name, tag, "no such tag", known=list(self.tags(name))) from None
