"""One remote's storage, over any fsspec file system: atomic puts, listings, exclusive create.

The remote mirrors the local layout (``objects/ab/…``, ``manifests/ab/…``, ``refs/<name>/vN.json``)
under its URL. What each backend guarantees, and how this module uses it:

- Puts are atomic for a reader. Object stores (S3, GCS, Azure, memory) make a whole-object PUT
  visible all at once (S3 also for multipart uploads, on completion), so objects go straight to
  their key. A local folder gets a temp file and a rename in the same folder. Other file systems
  (SFTP, …) get a temp key and a move.
- Exclusive create (a version number is taken by exactly one writer): a local folder uses a hard
  link of a fully written temp file (fails if the name exists); S3 a conditional PUT
  (``If-None-Match: *``, s3fs ``mode="create"``; 412 -> ``FileExistsError``); ``memory://`` a lock in
  this process. Any other backend, or one configured with ``exclusive_create: lease``, takes a
  lock object with a lease first (see :meth:`RemoteFS._create_with_lease`).

Every error becomes one :class:`RemoteError` line that names the remote and what was being done.
"""

from __future__ import annotations

import errno
import os
import random
import shutil
import stat
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from .errors import DataVCError, RemoteError
from .objects import start_writeback, sync_filesystem, write_atomic

OBJECT_STORES = frozenset({"s3", "s3a", "gs", "gcs", "az", "abfs", "abfss", "adl", "memory", "oss", "r2"})
CONDITIONAL_CREATE = frozenset({"s3", "s3a"})
LEASE = 60.0  # seconds a lock object is honoured; a holder gives up at half of it
_NETWORK = frozenset(
    {"ConnectionError", "TimeoutError", "EndpointConnectionError", "ClientConnectorError", "ClientOSError"}
)
_memory_lock = threading.Lock()
# no hard link here (another file system, no support, too many links, or no local file yet: the
# copy path fetches it): copy instead
_NO_LINK = frozenset(
    {errno.EXDEV, errno.EPERM, errno.EMLINK, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EACCES, errno.ENOENT}
)
_NO_COPY_RANGE = frozenset({errno.EXDEV, errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP, errno.EBADF, errno.EPERM})


def _reason(err: BaseException) -> str:
    text = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
    return text[:300]


class RemoteFS:
    """The storage of remote ``name`` at ``url`` (``storage_options`` go to fsspec)."""

    def __init__(self, name: str, url: str, options: dict[str, Any] | None = None, create: str | None = None) -> None:
        self.name = name
        self.url = url
        self.sent = 0
        self.received = 0
        self.requests = 0
        self._count = threading.Lock()
        self.fs: Any = None
        self.local = False
        # a local folder on the store's own file system gets hard links to the (immutable, read-only)
        # objects, as Git's local clones do; storage option hardlinks=false asks for copies
        self.hardlinks = str((options or {}).get("hardlinks", "true")).lower() not in ("false", "0", "no", "off")
        if "://" not in url or url.startswith("file://"):  # a local folder: plain os calls, no fsspec needed
            self.base = os.path.abspath(unquote(urlparse(url).path) if "://" in url else url)
            self.protocol, self.local = "file", True
        else:
            with self._call("opening the remote"):
                import fsspec

                # a fresh instance: credentials fixed since the last attempt count, and no stale listings
                self.fs, base = fsspec.core.url_to_fs(url, **{"skip_instance_cache": True, **(options or {})})
            self.base = str(base).rstrip("/")
            protocol = self.fs.protocol if isinstance(self.fs.protocol, str) else self.fs.protocol[0]
            self.protocol = str(protocol)
            self.local = type(self.fs).__name__ == "LocalFileSystem"
        if create is None:
            create = (
                "link"
                if self.local
                else "conditional"
                if self.protocol in CONDITIONAL_CREATE
                else "memory"
                if self.protocol == "memory"
                else "lease"
            )
        if create not in ("link", "conditional", "memory", "lease"):
            raise RemoteError(f"remote {name!r}: exclusive_create must be 'lease' or 'conditional', not {create!r}")
        self.create_mode = create

    def __repr__(self) -> str:
        return f"RemoteFS({self.name!r}, {self.url!r})"

    # -- errors -------------------------------------------------------------------------------
    @contextmanager
    def _call(self, what: str) -> Iterator[None]:
        try:
            yield
        except DataVCError:
            raise
        except Exception as err:
            raise self.error(err, what) from err

    def error(self, err: BaseException, what: str) -> RemoteError:
        where = f"remote {self.name!r} ({self.url})"
        names = {c.__name__ for c in type(err).__mro__}
        if "NoCredentialsError" in names or "PartialCredentialsError" in names:
            detail = "no credentials found; set them the fsspec way (environment, profile, or storage_options)"
        elif isinstance(err, PermissionError):
            detail = f"permission denied ({_reason(err)}); check the credentials and the access policy"
        elif isinstance(err, FileNotFoundError) and self._no_bucket(err):
            detail = f"the bucket does not exist ({_reason(err)})"
        elif isinstance(err, FileNotFoundError):
            detail = f"not found: {_reason(err)}"
        elif names & _NETWORK:
            detail = f"cannot reach it ({_reason(err)})"
        elif isinstance(err, ImportError):
            detail = f"{_reason(err)} (install the fsspec backend for this URL)"
        else:
            detail = f"{type(err).__name__}: {_reason(err)}"
        return RemoteError(f"{where}: {what} failed: {detail}")

    def _no_bucket(self, err: BaseException) -> bool:
        """A not-found error about the bucket or container itself, not about one key in it."""
        text = str(err).lower()
        return not self.local and ("bucket" in text or "container" in text)

    # -- paths --------------------------------------------------------------------------------
    def path(self, rel: str) -> str:
        return f"{self.base}/{rel}" if self.base else rel

    def _local(self, rel: str) -> Path:
        return Path(self.path(rel))

    def _counted(self, sent: int = 0, received: int = 0) -> None:
        with self._count:
            self.sent += sent
            self.received += received
            self.requests += 1

    # -- reading ------------------------------------------------------------------------------
    def get(self, rel: str) -> bytes | None:
        """The bytes at ``rel``; None if there is nothing there."""
        with self._call(f"reading {rel}"):
            try:
                data = self._local(rel).read_bytes() if self.local else bytes(self.fs.cat_file(self.path(rel)))
            except FileNotFoundError as err:
                if self._no_bucket(err):
                    raise
                self._counted()
                return None
        self._counted(received=len(data))
        return data

    def exists(self, rel: str) -> bool:
        with self._call(f"checking {rel}"):
            found = os.path.exists(self.path(rel)) if self.local else bool(self.fs.exists(self.path(rel)))
        self._counted()
        return found

    def listdir(self, rel: str) -> list[str]:
        """Names directly under ``rel`` (files and folders); empty if it does not exist."""
        with self._call(f"listing {rel}"):
            try:
                if self.local:
                    names = os.listdir(self.path(rel))
                else:
                    self.fs.invalidate_cache(self.path(rel))
                    names = [p.rstrip("/").rsplit("/", 1)[-1] for p in self.fs.ls(self.path(rel), detail=False)]
            except FileNotFoundError as err:
                if self._no_bucket(err):
                    raise
                names = []
            except NotADirectoryError:
                names = []
        self._counted()
        return [n for n in names if not n.startswith(".tmp-")]

    def check(self) -> None:
        """Fail early with a clear message when the remote cannot be listed (bucket, credentials)."""
        self.listdir("refs")

    # -- writing ------------------------------------------------------------------------------
    @staticmethod
    def _link(src: Path, tmp: Path, mode: int) -> bool:
        """Hard-link ``src`` at ``tmp``; False where that cannot be done (then the caller copies)."""
        try:
            if stat.S_IMODE(os.stat(src).st_mode) != mode:
                return False
            os.link(src, tmp)
        except OSError as err:
            if err.errno in _NO_LINK:
                return False
            raise
        return True

    def put(self, rel: str, data: bytes | memoryview, *, mode: int = 0o644) -> None:
        """Store ``data`` at ``rel``; a reader sees the old state or all of ``data``, never a part."""
        with self._call(f"writing {rel}"):
            if self.local:
                path = self._local(rel)
                try:
                    write_atomic(path, data, mode=mode)
                except FileNotFoundError:
                    path.parent.mkdir(parents=True, exist_ok=True)
                    write_atomic(path, data, mode=mode)
            elif self.protocol in OBJECT_STORES:
                self.fs.pipe_file(self.path(rel), bytes(data))
            else:
                tmp = self.path(f"{rel}.tmp-{uuid.uuid4().hex[:12]}")
                self.fs.pipe_file(tmp, bytes(data))
                self.fs.mv(tmp, self.path(rel))
        self._counted(sent=len(data))

    def put_file(self, rel: str, src: Path, *, mode: int = 0o644, before_copy: Callable[[], None] | None = None) -> int:
        """Copy the local file ``src`` to ``rel`` atomically; returns its size.

        A local remote on the same file system gets a hard link when ``src`` already has ``mode``
        (a read-only object: neither side can change it, and nothing is read); otherwise it
        copies inside the kernel (``copy_file_range``), as ``cp`` does. Other remotes get the
        bytes through :meth:`put`. ``before_copy`` runs first whenever bytes are copied (the
        caller's check of what is about to be published).
        """
        if not self.local:
            if before_copy is not None:
                before_copy()
            data = src.read_bytes()
            self.put(rel, data, mode=mode)
            return len(data)
        path = self._local(rel)
        with self._call(f"writing {rel}"):
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f".tmp-{path.name}-{uuid.uuid4().hex[:12]}")
            if self.hardlinks and self._link(src, tmp, mode):
                size = os.stat(tmp).st_size
                os.replace(tmp, path)
                if os.path.lexists(tmp):  # ``path`` was already this very file: rename did nothing
                    os.unlink(tmp)
                self._counted(sent=size)
                return size
            if before_copy is not None:
                before_copy()
            try:
                with open(src, "rb") as fin, open(tmp, "xb") as fout:
                    size = left = os.fstat(fin.fileno()).st_size
                    try:
                        if not hasattr(os, "copy_file_range"):  # not Linux
                            raise OSError(errno.ENOSYS, "copy_file_range")
                        while left > 0:
                            n = os.copy_file_range(fin.fileno(), fout.fileno(), left)
                            if n == 0:
                                break
                            left -= n
                    except OSError as err:
                        if err.errno not in _NO_COPY_RANGE:
                            raise
                        fin.seek(0)  # no in-kernel copy between these file systems: copy through memory
                        fout.seek(0)
                        fout.truncate()
                        shutil.copyfileobj(fin, fout, 16 << 20)
                    start_writeback(fout.fileno())
                os.chmod(tmp, mode)
                os.replace(tmp, path)
            except BaseException:
                if tmp.exists():
                    os.unlink(tmp)
                raise
        self._counted(sent=size)
        return size

    def flush(self) -> None:
        """Make what was put so far durable before a ref points at it (an object store's PUT already is)."""
        if self.local and os.path.isdir(self.base):
            with self._call("flushing to disk"):
                sync_filesystem(Path(self.base))

    def remove(self, rel: str) -> None:
        with self._call(f"removing {rel}"):
            try:
                if self.local:
                    os.unlink(self.path(rel))
                else:
                    self.fs.rm_file(self.path(rel))
            except FileNotFoundError:
                pass
        self._counted()

    def create(self, rel: str, data: bytes) -> bool:
        """Create ``rel`` holding ``data`` unless it exists: True for the one writer that created it."""
        with self._call(f"creating {rel}"):
            if self.create_mode == "link":
                created = self._create_local(rel, data)
            elif self.create_mode == "conditional":
                try:
                    self.fs.pipe_file(self.path(rel), data, mode="create")
                    created = True
                except FileExistsError:
                    created = False
            elif self.create_mode == "memory":
                with _memory_lock:
                    created = not self.fs.exists(self.path(rel))
                    if created:
                        self.fs.pipe_file(self.path(rel), data)
            else:
                created = self._create_with_lease(rel, data)
        self._counted(sent=len(data) if created else 0)
        return created

    def _create_local(self, rel: str, data: bytes) -> bool:
        path = self._local(rel)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".tmp-{path.name}-{uuid.uuid4().hex[:12]}")
        write_atomic(tmp, data, fsync=True)
        try:
            os.link(tmp, path)
        except FileExistsError:
            return False
        finally:
            os.unlink(tmp)
        return True

    def _create_with_lease(self, rel: str, data: bytes) -> bool:
        """Exclusive create for backends without it: a lock object per key, with a lease.

        Each writer puts its own claim ``locks/<key>/<time>-<id>`` and lists the claims; it holds
        the lock only if its claim is the only live one (claims older than ``LEASE`` are stale and
        removed). With read-after-write consistent listings (S3, GCS, Azure, local disks) two
        writers cannot both see only their own claim: whoever lists second sees the first. A
        holder checks ``rel`` and writes it within half the lease. Clocks of the writers must
        agree to well within ``LEASE``.
        """
        lock_dir = "locks/" + rel.replace("/", "~")
        for attempt in range(200):
            started = time.time()
            mine = f"{time.time_ns()}-{uuid.uuid4().hex[:12]}"
            self.put(f"{lock_dir}/{mine}", b"")
            try:
                live = []
                for claim in self.listdir(lock_dir):
                    try:
                        stamp = int(claim.split("-", 1)[0]) / 1e9
                    except ValueError:
                        continue
                    if time.time() - stamp > LEASE:
                        self.remove(f"{lock_dir}/{claim}")  # a holder that died
                    else:
                        live.append(claim)
                if live == [mine] and time.time() - started < LEASE / 2:
                    if self.get(rel) is not None:
                        return False
                    self.put(rel, data)
                    return True
            finally:
                self.remove(f"{lock_dir}/{mine}")
            time.sleep(random.uniform(0.01, 0.05) * min(attempt + 1, 10))
        raise RemoteError(f"remote {self.name!r}: could not take the lock for {rel} (other writers kept holding it)")
