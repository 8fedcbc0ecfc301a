#!/usr/bin/env python3
"""Benchmark of the semantic diff: footer statistics of a 1,000-file dataset and row diffs.

Run from the project root (the project venv has ``jupyter_datavc`` installed)::

    .venv/bin/python benchmarks/bench_diff.py             # 1,000 files, 10M rows, 100M rows
    .venv/bin/python benchmarks/bench_diff.py --no-huge   # without the 100-million-row case
    .venv/bin/python benchmarks/bench_diff.py --quick     # tiny sizes, seconds

Data and repositories are built under ``benchmarks/.work/diff/`` (deleted at the end unless
``--keep``, which also reuses them next time). Every case runs the product's Python API
(``jupyter_datavc.diff``) in a child process, under GNU time for its peak RSS.
``benchmarks/README.md`` ("Diff benchmark") describes the method and the measured numbers.
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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchlib import (
    HERE,
    PROJECT,
    TIME,
    CpuWatch,
    GiB,
    git_state,
    log,
    machine,
    prime_memory,
    wait_for_quiet,
    warm_cache,
)
from diff_data import ADDED, REMOVED, build_files_repo, build_rows_repo

WORK = HERE / ".work" / "diff"
PYTHON = PROJECT / ".venv" / "bin" / "python"
ENV = {
    **{k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"},
    "PYTHONPYCACHEPREFIX": str(WORK / "pycache"),
}


@dataclass(frozen=True)
class Sizes:
    files: int  # files of the footer-statistics dataset
    file_rows: int  # rows of each of those files
    rows: int  # rows of the row-diff case
    huge: int  # rows of the out-of-core case (0: skipped)
    part_rows: int  # rows per Parquet file of the row datasets
    runs: int
    footer_calls: int  # diff calls per footer-statistics run (the first is the cold one)


FULL = Sizes(1000, 1000, 10_000_000, 100_000_000, 10_000_000, 3, 6)
QUICK = Sizes(40, 200, 20_000, 60_000, 20_000, 2, 3)


def ensure(name: str, stamp: str, build: Any, *args: Any) -> Path:
    """The repo ``WORK/name``, built unless an earlier ``--keep`` run left one of the same sizes."""
    root = WORK / name
    mark = root / ".bench-sizes"
    if mark.exists() and mark.read_text() == stamp:
        return root
    log(f"building {name} ({stamp})")
    started = time.perf_counter()
    build(root, *args)
    mark.write_text(stamp)
    log(f"   built in {time.perf_counter() - started:.0f} s")
    return root


# -- the child: one diff through the public API ------------------------------------------------------
def child(spec: dict[str, Any]) -> None:
    """Run ``jupyter_datavc.diff`` ``calls`` times and print one JSON line: seconds and row counts."""
    started = time.perf_counter()
    import jupyter_datavc as dv

    times, doc = [], None
    for _ in range(spec["calls"]):
        t0 = time.perf_counter()
        result = dv.diff(spec["a"], spec["b"], rows=spec["rows"], key=spec["key"], repo=spec["repo"])
        times.append(time.perf_counter() - t0)
        doc = result.to_json()
    assert doc is not None
    rows = (doc["table"] or {}).get("rows")
    out = {
        "times": times,
        "process": time.perf_counter() - started,
        "counts": rows["counts"] if rows else None,
        "mode": rows["mode"] if rows else None,
        "files": doc["summary"]["files"],
        "computed": (doc["table"] or {}).get("stats", {}).get("computed"),
        "errors": [m["message"] for m in doc["messages"] if m["level"] == "error"],
        "out_of_core": any("out of core" in m["message"] for m in doc["messages"]),
    }
    print(json.dumps(out))


def timed_child(spec: dict[str, Any], env: dict[str, str]) -> dict[str, Any]:
    """One child process: its result, wall time, peak RSS (GNU time) and other processes' load."""
    rss_file = WORK / "last.rss"
    watch = CpuWatch()
    t0 = time.perf_counter()
    proc = subprocess.run(
        [TIME, "-f", "%M", "-o", str(rss_file), str(PYTHON), __file__, "--child", json.dumps(spec)],
        env=env,
        capture_output=True,
        text=True,
    )
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"diff child failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    out: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    if out["errors"]:
        raise RuntimeError(f"diff reported errors: {out['errors']}")
    out.update(wall=wall, rss_mib=int(rss_file.read_text().split()[-1]) / 1024, other_cores=watch.foreign_cores())
    return out


# -- cases -----------------------------------------------------------------------------------------
@dataclass
class Case:
    key: str
    title: str
    spec: dict[str, Any]
    target_s: float | None
    target_rss_mib: float | None
    expect: dict[str, int] | None  # row counts the diff must report
    env: dict[str, str]


def expected_counts(rows: int, parts: int) -> dict[str, int]:
    n = rows // parts
    return {
        "before": rows,
        "after": parts * (n - int(n * REMOVED) + int(n * ADDED)),
        "added": parts * int(n * ADDED),
        "removed": parts * int(n * REMOVED),
    }


def check_counts(case: Case, c: dict[str, int] | None) -> None:
    """Keyed: exactly the rows added and removed; unkeyed: a changed row is one removed, one added."""
    exp = case.expect
    if exp is None:
        return
    keys = ("before", "after", "added", "removed") if case.spec["key"] else ("before", "after")
    ok = c is not None and all(c[k] == exp[k] for k in keys)
    if ok and c is not None and not case.spec["key"]:
        ok = c["added"] - c["removed"] == exp["added"] - exp["removed"] and c["added"] >= exp["added"]
    if not ok:
        raise RuntimeError(f"{case.key}: counts {c} do not fit the expected {exp}")


def run_case(case: Case, runs: int, prime: bool, quiet_wait: float) -> dict[str, Any]:
    log(f"== {case.title}")
    samples = []
    for rep in range(runs):
        warm_cache([Path(case.spec["repo"]) / ".datavc"])
        wait_for_quiet(quiet_wait)
        if prime:
            prime_memory(3 * GiB)
        s = timed_child(case.spec, case.env)
        check_counts(case, s["counts"])
        diff_s = statistics.median(s["times"][1:]) if case.spec["calls"] > 1 else s["times"][0]
        s["diff_s"] = diff_s
        samples.append(s)
        log(
            f"   run {rep + 1}: diff {diff_s * 1000:9.1f} ms  process {s['wall']:6.2f} s"
            f"  {s['rss_mib']:6.0f} MiB  (other processes: {s['other_cores']:.2f} cores)"
        )
    times = [s["diff_s"] for s in samples]
    walls = [s["wall"] for s in samples]
    rss = max(s["rss_mib"] for s in samples)
    met = (case.target_s is None or statistics.median(times) <= case.target_s) and (
        case.target_rss_mib is None or rss <= case.target_rss_mib
    )
    return {
        "title": case.title,
        "median_s": statistics.median(times),
        "min_s": min(times),
        "max_s": max(times),
        "process_median_s": statistics.median(walls),
        "cold_first_call_s": [s["times"][0] for s in samples] if case.spec["calls"] > 1 else None,
        "peak_rss_mib": rss,
        "other_cores": max(s["other_cores"] for s in samples),
        "target_s": case.target_s,
        "target_rss_mib": case.target_rss_mib,
        "met": met,
        "counts": samples[-1]["counts"],
        "mode": samples[-1]["mode"],
        "out_of_core": samples[-1]["out_of_core"],
    }


def markdown(results: dict[str, Any]) -> str:
    lines = [
        "| case | median | min–max | process (median) | peak RSS | target | met |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in results.values():
        ms = r["median_s"] < 1
        unit, scale = ("ms", 1000) if ms else ("s", 1)
        target = []
        if r["target_s"] is not None:
            target.append(f"≤ {r['target_s'] * scale:g} {unit}")
        if r["target_rss_mib"] is not None:
            target.append(f"≤ {r['target_rss_mib'] / 1024:g} GiB")
        lines.append(
            f"| {r['title']} | {r['median_s'] * scale:.{1 if ms else 2}f} {unit}"
            f" | {r['min_s'] * scale:.{1 if ms else 2}f}–{r['max_s'] * scale:.{1 if ms else 2}f} {unit}"
            f" | {r['process_median_s']:.2f} s | {r['peak_rss_mib']:.0f} MiB | {', '.join(target) or '—'}"
            f" | {'yes' if r['met'] else 'no'} |"
        )
    return "\n".join(lines)


def snapshot() -> None:
    """Run a frozen copy of the package (the tree may be edited during a run)."""
    dest = WORK / "snapshot" / "jupyter_datavc"
    shutil.rmtree(dest.parent, ignore_errors=True)
    shutil.copytree(PROJECT / "jupyter_datavc", dest, ignore=shutil.ignore_patterns("__pycache__", "labextension"))
    ENV["PYTHONPATH"] = str(dest.parent)


def row_cases(
    prefix: str, repo: Path, n: int, part_rows: int, limits: tuple[float | None, float | None], env: dict[str, str]
) -> list[Case]:
    """The keyed and the unkeyed row diff of a rows repository (``limits``: seconds, MiB)."""
    exp = expected_counts(n, max(1, n // part_rows))
    return [
        Case(
            f"{prefix}_{'keyed' if key else 'unkeyed'}",
            f"row diff of {n:,} rows × 5 columns, 1% changed, {'keyed' if key else 'unkeyed'}",
            {"repo": str(repo), "a": "rows@v1", "b": "rows@v2", "rows": True, "key": key, "calls": 1},
            limits[0],
            limits[1],
            exp,
            env,
        )
        for key in (["id"], None)
    ]


def cases(sizes: Sizes, huge: bool) -> list[Case]:
    files = ensure("files", f"{sizes.files}x{sizes.file_rows}", build_files_repo, sizes.files, sizes.file_rows)
    rows = ensure("rows", f"{sizes.rows}/{sizes.part_rows}", build_rows_repo, sizes.rows, sizes.part_rows)
    out = [
        Case(
            "footer_stats",
            f"statistics diff of {sizes.files:,} Parquet files (levels 1–3), warm",
            {
                "repo": str(files),
                "a": "many@v1",
                "b": "many@v2",
                "rows": False,
                "key": None,
                "calls": sizes.footer_calls,
            },
            0.05,
            None,
            None,
            ENV,
        )
    ]
    out += row_cases("rows", rows, sizes.rows, sizes.part_rows, (5.0, 2048.0), ENV)
    if huge and sizes.huge:
        # tiny sizes fit any budget: give the quick run's "huge" case one it does not fit
        env = ENV if sizes.huge >= 10**6 else {**ENV, "DATAVC_DIFF_MEMORY": "256K"}
        big = ensure("huge", f"{sizes.huge}/{sizes.part_rows}", build_rows_repo, sizes.huge, sizes.part_rows)
        out += row_cases("huge", big, sizes.huge, sizes.part_rows, (None, None), env)
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="tiny sizes: a smoke test of every case")
    p.add_argument("--runs", type=int, help="timed runs per case (default 3, 2 with --quick)")
    p.add_argument("--no-huge", action="store_true", help="leave out the 100-million-row case")
    p.add_argument("--huge-runs", type=int, default=1, help="runs of the 100-million-row case (default 1)")
    p.add_argument("--only", help="comma-separated case keys to run (e.g. rows_unkeyed)")
    p.add_argument("--no-prime", action="store_true", help="do not prime memory before each run (see README)")
    p.add_argument("--quiet-wait", type=float, help="wait up to this many seconds for other load (default 20)")
    p.add_argument("--keep", action="store_true", help="keep benchmarks/.work/diff/ and reuse its data next time")
    p.add_argument("--json", type=Path, help="where to write the results (default benchmarks/results-diff-*.json)")
    p.add_argument("--child", help=argparse.SUPPRESS)
    p.add_argument("--work", type=Path, help="folder for data and repositories (default benchmarks/.work/diff)")
    args = p.parse_args(argv)
    global WORK
    if args.work is not None:
        WORK = args.work.resolve()
        ENV["PYTHONPYCACHEPREFIX"] = str(WORK / "pycache")
    if args.child:
        child(json.loads(args.child))
        return 0
    sizes = QUICK if args.quick else FULL
    runs = max(1, args.runs or sizes.runs)
    quiet = args.quiet_wait if args.quiet_wait is not None else (0.0 if args.quick else 20.0)
    started = time.perf_counter()
    WORK.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {}
    try:
        snapshot()
        only = set(args.only.split(",")) if args.only else None
        for case in cases(sizes, not args.no_huge):
            if only is not None and case.key not in only:
                continue
            n = args.huge_runs if case.key.startswith("huge") else runs
            results[case.key] = run_case(case, n, not (args.quick or args.no_prime), quiet)
    finally:
        if not args.keep:
            shutil.rmtree(WORK, ignore_errors=True)
    table = markdown(results)
    from jupyter_datavc.core.diff_budget import memory_budget

    meta = {"date": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "machine": machine(), "sizes": sizes.__dict__}
    meta.update(datavc=git_state(), memory_budget=memory_budget(), primed=not (args.quick or args.no_prime))
    report = {
        "meta": meta,
        "cases": results,
        "seconds": time.perf_counter() - started,
        "summary_markdown": table,
    }
    out = args.json or HERE / f"results-diff-{'quick' if args.quick else 'full'}.json"
    out.write_text(json.dumps(report, indent=1) + "\n")
    print(table)
    return 0 if all(r["met"] for r in results.values()) or args.quick else 1


if __name__ == "__main__":
    sys.exit(main())
