"""``import-dvc``: the history of a DVC-tracked Git repository becomes datavc versions.

For each Git commit (oldest first, ``git log --reverse [A..B]``) the ``.dvc`` files and
``dvc.lock`` files of that commit are read with ``git ls-tree`` / ``git cat-file``; every output
whose md5 differs from the one imported before becomes a new version of a dataset named after
the output. Its content comes from the DVC cache (``.dvc/cache/files/md5/ab/…`` for DVC 3,
``.dvc/cache/ab/…`` for DVC 2) or, failing that, from the default remote of ``.dvc/config``
(any fsspec URL or a local path), and is checked against the DVC md5 before it is stored. Each
version's ``meta["dvc"]`` records the md5, the Git commit, the output path and the commit time.
Running it again imports only what is new.
"""

from __future__ import annotations

import configparser
import hashlib
import json
import os
import posixpath
import re
import shutil
import subprocess
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import tabular
from .chunking import chunk_and_store
from .errors import DataVCError, PathError, UsageError
from .ingest import commit
from .jobs import Job
from .locks import store_lock
from .manifest import FileEntry, Manifest
from .paths import safe_relpath
from .refs import Version
from .remote_refs import local_versions

if TYPE_CHECKING:
    from .repo import Repo

MD5_RE = re.compile(r"[0-9a-f]{32}(\.dir)?")
LEGACY_TEXT_LIMIT = 256 << 20  # DVC 2 text files larger than this are only checked by their plain md5


@dataclass(frozen=True)
class Commit:
    sha: str
    author: str
    time: str
    subject: str


@dataclass(frozen=True)
class DvcOut:
    path: str  # relative to the DVC repository's root
    md5: str  # "<32 hex>" or "<32 hex>.dir"
    legacy: bool  # DVC 2 hashing (text files hashed after CRLF -> LF)


@dataclass
class ImportResult:
    versions: list[Version] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def _git(root: Path, *args: str) -> str:
    try:
        out = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, timeout=120)
    except (OSError, subprocess.SubprocessError) as err:
        raise UsageError(f"import-dvc needs git: {err}") from None
    if out.returncode != 0:
        raise UsageError(f"git {args[0]} failed in {root}: {(out.stderr.strip().splitlines() or ['?'])[0]}")
    return out.stdout


def commits(root: Path, rev_range: str | None) -> list[Commit]:
    text = _git(root, "log", "--reverse", "--format=%H%x1f%an%x1f%aI%x1f%s", rev_range or "HEAD", "--")
    return [Commit(*line.split("\x1f", 3)) for line in text.splitlines() if line.count("\x1f") == 3]


class _Outs:
    """The DVC outputs of commits, each .dvc / dvc.lock blob parsed once."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.blobs: dict[str, list[DvcOut]] = {}

    def at(self, sha: str) -> list[DvcOut]:
        out: list[DvcOut] = []
        for line in _git(self.root, "ls-tree", "-r", sha).splitlines():
            meta, _, path = line.partition("\t")
            parts = meta.split()
            if len(parts) != 3 or parts[1] != "blob":
                continue
            if path.endswith(".dvc") or posixpath.basename(path) == "dvc.lock":
                if parts[2] not in self.blobs:
                    self.blobs[parts[2]] = self._parse(path, _git(self.root, "cat-file", "-p", parts[2]))
                out.extend(self.blobs[parts[2]])
        return out

    @staticmethod
    def _parse(path: str, text: str) -> list[DvcOut]:
        import yaml

        try:
            doc = yaml.safe_load(text) or {}
        except yaml.YAMLError:
            return []
        if not isinstance(doc, dict):
            return []
        if posixpath.basename(path) == "dvc.lock":
            stages = doc.get("stages", doc) if isinstance(doc.get("stages", doc), dict) else {}
            outs = [o for s in stages.values() if isinstance(s, dict) for o in (s.get("outs") or [])]
        else:
            outs = doc.get("outs") or []
        found = []
        folder = posixpath.dirname(path)
        for o in outs:
            if not isinstance(o, dict) or not MD5_RE.fullmatch(str(o.get("md5", ""))) or not o.get("path"):
                continue
            rel = posixpath.normpath(posixpath.join(folder, str(o["path"])))
            found.append(DvcOut(rel, str(o["md5"]), o.get("hash") != "md5"))
        return found


class _Content:
    """Finds DVC objects by md5: the cache first, then the default remote."""

    def __init__(self, root: Path, tmp: Path) -> None:
        self.tmp = tmp
        cfg = configparser.ConfigParser()
        cfg.read([root / ".dvc" / "config", root / ".dvc" / "config.local"])
        cache = cfg.get("cache", "dir", fallback="cache")
        self.bases: list[Any] = [(None, str((root / ".dvc" / cache).resolve()))]
        name = cfg.get("core", "remote", fallback="")
        section = next((s for s in (f'remote "{name}"', f"'remote \"{name}\"'") if cfg.has_section(s)), "")
        url = cfg.get(section, "url", fallback="") if name and section else ""
        if url:
            if "://" not in url:
                url = str((root / ".dvc" / url).resolve())
            import fsspec

            try:
                fs, base = fsspec.core.url_to_fs(url)
                self.bases.append((fs, str(base).rstrip("/")))
            except (ImportError, ValueError):
                pass

    def find(self, md5: str) -> Path | None:
        for fs, base in self.bases:
            for rel in (f"files/md5/{md5[:2]}/{md5[2:]}", f"{md5[:2]}/{md5[2:]}"):
                if fs is None:
                    if os.path.isfile(f"{base}/{rel}"):
                        return Path(f"{base}/{rel}")
                    continue
                try:
                    dest = self.tmp / uuid.uuid4().hex
                    fs.get_file(f"{base}/{rel}", str(dest))
                    return dest
                except (OSError, ValueError):
                    continue
        return None


def _md5_ok(path: Path, md5: str, legacy: bool) -> bool:
    """DVC 3 hashes the bytes; DVC 2 hashed text files (no NUL in the first 8 KiB) after CRLF -> LF."""
    h = hashlib.md5()
    with open(path, "rb") as f:
        head = f.read(8192)
        h.update(head)
        while piece := f.read(16 << 20):
            h.update(piece)
    if h.hexdigest() == md5:
        return True
    if not legacy or b"\x00" in head or path.stat().st_size > LEGACY_TEXT_LIMIT:
        return False
    return hashlib.md5(path.read_bytes().replace(b"\r\n", b"\n")).hexdigest() == md5


def import_dvc(repo: Repo, path: str | os.PathLike[str], rev_range: str | None, job: Job) -> ImportResult:
    root = Path(os.path.abspath(os.fspath(path)))
    if not (root / ".dvc").is_dir():
        raise PathError(f"{path} is not a DVC repository (no .dvc/ folder)")
    history = commits(root, rev_range)
    job.set_totals(0, len(history))
    result = ImportResult()
    tmp = repo.dir / "tmp" / f"dvc-{uuid.uuid4().hex[:8]}"
    tmp.mkdir(parents=True, exist_ok=True)
    try:
        with store_lock(repo.dir, exclusive=False, on_wait=job.check_cancel, what="import-dvc"):
            _import(repo, root, history, _Outs(root), _Content(root, tmp), job, result)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return result


def _import(
    repo: Repo, root: Path, history: list[Commit], outs: _Outs, content: _Content, job: Job, r: ImportResult
) -> None:
    names: dict[str, str] = {}  # output path -> dataset
    last: dict[str, str] = {}  # output path -> md5 of its newest version
    done: set[tuple[str, str]] = set()  # (commit, output path) imported before
    for name in repo.refs.datasets():
        for _, v in sorted(local_versions(repo, name).items()):
            info = v.meta.get("dvc") if isinstance(v.meta, dict) else None
            if isinstance(info, dict) and info.get("path"):
                names[str(info["path"])] = name
                last[str(info["path"])] = str(info.get("md5"))
                done.add((str(info.get("commit")), str(info["path"])))
    for c in history:
        job.check_cancel()
        for out in outs.at(c.sha):
            if (c.sha, out.path) in done:
                last[out.path] = out.md5
            if last.get(out.path) == out.md5:
                continue
            name = names.setdefault(out.path, _name_for(out, names))
            try:
                manifest = _manifest(repo, content, out)
            except DataVCError as err:
                r.skipped.append(f"{out.path} at {c.sha[:10]}: {err}")
                continue
            if manifest is None:
                r.skipped.append(
                    f"{out.path} at {c.sha[:10]}: md5 {out.md5} is in neither the DVC cache nor its remote"
                )
                continue
            meta = {"dvc": {"md5": out.md5, "commit": c.sha, "path": out.path, "time": c.time}}
            ws = _workspace_path(repo, root, out.path)
            kind = manifest.kind
            r.versions.append(commit(repo, job, name, manifest, ws, kind, c.subject, c.author, meta))
            last[out.path] = out.md5
        job.advance(0, 1)


def _name_for(out: DvcOut, taken: dict[str, str]) -> str:
    """``data/prices.csv`` -> ``prices``, ``images/`` -> ``images``; the whole path if that is taken."""
    base = posixpath.basename(out.path)
    stem = base if out.md5.endswith(".dir") else base.split(".")[0]
    name = re.sub(r"[^A-Za-z0-9_.\-]", "_", stem).lstrip("_.-") or "data"
    if name in taken.values():
        name = re.sub(r"[^A-Za-z0-9_.\-]", "-", out.path).strip("-._") or "data"
    return name[:128]


def _workspace_path(repo: Repo, root: Path, out_path: str) -> str:
    full = root / out_path
    try:
        return full.relative_to(repo.root).as_posix()
    except ValueError:
        return out_path  # a DVC repository elsewhere: check out at the same relative path here


def _entry(repo: Repo, content: _Content, rel: str, md5: str, legacy: bool) -> FileEntry | None:
    src = content.find(md5)
    if src is None:
        return None
    if not _md5_ok(src, md5, legacy):
        raise DataVCError(f"DVC object {md5} does not match its md5")
    res = chunk_and_store(src, repo.objects, size_hint=src.stat().st_size)
    fmt = tabular.format_of(rel)
    return FileEntry(rel, res.size, res.hash, res.chunks, tabular.describe(src, fmt) if fmt else None)


def _manifest(repo: Repo, content: _Content, out: DvcOut) -> Manifest | None:
    if not out.md5.endswith(".dir"):
        entry = _entry(repo, content, posixpath.basename(out.path), out.md5, out.legacy)
        return Manifest("file", (entry,)) if entry is not None else None
    listing = content.find(out.md5)
    if listing is None:
        return None
    if hashlib.md5(listing.read_bytes()).hexdigest() != out.md5[:-4]:
        raise DataVCError(f"DVC directory listing {out.md5} does not match its md5")
    try:
        items = [(safe_relpath(str(i["relpath"])), str(i["md5"])) for i in json.loads(listing.read_bytes())]
    except (ValueError, KeyError, TypeError):
        raise DataVCError(f"unreadable DVC directory listing {out.md5}") from None
    entries = []
    for rel, md5 in sorted(items):
        e = _entry(repo, content, rel, md5, out.legacy)
        if e is None:
            return None
        entries.append(e)
    return Manifest("dir", tuple(entries))
