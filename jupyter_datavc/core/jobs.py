"""Background jobs: a thread per job, progress events, cooperative cancel.

A job publishes progress to in-process subscribers (the notebook widget) and, a few times a
second at most, to ``.datavc/jobs/<id>.json`` so that other processes (the server extension,
``datavc status``) can see it. A job whose process died while it ran reads as ``interrupted``.
"""

from __future__ import annotations

import json
import os
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import DataVCError, JobCancelled, UnknownJob
from .objects import write_atomic

WRITE_INTERVAL = 0.25
TERMINAL = frozenset({"done", "failed", "cancelled"})
KEEP_FINISHED = 50


@dataclass
class Progress:
    bytes_total: int = 0
    bytes_done: int = 0
    files_total: int = 0
    files_done: int = 0
    phase: str = "queued"
    started: float = field(default_factory=time.monotonic)

    @property
    def rate(self) -> float:
        elapsed = time.monotonic() - self.started
        return self.bytes_done / elapsed if elapsed > 0 else 0.0

    @property
    def eta(self) -> float | None:
        rate = self.rate
        if rate <= 0 or self.bytes_total <= 0:
            return None
        return max(0.0, (self.bytes_total - self.bytes_done) / rate)

    @property
    def fraction(self) -> float:
        if self.bytes_total > 0:
            return min(1.0, self.bytes_done / self.bytes_total)
        if self.files_total > 0:
            return min(1.0, self.files_done / self.files_total)
        return 0.0


class Job:
    def __init__(self, manager: JobManager, kind: str, dataset: str, description: str) -> None:
        self.id = uuid.uuid4().hex[:8]
        self.kind = kind
        self.dataset = dataset
        self.description = description
        self.state = "queued"  # queued | running | done | failed | cancelled
        self.progress = Progress()
        self.result: Any = None
        self.error: BaseException | None = None
        self.created = time.time()
        self.finished: float | None = None
        self.info: dict[str, Any] = {}
        self._manager = manager
        self._cancel = threading.Event()
        self._done = threading.Event()
        self._listeners: list[Callable[[Job], None]] = []
        self._last_write = 0.0
        self._lock = threading.Lock()
        self._count_lock = threading.Lock()

    # -- progress -----------------------------------------------------------------------------
    def set_totals(self, bytes_total: int, files_total: int) -> None:
        self.progress.bytes_total = bytes_total
        self.progress.files_total = files_total
        self._publish()

    def advance(self, nbytes: int = 0, files: int = 0) -> None:
        with self._count_lock:
            self.progress.bytes_done += nbytes
            self.progress.files_done += files
        self._publish()

    def set_phase(self, phase: str) -> None:
        self.progress.phase = phase
        self._publish(force=True)

    def subscribe(self, callback: Callable[[Job], None]) -> None:
        self._listeners.append(callback)
        callback(self)

    def republish(self) -> None:
        """Call every subscriber again, on this thread.

        After ``%dv wait``: the job thread's last update of a notebook widget may reach the front
        end after the cell that produced it went idle (and so miss a saved notebook); sent again
        from the waiting cell, it is part of that cell's output.
        """
        for cb in list(self._listeners):
            try:
                cb(self)
            except Exception:  # a broken view must not break the job
                self._listeners.remove(cb)

    def _publish(self, force: bool = False) -> None:
        self.republish()
        now = time.monotonic()
        if force or now - self._last_write >= WRITE_INTERVAL:
            with self._lock:  # one writer at a time, so a stale snapshot never lands last
                self._last_write = now
                self._manager.write_status(self)
            if self._manager.cancel_file(self.id).exists():
                self._cancel.set()

    # -- control ------------------------------------------------------------------------------
    @property
    def cancel_requested(self) -> bool:
        return self._cancel.is_set()

    def check_cancel(self) -> None:
        if self._cancel.is_set():
            raise JobCancelled(self.id)

    def cancel(self) -> None:
        self._cancel.set()

    @property
    def done(self) -> bool:
        """The job has ended (its final state is set and published); ``wait()`` will not block."""
        return self.state in TERMINAL

    def wait(self, timeout: float | None = None) -> Any:
        """Block until the job ends; return its result or raise its error."""
        if not self._done.wait(timeout):
            raise TimeoutError(f"job {self.id} still running after {timeout} s")
        if self.error is not None:
            raise self.error
        return self.result

    def to_json(self) -> dict[str, Any]:
        p = self.progress
        return {
            "id": self.id,
            "kind": self.kind,
            "dataset": self.dataset,
            "description": self.description,
            "state": self.state,
            "pid": os.getpid(),
            "created": self.created,
            "finished": self.finished,
            "phase": p.phase,
            "bytes_done": p.bytes_done,
            "bytes_total": p.bytes_total,
            "files_done": p.files_done,
            "files_total": p.files_total,
            "rate": p.rate,
            "eta": p.eta,
            "error": str(self.error) if self.error is not None else None,
            "result": getattr(self.result, "ref", None),
        }

    def _run(self, fn: Callable[[Job], Any]) -> None:
        self.state = "running"
        self.set_phase("running")
        try:
            self.result = fn(self)
            self.state = "done"
        except JobCancelled as err:
            self.error, self.state = err, "cancelled"
        except DataVCError as err:
            self.error, self.state = err, "failed"
        except OSError as err:
            from .errors import StorageError

            self.error, self.state = StorageError.from_os_error(err, f"{self.kind} of {self.dataset}"), "failed"
        except BaseException as err:  # reported through wait() and the widget
            self.error, self.state = err, "failed"
        finally:
            self.finished = time.time()
            self.progress.phase = self.state
            self._publish(force=True)
            self._done.set()


class JobManager:
    def __init__(self, jobs_dir: Path) -> None:
        self.jobs_dir = jobs_dir
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()

    def submit(self, kind: str, dataset: str, description: str, fn: Callable[[Job], Any]) -> Job:
        job = Job(self, kind, dataset, description)
        with self._lock:
            self._jobs[job.id] = job
            self._prune()
        thread = threading.Thread(target=job._run, args=(fn,), name=f"datavc-{kind}-{job.id}", daemon=True)
        job._thread = thread  # type: ignore[attr-defined]
        thread.start()
        return job

    def _prune(self) -> None:
        finished = [j for j in self._jobs.values() if j.done]
        for j in finished[: max(0, len(finished) - KEEP_FINISHED)]:
            del self._jobs[j.id]
        prune_job_files(self.jobs_dir)

    def get(self, job_id: str) -> Job:
        with self._lock:
            hits = [j for jid, j in self._jobs.items() if jid.startswith(job_id)]
        if len(hits) != 1:
            raise UnknownJob(job_id, list(self._jobs))
        return hits[0]

    def jobs(self) -> list[Job]:
        with self._lock:
            return sorted(self._jobs.values(), key=lambda j: j.created)

    def running_for(self, dataset: str) -> list[Job]:
        return [j for j in self.jobs() if j.dataset == dataset and not j.done]

    def cancel_file(self, job_id: str) -> Path:
        return self.jobs_dir / f"{job_id}.cancel"

    def write_status(self, job: Job) -> None:
        try:
            self.jobs_dir.mkdir(parents=True, exist_ok=True)
            write_atomic(self.jobs_dir / f"{job.id}.json", json.dumps(job.to_json()).encode())
        except OSError:
            pass  # progress files are advisory; the job itself must not fail for them


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def request_cancel(jobs_dir: Path, job_id: str) -> dict[str, Any]:
    """Ask the process running ``job_id`` (any process) to cancel it."""
    hits = [j for j in read_job_files(jobs_dir) if j["id"].startswith(job_id)]
    if len(hits) != 1:
        raise UnknownJob(job_id, [j["id"] for j in read_job_files(jobs_dir)])
    (jobs_dir / f"{hits[0]['id']}.cancel").touch()
    return hits[0]


def prune_job_files(jobs_dir: Path, keep: int = KEEP_FINISHED) -> None:
    """Delete the status files of ended jobs (of any process) beyond the newest ``keep``."""
    try:
        files = sorted(jobs_dir.glob("*.json"), key=lambda p: p.stat().st_mtime, reverse=True)
    except OSError:
        return
    for path in files[keep:]:
        try:
            doc = json.loads(path.read_bytes())
            if doc.get("state") in TERMINAL or not _pid_alive(int(doc.get("pid", 0))):
                path.unlink()
                path.with_suffix(".cancel").unlink(missing_ok=True)
        except (OSError, ValueError):
            continue


def read_job_files(jobs_dir: Path) -> list[dict[str, Any]]:
    """Every job any process recorded in this store, newest first."""
    out: list[dict[str, Any]] = []
    if not jobs_dir.is_dir():
        return out
    for p in jobs_dir.glob("*.json"):
        try:
            doc = json.loads(p.read_bytes())
        except (OSError, ValueError):
            continue
        if doc.get("state") in ("queued", "running") and not _pid_alive(int(doc.get("pid", 0))):
            doc["state"] = "interrupted"
        out.append(doc)
    return sorted(out, key=lambda d: d.get("created", 0), reverse=True)
