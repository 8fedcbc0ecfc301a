#!/usr/bin/env python3
"""The two floors under a durable, content-defined add of one file, timed by ``bench_core.py``.

    core_floor.py disk SRC DST   # SRC's bytes written straight to the disk: persisting them costs at least this
    core_floor.py chunk SRC      # datavc's own read, cut and hash of SRC, storing nothing

``disk`` bypasses the page cache (``O_DIRECT``, 16 MiB writes) and ends with an fsync, so it times
the device, not memory. Where ``O_DIRECT`` is refused (tmpfs) it writes through the page cache
and fsyncs, and says so. ``chunk`` runs the add's pipeline with a store that keeps nothing.
"""

from __future__ import annotations

import errno
import mmap
import os
import sys
import tempfile
from pathlib import Path

PIECE = 16 << 20


def disk(src: Path, dst: Path) -> str:
    try:
        fd = os.open(dst, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_DIRECT, 0o644)
        how = "O_DIRECT"
    except OSError as err:
        if err.errno != errno.EINVAL:
            raise
        fd = os.open(dst, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        how = "page cache + fsync (no O_DIRECT here)"
    view = memoryview(mmap.mmap(-1, PIECE))  # page-aligned, as O_DIRECT needs
    try:
        with open(src, "rb", buffering=0) as f:
            while n := f.readinto(view):
                if n % 4096 and how == "O_DIRECT":  # the unaligned tail goes through the page cache
                    os.close(fd)
                    fd = os.open(dst, os.O_WRONLY)
                    os.lseek(fd, 0, os.SEEK_END)
                    how += " (tail buffered)"
                done = 0
                while done < n:
                    done += os.write(fd, view[done:n])
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
    if len(argv) == 3 and argv[0] == "disk":
        print(disk(Path(argv[1]), Path(argv[2])))
    elif len(argv) == 2 and argv[0] == "chunk":
        print(chunk(Path(argv[1])))
    else:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
