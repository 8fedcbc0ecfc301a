"""Read-only queries a user interface pages through: datasets, a timeline, one version, a change token.

Everything returns plain JSON-ready dicts (the sidebar's REST API sends them as they are). The
change token is a cheap fingerprint of the folders a commit, a tag or a job touches, so a client
that polls it refetches only when something changed.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import UsageError
from .refs import Version
from .revision import check_name, parse_rev

if TYPE_CHECKING:
    from .repo import Repo

MAX_PAGE = 1000
MAX_FILES = 10_000


def _version_json(v: Version, parent: Version | None) -> dict[str, Any]:
    doc = v.to_json()
    doc["ref"] = v.ref
    doc["short"] = v.short
    doc["size_change"] = v.size - parent.size if parent is not None else None
    rows_before = parent.rows if parent is not None else None
    doc["rows_change"] = v.rows - rows_before if v.rows is not None and rows_before is not None else None
    return doc


def datasets(repo: Repo) -> dict[str, Any]:
    """Every dataset with its latest version: what a list of datasets shows."""
    out = []
    for s in repo.ls():
        v = s.latest
        out.append(
            {
                "name": s.name,
                "versions": s.versions,
                "latest": v.number,
                "ref": v.ref,
                "short": v.short,
                "size": v.size,
                "rows": v.rows,
                "files": v.files,
                "time": v.time,
                "author": v.author,
                "message": v.message,
                "tags": list(v.tags),
                "source": v.source,
                "path": v.path,
            }
        )
    return {"root": str(repo.root), "datasets": out}


def _page_args(offset: int, limit: int) -> None:
    if offset < 0:
        raise UsageError("offset must be zero or more")
    if not 1 <= limit <= MAX_PAGE:
        raise UsageError(f"limit must be between 1 and {MAX_PAGE}")


def versions_page(repo: Repo, name: str, offset: int = 0, limit: int = 100) -> dict[str, Any]:
    """One page of a dataset's versions, newest first, each with its size and rows change."""
    _page_args(offset, limit)
    versions = repo.refs.versions(check_name(name))
    by_number = {v.number: v for v in versions}
    newest_first = versions[::-1][offset : offset + limit]
    page = [_version_json(v, by_number.get(v.parent) if v.parent is not None else None) for v in newest_first]
    return {"dataset": name, "total": len(versions), "offset": offset, "limit": limit, "versions": page}


def version_summary(repo: Repo, name: str, rev: str, files_limit: int = 1000) -> dict[str, Any]:
    """One version and its manifest: files with sizes, formats, rows and schemas; the dataset's schema."""
    if not 0 <= files_limit <= MAX_FILES:
        raise UsageError(f"files_limit must be between 0 and {MAX_FILES}")
    check_name(name)
    version = repo.resolve(parse_rev(f"{name}@{rev}"))
    parent = None
    if version.parent is not None:
        parent = next((v for v in repo.refs.versions(name) if v.number == version.parent), None)
    manifest = repo.manifest(version)
    files = []
    for f in manifest.files[:files_limit]:
        table = f.table or {}
        files.append(
            {
                "path": f.path,
                "size": f.size,
                "hash": f.hash,
                "chunks": len(f.chunks),
                "format": table.get("format"),
                "rows": table.get("rows"),
                "columns": len(table["schema"]) if isinstance(table.get("schema"), list) else None,
                "error": table.get("error"),
            }
        )
    schemas = [f.table["schema"] for f in manifest.files if f.table and isinstance(f.table.get("schema"), list)]
    same = bool(schemas) and all(s == schemas[0] for s in schemas)
    return {
        "version": _version_json(version, parent),
        "kind": manifest.kind,
        "files_total": len(manifest.files),
        "files": files,
        "size": manifest.size,
        "rows": manifest.rows,
        "schema": schemas[0] if same else None,
        "schemas_differ": bool(schemas) and not same,
        "chunks": len(manifest.chunk_ids),
    }


def _fingerprint(paths: list[Path]) -> str:
    h = hashlib.blake2b(digest_size=8)
    for p in paths:
        try:
            st = os.stat(p)
        except OSError:
            h.update(f"{p.name}:-\n".encode())
            continue
        h.update(f"{p.name}:{st.st_mtime_ns}:{st.st_size}:{st.st_nlink}\n".encode())
    return h.hexdigest()


def change_token(root: Path | None) -> dict[str, Any]:
    """A fingerprint of refs (versions, tags) and jobs under ``root/.datavc``; it changes with them.

    Each part is a hash of a few directory stats: a new version, tag or job progress write renames
    a file into one of these folders, which moves that folder's mtime.
    """
    if root is None:
        return {"token": "none", "refs": "none", "jobs": "none"}
    refs = root / ".datavc" / "refs"
    dirs = [refs]
    try:
        with os.scandir(refs) as it:
            names = sorted(e.name for e in it if e.is_dir(follow_symlinks=False))
    except OSError:
        names = []
    for n in names:
        dirs += [refs / n, refs / n / "tags"]
    jobs = root / ".datavc" / "jobs"
    parts = {"refs": _fingerprint(dirs), "jobs": _fingerprint([jobs])}
    return {"token": f"{parts['refs']}-{parts['jobs']}", **parts}
