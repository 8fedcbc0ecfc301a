#!/usr/bin/env python3
"""The two floors under a durable, content-defined add of one file, timed by ``bench_core.py``.

    core_floor.py disk SRC DST [--direct]   # SRC's bytes copied onto the disk: persisting them costs at least this
    core_floor.py chunk SRC      # datavc's own read, cut and hash of SRC, storing nothing

``disk`` times a plain durable copy, one of two ways (see :func:`disk`); the report takes the
faster as the floor. ``chunk`` runs the add's pipeline with a store that keeps nothing.
"""

from __future__ import annotations

import errno
import mmap
import os
import sys
import tempfile
from pathlib import Path

PIECE = 16 << 20


def disk(src: Path, dst: Path, direct: bool = False) -> str:
    """Copy ``src`` to ``dst`` durably: 64 KiB writes, each 16 MiB handed to the disk at once
    (``sync_file_range``), one fsync at the end. ``direct``: 16 MiB ``O_DIRECT`` writes instead,
    which skip the page cache (faster when this VM's page cache is in a slow phase, slower when not)."""
    from jupyter_datavc.core.objects import start_writeback, write_all

    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
    how = "O_DIRECT" if direct else "buffered, early write-back"
    try:
        fd = os.open(dst, flags | (os.O_DIRECT if direct else 0), 0o644)
    except OSError as err:
        if err.errno != errno.EINVAL:
            raise
        fd, how = os.open(dst, flags, 0o644), "buffered (no O_DIRECT here)"
    view = memoryview(mmap.mmap(-1, PIECE))  # page-aligned, as O_DIRECT needs
    try:
        with open(src, "rb", buffering=0) as f:
            while n := f.readinto(view):
                if direct:
                    if n % 4096:  # the unaligned tail goes through the page cache
                        os.close(fd)
                        fd = os.open(dst, os.O_WRONLY | os.O_APPEND)
                    done = 0
                    while done < n:
                        done += os.write(fd, view[done:n])
                else:
                    write_all(fd, view[:n])
                    start_writeback(fd)
        os.fsync(fd)
    finally:
        os.close(fd)
    return how


def chunk(src: Path) -> str:
    from jupyter_datavc.core.chunking import chunk_and_store
    from jupyter_datavc.core.objects import ObjectStore

    class NullStore(ObjectStore):
        def put(self, oid: str, data: bytes | memoryview, **_: object) -> bool:
            return False

    with tempfile.TemporaryDirectory() as tmp:
        result = chunk_and_store(src, NullStore(Path(tmp)), size_hint=src.stat().st_size)
    return f"{len(result.chunks)} chunks, file hash {result.hash}"


def main(argv: list[str]) -> int:
    if len(argv) in (3, 4) and argv[0] == "disk" and argv[3:] in ([], ["--direct"]):
        print(disk(Path(argv[1]), Path(argv[2]), direct=bool(argv[3:])))
    elif len(argv) == 2 and argv[0] == "chunk":
        print(chunk(Path(argv[1])))
    else:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
