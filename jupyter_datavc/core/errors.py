"""The one exception tree of jupyter_datavc.

Every error the core raises is a :class:`DataVCError`; its ``str()`` is one line a user can act
on. Adapters translate them in exactly one place each (magics -> UsageError, CLI -> exit 2,
REST -> JSON message).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence


class DataVCError(Exception):
    """Base of every error raised by jupyter_datavc."""

    #: HTTP status a REST adapter should answer with.
    status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class UsageError(DataVCError):
    """Arguments that do not make sense together or are malformed."""


class RepoNotFound(DataVCError):
    """No ``.datavc/`` in this folder or any folder above it."""

    status = 404


class InvalidRevision(DataVCError):
    """A ``NAME@REV`` that does not follow the revision grammar."""


class InvalidName(DataVCError):
    """A dataset or tag name that cannot be used."""


def _suggest(name: str, candidates: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(candidates), n=3, cutoff=0.6)
    return f" (did you mean {', '.join(repr(c) for c in close)}?)" if close else ""


class UnknownDataset(DataVCError):
    status = 404

    def __init__(self, name: str, known: Sequence[str] = ()) -> None:
        self.name = name
        super().__init__(f"unknown dataset {name!r}{_suggest(name, known)}")


class UnknownRevision(DataVCError):
    status = 404

    def __init__(self, dataset: str, rev: str, detail: str = "", known: Sequence[str] = ()) -> None:
        self.dataset = dataset
        self.rev = rev
        extra = f": {detail}" if detail else ""
        super().__init__(f"unknown revision {dataset}@{rev}{extra}{_suggest(rev, known)}")


class PathError(DataVCError):
    """A path that is missing, outside the repository or otherwise unusable."""


class UnsafePath(PathError):
    """A path stored in metadata that would escape its target (``..``, absolute, symlink)."""


class WorkspaceConflict(DataVCError):
    """Checkout would overwrite changes that are not in any version."""

    status = 409

    def __init__(self, dataset: str, files: Sequence[str]) -> None:
        self.files = list(files)
        shown = ", ".join(self.files[:5]) + (f" and {len(self.files) - 5} more" if len(self.files) > 5 else "")
        super().__init__(
            f"checkout of {dataset!r} would overwrite changes that are in no version: {shown}"
            " (add them first, or use --force)"
        )


class CorruptObject(DataVCError):
    """An object whose bytes do not hash to its name (or whose size is wrong)."""

    status = 500

    def __init__(self, oid: str, detail: str, where: str = "") -> None:
        self.oid = oid
        ctx = f" in {where}" if where else ""
        super().__init__(f"corrupt object {oid}{ctx}: {detail}")


class MissingObject(DataVCError):
    status = 500

    def __init__(self, oid: str, where: str = "") -> None:
        self.oid = oid
        ctx = f" needed by {where}" if where else ""
        super().__init__(f"missing object {oid}{ctx}")


class CorruptMetadata(DataVCError):
    """A ref, manifest or config file that cannot be read."""

    status = 500


class NotATable(DataVCError):
    def __init__(self, what: str, type_name: str) -> None:
        super().__init__(f"{what} is a {type_name}, not a pandas DataFrame or pyarrow Table")


class FileChanged(DataVCError):
    status = 409

    def __init__(self, path: str) -> None:
        self.path = path
        super().__init__(f"{path} changed while it was being hashed; nothing was committed (add it again)")


class JobCancelled(DataVCError):
    status = 409

    def __init__(self, job_id: str) -> None:
        super().__init__(f"job {job_id} was cancelled; nothing was committed")


class UnknownJob(DataVCError):
    status = 404

    def __init__(self, job_id: str, known: Sequence[str] = ()) -> None:
        super().__init__(f"unknown job {job_id!r}{_suggest(job_id, known)}")


class StorageError(DataVCError):
    """Disk full, permission denied and other OS errors, named after what was being done."""

    status = 500

    @classmethod
    def from_os_error(cls, err: OSError, doing: str) -> StorageError:
        import errno

        reason = {
            errno.ENOSPC: "no space left on device",
            errno.EDQUOT: "disk quota exceeded",
            errno.EACCES: "permission denied",
            errno.EPERM: "operation not permitted",
            errno.EROFS: "read-only file system",
        }.get(err.errno or 0, err.strerror or str(err))
        where = f" ({err.filename})" if err.filename else ""
        return cls(f"{doing} failed: {reason}{where}")


class VersionPurged(DataVCError):
    """A version whose bytes were removed by ``purge``; its ref and purge record stay."""

    status = 410

    def __init__(self, ref: str, when: str, who: str, reason: str) -> None:
        self.ref = ref
        self.reason = reason
        super().__init__(f"{ref} was purged on {when} by {who}: {reason}")


class StoreBusy(DataVCError):
    """The store lock could not be taken in time (an add, gc or purge holds it)."""

    status = 409


class RemoteError(DataVCError):
    """A remote that cannot be reached, read or written (credentials, bucket, network, conflicts)."""

    status = 502
