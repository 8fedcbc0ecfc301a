"""A short re-check of the core cases that change most (no DVC): 2 GiB add, status, no-op add, checkout.

Same method as ``bench_core.py`` in small: ``sync``, the inputs read again, and fresh memory
touched and freed before every timed command (this VM charges for first-touch pages), then the
medians of ``--runs`` runs. Use it after a change to the hot paths; ``bench_core.py`` stays the
full side-by-side run with DVC.

    .venv/bin/python benchmarks/bench_recheck.py            # 2 GiB file, 20,000 files: ~5 min
    .venv/bin/python benchmarks/bench_recheck.py --quick    # 64 MiB, 500 files: seconds
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from benchlib import ENV, PROJECT, WORK, GiB, MiB, prime_memory, wait_for_disk, wait_for_quiet, warm_cache

DATAVC = str(PROJECT / ".venv" / "bin" / "datavc")
HERE = WORK / "recheck"
TARGETS = {  # case -> (datavc / peer at most, the peer); status and no-op add: seconds
    "add one big file": (1.6, "cp"),
    "checkout of the files": (1.2, "cp -r"),
}


def run(cmd: list[str]) -> None:
    subprocess.run(cmd, env={**ENV, "DATAVC_AUTHOR": "bench"}, check=True, stdout=subprocess.DEVNULL)


def timed(cmd: list[str], reads: list[Path], writes: int) -> float:
    os.sync()
    wait_for_disk(WORK)
    warm_cache(reads)
    wait_for_quiet(10)
    if writes:
        prime_memory(writes + min(writes, 3 * GiB // 2))
    t = time.perf_counter()
    run(cmd)
    return time.perf_counter() - t


def make_data(big_size: int, files: int) -> tuple[Path, Path]:
    shutil.rmtree(HERE, ignore_errors=True)
    HERE.mkdir(parents=True)
    big = HERE / "src.bin"
    with open(big, "wb") as f:
        for start in range(0, big_size, 64 * MiB):
            f.write(os.urandom(min(64 * MiB, big_size - start)))
    many = HERE / "many"
    for i in range(files):
        sub = many / f"d{i // 1000:02d}"
        sub.mkdir(parents=True, exist_ok=True)
        (sub / f"f{i:05d}.bin").write_bytes(os.urandom(50_000))
    return big, many


def add_big(big: Path, runs: int, results: dict[str, dict[str, list[float]]]) -> None:
    size = big.stat().st_size
    case = results.setdefault("add one big file", {})
    for r in range(runs):
        for tool in ("cp", "cp+sync", "datavc"):
            d = HERE / f"r{r}-{tool}"
            d.mkdir()
            if tool == "datavc":
                run([DATAVC, "-C", str(d), "init"])
                shutil.copy(big, d / "big.bin")
                cmd, reads = [DATAVC, "-C", str(d), "add", "big.bin", "--name", "big"], [d]
            elif tool == "cp":
                cmd, reads = ["cp", str(big), str(d / "big.bin")], [big]
            else:
                cmd, reads = ["sh", "-c", f"cp {big} {d}/big.bin && sync"], [big]
            case.setdefault(tool, []).append(timed(cmd, reads, size))
            shutil.rmtree(d)


def many_files(many: Path, runs: int, results: dict[str, dict[str, list[float]]]) -> None:
    repo = HERE / "repo"
    shutil.copytree(many, repo / "many")
    size = sum(f.stat().st_size for f in many.rglob("*") if f.is_file())
    run([DATAVC, "-C", str(repo), "add", "many", "--name", "many"])
    time.sleep(1.5)  # past the stat cache's racy window, as files a user adds usually are
    run([DATAVC, "-C", str(repo), "add", "many", "--name", "many"])
    for r in range(runs):
        status = [DATAVC, "-C", str(repo), "status"]
        results.setdefault("status of the files", {}).setdefault("datavc", []).append(timed(status, [repo], 0))
        readd = [DATAVC, "-C", str(repo), "add", "many", "--name", "many"]
        results.setdefault("no-op re-add of the files", {}).setdefault("datavc", []).append(timed(readd, [repo], 0))
        for tool in ("cp -r", "datavc --to"):
            out = HERE / f"checkout-{r}-{tool.split()[0]}"
            if tool == "cp -r":
                cmd, reads = ["cp", "-r", str(many), str(out)], [many]
            else:
                cmd, reads = [DATAVC, "-C", str(repo), "checkout", "many@v1", "--to", str(out)], [repo]
            results.setdefault("checkout of the files", {}).setdefault(tool, []).append(timed(cmd, reads, size))
            shutil.rmtree(out)


def report(results: dict[str, dict[str, list[float]]]) -> dict[str, object]:
    print("| case | tool | median s | min–max s | ratio | target |\n|---|---|---|---|---|---|")
    out: dict[str, object] = {}
    for case, tools in results.items():
        limit, peer = TARGETS.get(case, (None, None))
        for tool, ts in tools.items():
            med = statistics.median(ts)
            ratio = med / statistics.median(tools[peer]) if peer and tool.startswith("datavc") else None
            goal = f"<= {limit}x {peer}" if ratio is not None else ("<= 0.3 s" if tool == "datavc" else "")
            shown = f"{ratio:.2f}x" if ratio is not None else ""
            print(f"| {case} | {tool} | {med:.3f} | {min(ts):.3f}–{max(ts):.3f} | {shown} | {goal} |")
            out[f"{case} / {tool}"] = {"median_s": med, "samples_s": ts, "ratio": ratio}
    print("load average at the end:", ", ".join(f"{x:.2f}" for x in os.getloadavg()))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="64 MiB and 500 files: a smoke test")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--json", type=Path, help="write the results here too")
    args = ap.parse_args(argv)
    big, many = make_data(64 * MiB if args.quick else 2 * GiB, 500 if args.quick else 20_000)
    results: dict[str, dict[str, list[float]]] = {}
    try:
        add_big(big, args.runs, results)
        many_files(many, args.runs, results)
    finally:
        shutil.rmtree(HERE, ignore_errors=True)
    out = report(results)
    if args.json:
        args.json.write_text(json.dumps(out, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
