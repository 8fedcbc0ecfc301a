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
import math
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
    PROJECT,
    TIME,
    WORK,
    BenchError,
    CpuWatch,
    GiB,
    MiB,
    Sample,
    Step,
    git_state,
    human,
    log,
    machine,
    markdown,
    prime_memory,
    run_cmd,
    snapshot_package,
    timed,
    wait_for_quiet,
    warm_cache,
)

DVC_VENV = HERE / ".venv-dvc"
PYTHON = PROJECT / ".venv" / "bin" / "python"
DATAVC = PROJECT / ".venv" / "bin" / "datavc"
CORE = WORK / "core"  # this benchmark's data and runs (other benchmarks use other folders of WORK)
# DATAVC_BENCH_DVC: a dvc executable to use instead of installing one into .venv-dvc (the tests'
# short run uses the one the test extras install)
DVC = Path(os.environ.get("DATAVC_BENCH_DVC") or DVC_VENV / "bin" / "dvc")
PRIME_MARGIN = 3 * GiB // 2  # free page reporting hands ~1.3 GiB back to the host every 2 s (README)
PROBE_SLEEP = 0.002  # seconds the probe's main thread sleeps between two timed statements
PROBE_IDLE = 1.0  # seconds of probing before the add starts (the idle baseline)

TARGETS = {  # key: (what, limit, unit); "{files}" and "{big}" are filled in from the sizes run
    "add_big": ("add {big}: datavc / cp (medians)", 1.6, "x"),
    "add_many": ("add {files} files: datavc / cp -r (medians)", 1.5, "x"),
    "checkout_many": ("checkout of {files} files: datavc --to / cp -r (medians)", 1.2, "x"),
    "readd_many": ("no-op re-add of the {files} files", 0.3, "s"),
    "status_many": ("datavc status of the {files} files", 0.3, "s"),
    "store_growth": ("store size / one version, after a 1% change", 1.03, "x"),
    "peak_rss": ("peak RSS of any datavc add", 256.0, "MiB"),
    "latency_p99": ("main-thread p99 latency during a background {big} add", 50.0, "ms"),
}


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


def copy_data(src: Path, dst: Path) -> None:
    run_cmd(["cp", "-r", src, dst])


def fresh_dir(path: Path) -> Path:
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


# -- the tools ---------------------------------------------------------------------------------
def dataset_name(rel: str) -> str:
    return rel.split(".")[0]


class Tool:
    """A versioning tool as the cases use it; ``template`` is a freshly initialised empty repo."""

    name = ""
    store_dir = ""
    noop_text = ""

    def __init__(self, template: Path) -> None:
        self.template = template

    def init(self, folder: Path) -> None:
        shutil.copytree(self.template, folder, dirs_exist_ok=True)

    def add(self, repo: Path, rel: str, expect: str = "") -> Step:
        raise NotImplementedError

    def status(self, repo: Path) -> Step:
        raise NotImplementedError

    def checkout(self, repo: Path, rel: str, to: Path | None = None) -> Step:
        raise NotImplementedError


class DataVC(Tool):
    name = "datavc"
    store_dir = ".datavc/objects"
    noop_text = "no changes"

    @staticmethod
    def make_template(folder: Path) -> DataVC:
        run_cmd([DATAVC, "init", fresh_dir(folder)])
        return DataVC(folder)

    def _cli(self, repo: Path, *args: str) -> list[str]:
        return [str(DATAVC), "-C", str(repo), *args]

    def add(self, repo: Path, rel: str, expect: str = "") -> Step:
        return Step(self._cli(repo, "add", rel, "--name", dataset_name(rel)), repo, expect, (repo,))

    def status(self, repo: Path) -> Step:
        return Step(self._cli(repo, "status"), repo, "clean", (repo,))

    def checkout(self, repo: Path, rel: str, to: Path | None = None) -> Step:
        extra = ["--to", str(to)] if to is not None else []
        return Step(self._cli(repo, "checkout", f"{dataset_name(rel)}@v1", *extra), repo, "checked out", (repo,))


class Dvc(Tool):
    name = "dvc"
    store_dir = ".dvc/cache"
    noop_text = ""  # dvc add prints nothing when its output is not a terminal
    # copy: what the default "reflink,copy" does on ext4, and the same work as cp and datavc
    CONFIG = "[core]\n    no_scm = True\n    analytics = false\n    check_update = false\n[cache]\n    type = copy\n"

    @staticmethod
    def make_template(folder: Path) -> Dvc:
        run_cmd([DVC, "init", "--no-scm", "-q"], fresh_dir(folder))
        (folder / ".dvc" / "config").write_text(Dvc.CONFIG)
        shutil.rmtree(folder / ".dvc" / "tmp", ignore_errors=True)  # per-repo state, not part of a template
        return Dvc(folder)

    def add(self, repo: Path, rel: str, expect: str = "") -> Step:
        return Step([str(DVC), "add", rel], repo, expect, (repo,))

    def status(self, repo: Path) -> Step:
        return Step([str(DVC), "status"], repo, "up to date", (repo,))

    def checkout(self, repo: Path, rel: str, to: Path | None = None) -> Step:
        if to is not None:
            raise BenchError("dvc checks out into its workspace only")
        return Step([str(DVC), "checkout", f"{rel}.dvc"], repo, "", (repo,))


# -- cases: contestants, the runner and its results ------------------------------------------------
@dataclass(frozen=True)
class Contestant:
    tool: str
    prepare: Callable[[Path], Step]  # untimed set-up in a fresh empty folder; returns the timed step


@dataclass(frozen=True)
class Case:
    key: str
    title: str
    contestants: list[Contestant]
    writes: int = 0  # bytes the timed command writes (sizes the memory primer)
    keep_last: bool = False  # keep each tool's last run folder for later cases


@dataclass
class ToolRuns:
    samples: list[Sample] = field(default_factory=list)
    warmup: Sample | None = None

    @property
    def times(self) -> list[float]:
        return [s.seconds for s in self.samples]

    @property
    def median(self) -> float:
        return statistics.median(self.times)

    @property
    def peak_rss(self) -> float:
        return max(s.rss_mib for s in self.samples)


@dataclass
class CaseResult:
    key: str
    title: str
    tools: dict[str, ToolRuns]

    def ratio(self, tool: str, base: str) -> float | None:
        if base not in self.tools or base == tool:
            return None
        return self.tools[tool].median / self.tools[base].median

    def to_json(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "tools": {
                name: {
                    "median_s": runs.median,
                    "min_s": min(runs.times),
                    "max_s": max(runs.times),
                    "samples_s": runs.times,
                    "warmup_s": runs.warmup.seconds if runs.warmup else None,
                    "peak_rss_mib": runs.peak_rss,
                    "other_cores": [round(s.other_cores, 2) for s in runs.samples],
                    "vs_cp": self.ratio(name, "cp"),
                    "vs_dvc": self.ratio(name, "dvc"),
                }
                for name, runs in self.tools.items()
            },
        }


@dataclass
class Ctx:
    sizes: Sizes
    src_big: Path
    src_many: Path
    datavc: DataVC
    dvc: Dvc
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

        Flush dirty pages (no command pays for an earlier one's write-back), read the command's
        inputs (this VM pages out file pages unused for a minute), wait for other processes to be
        quiet, and prime memory for what the command will write.
        """
        os.sync()
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


def cp_contestant(src: Path, sync: bool = False) -> Contestant:
    def prepare(folder: Path) -> Step:
        dst = str(folder / src.name)
        if sync:
            return Step(["sh", "-c", 'cp -r "$1" "$2" && sync', "sh", str(src), dst], folder, warm=(src,))
        return Step(["cp", "-r", str(src), dst], folder, warm=(src,))

    return Contestant("cp+sync" if sync else "cp", prepare)


def add_contestant(tool: Tool, src: Path) -> Contestant:
    def prepare(folder: Path) -> Step:
        tool.init(folder)
        copy_data(src, folder / src.name)
        return tool.add(folder, src.name)

    return Contestant(tool.name, prepare)


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
def _probe_loop(stop: Callable[[], bool], until: float) -> tuple[list[float], list[float]]:
    """Latencies of ``sum(range(1000))`` after short sleeps: (sleep overshoot + statement, statement)."""
    wake: list[float] = []
    stmt: list[float] = []
    while not stop() and time.perf_counter() < until:
        t0 = time.perf_counter()
        time.sleep(PROBE_SLEEP)
        t1 = time.perf_counter()  # the main thread got the GIL back after its sleep
        sum(range(1000))
        t2 = time.perf_counter()
        wake.append(t2 - t0 - PROBE_SLEEP)
        stmt.append(t2 - t1)
    return wake, stmt


def _percentiles(values: list[float]) -> dict[str, float]:
    ms = sorted(v * 1000 for v in values)
    if len(ms) < 2:
        return {"n": len(ms), "p50_ms": ms[0] if ms else math.nan, "p99_ms": ms[-1] if ms else math.nan}
    return {
        "n": len(ms),
        "p50_ms": statistics.median(ms),
        "p99_ms": statistics.quantiles(ms, n=100)[98],
        "max_ms": ms[-1],
    }


def latency_probe(root: Path) -> None:
    """Run inside the project venv: start a background add, probe the main thread until it ends."""
    import jupyter_datavc as dv

    idle = _probe_loop(lambda: False, time.perf_counter() + PROBE_IDLE)
    start = time.perf_counter()
    job = dv.Repo(root).start_add(str(root / "big.bin"), name="big")
    submitted = time.perf_counter() - start
    busy = _probe_loop(lambda: job.done, math.inf)
    version = job.wait()
    doc = {
        "submit_ms": submitted * 1000,
        "add_s": time.perf_counter() - start,
        "version": version.ref,
        "idle": _percentiles(idle[0]),
        "busy": _percentiles(busy[0]),
        "busy_statement_only": _percentiles(busy[1]),
    }
    print(json.dumps(doc))


def latency_case(ctx: Ctx) -> dict[str, Any]:
    log(f"== main-thread latency while a {human(ctx.sizes.big)} add runs in a background thread")
    runs = []
    for rep in range(-1, ctx.sizes.runs):
        folder = fresh_dir(ctx.run_folder("latency", "datavc", rep))
        ctx.datavc.init(folder)
        copy_data(ctx.src_big, folder / "big.bin")
        step = Step(
            [str(PYTHON), str(Path(__file__).resolve()), "--latency-probe", str(folder)], folder, warm=(folder,)
        )
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
def ensure_dvc() -> str:
    if not DVC.exists():
        log("installing dvc into benchmarks/.venv-dvc (first run only)")
        run_cmd([shutil.which("python3") or sys.executable, "-m", "venv", DVC_VENV])
        run_cmd([DVC_VENV / "bin" / "pip", "install", "-q", "dvc"])
    return run_cmd([DVC, "--version"]).strip()


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
    dvc = Dvc.make_template(CORE / "templates" / "dvc")
    log("reading the source data once (page cache)")
    warm_cache([big, many])
    return Ctx(sizes, big, many, datavc, dvc, quiet_wait)


# -- report ------------------------------------------------------------------------------------------
def fmt_ratio(x: float | None) -> str:
    return "" if x is None else f"{x:.2f}x"


def case_rows(result: CaseResult) -> list[list[str]]:
    rows = []
    for name, runs in result.tools.items():
        lo, hi = min(runs.times), max(runs.times)
        rows.append(
            [
                result.title,
                name,
                f"{runs.median:.3f}",
                f"{lo:.3f}–{hi:.3f}",
                fmt_ratio(result.ratio(name, "cp")),
                fmt_ratio(result.ratio(name, "dvc")),
                f"{runs.peak_rss:.0f}",
                f"{max(s.other_cores for s in runs.samples):.2f}",
            ]
        )
    return rows


CASE_HEADERS = ["case", "tool", "median s", "min–max s", "vs cp", "vs dvc", "peak RSS MiB", "other load"]


def print_case(result: CaseResult) -> None:
    print(f"\n{result.title}")
    for row in case_rows(result):
        print(
            f"  {row[1]:<16} median {row[2]:>8} s  ({row[3]})  {row[4]:>7} vs cp  {row[5]:>7} vs dvc  {row[6]:>5} MiB"
            f"  other load {row[7]}",
            flush=True,
        )


def target_rows(report: dict[str, Any]) -> list[list[str]]:
    cases, growth, lat = report["cases"], report["store_growth"], report["latency"]
    rss = [t["peak_rss_mib"] for c in cases.values() for n, t in c["tools"].items() if n.startswith("datavc")]

    def vs_cp(case: str, tool: str) -> float:
        tools = cases[case]["tools"]
        return float(tools[tool]["median_s"] / tools["cp"]["median_s"])

    measured = {
        "add_big": vs_cp("add_big", "datavc"),
        "add_many": vs_cp("add_many", "datavc"),
        "checkout_many": vs_cp("checkout_many", "datavc --to"),
        "readd_many": cases["readd_many"]["tools"]["datavc"]["median_s"],
        "status_many": cases["status_many"]["tools"]["datavc"]["median_s"],
        "store_growth": growth["datavc"]["ratio_v2"],
        "peak_rss": max([*rss, growth["datavc"]["peak_rss_mib"], lat["peak_rss_mib"]]),
        "latency_p99": lat["median_run"]["busy"]["p99_ms"],
    }
    sizes = report["sizes"]
    names = {"files": f"{sizes['files']:,}", "big": human(sizes["big"])}
    rows = []
    for key, (what, limit, unit) in TARGETS.items():
        value = measured[key]
        verdict = "met" if value <= limit else f"MISSED by {100 * (value / limit - 1):.1f}%"
        rows.append([what.format(**names), f"<= {limit:g} {unit}", f"{value:.4g} {unit}", verdict])
    return rows


def summary(report: dict[str, Any], results: list[CaseResult]) -> str:
    growth, lat = report["store_growth"], report["latency"]
    rows = [row for r in results for row in case_rows(r)]
    for tool in ("datavc", "dvc"):
        g = growth[tool]
        rows.append(
            [
                f"add again after a {human(growth['changed_bytes'])} change (n=1)",
                tool,
                f"{g['readd_s']:.3f}",
                "",
                "",
                fmt_ratio(g["readd_s"] / growth["dvc"]["readd_s"] if tool != "dvc" else None),
                f"{g['peak_rss_mib']:.0f}",
                f"{g['other_cores']:.2f}",
            ]
        )
    store = [[t, f"{growth[t]['ratio_v1']:.3f}x", f"{growth[t]['ratio_v2']:.3f}x"] for t in ("datavc", "dvc")]
    run = lat["median_run"]
    latency = [
        [label, f"{d['p50_ms']:.2f}", f"{d['p99_ms']:.2f}", f"{d.get('max_ms', math.nan):.1f}"]
        for label, d in (
            ("idle (before the add)", run["idle"]),
            ("during the add", run["busy"]),
            ("during the add, statement only", run["busy_statement_only"]),
        )
    ]
    return "\n\n".join(
        [
            markdown(CASE_HEADERS, rows),
            markdown(["store", "after v1 / one version", "after v2 / one version"], store),
            f"Background add of {human(report['sizes']['big'])}: {lat['median_add_s']:.2f} s (median of runs); "
            f"start_add returned in {run['submit_ms']:.1f} ms; worst p99 over runs {lat['worst_p99_ms']:.2f} ms.",
            markdown(["main thread", "p50 ms", "p99 ms", "max ms"], latency),
            markdown(["target", "limit", "measured", "verdict"], target_rows(report)),
        ]
    )


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
    p.add_argument("--latency-probe", type=Path, help=argparse.SUPPRESS)
    return p.parse_args(argv)


def chosen_sizes(args: argparse.Namespace) -> Sizes:
    sizes = QUICK if args.quick else FULL
    runs = args.runs if args.runs is not None else sizes.runs
    prime = args.prime if args.prime is not None else sizes.prime
    return Sizes(sizes.big, sizes.files, sizes.file_size, max(1, runs), prime)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.latency_probe is not None:
        latency_probe(args.latency_probe)
        return 0
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
