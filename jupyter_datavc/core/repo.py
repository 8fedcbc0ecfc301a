"""A repository: the ``.datavc/`` folder at a project's root and the verbs over it."""

from __future__ import annotations

import getpass
import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import CorruptMetadata, DataVCError, RepoNotFound, StorageError
from .jobs import Job, JobManager
from .manifest import Manifest, path_hashes
from .objects import ObjectStore, write_atomic
from .refs import RefStore, Version
from .revision import RevSpec, parse_rev
from .statcache import StatCache
from .tombstones import ensure_not_purged

DIRNAME = ".datavc"
GITIGNORE = """\
# jupyter_datavc: refs/ and config.json are meant for Git; the data itself moves through remotes.
objects/
manifests/
cache/
jobs/
tmp/
locks/
# this machine's operation log: every checkout and pinned load appends to it, so tracking it
# would block `git checkout`; keep copies elsewhere if you need to prove its tail untouched
audit.log
"""

_managers: dict[Path, JobManager] = {}
_managers_lock = threading.Lock()


@dataclass(frozen=True)
class DatasetSummary:
    name: str
    latest: Version
    versions: int


class Repo:
    """A datavc repository rooted at ``root`` (the folder that holds ``.datavc/``)."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root).resolve()
        self.dir = self.root / DIRNAME
        if not self.dir.is_dir():
            raise RepoNotFound(f"no datavc repository at {self.root} (run 'datavc init' there)")
        self.objects = ObjectStore(self.dir / "objects")
        self.manifests = ObjectStore(self.dir / "manifests")
        self.refs = RefStore(self.dir / "refs")
        self.statcache = StatCache(self.dir / "cache" / "stat.sqlite")
        self.config = self._read_config()
        if not self.fsync:  # no flush follows a write: no early write-back either
            self.objects.writeback = self.manifests.writeback = False
        if self.config.get("remotes"):  # objects missing here come from the default remote on demand
            from .remote import attach_lazy_fetch

            attach_lazy_fetch(self)
        with _managers_lock:
            self.jobs = _managers.setdefault(self.dir, JobManager(self.dir / "jobs"))

    def __repr__(self) -> str:
        return f"Repo({str(self.root)!r})"

    # -- finding and creating -----------------------------------------------------------------
    @classmethod
    def init(cls, path: str | os.PathLike[str] = ".") -> Repo:
        root = Path(path).resolve()
        d = root / DIRNAME
        try:
            for sub in ("refs", "objects", "manifests", "cache", "jobs", "tmp", "locks"):
                (d / sub).mkdir(parents=True, exist_ok=True)
            created = not (d / "config.json").exists()
            if created:
                write_atomic(d / "config.json", json.dumps({"format": "datavc.config", "version": 1}).encode())
            if not (d / ".gitignore").exists():
                write_atomic(d / ".gitignore", GITIGNORE.encode())
        except OSError as err:
            raise StorageError.from_os_error(err, f"creating {d}") from err
        repo = cls(root)
        if created:
            repo.audit("init", path=str(root))
        return repo

    @classmethod
    def find_root(cls, start: str | os.PathLike[str] | None = None) -> Path | None:
        cur = Path(start or Path.cwd()).resolve()
        for folder in (cur, *cur.parents):
            if (folder / DIRNAME).is_dir():
                return folder
        return None

    @classmethod
    def discover(cls, start: str | os.PathLike[str] | None = None) -> Repo:
        root = cls.find_root(start)
        if root is None:
            where = Path(start or Path.cwd()).resolve()
            raise RepoNotFound(f"no .datavc/ in {where} or any folder above it (run 'datavc init')")
        return cls(root)

    @classmethod
    def open_or_init(cls, start: str | os.PathLike[str] | None = None) -> tuple[Repo, bool]:
        root = cls.find_root(start)
        if root is not None:
            return cls(root), False
        return cls.init(start or Path.cwd()), True

    @property
    def fsync(self) -> bool:
        """Flush the file system before each commit (``"fsync"`` in config.json, default true)."""
        return bool(self.config.get("fsync", True))

    def _read_config(self) -> dict[str, Any]:
        path = self.dir / "config.json"
        try:
            doc = json.loads(path.read_bytes())
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as err:
            raise CorruptMetadata(f"unreadable {path}: {err}") from None
        if not isinstance(doc, dict):
            raise CorruptMetadata(f"unreadable {path}: not a JSON object")
        return doc

    # -- identity -----------------------------------------------------------------------------
    def author(self) -> str:
        env = os.environ.get("DATAVC_AUTHOR")
        if env:
            return env
        if "author" in self.config:
            return str(self.config["author"])
        import subprocess

        try:
            out = subprocess.run(
                ["git", "config", "user.name"], cwd=self.root, capture_output=True, text=True, timeout=5
            )
            if out.returncode == 0 and out.stdout.strip():
                return out.stdout.strip()
        except (OSError, subprocess.SubprocessError):
            pass
        return getpass.getuser()

    # -- reading ------------------------------------------------------------------------------
    def resolve(self, rev: str | RevSpec) -> Version:
        spec = parse_rev(rev) if isinstance(rev, str) else rev
        return self.refs.resolve(spec)

    def manifest(self, version: Version) -> Manifest:
        ensure_not_purged(self, version)  # "purged on ... by ...: reason" rather than a missing object
        data = self.manifests.get(version.manifest, where=f"manifest of {version.ref}")
        return Manifest.from_bytes(data, where=f"manifest of {version.ref}")

    def manifest_hashes(self, version: Version) -> tuple[str, dict[str, str]]:
        """``version``'s kind and path -> content hash (a cheaper read of its manifest)."""
        ensure_not_purged(self, version)
        data = self.manifests.get(version.manifest, where=f"manifest of {version.ref}")
        return path_hashes(data, where=f"manifest of {version.ref}")

    def log(self, name: str) -> list[Version]:
        return self.refs.versions(parse_rev(name).name)

    def ls(self) -> list[DatasetSummary]:
        out = []
        for name in self.refs.datasets():
            versions = self.refs.versions(name)
            out.append(DatasetSummary(name, versions[-1], len(versions)))
        return out

    def tag(self, rev: str, tag: str, delete: bool = False) -> Version:
        version = self.resolve(rev)
        if delete:
            self.refs.remove_tag(version.dataset, tag)
        else:
            self.refs.set_tag(version, tag)
        self.audit(
            "tag", dataset=version.dataset, version=version.number, manifest=version.manifest, tag=tag, deleted=delete
        )
        return self.resolve(f"{version.dataset}@v{version.number}")

    def wait_for(self, dataset: str) -> None:
        """Wait for this process's running jobs on ``dataset`` (a checkout waits for an add)."""
        for job in self.jobs.running_for(dataset):
            try:
                job.wait()
            except DataVCError:
                pass  # the add's own error is reported by the add; the reader sees the old state

    def audit(self, operation: str, *, by: str | None = None, **details: Any) -> None:
        """Append an event to the hash-chained audit log (:mod:`.audit`); a failure warns, never raises.

        Name the versions an operation used as ``dataset=, version=, manifest=``, or inside nested
        dicts (``inputs=[{"dataset": ..., "version": ..., "manifest": ...}]``) or as "NAME@vN"
        strings: ``audit --report`` finds a version's events that way. ``by``: the user (default: author).
        """
        from .audit import record

        record(self, operation, details, by)

    # -- verbs implemented in their own modules --------------------------------------------------
    def start_add(self, path: str | os.PathLike[str] | None = None, **kw: Any) -> Job:
        from .ingest import start_add

        return start_add(self, path, **kw)

    def add(self, path: str | os.PathLike[str] | None = None, **kw: Any) -> Version:
        version: Version = self.start_add(path, **kw).wait()
        return version

    def checkout(self, rev: str, **kw: Any) -> Any:
        from .workspace import checkout

        return checkout(self, rev, **kw)

    def status(self) -> Any:
        from .workspace import status

        return status(self)

    def load(self, rev: str, **kw: Any) -> Any:
        from .reading import load

        return load(self, rev, **kw)
