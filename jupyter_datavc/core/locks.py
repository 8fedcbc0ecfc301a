"""The store lock: writers that reference chunks share it; gc and purge take it alone.

Any job that writes chunks or a manifest and then refers to them (``add`` from its start to its
commit, ``checkout`` while it records stat-cache entries, a ``pull``) holds the lock *shared*;
``gc`` and ``purge``, which delete chunks, hold it *exclusively*. So a chunk an add found already
in the store (and therefore did not write) cannot be deleted before the add's ref points at it.

It is an ``flock`` on ``.datavc/locks/gc.lock``: the kernel drops it when a process dies, even by
SIGKILL, so a crashed add never blocks gc. A second lock, ``gc.intent``, is a turnstile: a
writer passes through it before taking its shared lock, and gc holds it while it waits, so a
stream of overlapping adds cannot starve gc. Waiting polls (``on_wait`` runs between polls), so a
waiting add can still be cancelled. Without ``fcntl`` (Windows) both kinds are one exclusive
file lock: adds of different processes then run one at a time.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from .errors import StorageError, StoreBusy

LOCK = "gc.lock"
TURNSTILE = "gc.intent"
POLL = 0.02


def _open(path: Path) -> int:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        return os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as err:
        raise StorageError.from_os_error(err, f"opening lock {path}") from err


if sys.platform != "win32":
    import fcntl

    def _try(fd: int, exclusive: bool) -> bool:
        try:
            fcntl.flock(fd, (fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH) | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _release(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)

else:  # pragma: no cover - exercised on Windows only
    import msvcrt

    def _try(fd: int, exclusive: bool) -> bool:
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def _release(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)


def _acquire(fd: int, exclusive: bool, deadline: float | None, on_wait: Callable[[], None] | None, what: str) -> None:
    while not _try(fd, exclusive):
        if on_wait is not None:
            on_wait()
        if deadline is not None and time.monotonic() >= deadline:
            raise StoreBusy(f"{what}: the store is busy (an add, gc or purge is running); try again later")
        time.sleep(POLL)


@contextmanager
def store_lock(
    repo_dir: Path,
    *,
    exclusive: bool,
    timeout: float | None = None,
    on_wait: Callable[[], None] | None = None,
    what: str = "datavc",
) -> Iterator[None]:
    """Hold the store lock of the repository at ``repo_dir`` (shared unless ``exclusive``)."""
    locks = repo_dir / "locks"
    deadline = None if timeout is None else time.monotonic() + timeout
    turnstile = _open(locks / TURNSTILE)
    fd = _open(locks / LOCK) if sys.platform != "win32" else turnstile
    try:
        _acquire(turnstile, True, deadline, on_wait, what)
        if fd != turnstile:
            try:
                _acquire(fd, exclusive, deadline, on_wait, what)
            finally:
                if not exclusive:
                    _release(turnstile)  # let the next writer (or a waiting gc) in
        yield
    finally:
        if fd != turnstile:
            os.close(fd)
        os.close(turnstile)
