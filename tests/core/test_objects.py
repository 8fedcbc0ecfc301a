from __future__ import annotations

import os
from pathlib import Path

import pytest
import xxhash

from jupyter_datavc.core import chunking, objects
from jupyter_datavc.core.errors import CorruptObject, MissingObject
from jupyter_datavc.core.objects import Deferred, ObjectStore


def test_put_is_write_once_read_only_and_fanned_out(tmp_path: Path) -> None:
    store = ObjectStore(tmp_path / "objects")
    oid = store.put_bytes(b"hello")
    path = store.path(oid)
    assert path.parent.name == oid[:2] and path.name == oid[2:]
    assert oid == xxhash.xxh3_128_hexdigest(b"hello") and len(oid) == 32
    assert not os.stat(path).st_mode & 0o222
    assert store.put(oid, b"hello") is False
    assert store.get(oid) == b"hello"
    assert list(store.iter_oids()) == [oid]
    assert not [p for p in path.parent.iterdir() if p.name.startswith(".tmp")]


def test_deferred_write_back_keeps_files_open_until_flushed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    started: list[int] = []
    monkeypatch.setattr(objects, "start_writeback", started.append)
    store = ObjectStore(tmp_path / "objects")
    later = Deferred()
    assert store.put(xxhash.xxh3_128_hexdigest(b"a"), b"a", writeback=later)
    assert store.put(xxhash.xxh3_128_hexdigest(b"b"), b"b", writeback=later)
    assert store.put(xxhash.xxh3_128_hexdigest(b"a"), b"a", writeback=later) is False  # there already
    fds = list(later.fds)
    assert len(fds) == 2 and not started
    assert store.get(xxhash.xxh3_128_hexdigest(b"b")) == b"b"  # linked in place before the write-back
    later.flush()
    assert sorted(started) == sorted(fds) and not later.fds
    for fd in fds:
        with pytest.raises(OSError):
            os.fstat(fd)  # closed


def test_get_verifies_content_and_size(tmp_path: Path) -> None:
    store = ObjectStore(tmp_path / "objects")
    oid = store.put_bytes(b"payload")
    path = store.path(oid)
    os.chmod(path, 0o644)
    path.write_bytes(b"paYload")
    with pytest.raises(CorruptObject, match=oid):
        store.get(oid, where="raw@v1")
    with pytest.raises(CorruptObject, match="size"):
        store.get(oid, size=3)
    path.unlink()
    with pytest.raises(MissingObject, match="needed by raw@v1"):
        store.get(oid, where="raw@v1")


def _cuts(data: bytes) -> list[tuple[str, int]]:
    return [(oid, len(view)) for oid, view in chunking.cut(data)]


@pytest.mark.parametrize("piece", [1 << 20, 5 << 20, 16 << 20])
def test_streamed_cut_points_do_not_depend_on_read_size(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, piece: int
) -> None:
    data = os.urandom(23 << 20)
    src = tmp_path / "big.bin"
    src.write_bytes(data)
    monkeypatch.setattr(chunking, "PIECE_SIZE", piece)
    store = ObjectStore(tmp_path / "objects")
    res = chunking.chunk_and_store(src, store, size_hint=len(data) + (64 << 20))  # force the streaming path
    assert list(res.chunks) == _cuts(data)
    assert res.hash == xxhash.xxh3_128_hexdigest(data)
    assert res.size == len(data) == sum(n for _, n in res.chunks)
    assert b"".join(store.get(oid) for oid, _ in res.chunks) == data
    assert all(chunking.MIN_SIZE <= n <= chunking.MAX_SIZE for _, n in res.chunks[:-1])


def test_insert_in_the_middle_keeps_most_chunks(tmp_path: Path) -> None:
    data = os.urandom(40 << 20)
    edited = data[: 20 << 20] + b"inserted bytes" + data[20 << 20 :]
    before = {oid for oid, _ in _cuts(data)}
    after = _cuts(edited)
    new = sum(n for oid, n in after if oid not in before)
    assert new < 0.2 * len(edited)


def test_empty_and_small_files(tmp_path: Path) -> None:
    store = ObjectStore(tmp_path / "objects")
    (tmp_path / "empty").write_bytes(b"")
    res = chunking.chunk_and_store(tmp_path / "empty", store, size_hint=0)
    assert res.size == 0 and res.chunks == () and res.hash == xxhash.xxh3_128_hexdigest(b"")
    (tmp_path / "small").write_bytes(b"x" * 100)
    res = chunking.chunk_and_store(tmp_path / "small", store, size_hint=100)
    assert res.chunks == ((res.hash, 100),)


def test_write_all_writes_everything_in_small_pieces(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = os.urandom(3 * objects.WRITE_PIECE + 12345)
    sizes: list[int] = []
    real_write = os.write

    def short_write(fd: int, piece: memoryview) -> int:  # the kernel may write less than asked
        sizes.append(len(piece))
        return real_write(fd, piece[: max(1, len(piece) // 2)])

    monkeypatch.setattr(objects.os, "write", short_write)
    fd = os.open(tmp_path / "f", os.O_WRONLY | os.O_CREAT)
    try:
        objects.write_all(fd, data)
    finally:
        os.close(fd)
    assert (tmp_path / "f").read_bytes() == data
    assert max(sizes) == objects.WRITE_PIECE
