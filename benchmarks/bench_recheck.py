"""A short re-check of the core cases that changed most (no DVC): 2 GiB add, status, no-op add, checkout.

Same method as ``bench_core.py`` in small: ``sync`` and 3 GiB of memory touched and freed before
every timed command (this VM charges for first-touch pages), 3 runs each, medians. Use it after a
change to the hot paths; ``bench_core.py`` stays the full side-by-side run with DVC.

    .venv/bin/python benchmarks/bench_recheck.py
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent
WORK = ROOT / ".work" / "recheck"
DATAVC = str(ROOT.parent / ".venv" / "bin" / "datavc")
ENV = {**os.environ, "DATAVC_AUTHOR": "bench"}
RUNS = 3


def prime(nbytes: int = 3 << 30) -> None:
    buf = bytearray(nbytes)
    buf[::4096] = b"\1" * len(buf[::4096])


def run(cmd: list[str]) -> None:
    subprocess.run(cmd, env=ENV, check=True, stdout=subprocess.DEVNULL)


def timed(cmd: list[str]) -> float:
    subprocess.run(["sync"], check=True)
    prime()
    t = time.perf_counter()
    run(cmd)
    return time.perf_counter() - t


def make_data() -> tuple[Path, Path]:
    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    big = WORK / "src.bin"
    subprocess.run(["dd", "if=/dev/urandom", f"of={big}", "bs=1M", "count=2048", "status=none"], check=True)
    many = WORK / "many"
    for d in range(20):
        (many / f"d{d}").mkdir(parents=True)
        for i in range(1000):
            (many / f"d{d}" / f"f{i}.bin").write_bytes(os.urandom(50_000))
    return big, many


def add_big(big: Path, results: dict[tuple[str, str], list[float]]) -> None:
    for r in range(RUNS):
        for tool in ("cp", "cp+sync", "datavc"):
            d = WORK / f"r{r}-{tool}"
            d.mkdir()
            if tool == "datavc":
                run([DATAVC, "-C", str(d), "init"])
                shutil.copy(big, d / "big.bin")
                cmd = [DATAVC, "-C", str(d), "add", "big.bin", "--name", "big"]
            elif tool == "cp":
                cmd = ["cp", str(big), str(d / "big.bin")]
            else:
                cmd = ["sh", "-c", f"cp {big} {d}/big.bin && sync"]
            results.setdefault(("add one 2 GiB file", tool), []).append(timed(cmd))
            shutil.rmtree(d)


def many_files(many: Path, results: dict[tuple[str, str], list[float]]) -> None:
    repo = WORK / "repo"
    shutil.copytree(many, repo / "many")
    run([DATAVC, "-C", str(repo), "add", "many", "--name", "many"])
    time.sleep(1.5)  # past the stat cache's racy window, as files a user adds usually are
    run([DATAVC, "-C", str(repo), "add", "many", "--name", "many"])
    for r in range(RUNS):
        results.setdefault(("status of 20,000 files", "datavc"), []).append(timed([DATAVC, "-C", str(repo), "status"]))
        readd = [DATAVC, "-C", str(repo), "add", "many", "--name", "many"]
        results.setdefault(("no-op re-add of 20,000 files", "datavc"), []).append(timed(readd))
        for tool in ("cp -r", "datavc --to"):
            out = WORK / f"checkout-{r}-{tool.split()[0]}"
            if tool == "cp -r":
                cmd = ["cp", "-r", str(many), str(out)]
            else:
                cmd = [DATAVC, "-C", str(repo), "checkout", "many@v1", "--to", str(out)]
            results.setdefault(("checkout of 20,000 files", tool), []).append(timed(cmd))
            shutil.rmtree(out)


def main() -> None:
    big, many = make_data()
    results: dict[tuple[str, str], list[float]] = {}
    add_big(big, results)
    many_files(many, results)
    print("| case | tool | median s | min–max s |\n|---|---|---|---|")
    for (case, tool), ts in results.items():
        print(f"| {case} | {tool} | {statistics.median(ts):.3f} | {min(ts):.3f}–{max(ts):.3f} |")
    print("load average at the end:", ", ".join(f"{x:.2f}" for x in os.getloadavg()))
    shutil.rmtree(WORK)


if __name__ == "__main__":
    main()
