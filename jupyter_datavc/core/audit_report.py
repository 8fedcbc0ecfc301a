"""Chain of custody for one version: every audit event that names it, and whether the log is intact.

An event names a version (see :mod:`audit` for the ``details`` conventions) through a dict with
its ``dataset`` and ``version`` number (or, without a number, its ``manifest`` hash), at any depth,
or through its ``"NAME@vN"`` string. That covers the add that created it, transforms and runs
that read or wrote it, checkouts, loads of it pinned, tags, pushes, pulls and its purge.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .audit import ChainReport, Event, read_events, verify_chain
from .refs import Version
from .tombstones import read_record

if TYPE_CHECKING:
    from .repo import Repo


@dataclass(frozen=True)
class CustodyReport:
    version: Version
    purge: dict[str, Any] | None  # the purge record, if the version was purged
    events: list[Event]
    chain: ChainReport

    def to_json(self) -> dict[str, Any]:
        return {
            "version": self.version.to_json(),
            "purge": self.purge,
            "events": [e.to_json() for e in self.events],
            "chain": {
                "ok": self.chain.ok,
                "events": self.chain.events,
                "problems": [p.message for p in self.chain.problems],
            },
        }


def _names(d: dict[str, Any], version: Version) -> bool:
    if d.get("dataset") != version.dataset:
        return False
    number = d.get("version")
    if number is not None:
        return bool(number == version.number or number == f"v{version.number}")
    return bool(d.get("manifest") == version.manifest)


def mentions(details: Any, version: Version) -> bool:
    """Whether an event's ``details`` name ``version`` anywhere."""
    stack = [details]
    while stack:
        cur = stack.pop()
        if isinstance(cur, str):
            if cur == version.ref:
                return True
        elif isinstance(cur, dict):
            if _names(cur, version):
                return True
            stack.extend(cur.values())
        elif isinstance(cur, list):
            stack.extend(cur)
    return False


def report(repo: Repo, rev: str) -> CustodyReport:
    """Every event that names ``rev``'s version, oldest first, with the purge record and chain check."""
    version = repo.resolve(rev)
    events = [e for e in read_events(repo.dir) if mentions(e.details, version)]
    return CustodyReport(version, read_record(repo, version), events, verify_chain(repo.dir))
