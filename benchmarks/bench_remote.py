#!/usr/bin/env python3
"""Remotes: ``datavc push`` to a ``file://`` remote against ``cp``, delta pushes, lazy loads.

Run from the project root (the project venv has ``jupyter_datavc`` installed)::

    .venv/bin/python benchmarks/bench_remote.py            # 1 GiB push, 2 GB remote history
    .venv/bin/python benchmarks/bench_remote.py --quick    # 64 MiB / 320 MB, a few seconds

Cases (``benchmarks/README.md``, section "Remotes", has the numbers measured here):

- ``push``: ``datavc push`` of a 1 GiB version to an empty ``file://`` remote (a fresh folder each
  run; the CLI process, start to exit, including its one ``syncfs`` before the refs) against
  ``cp`` of the same file into an empty folder, and ``cp && sync``. Target: push <= 1.5x cp. The
  remote folder is on the store's disk, so the push hard-links the objects (the default); the same
  push with ``hardlinks=false`` shows the copying path (a share on another disk).
- ``delta``: overwrite 1% of the file (one contiguous region in the middle), add it, push it to
  the remote that holds the first version; bytes sent / file size. Target: <= 3%.
- ``lazy``: a remote holding a dataset's history -- N versions of a 50 MB file, N * 50 MB in all --
  and a clone with its refs only (what ``git clone`` gives); ``load NAME@vK`` there. Bytes fetched
  should be about 50 MB, not the whole history.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchlib import prime_memory

PROJECT = Path(__file__).resolve().parent.parent
DATAVC = [str(PROJECT / ".venv" / "bin" / "python"), "-m", "jupyter_datavc"]
MiB, GiB = 1 << 20, 1 << 30
ENV = {
    **{k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"},
    "DATAVC_AUTHOR": "bench",
}


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def run(cmd: list[str], cwd: Path | None = None, writes: int = 0) -> float:
    subprocess.run(["sync"], check=True)
    if writes:
        prime_memory(writes + min(writes, 3 * GiB // 2))
    t = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, check=True, env=ENV, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t


def random_file(path: Path, size: int, seed: int) -> None:
    import numpy as np

    rng = np.random.default_rng(seed)
    with open(path, "wb") as f:
        left = size
        while left:
            n = min(left, 64 * MiB)
            f.write(rng.bytes(n))
            left -= n


def bench_push(work: Path, size: int, runs: int) -> dict[str, object]:
    repo = work / "push"
    repo.mkdir()
    subprocess.run([*DATAVC, "init"], cwd=repo, check=True, env=ENV, stdout=subprocess.DEVNULL)
    big = repo / "big.bin"
    random_file(big, size, 1)
    subprocess.run(
        [*DATAVC, "add", "big.bin", "--name", "big"], cwd=repo, check=True, env=ENV, stdout=subprocess.DEVNULL
    )
    # "datavc push": a folder on the store's disk gets hard links to the objects (the default);
    # "copies": the same push with storage option hardlinks=false, as to a share on another disk
    times: dict[str, list[float]] = {"datavc push": [], "datavc push (copies)": [], "cp": [], "cp && sync": []}
    startup = statistics.median(run([*DATAVC, "remote", "list"], cwd=repo) for _ in range(3))
    for i in range(runs + 1):  # the first pass warms up and is not counted
        for tool in list(times) if i % 2 == 0 else list(reversed(times)):
            dest = work / f"dest-{i}-{tool.replace(' ', '')}"
            if tool.startswith("datavc push"):
                config = repo / ".datavc" / "config.json"
                doc = json.loads(config.read_text())
                doc["remotes"] = {"bench": dest.as_uri()}
                doc["default_remote"] = "bench"
                doc["storage_options"] = {"bench": {"hardlinks": "false"}} if "copies" in tool else {}
                config.write_text(json.dumps(doc))
                shutil.rmtree(repo / ".datavc" / "cache" / "remotes", ignore_errors=True)
                t = run([*DATAVC, "push"], cwd=repo, writes=size)
            elif tool == "cp":
                dest.mkdir()
                t = run(["cp", str(big), str(dest)], writes=size)
            else:
                dest.mkdir()
                t = run(["sh", "-c", f"cp '{big}' '{dest}' && sync"], writes=size)
            if i:
                times[tool].append(t)
            log(f"  {tool}: {t:.2f} s")
            shutil.rmtree(dest)
    med = {k: statistics.median(v) for k, v in times.items()}
    return {
        "size": size,
        "runs": runs,
        "median_s": med,
        "min_max_s": {k: (min(v), max(v)) for k, v in times.items()},
        "ratio_vs_cp": med["datavc push"] / med["cp"],
        "ratio_vs_cp_sync": med["datavc push"] / med["cp && sync"],
        "copies_ratio_vs_cp": med["datavc push (copies)"] / med["cp"],
        "copies_ratio_vs_cp_sync": med["datavc push (copies)"] / med["cp && sync"],
        "cli_startup_s": startup,
    }


def bench_delta(work: Path, size: int) -> dict[str, object]:
    sys.path.insert(0, str(PROJECT))
    from jupyter_datavc.core import remote as remotes
    from jupyter_datavc.core.repo import Repo

    repo = Repo(work / "push")
    remotes.add_remote(repo, "delta", str(work / "delta-remote"), default=True)
    first = remotes.push(repo)
    big = repo.root / "big.bin"
    with open(big, "r+b") as f:
        f.seek(size // 2)
        f.write(os.urandom(size // 100))
    repo.add(str(big), name="big", message="1% changed")
    t = time.perf_counter()
    second = remotes.push(repo)
    return {
        "first_push_bytes": first.bytes,
        "delta_push_bytes": second.bytes,
        "delta_push_s": time.perf_counter() - t,
        "fraction": second.bytes / size,
    }


def bench_lazy(work: Path, versions: int, file_size: int) -> dict[str, object]:
    from jupyter_datavc.core import remote as remotes
    from jupyter_datavc.core.repo import Repo

    src = Repo.init(work / "lazy-src")
    remotes.add_remote(src, "origin", str(work / "lazy-remote"))
    path = src.root / "part.bin"
    for i in range(versions):
        random_file(path, file_size, 100 + i)
        src.add(str(path), name="part", message=f"day {i}")
    t = time.perf_counter()
    pushed = remotes.push(src)
    push_s = time.perf_counter() - t
    clone = work / "lazy-clone"
    (clone / ".datavc").mkdir(parents=True)
    shutil.copy(src.dir / "config.json", clone / ".datavc" / "config.json")
    shutil.copytree(src.dir / "refs", clone / ".datavc" / "refs")
    pick = versions // 2 + 1
    t = time.perf_counter()
    repo = Repo(clone)
    loaded = Path(repo.load(f"part@v{pick}", path=True))
    load_s = time.perf_counter() - t
    assert loaded.read_bytes() == Path(src.load(f"part@v{pick}", path=True)).read_bytes()
    fetched = repo.objects.fetch.remote()  # type: ignore[union-attr]
    return {
        "remote_bytes": pushed.bytes,
        "versions": versions,
        "file_size": file_size,
        "loaded": f"part@v{pick}",
        "bytes_fetched": fetched.received,
        "requests": fetched.requests,
        "load_s": load_s,
        "push_s": push_s,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small sizes: a smoke test")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--workdir", default=None, help="where to build the data (default: a temp folder)")
    ap.add_argument("--json", default=None, help="write the results here too")
    args = ap.parse_args()
    size = 64 * MiB if args.quick else GiB
    versions = 8 if args.quick else 40
    work = Path(args.workdir or tempfile.mkdtemp(prefix="datavc-bench-remote-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        log(f"push of {size >> 20} MiB (work: {work})")
        push = bench_push(work, size, args.runs)
        log("push of a 1% change")
        delta = bench_delta(work, size)
        log(f"lazy load: {versions} versions of 50 MB on the remote")
        lazy = bench_lazy(work, versions, 50_000_000)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    results = {"push": push, "delta": delta, "lazy": lazy, "load_avg": os.getloadavg()}
    med, mm = push["median_s"], push["min_max_s"]
    assert isinstance(med, dict) and isinstance(mm, dict)
    print("| case | result | target |\n|---|---|---|")
    for tool in ("datavc push", "datavc push (copies)", "cp", "cp && sync"):
        lo, hi = mm[tool]
        print(f"| {tool}, {size >> 20} MiB to file:// | {med[tool]:.2f} s ({lo:.2f}-{hi:.2f}) | |")
    print(f"| push / cp | {push['ratio_vs_cp']:.2f}x (vs cp && sync: {push['ratio_vs_cp_sync']:.2f}x) | <= 1.5x |")
    print(
        f"| push with hardlinks=false / cp | {push['copies_ratio_vs_cp']:.2f}x "
        f"(vs cp && sync: {push['copies_ratio_vs_cp_sync']:.2f}x) | |"
    )
    print(f"| CLI start-up (`datavc remote list`) | {push['cli_startup_s']:.2f} s | |")
    print(
        f"| push after a 1% change | {delta['delta_push_bytes']:,} bytes sent = {100 * delta['fraction']:.2f}% "
        f"of {size:,} | <= 3% |"
    )
    print(
        f"| load {lazy['loaded']} from a clone (remote: {lazy['remote_bytes'] / 1e9:.1f} GB) | "
        f"{lazy['bytes_fetched']:,} bytes fetched in {lazy['requests']} requests, {lazy['load_s']:.2f} s | ~50 MB |"
    )
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
