"""Reading versions back: verified file assembly, the read-only file cache, and ``load``."""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

import xxhash

from . import tabular
from .errors import CorruptObject, StorageError
from .manifest import FileEntry, Manifest
from .objects import hash_file, write_all
from .paths import join_inside
from .refs import Version
from .revision import parse_rev

if TYPE_CHECKING:
    from .repo import Repo


def write_entry(
    repo: Repo, entry: FileEntry, dest: Path, where: str, mode: int = 0o644, atomic: bool = True
) -> os.stat_result:
    """Assemble ``entry`` at ``dest``; every chunk and the whole are verified. Returns the file's stat.

    With ``atomic`` the bytes go to a temp file renamed at the end; without, ``dest`` must be a
    fresh temp name of the caller's (it is removed on failure).
    """
    tmp = dest.with_name(f".tmp-{dest.name}-{uuid.uuid4().hex[:8]}") if atomic else dest
    single = entry.chunks == ((entry.hash, entry.size),)  # the file is its one chunk: get() verifies it
    whole = xxhash.xxh3_128()
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)  # the fd stays writable
        try:
            for oid, size in entry.chunks:
                data = repo.objects.get(oid, where=where, size=size)
                if not single:
                    whole.update(data)
                write_all(fd, data)
            st = os.fstat(fd)
        finally:
            os.close(fd)
        if not single and whole.hexdigest() != entry.hash:
            raise CorruptObject(entry.hash, "assembled file does not match its hash", where)
        if atomic:
            os.replace(tmp, dest)
        return st
    except BaseException as err:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(err, OSError):
            raise StorageError.from_os_error(err, f"writing {dest}") from err
        raise


def verify_file(path: Path, digest: str, where: str) -> None:
    if hash_file(path) != digest:
        raise CorruptObject(digest, f"cached copy {path} does not match", where)


def cached_file(repo: Repo, entry: FileEntry, where: str) -> Path:
    """A verified read-only copy of ``entry`` under ``.datavc/cache/files/``."""
    folder = repo.dir / "cache" / "files" / entry.hash
    dest = folder / os.path.basename(entry.path)
    if dest.exists():
        try:
            verify_file(dest, entry.hash, where)
            return dest
        except CorruptObject:  # the cache is derived data: rebuild it from the verified chunks
            os.chmod(dest, 0o644)
            dest.unlink()
    folder.mkdir(parents=True, exist_ok=True)
    write_entry(repo, entry, dest, where, mode=0o444)
    return dest


def materialize(repo: Repo, version: Version, manifest: Manifest) -> Path:
    """The version as read-only files: the file itself, or a tree of hard links to cached files."""
    where = version.ref
    if manifest.kind == "file":
        return cached_file(repo, manifest.files[0], f"{where} ({manifest.files[0].path})")
    tree = repo.dir / "cache" / "trees" / version.manifest
    for entry in manifest.files:
        src = cached_file(repo, entry, f"{where} ({entry.path})")
        dest = join_inside(tree, entry.path)
        if dest.exists():
            continue
        dest.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(src, dest)
        except FileExistsError:
            pass
        except OSError:
            write_entry(repo, entry, dest, where, mode=0o444)
    return tree


def table_format(manifest: Manifest) -> str | None:
    formats = {tabular.format_of(f.path) for f in manifest.files}
    if len(formats) == 1:
        return formats.pop()
    return None


def load(repo: Repo, rev: str, *, arrow: bool = False, path: bool = False) -> Any:
    """A version's table (pandas, or pyarrow with ``arrow``), or the path of a read-only copy."""
    spec = parse_rev(rev)
    repo.wait_for(spec.name)
    version = repo.resolve(spec)
    manifest = repo.manifest(version)
    location = materialize(repo, version, manifest)
    if spec.kind != "latest" or spec.back:  # a pinned version (not "whatever is newest"): audit it
        repo.audit("load", dataset=version.dataset, version=version.number, manifest=version.manifest, rev=str(spec))
    fmt = table_format(manifest)
    if path or fmt is None or not manifest.files:
        return location
    try:
        if fmt == "parquet" and manifest.kind == "dir":
            import pyarrow.parquet as pq

            table = pq.read_table(location)
        else:
            files = [location] if manifest.kind == "file" else [location / f.path for f in manifest.files]
            table = tabular.read_table(files, fmt)
    except OSError as err:
        raise StorageError.from_os_error(err, f"reading {version.ref}") from err
    except Exception as err:
        from .errors import DataVCError

        raise DataVCError(f"{version.ref} is not a readable {fmt} table: {str(err).splitlines()[0]}") from None
    return table if arrow else table.to_pandas()
