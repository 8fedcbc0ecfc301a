"""Content-defined chunking (FastCDC 2020 via the compiled ``pyfastcdc``) plus xxh3-128 digests.

Files are read in large pieces: the chunker, the hash, reads and writes all release the GIL, and
large pieces keep a busy notebook's main thread from starving this one. Reading, cutting and hashing run
on the calling thread while writer threads store the new chunks of the previous pieces, so a
large file uses both cores. A chunk is only accepted once the data after its start reaches
``MAX_SIZE`` or the end of the file, so cut points never depend on where a read stopped.
"""

from __future__ import annotations

import functools
import os
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import xxhash

from .objects import Deferred, ObjectStore

if TYPE_CHECKING:
    from concurrent.futures import Future, ThreadPoolExecutor

AVG_SIZE = 1 << 20
MIN_SIZE = 256 << 10
MAX_SIZE = 4 << 20
PIECE_SIZE = 16 << 20
SMALL_FILE = PIECE_SIZE
WRITERS = 2  # threads storing chunks: creating files is partly waiting, so two overlap well
RING = WRITERS + 2  # buffers: one per writer, the one being read, one spare


@functools.cache
def _chunker() -> Any:
    from pyfastcdc import FastCDC  # imported on first use: commands that store nothing start faster

    return FastCDC(AVG_SIZE, min_size=MIN_SIZE, max_size=MAX_SIZE)


@dataclass(frozen=True)
class ChunkedFile:
    hash: str
    size: int
    chunks: tuple[tuple[str, int], ...]
    new_bytes: int  # bytes of chunks that were not in the store before


class Cancelled(Exception):
    """Raised inside a chunking loop when the job asked to stop."""


def cut(data: bytes | memoryview) -> list[tuple[str, memoryview]]:
    """All chunks of an in-memory buffer as ``(oid, view)``."""
    return [(xxhash.xxh3_128_hexdigest(c.data), c.data) for c in _chunker().cut_buf(data)]


def _store_all(store: ObjectStore, pieces: list[tuple[str, memoryview]]) -> int:
    return sum(len(data) for oid, data in pieces if store.put(oid, data))


def _store_batch(store: ObjectStore, batch: list[tuple[str, memoryview]]) -> tuple[int, Deferred]:
    """The writer's half of the pipeline: store the chunks the store lacks; their write-back comes later."""
    later = Deferred()
    try:
        return sum(len(data) for oid, data in batch if store.put(oid, data, writeback=later)), later
    except BaseException:
        later.flush()
        raise


def chunk_small(path: str | os.PathLike[str], store: ObjectStore) -> ChunkedFile:
    """Read a small file whole, cut it and store its chunks."""
    with open(path, "rb", buffering=0) as f:
        data = f.read()
    pieces = cut(data)
    new = _store_all(store, pieces)
    digest = pieces[0][0] if len(pieces) == 1 else xxhash.xxh3_128_hexdigest(data)
    return ChunkedFile(digest, len(data), tuple((oid, len(v)) for oid, v in pieces), new)


def chunk_and_store(
    path: str | os.PathLike[str],
    store: ObjectStore,
    *,
    on_bytes: Callable[[int], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    size_hint: int | None = None,
) -> ChunkedFile:
    """Cut ``path`` into chunks, store the chunks the store lacks, and return the file's digests."""
    if size_hint is not None and size_hint <= SMALL_FILE:
        result = chunk_small(path, store)
        if on_bytes is not None:
            on_bytes(result.size)
        return result
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(WRITERS, thread_name_prefix="datavc-writer") as writer:
        return _chunk_pipelined(path, store, writer, on_bytes, should_stop)


def _chunk_pipelined(
    path: str | os.PathLike[str],
    store: ObjectStore,
    writer: ThreadPoolExecutor,
    on_bytes: Callable[[int], None] | None,
    should_stop: Callable[[], bool] | None,
) -> ChunkedFile:
    """This thread reads, cuts and hashes; ``WRITERS`` threads store, one batch each, over a ring of buffers.

    Writers only write: creating the object files and copying the bytes into new page-cache
    pages is the dearest step, so this thread takes the rest, including starting the write-back
    of the files the writers made (``sync_file_range``, ~0.1 s per GiB).
    """
    ring = [bytearray(PIECE_SIZE + MAX_SIZE) for _ in range(RING)]
    pending: deque[Future[tuple[int, Deferred]]] = deque()
    file_hasher = xxhash.xxh3_128()
    chunks: list[tuple[str, int]] = []
    size = new_bytes = 0
    carry = memoryview(b"")
    eof = False
    slot = 0

    def collect() -> None:
        nonlocal new_bytes
        new, later = pending.popleft().result()
        later.flush()
        new_bytes += new

    try:
        with open(path, "rb", buffering=0) as f:
            while not eof or carry:
                if should_stop is not None and should_stop():
                    raise Cancelled()
                if len(pending) == len(ring):  # a writer still holds this slot's chunks
                    collect()
                view = memoryview(ring[slot])
                filled = len(carry)
                view[:filled] = carry
                while not eof and filled < len(view):  # carry < MAX_SIZE, so >= PIECE_SIZE fresh bytes
                    n = f.readinto(view[filled:])
                    if not n:
                        eof = True
                        break
                    filled += n
                    size += n
                    if on_bytes is not None:
                        on_bytes(n)
                if filled == 0:
                    break
                batch: list[tuple[str, memoryview]] = []
                consumed = 0
                for c in _chunker().cut_buf(view[:filled]):
                    if not eof and c.offset + MAX_SIZE > filled:
                        break
                    oid = xxhash.xxh3_128_hexdigest(c.data)
                    batch.append((oid, c.data))
                    chunks.append((oid, c.length))
                    consumed = c.offset + c.length
                file_hasher.update(view[:consumed])
                carry = view[consumed:filled]
                pending.append(writer.submit(_store_batch, store, batch))
                slot = (slot + 1) % len(ring)
        while pending:
            collect()
    finally:
        for fut in pending:  # after an error: let the writer finish with the buffers before they go
            if fut.exception() is None:
                fut.result()[1].flush()
    return ChunkedFile(file_hasher.hexdigest(), size, tuple(chunks), new_bytes)
