"""What every benchmark here needs from this machine: timing commands, memory priming, load watching.

The VM's quirks (first-touch memory, page-out of idle files, other load) are described in this
folder's README; each benchmark script imports its measuring tools from here.
"""

from __future__ import annotations

import ctypes
import hashlib
import mmap
import os
import platform
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
PROJECT = HERE.parent
WORK = Path(os.environ.get("DATAVC_BENCH_WORK") or HERE / ".work")  # the tests point it at a temp folder
TIME = "/usr/bin/time"  # GNU time (Debian package "time"), for the peak RSS of each command
KiB, MiB, GiB = 1 << 10, 1 << 20, 1 << 30

# Commands run with bytecode caching on, as on a user's machine, but cached under .work/ (never
# next to the sources); DVC's state and index go to .work/ too, instead of /var/tmp/dvc.
ENV = {
    **{k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"},
    "PYTHONPYCACHEPREFIX": str(WORK / "pycache"),
    "DVC_NO_ANALYTICS": "1",
    "DVC_SITE_CACHE_DIR": str(WORK / "dvc-site-cache"),
}


class BenchError(RuntimeError):
    pass


# -- running commands ------------------------------------------------------------------------------
@dataclass
class Sample:
    seconds: float
    rss_mib: float
    other_cores: float = 0.0  # cores other processes kept busy meanwhile (their load skews the time)
    out: str = field(default="", repr=False)


@dataclass(frozen=True)
class Step:
    """One timed command. ``expect``: text its output must contain (a cheap correctness check)."""

    argv: list[str]
    cwd: Path
    expect: str = ""
    warm: tuple[Path, ...] = ()  # files or folders the command reads: read just before the clock starts


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def run_cmd(argv: Sequence[str | Path], cwd: Path = HERE) -> str:
    """Run an untimed helper command; its output, or BenchError with the output on failure."""
    proc = subprocess.run([str(a) for a in argv], cwd=cwd, env=ENV, capture_output=True, text=True)
    if proc.returncode != 0:
        raise BenchError(f"{shlex.join(map(str, argv))} exited {proc.returncode}:\n{proc.stdout}{proc.stderr}")
    return proc.stdout


def timed(step: Step) -> Sample:
    """Wall time and peak RSS of one command; fails loudly on a bad exit or an unexpected output.

    The peak RSS comes from GNU time: the child's own ``wait4`` figure would include this driver's
    memory (Python spawns with vfork, and exec keeps the old address space's high-water mark).
    """
    rss_file = WORK / "last-command.rss"
    watch = CpuWatch()
    with open(WORK / "last-command.log", "w+b") as out:
        start = time.perf_counter()
        proc = subprocess.run(
            [TIME, "-f", "%M", "-o", str(rss_file), *step.argv],
            cwd=step.cwd,
            env=ENV,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        seconds = time.perf_counter() - start
        out.seek(0)
        text = out.read().decode(errors="replace")
    if proc.returncode != 0 or step.expect not in text:
        why = f"exited {proc.returncode}" if proc.returncode else f"printed no {step.expect!r}"
        raise BenchError(f"{shlex.join(step.argv)} (in {step.cwd}) {why}:\n{text[-3000:]}")
    return Sample(seconds, int(rss_file.read_text().split()[-1]) / KiB, watch.foreign_cores(), text)


def prime_memory(nbytes: int) -> None:
    """Touch ``nbytes`` of anonymous memory, then free it.

    This VM returns free memory to its host (free page reporting), and the first touch of such a
    page costs ~10 us (2 GiB written to fresh pages: 5.5 s instead of 0.6 s). Freed just before a
    timed command, these pages are the first the kernel hands out again, so the command runs on
    memory the host already backs, as it would on an ordinary machine.
    """
    with mmap.mmap(-1, nbytes) as mm:
        view = ctypes.c_char.from_buffer(mm)
        ctypes.memset(ctypes.addressof(view), 1, nbytes)
        del view


def human(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" or n == int(n) else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} B"


def files_under(paths: Sequence[Path]) -> list[str]:
    out = []
    for path in paths:
        if path.is_file():
            out.append(str(path))
        for folder, _, names in os.walk(path):
            out += [os.path.join(folder, n) for n in names]
    return [p for p in out if not os.path.islink(p)]


def warm_cache(paths: Sequence[Path]) -> None:
    """Read every file under ``paths`` once, so the next command finds them in the page cache."""
    buf = memoryview(bytearray(16 * MiB))
    for path in files_under(paths):
        with open(path, "rb", buffering=0) as f:
            while f.readinto(buf):
                pass


def _disk_counters(path: Path) -> tuple[int, ...] | None:
    """The block device's I/O counters (``/sys/dev/block/M:m/stat``) for the disk holding ``path``."""
    dev = os.stat(path).st_dev
    try:
        fields = Path(f"/sys/dev/block/{os.major(dev)}:{os.minor(dev)}/stat").read_text().split()
    except OSError:
        return None
    return tuple(int(x) for x in fields)


def wait_for_disk(path: Path, max_wait: float = 30.0, window: float = 0.3) -> None:
    """Wait (at most ``max_wait`` s) until the disk holding ``path`` has nothing in flight and stays idle.

    Each run deletes its output; on this VM (ext4 mounted with ``discard``) a command started
    right after deleting 2 GiB was slower to create files (1,700 empty files: 0.1-0.9 s against
    0.03 s; 1,700 files of 1 MiB: median 4.0 s against 2.1 s after a 0.3 s idle wait). So after
    ``sync`` the driver waits for the disk's counters to stop moving.
    """
    deadline = time.perf_counter() + max_wait
    before = _disk_counters(path)
    while before is not None and time.perf_counter() < deadline:
        time.sleep(window)
        after = _disk_counters(path)
        in_flight = after[8] if after is not None and len(after) > 8 else 0
        if after == before and in_flight == 0:
            return
        before = after


def wait_for_quiet(max_wait: float, threshold: float = 0.2, window: float = 0.5) -> None:
    """Wait (at most ``max_wait`` s) until other processes use under ``threshold`` cores."""
    deadline = time.perf_counter() + max_wait
    while time.perf_counter() < deadline:
        watch = CpuWatch()
        time.sleep(window)
        if watch.foreign_cores() < threshold:
            return


def git_state() -> dict[str, Any]:
    head = run_cmd(["git", "rev-parse", "HEAD"], PROJECT).strip()
    dirty = run_cmd(["git", "status", "--porcelain", "--", "jupyter_datavc"], PROJECT).split("\n")
    return {"commit": head, "uncommitted_in_jupyter_datavc": [line for line in dirty if line.strip()]}


class CpuWatch:
    """User CPU that other processes used while the benchmark ran (others' load skews timings)."""

    def __init__(self) -> None:
        self.start = time.perf_counter(), self._busy(), self._own()

    @staticmethod
    def _busy() -> float:
        """User-space CPU seconds of the whole machine (kernel threads writing our data back are not load)."""
        user, nice = (int(x) for x in Path("/proc/stat").read_text().split()[1:3])
        return (user + nice) / os.sysconf("SC_CLK_TCK")

    @staticmethod
    def _own() -> float:
        import resource

        return sum(resource.getrusage(who).ru_utime for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))

    def foreign_cores(self) -> float:
        """Average number of cores other processes kept busy since the start."""
        wall0, busy0, own0 = self.start
        foreign = (self._busy() - busy0) - (self._own() - own0)
        return max(0.0, foreign) / (time.perf_counter() - wall0)


def machine() -> dict[str, Any]:
    return {
        "cpus": os.cpu_count(),
        "mem_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / GiB, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "loadavg_start": os.getloadavg(),
    }


def snapshot_package() -> str:
    """Run a frozen copy of jupyter_datavc (others may edit the tree during a run); its digest."""
    dest = WORK / "snapshot" / "jupyter_datavc"
    shutil.rmtree(dest.parent, ignore_errors=True)
    shutil.copytree(PROJECT / "jupyter_datavc", dest, ignore=shutil.ignore_patterns("__pycache__", "labextension"))
    ENV["PYTHONPATH"] = str(dest.parent)  # ahead of the editable install's path entry
    digest = hashlib.sha256()
    for path in sorted(files_under([dest])):
        digest.update(path.encode() + b"\0" + Path(path).read_bytes())
    return digest.hexdigest()[:16]


def markdown(headers: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def fresh_dir(path: Path) -> Path:
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path
