"""Purge records: ``refs/<name>/v<N>.purged.json`` beside the (immutable) ref of a purged version.

The record says who purged the version, when and why. A version with a record has no bytes any
more: reading it raises :class:`VersionPurged`, ``verify`` expects its data to be missing, and
``gc`` no longer counts it as a root. The record is small JSON meant for Git, like the refs.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import VersionPurged
from .objects import write_atomic
from .refs import Version

if TYPE_CHECKING:
    from .repo import Repo

_PURGED = re.compile(r"v([0-9]+)\.purged\.json")


def record_path(repo: Repo, dataset: str, number: int) -> Path:
    return repo.refs._dir(dataset) / f"v{number}.purged.json"


def purged_numbers(repo: Repo, dataset: str) -> set[int]:
    """Numbers of the purged versions of ``dataset`` (one directory listing)."""
    try:
        names = os.listdir(repo.refs._dir(dataset))
    except (FileNotFoundError, NotADirectoryError):
        return set()
    return {int(m.group(1)) for n in names if (m := _PURGED.fullmatch(n))}


def is_purged(repo: Repo, version: Version) -> bool:
    return os.path.exists(record_path(repo, version.dataset, version.number))


def read_record(repo: Repo, version: Version) -> dict[str, Any] | None:
    """The purge record of ``version``, or None if it was not purged (an unreadable one still counts)."""
    path = record_path(repo, version.dataset, version.number)
    try:
        doc = json.loads(path.read_bytes())
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        return {"time": "?", "author": "?", "reason": f"(unreadable purge record {path.name})"}
    return doc if isinstance(doc, dict) else {"time": "?", "author": "?", "reason": "(unreadable purge record)"}


def write_record(repo: Repo, version: Version, reason: str, author: str, when: str) -> dict[str, Any]:
    doc = {
        "dataset": version.dataset,
        "version": version.number,
        "manifest": version.manifest,
        "reason": reason,
        "author": author,
        "time": when,
    }
    path = record_path(repo, version.dataset, version.number)
    write_atomic(path, json.dumps(doc, indent=1, sort_keys=True).encode() + b"\n", fsync=True)
    return doc


def purged_error(version: Version, record: dict[str, Any]) -> VersionPurged:
    return VersionPurged(
        version.ref, str(record.get("time", "?")), str(record.get("author", "?")), str(record.get("reason", ""))
    )


def ensure_not_purged(repo: Repo, version: Version) -> None:
    """Raise :class:`VersionPurged` (when, who, why) if ``version`` was purged."""
    record = read_record(repo, version)
    if record is not None:
        raise purged_error(version, record)
