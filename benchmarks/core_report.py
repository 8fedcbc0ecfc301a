"""Results of ``bench_core.py``: per-tool runs, ratios, the targets and the Markdown summary."""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field
from typing import Any

from benchlib import Sample, human, markdown

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


def floors_text(report: dict[str, Any]) -> str:
    """The large add against what it cannot go below on this machine (its floor contestants)."""
    tools = report["cases"]["add_big"]["tools"]
    if "floor: disk" not in tools:
        return ""
    cp = tools["cp"]["median_s"]
    disk = min(tools["floor: disk"]["median_s"], tools["floor: disk direct"]["median_s"])

    def x(name: str, base: float = cp) -> str:
        return f"{tools[name]['median_s'] / base:.2f}x"

    big = human(report["sizes"]["big"])
    return (
        f"Floors of the {big} add, as ratios to `cp`: a durable copy of its bytes {disk / cp:.2f}x"
        f" (the faster of the page cache with early write-back, {x('floor: disk')}, and `O_DIRECT`,"
        f" {x('floor: disk direct')}), datavc's read, cut and hash alone {x('floor: chunk')}."
        f" datavc takes {x('datavc')} `cp`, {x('datavc', tools['cp+sync']['median_s'])} `cp && sync`"
        f" and {x('datavc', disk)} the durable copy;"
        f' without its flush before the commit (`"fsync": false`) {x("datavc no fsync")} `cp`.'
    )


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
            *filter(None, [floors_text(report)]),
            markdown(["store", "after v1 / one version", "after v2 / one version"], store),
            f"Background add of {human(report['sizes']['big'])}: {lat['median_add_s']:.2f} s (median of runs); "
            f"start_add returned in {run['submit_ms']:.1f} ms; worst p99 over runs {lat['worst_p99_ms']:.2f} ms.",
            markdown(["main thread", "p50 ms", "p99 ms", "max ms"], latency),
            markdown(["target", "limit", "measured", "verdict"], target_rows(report)),
        ]
    )
