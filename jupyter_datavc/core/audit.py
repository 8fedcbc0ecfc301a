"""The audit log: an append-only, hash-chained record of what was done to the store.

``.datavc/audit.log`` holds one JSON object per line: ``id`` (1, 2, 3, ...), ``time`` (UTC),
``user``, ``host``, ``operation``, ``details``, ``prev`` and ``hash``. ``hash`` is the SHA-256 of
the event's canonical bytes (sorted keys, no spaces, ASCII, every field but ``hash``); ``prev`` is
the previous event's ``hash`` (64 zeros for the first). Editing an event breaks its own hash (or,
if the hash was recomputed, the next event's ``prev``); deleting, inserting or reordering events
breaks the ids or the chain. :func:`verify_chain` names the first such event.

Appends take ``.datavc/locks/audit.lock`` around read-last-event + write + fsync, so any number
of processes and threads append without forking the chain. A write cut short (disk full, a
kill) leaves a line without its newline; the next append drops that unfinished line first.

Conventions for ``details`` (what :mod:`audit_report` matches a version by): a version is named
by ``dataset`` + ``version`` (number) + ``manifest`` (hash), either at the top level or in any
nested dict (e.g. ``inputs=[{"dataset": "raw", "version": 3, "manifest": "..."}]``), or by a
``"raw@v3"`` string anywhere.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import socket
import warnings
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from filelock import FileLock, Timeout

from .errors import DataVCError, StorageError
from .objects import write_all

if TYPE_CHECKING:
    from .repo import Repo

FILENAME = "audit.log"
GENESIS = "0" * 64
LOCK_TIMEOUT = 60.0
FIELDS = ("id", "time", "user", "host", "operation", "details", "prev", "hash")

_users: dict[tuple[Path, str | None], str] = {}


class AuditWarning(UserWarning):
    """An operation succeeded but its audit event could not be written."""


@dataclass(frozen=True)
class Event:
    id: int
    time: str
    user: str
    host: str
    operation: str
    details: dict[str, Any]
    prev: str
    hash: str

    def to_json(self) -> dict[str, Any]:
        return {f: getattr(self, f) for f in FIELDS}


def canonical(doc: dict[str, Any]) -> bytes:
    """The bytes an event's hash covers: every field but ``hash``, canonical JSON."""
    body = {k: v for k, v in doc.items() if k != "hash"}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True, default=str).encode()


def event_hash(doc: dict[str, Any]) -> str:
    return hashlib.sha256(canonical(doc)).hexdigest()


def parse_line(line: bytes) -> Event:
    """One log line as an :class:`Event`; ValueError if it is not a well-formed event."""
    doc = json.loads(line)
    if not isinstance(doc, dict) or set(doc) != set(FIELDS):
        raise ValueError("not an audit event")
    if not isinstance(doc["id"], int) or not isinstance(doc["details"], dict):
        raise ValueError("not an audit event")
    if not all(isinstance(doc[k], str) for k in FIELDS if k not in ("id", "details")):
        raise ValueError("not an audit event")
    return Event(**doc)


def log_path(repo_dir: Path) -> Path:
    return repo_dir / FILENAME


def _tail(fd: int, size: int) -> tuple[bytes, int]:
    """The last complete line (without its newline) and the offset just after it; (b"", 0) if none."""
    block = 4096
    while True:
        start = max(0, size - block)
        data = os.pread(fd, size - start, start)
        last_nl = data.rfind(b"\n")
        before = data.rfind(b"\n", 0, max(last_nl, 0))
        if start > 0 and before < 0:  # the line may begin further back
            block *= 4
            continue
        if last_nl < 0:
            return b"", 0
        return data[before + 1 : last_nl], start + last_nl + 1


def _next_link(fd: int, size: int) -> tuple[int, str, int]:
    """(next id, prev hash, size of the finished part) for an append to a log of ``size`` bytes."""
    last, end = _tail(fd, size)
    if end == 0:
        return 1, GENESIS, 0
    try:
        event = parse_line(last)
        return event.id + 1, event.hash, end
    except ValueError:  # a damaged last event: chain onto its bytes; verify_chain names it
        lines = os.pread(fd, end, 0).count(b"\n")
        return lines + 1, hashlib.sha256(last).hexdigest(), end


def append(repo_dir: Path, operation: str, details: dict[str, Any], user: str) -> Event:
    """Append one event under the audit lock and fsync it; returns the event written."""
    path = log_path(repo_dir)
    (repo_dir / "locks").mkdir(parents=True, exist_ok=True)
    with FileLock(str(repo_dir / "locks" / "audit.lock"), timeout=LOCK_TIMEOUT):
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o644)
        try:
            size = os.fstat(fd).st_size
            number, prev, good = _next_link(fd, size)
            if good != size:
                os.ftruncate(fd, good)  # an append that never finished (no newline): drop it
            now = datetime.datetime.now(datetime.timezone.utc)
            doc: dict[str, Any] = {
                "id": number,
                "time": now.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
                "user": user,
                "host": socket.gethostname(),
                "operation": operation,
                "details": details,
                "prev": prev,
            }
            doc["hash"] = event_hash(doc)
            line = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=True, default=str)
            try:
                write_all(fd, line.encode() + b"\n")
                os.fsync(fd)
            except OSError:
                os.ftruncate(fd, good)  # never leave half an event behind
                raise
        finally:
            os.close(fd)
    return parse_line(line.encode())


def _user(repo: Repo) -> str:
    key = (repo.dir, os.environ.get("DATAVC_AUTHOR"))
    if key not in _users:
        _users[key] = repo.author()
    return _users[key]


def record(repo: Repo, operation: str, details: dict[str, Any], user: str | None = None) -> Event | None:
    """Append an event for an operation that already happened; a failure warns, never raises."""
    try:
        return append(repo.dir, operation, details, user or _user(repo))
    except (OSError, Timeout, DataVCError) as err:
        reason = StorageError.from_os_error(err, "writing the audit log") if isinstance(err, OSError) else err
        warnings.warn(f"{operation} done, but its audit event was not recorded: {reason}", AuditWarning, stacklevel=3)
        return None


def read_lines(repo_dir: Path) -> list[tuple[int, bytes]]:
    """(line number, bytes) of every complete line of the log; nothing if there is no log."""
    try:
        data = log_path(repo_dir).read_bytes()
    except FileNotFoundError:
        return []
    except OSError as err:
        raise StorageError.from_os_error(err, "reading the audit log") from err
    return list(enumerate(data.split(b"\n")[:-1], 1))  # what follows the last newline is unfinished


def read_events(repo_dir: Path) -> list[Event]:
    """Every well-formed event, in file order (see :func:`verify_chain` for the damaged ones)."""
    out = []
    for _, line in read_lines(repo_dir):
        try:
            out.append(parse_line(line))
        except ValueError:
            continue
    return out


@dataclass(frozen=True)
class ChainProblem:
    line: int
    kind: str  # damaged | edited | deleted | inserted | reordered
    message: str


@dataclass(frozen=True)
class ChainReport:
    events: int
    problems: list[ChainProblem]

    @property
    def ok(self) -> bool:
        return not self.problems


def _parse_all(repo_dir: Path) -> list[tuple[int, bytes, Event | None]]:
    out: list[tuple[int, bytes, Event | None]] = []
    for n, raw in read_lines(repo_dir):
        try:
            out.append((n, raw, parse_line(raw)))
        except ValueError:
            out.append((n, raw, None))
    return out


def verify_chain(repo_dir: Path) -> ChainReport:
    """Check ids and hash links of the whole log; the first problem names the first bad event."""
    rows = _parse_all(repo_dir)
    later = Counter(ev.id for _, _, ev in rows if ev is not None)
    line_of = {ev.hash: n for n, _, ev in rows if ev is not None}
    problems: list[ChainProblem] = []
    first_line: dict[int, int] = {}
    explained: set[int] = set()
    expected, prev_hash, prev_id, suspect = 1, GENESIS, 0, False

    def report(line: int, kind: str, message: str) -> None:
        problems.append(ChainProblem(line, kind, message))

    for n, raw, ev in rows:
        if ev is None:
            report(n, "damaged", f"line {n} is not a readable audit event: it was edited or damaged")
            expected, prev_hash, prev_id, suspect = expected + 1, hashlib.sha256(raw).hexdigest(), expected, True
            continue
        later[ev.id] -= 1
        odd = True  # this event is out of sequence: its own prev link says nothing
        if ev.id in explained:
            explained.discard(ev.id)
            suspect = True
            continue
        if ev.id in first_line:
            report(n, "inserted", f"event {ev.id} appears twice (lines {first_line[ev.id]} and {n}): one was inserted")
        elif ev.id > expected and later[expected] > 0:
            if line_of.get(ev.prev, 0) <= n:  # its own predecessor is not further down: a stranger
                report(n, "inserted", f"event {ev.id} at line {n} does not belong there: it was inserted")
                first_line[ev.id] = n
                suspect = True
                continue  # the chain goes on around an intruder
            report(n, "reordered", f"events are out of order at line {n}: event {ev.id} comes before event {expected}")
            explained.update(i for i in range(expected, ev.id) if later[i] > 0)
        elif ev.id > expected:
            gone = f"event {expected}" if ev.id == expected + 1 else f"events {expected}-{ev.id - 1}"
            report(n, "deleted", f"{gone} deleted: line {n} holds event {ev.id}, event {expected} was expected")
        elif ev.id < expected:
            report(n, "reordered", f"event {ev.id} at line {n} comes after event {expected - 1}: out of order")
        else:
            odd = False
        if event_hash(ev.to_json()) != ev.hash:
            report(n, "edited", f"event {ev.id} (line {n}) was edited: its content does not match its hash")
            odd = True
        elif not odd and not suspect and ev.prev != prev_hash:
            what = f"event {prev_id} (line {n - 1})" if n > 1 else "the start of the log"
            report(n, "edited", f"{what} was edited or replaced: event {ev.id} recorded a different hash for it")
        first_line.setdefault(ev.id, n)
        expected, prev_hash, prev_id, suspect = max(expected, ev.id + 1), ev.hash, ev.id, odd
    return ChainReport(len(rows), problems)
