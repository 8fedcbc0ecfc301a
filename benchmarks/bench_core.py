#!/usr/bin/env python3
"""Side-by-side benchmark of the core store: ``datavc`` against ``dvc`` and ``cp``.

Run from the project root (the project venv has ``jupyter_datavc`` installed)::

    .venv/bin/python benchmarks/bench_core.py            # full sizes (2 GiB file, 20,000 files)
    .venv/bin/python benchmarks/bench_core.py --quick    # small sizes, under a minute

All data is built under ``benchmarks/.work/core/`` (deleted at the end unless ``--keep``). DVC is
installed on first use into ``benchmarks/.venv-dvc/``. ``benchmarks/README.md`` says what each
case measures, the targets, and the numbers measured on the project's machine.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from benchlib import (
    HERE,
    TIME,
    WORK,
    BenchError,
    CpuWatch,
    GiB,
    MiB,
    Step,
    fresh_dir,
    git_state,
    human,
    log,
    machine,
    prime_memory,
    run_cmd,
    snapshot_package,
    timed,
    wait_for_disk,
    wait_for_quiet,
    warm_cache,
)
from core_report import CaseResult, ToolRuns, print_case, summary
from core_tools import (
    DATAVC,
    PYTHON,
    Contestant,
    DataVC,
    Dvc,
    Tool,
    add_contestant,
    copy_data,
    cp_contestant,
    ensure_dvc,
    floor_contestant,
)

CORE = WORK / "core"  # this benchmark's data and runs (other benchmarks use other folders of WORK)
PRIME_MARGIN = 3 * GiB // 2  # free page reporting hands ~1.3 GiB back to the host every 2 s (README)


@dataclass(frozen=True)
class Sizes:
    big: int  # bytes of the one large random file
    files: int  # number of small random files
    file_size: int  # bytes of each small file
    runs: int  # timed runs per tool and case, after one untimed warm-up run
    prime: bool  # touch fresh memory before each timed command (see README, "first-touch")

    @property
    def many(self) -> int:
        return self.files * self.file_size

    @property
    def change(self) -> int:
        """The contiguous region overwritten in the big file: 1%, in whole MiB."""
        return max(MiB, self.big // 100 // MiB * MiB)


FULL = Sizes(big=2 * GiB, files=20_000, file_size=50_000, runs=3, prime=True)
QUICK = Sizes(big=64 * MiB, files=500, file_size=50_000, runs=3, prime=False)


def du_bytes(path: Path) -> int:
    return int(run_cmd(["du", "-sb", path]).split()[0])


# -- cases: contestants, the runner and its results ------------------------------------------------
@dataclass(frozen=True)
class Case:
    key: str
    title: str
    contestants: list[Contestant]
    writes: int = 0  # bytes the timed command writes (sizes the memory primer)
    keep_last: bool = False  # keep each tool's last run folder for later cases


@dataclass
class Ctx:
    sizes: Sizes
    src_big: Path
    src_many: Path
    datavc: DataVC
    dvc: Dvc
    datavc_nofsync: DataVC  # the same add with the repository's "fsync": false
    quiet_wait: float  # seconds to wait, at most, for other processes to go quiet before a command
    kept: dict[tuple[str, str], Path] = field(default_factory=dict)

    @property
    def tools(self) -> tuple[Tool, ...]:
        return (self.datavc, self.dvc)

    def run_folder(self, case: str, tool: str, rep: int) -> Path:
        slug = "".join(c if c.isalnum() else "-" for c in tool)
        return CORE / "runs" / case / f"{slug}-{'warmup' if rep < 0 else rep}"

    def settle(self, step: Step, writes: int) -> None:
        """Get the machine ready for one timed command (see README, "Method").

        Flush dirty pages and let the disk finish (no command pays for an earlier one's write-back
        or deletion), read the command's inputs (this VM pages out file pages unused for a
        minute), wait for other processes to be quiet, and prime memory for what the command will
        write.
        """
        os.sync()
        wait_for_disk(CORE)
        warm_cache(step.warm)
        wait_for_quiet(self.quiet_wait)
        if self.sizes.prime and writes:
            prime_memory(writes + min(writes, PRIME_MARGIN))

    def drop_kept(self, case: str) -> None:
        for key in [k for k in self.kept if k[0] == case]:
            shutil.rmtree(self.kept.pop(key), ignore_errors=True)


def rotated(items: Sequence[Contestant], k: int) -> list[Contestant]:
    k %= len(items)
    return [*items[k:], *items[:k]]


def run_case(ctx: Ctx, case: Case) -> CaseResult:
    """One untimed warm-up pass, then ``runs`` timed passes; the tools' order rotates every pass."""
    log(f"== {case.title}")
    tools = {c.tool: ToolRuns() for c in case.contestants}
    last = ctx.sizes.runs - 1
    for rep in range(-1, ctx.sizes.runs):
        for c in rotated(case.contestants, rep):
            folder = fresh_dir(ctx.run_folder(case.key, c.tool, rep))
            step = c.prepare(folder)
            ctx.settle(step, case.writes)
            sample = timed(step)
            log(
                f"   {'warm-up' if rep < 0 else f'run {rep + 1}'}  {c.tool:<16} {sample.seconds:8.3f} s"
                f"  {sample.rss_mib:6.0f} MiB  (other processes: {sample.other_cores:.2f} cores)"
            )
            if rep < 0:
                tools[c.tool].warmup = sample
            else:
                tools[c.tool].samples.append(sample)
            if case.keep_last and rep == last:
                ctx.kept[case.key, c.tool] = folder
            else:
                shutil.rmtree(folder)
    result = CaseResult(case.key, case.title, tools)
    print_case(result)
    return result


def kept_contestant(ctx: Ctx, tool: Tool, step_of: Callable[[Tool, Path], Step]) -> Contestant:
    """A command on the repo that the 20,000-file add left behind."""
    return Contestant(tool.name, lambda folder: step_of(tool, ctx.kept["add_many", tool.name]))


def in_place_checkout(ctx: Ctx, tool: Tool, label: str) -> Contestant:
    def prepare(folder: Path) -> Step:
        repo = ctx.kept["add_many", tool.name]
        shutil.rmtree(repo / ctx.src_many.name)
        return tool.checkout(repo, ctx.src_many.name)

    return Contestant(label, prepare)


def add_case(ctx: Ctx, key: str, title: str, src: Path, size: int) -> Case:
    contestants = [cp_contestant(src), cp_contestant(src, sync=True), *(add_contestant(t, src) for t in ctx.tools)]
    if src.is_file():  # what one large file's add cannot go below, and the add without its flush
        contestants += [floor_contestant(mode, src) for mode in ("disk", "disk direct", "chunk")]
        contestants.append(add_contestant(ctx.datavc_nofsync, src))
    return Case(key, title, contestants, writes=size, keep_last=True)


def readd_case(ctx: Ctx) -> Case:
    contestants = [
        kept_contestant(ctx, t, lambda t, repo: t.add(repo, ctx.src_many.name, t.noop_text)) for t in ctx.tools
    ]
    return Case("readd_many", f"no-op re-add of {ctx.sizes.files:,} files", contestants)


def status_case(ctx: Ctx) -> Case:
    contestants = [kept_contestant(ctx, t, lambda t, repo: t.status(repo)) for t in ctx.tools]
    return Case("status_many", f"status of {ctx.sizes.files:,} unchanged files", contestants)


def checkout_case(ctx: Ctx) -> Case:
    name = ctx.src_many.name
    to_folder = Contestant(
        "datavc --to", lambda folder: ctx.datavc.checkout(ctx.kept["add_many", "datavc"], name, to=folder / name)
    )
    contestants = [
        cp_contestant(ctx.src_many),
        to_folder,
        in_place_checkout(ctx, ctx.datavc, "datavc in place"),
        in_place_checkout(ctx, ctx.dvc, "dvc"),
    ]
    return Case(
        "checkout_many",
        f"checkout of {ctx.sizes.files:,} files into an empty folder",
        contestants,
        writes=ctx.sizes.many,
    )


# -- store growth after a 1% change -----------------------------------------------------------------
def overwrite(path: Path, offset: int, data: bytes) -> None:
    with open(path, "r+b") as f:
        f.seek(offset)
        f.write(data)


def store_growth(ctx: Ctx) -> dict[str, Any]:
    """Overwrite one contiguous 1% region in the middle of the big file, add it again, weigh the store."""
    size, change = ctx.sizes.big, ctx.sizes.change
    offset = (size - change) // 2
    payload = os.urandom(change)
    log(f"== store growth: overwrite {human(change)} at offset {human(offset)}, add again")
    out: dict[str, Any] = {"version_bytes": size, "changed_bytes": change, "offset": offset}
    for tool in ctx.tools:
        repo = ctx.kept["add_big", tool.name]
        before = du_bytes(repo / tool.store_dir)
        overwrite(repo / ctx.src_big.name, offset, payload)
        step = tool.add(repo, ctx.src_big.name)
        ctx.settle(step, size)
        sample = timed(step)
        after = du_bytes(repo / tool.store_dir)
        out[tool.name] = {
            "store_bytes_v1": before,
            "store_bytes_v2": after,
            "ratio_v1": before / size,
            "ratio_v2": after / size,
            "readd_s": sample.seconds,
            "peak_rss_mib": sample.rss_mib,
            "other_cores": sample.other_cores,
        }
        log(
            f"   {tool.name:<7} re-add {sample.seconds:.2f} s; store {human(before)} -> {human(after)}"
            f" = {after / size:.3f}x one version"
        )
    return out


# -- main-thread latency during a background add ------------------------------------------------
def latency_case(ctx: Ctx) -> dict[str, Any]:
    log(f"== main-thread latency while a {human(ctx.sizes.big)} add runs in a background thread")
    runs = []
    for rep in range(-1, ctx.sizes.runs):
        folder = fresh_dir(ctx.run_folder("latency", "datavc", rep))
        ctx.datavc.init(folder)
        copy_data(ctx.src_big, folder / "big.bin")
        step = Step([str(PYTHON), str(HERE / "core_probe.py"), str(folder)], folder, warm=(folder,))
        ctx.settle(step, ctx.sizes.big)
        sample = timed(step)
        doc = json.loads(sample.out.strip().splitlines()[-1])
        doc |= {"peak_rss_mib": sample.rss_mib, "other_cores": sample.other_cores}
        busy = doc["busy"]
        log(
            f"   {'warm-up' if rep < 0 else f'run {rep + 1}'}  add {doc['add_s']:.2f} s, p50 {busy['p50_ms']:.2f} ms,"
            f" p99 {busy['p99_ms']:.2f} ms, max {busy['max_ms']:.1f} ms (idle p99 {doc['idle']['p99_ms']:.2f} ms)"
        )
        if rep >= 0:
            runs.append(doc)
        shutil.rmtree(folder)
    pick = sorted(runs, key=lambda d: d["busy"]["p99_ms"])[len(runs) // 2]  # the run with the median p99
    return {
        "runs": runs,
        "median_run": pick,
        "worst_p99_ms": max(d["busy"]["p99_ms"] for d in runs),
        "median_add_s": statistics.median(d["add_s"] for d in runs),
        "peak_rss_mib": max(d["peak_rss_mib"] for d in runs),
    }


# -- set-up ------------------------------------------------------------------------------------------
def write_random_file(path: Path, size: int) -> None:
    with open(path, "wb") as f:
        for start in range(0, size, 64 * MiB):
            f.write(os.urandom(min(64 * MiB, size - start)))


def make_data(sizes: Sizes) -> tuple[Path, Path]:
    """The random source data (reused from an earlier ``--keep`` run of the same sizes)."""
    src = CORE / "src"
    stamp = src / "sizes.json"
    wanted = json.dumps([sizes.big, sizes.files, sizes.file_size])
    big, many = src / "big.bin", src / "many"
    if stamp.exists() and stamp.read_text() == wanted:
        return big, many
    log(f"writing {human(sizes.big)} file and {sizes.files:,} files of {sizes.file_size:,} bytes")
    fresh_dir(src)
    write_random_file(big, sizes.big)
    for i in range(sizes.files):
        sub = many / f"d{i // 1000:02d}"
        sub.mkdir(parents=True, exist_ok=True)
        (sub / f"f{i:05d}.bin").write_bytes(os.urandom(sizes.file_size))
    stamp.write_text(wanted)
    return big, many


def check_prerequisites(sizes: Sizes) -> None:
    if not os.access(TIME, os.X_OK):
        raise BenchError(f"{TIME} is missing: apt-get install time")
    if not DATAVC.exists():
        raise BenchError(f"{DATAVC} is missing: install the project into .venv first (pip install -e .)")
    need = 12 * sizes.big + 8 * sizes.many
    free = shutil.disk_usage(HERE).free
    if free < need:
        raise BenchError(f"needs ~{human(need)} free disk under {HERE}, has {human(free)}")


def setup(sizes: Sizes, quiet_wait: float) -> Ctx:
    for sub in ("runs", "templates"):
        shutil.rmtree(CORE / sub, ignore_errors=True)
    shutil.rmtree(WORK / "dvc-site-cache", ignore_errors=True)
    CORE.mkdir(parents=True, exist_ok=True)
    big, many = make_data(sizes)
    datavc = DataVC.make_template(CORE / "templates" / "datavc")
    nofsync = DataVC.make_template(CORE / "templates" / "datavc-nofsync", fsync=False)
    dvc = Dvc.make_template(CORE / "templates" / "dvc")
    log("reading the source data once (page cache)")
    warm_cache([big, many])
    return Ctx(sizes, big, many, datavc, dvc, nofsync, quiet_wait)


# -- main ----------------------------------------------------------------------------------------------
def run_all(ctx: Ctx) -> tuple[dict[str, Any], list[CaseResult]]:
    sizes = ctx.sizes
    results = [run_case(ctx, add_case(ctx, "add_big", f"add one {human(sizes.big)} file", ctx.src_big, sizes.big))]
    growth = store_growth(ctx)
    ctx.drop_kept("add_big")
    latency = latency_case(ctx)
    many_title = f"add {sizes.files:,} files of {sizes.file_size // 1000} KB"
    results.append(run_case(ctx, add_case(ctx, "add_many", many_title, ctx.src_many, sizes.many)))
    for make in (readd_case, status_case, checkout_case):
        results.append(run_case(ctx, make(ctx)))
    report = {"cases": {r.key: r.to_json() for r in results}, "store_growth": growth, "latency": latency}
    return report, results


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="small sizes (64 MiB, 500 files): a smoke test")
    p.add_argument("--runs", type=int, help="timed runs per tool and case (default 3)")
    p.add_argument(
        "--prime",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="prime memory before each timed command (default: on, off with --quick)",
    )
    p.add_argument(
        "--quiet-wait",
        type=float,
        help="before each timed command wait up to this many seconds for other processes to go quiet"
        " (default 20, 0 with --quick)",
    )
    p.add_argument("--keep", action="store_true", help="keep benchmarks/.work/core/ (and reuse its data next time)")
    p.add_argument("--json", type=Path, help="where to write the results (default benchmarks/results-*.json)")
    return p.parse_args(argv)


def chosen_sizes(args: argparse.Namespace) -> Sizes:
    sizes = QUICK if args.quick else FULL
    runs = args.runs if args.runs is not None else sizes.runs
    prime = args.prime if args.prime is not None else sizes.prime
    return Sizes(sizes.big, sizes.files, sizes.file_size, max(1, runs), prime)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    sizes = chosen_sizes(args)
    started = time.perf_counter()
    watch = CpuWatch()
    check_prerequisites(sizes)
    dvc_version = ensure_dvc()
    meta = {
        "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "mode": "quick" if args.quick else "full",
        "machine": machine(),
        "datavc": git_state(),
        "dvc": dvc_version,
        "dvc_config": Dvc.CONFIG,
    }
    try:
        meta["datavc"]["snapshot_sha256"] = snapshot_package()
        ctx = setup(sizes, args.quiet_wait if args.quiet_wait is not None else (0.0 if args.quick else 20.0))
        report, results = run_all(ctx)
    finally:
        if not args.keep:
            for made in (CORE, WORK / "snapshot", WORK / "pycache", WORK / "dvc-site-cache"):
                shutil.rmtree(made, ignore_errors=True)
    meta["machine"]["loadavg_end"] = os.getloadavg()
    meta["machine"]["other_processes_cores"] = round(watch.foreign_cores(), 2)
    meta["seconds"] = time.perf_counter() - started
    report = {"meta": meta, "sizes": asdict(sizes) | {"change": sizes.change}, **report}
    report["summary_markdown"] = summary(report, results)
    out = args.json or HERE / f"results-{meta['mode']}.json"
    out.write_text(json.dumps(report, indent=1) + "\n")
    print("\n" + report["summary_markdown"])
    print(f"\n{meta['mode']} run: {meta['seconds']:.0f} s; results in {out}")
    if meta["machine"]["other_processes_cores"] > 0.1:
        print(f"warning: other processes kept {meta['machine']['other_processes_cores']:.2f} cores busy during the run")
    return 0


if __name__ == "__main__":
    sys.exit(main())
