"""Path rules: paths stored in metadata are relative, normalized POSIX paths, checked on every use."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from .errors import PathError, UnsafePath


def safe_relpath(rel: str) -> str:
    """Return ``rel`` if it is a normalized relative POSIX path that stays inside its root."""
    if not isinstance(rel, str) or not rel or "\x00" in rel or "\\" in rel:
        raise UnsafePath(f"unsafe path in metadata: {rel!r}")
    if rel.startswith("/") or (len(rel) > 1 and rel[1] == ":"):
        raise UnsafePath(f"unsafe path in metadata: {rel!r} is absolute")
    # no empty, "." or ".." segment: that is exactly what makes a relative path normalized
    if any(p in ("", ".", "..") for p in rel.split("/")):
        raise UnsafePath(f"unsafe path in metadata: {rel!r} is not a normalized path inside its folder")
    return rel


def join_inside(root: Path, rel: str) -> Path:
    """Join a stored relative path to ``root``, refusing anything that escapes it.

    Besides ``..`` and absolute paths this refuses symlinks on the way: no existing parent
    folder between ``root`` and the file may be a symlink, so a write cannot be redirected.
    """
    safe_relpath(rel)
    target = root.joinpath(*rel.split("/"))
    cur = root
    for part in rel.split("/")[:-1]:
        cur = cur / part
        if cur.is_symlink():
            raise UnsafePath(f"unsafe path: {cur} is a symlink (refusing to follow it out of {root})")
    return target


def join_all_inside(root: Path, rels: Iterable[str]) -> list[Path]:
    """:func:`join_inside` for many paths at once: each folder on the way is checked once, not per file."""
    base = os.fspath(root)
    checked: set[str] = set()
    out: list[Path] = []
    for rel in rels:
        safe_relpath(rel)
        parent = rel.rpartition("/")[0]
        if parent and parent not in checked:
            prefix = ""
            for part in parent.split("/"):
                prefix = f"{prefix}/{part}" if prefix else part
                if prefix not in checked:
                    if os.path.islink(os.path.join(base, prefix)):
                        raise UnsafePath(
                            f"unsafe path: {root / prefix} is a symlink (refusing to follow it out of {root})"
                        )
                    checked.add(prefix)
        out.append(Path(os.path.join(base, rel)))
    return out


def to_repo_relative(root: Path, path: str | os.PathLike[str], cwd: Path | None = None) -> str:
    """A user-given path as a normalized path relative to the repository root."""
    p = Path(path)
    if not p.is_absolute():
        p = (cwd or Path.cwd()) / p
    p = Path(os.path.normpath(p))
    try:
        rel = p.relative_to(root)
    except ValueError:
        raise PathError(f"{path} is outside the repository at {root}") from None
    text = rel.as_posix()
    return "" if text == "." else text
