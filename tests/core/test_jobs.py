from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path

import pytest

from jupyter_datavc.core.errors import FileChanged, JobCancelled, StorageError, UnknownDataset
from jupyter_datavc.core.jobs import read_job_files
from jupyter_datavc.core.repo import Repo


@pytest.fixture
def big(project: Path) -> Path:
    path = project / "data" / "big.bin"
    path.parent.mkdir()
    path.write_bytes(os.urandom(12 << 20))
    return path


def test_add_returns_at_once_and_reports_progress(repo: Repo, big: Path, slow_chunker) -> None:
    slow_chunker(0.05)
    events: list[tuple[int, str]] = []
    t0 = time.monotonic()
    job = repo.start_add(str(big), name="big")
    assert time.monotonic() - t0 < 0.5 and not job.done
    job.subscribe(lambda j: events.append((j.progress.bytes_done, j.state)))
    # the job's status file is visible to other processes while it runs
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and not any(
        d["state"] == "running" and d["bytes_total"] for d in read_job_files(repo.dir / "jobs")
    ):
        time.sleep(0.05)
    running = [d for d in read_job_files(repo.dir / "jobs") if d["id"] == job.id]
    assert running and running[0]["state"] == "running" and running[0]["bytes_total"] == 12 << 20
    version = job.wait(timeout=60)
    assert version.ref == "big@v1" and job.state == "done"
    done = [b for b, _ in events]
    assert done == sorted(done) and len(set(done)) >= 5 and done[-1] == 12 << 20
    assert json.loads((repo.dir / "jobs" / f"{job.id}.json").read_text())["state"] == "done"


def test_cancel_commits_nothing(repo: Repo, big: Path, slow_chunker) -> None:
    slow_chunker(0.1)
    job = repo.start_add(str(big), name="big")
    time.sleep(0.3)
    job.cancel()
    with pytest.raises(JobCancelled):
        job.wait(timeout=30)
    assert job.state == "cancelled"
    with pytest.raises(UnknownDataset):
        repo.log("big")


def test_file_changed_while_hashing_commits_nothing(repo: Repo, big: Path, slow_chunker) -> None:
    calls = []

    def touch_file() -> None:
        calls.append(1)
        if len(calls) == 3:
            with open(big, "r+b") as f:
                f.seek(100)
                f.write(b"changed!")

    slow_chunker(0.01, touch_file)
    job = repo.start_add(str(big), name="big")
    with pytest.raises(FileChanged, match="changed while it was being hashed"):
        job.wait(timeout=30)
    assert job.state == "failed" and not repo.refs.exists("big")


def test_failure_is_reported_and_commits_nothing(repo: Repo, big: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import errno

    import jupyter_datavc.core.objects as objects

    def disk_full(*args: object, **kw: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(objects, "write_new", disk_full)
    job = repo.start_add(str(big), name="big")
    with pytest.raises(StorageError, match="no space left on device"):
        job.wait(timeout=30)
    assert "no space left" in read_job_files(repo.dir / "jobs")[0]["error"]
    assert not repo.refs.exists("big")


def test_load_and_checkout_wait_for_a_running_add(repo: Repo, big: Path, slow_chunker) -> None:
    slow_chunker(0.05)
    job = repo.start_add(str(big), name="big")
    path = repo.load("big", path=True)  # waits for the add instead of failing
    assert job.done and Path(path).read_bytes() == big.read_bytes()


def test_cancel_from_another_process_via_job_file(repo: Repo, big: Path, slow_chunker) -> None:
    from jupyter_datavc.core.jobs import request_cancel

    slow_chunker(0.1)
    job = repo.start_add(str(big), name="big")
    time.sleep(0.3)
    threading.Thread(target=request_cancel, args=(repo.dir / "jobs", job.id)).start()
    with pytest.raises(JobCancelled):
        job.wait(timeout=30)
