"""The benchmarks' short runs: each script runs end to end on small data and reports what it should.

The full runs (minutes to an hour, large data) are run by hand and reported in benchmarks/README.md;
these keep the scripts working and check that their figures are sane, not that targets are met.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "benchmarks"


def bench(script: str, *args: str, work: Path) -> str:
    env = {
        **os.environ,
        "DATAVC_BENCH_WORK": str(work),
        "DATAVC_BENCH_DVC": str(Path(sys.executable).with_name("dvc")),
    }
    proc = subprocess.run(
        [sys.executable, script, *args], cwd=BENCH, env=env, capture_output=True, text=True, timeout=600
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.stdout


def test_core_benchmark_quick(tmp_path: Path) -> None:
    out = tmp_path / "core.json"
    text = bench("bench_core.py", "--quick", "--runs", "1", "--quiet-wait", "0", "--json", str(out), work=tmp_path)
    report = json.loads(out.read_text())
    cases = report["cases"]
    assert set(cases) == {"add_big", "add_many", "readd_many", "status_many", "checkout_many"}
    floors = {"floor: disk", "floor: disk direct", "floor: chunk", "datavc no fsync"}
    assert set(cases["add_big"]["tools"]) == {"cp", "cp+sync", "datavc", "dvc", *floors}
    assert set(cases["add_many"]["tools"]) == {"cp", "cp+sync", "datavc", "dvc"}
    for case in cases.values():
        for runs in case["tools"].values():
            assert runs["median_s"] > 0 and runs["peak_rss_mib"] > 0
    growth = report["store_growth"]
    assert growth["dvc"]["ratio_v2"] > 1.9  # dvc stores the changed file whole again
    assert growth["datavc"]["ratio_v2"] < 1.2  # datavc stores only the changed chunks
    assert report["latency"]["median_run"]["busy"]["n"] > 0
    verdicts = [line for line in text.splitlines() if line.endswith("| met |") or "| MISSED by " in line]
    assert len(verdicts) == 8  # one verdict per target
    assert "Floors of the 64 MiB add" in text and "the durable copy" in text
    assert not (tmp_path / "core").exists()  # the run's data is removed at the end


def test_recheck_benchmark_quick(tmp_path: Path) -> None:
    out = tmp_path / "recheck.json"
    text = bench("bench_recheck.py", "--quick", "--runs", "1", "--json", str(out), work=tmp_path)
    report = json.loads(out.read_text())
    assert report["add one big file / datavc"]["ratio"] > 0
    assert report["checkout of the files / datavc --to"]["ratio"] > 0
    assert report["status of the files / datavc"]["median_s"] > 0
    assert "<= 1.6x cp" in text


@pytest.mark.timeout(600)
def test_remote_benchmark_quick(tmp_path: Path) -> None:
    out = tmp_path / "remote.json"
    text = bench(
        "bench_remote.py", "--quick", "--runs", "1", "--workdir", str(tmp_path / "w"), "--json", str(out), work=tmp_path
    )
    report = json.loads(out.read_text())
    assert report["push"]["ratio_vs_cp"] > 0
    assert 0 < report["delta"]["fraction"] < 0.1  # a 1% change sends a few percent, not the file
    lazy = report["lazy"]
    assert 50_000_000 <= lazy["bytes_fetched"] < 60_000_000  # one version's 50 MB, not the remote's 400 MB
    assert "| push / cp |" in text


def test_sidebar_benchmark_quick(tmp_path: Path) -> None:
    out = tmp_path / "sidebar.json"
    text = bench("bench_sidebar.py", "--versions", "60", "--repeat", "1", "--out", str(out), work=tmp_path)
    report = json.loads(out.read_text())
    assert report["versions"] == 60 and report["rows_in_dom"] > 0
    assert report["first_render_ms"]["cold"] > 0 and report["api_first_page_ms"]["median"] > 0
    assert "timeline of 60 versions" in text
