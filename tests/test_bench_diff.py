"""The diff benchmark's quick mode runs every case through the product and checks its counts."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent / "benchmarks" / "bench_diff.py"


def test_quick_run_covers_every_case(tmp_path: Path) -> None:
    work, out = tmp_path / "work", tmp_path / "results.json"
    proc = subprocess.run(
        [sys.executable, str(BENCH), "--quick", "--work", str(work), "--json", str(out)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    cases = json.loads(out.read_text())["cases"]
    assert list(cases) == ["footer_stats", "rows_keyed", "rows_unkeyed", "huge_keyed", "huge_unkeyed"]
    # the child's counts were checked against the generated changes; here: the modes and engines
    assert cases["footer_stats"]["counts"] is None and cases["footer_stats"]["cold_first_call_s"]
    assert cases["rows_keyed"]["mode"] == "key" and cases["rows_unkeyed"]["mode"] == "multiset"
    assert cases["rows_keyed"]["counts"] == {
        "before": 20_000,
        "after": 20_000,
        "added": 50,
        "removed": 50,
        "changed": cases["rows_keyed"]["counts"]["changed"],
        "unchanged": 20_000 - 50 - cases["rows_keyed"]["counts"]["changed"],
    }
    assert 90 <= cases["rows_keyed"]["counts"]["changed"] <= 100  # 100 edits, a few to the same value
    assert not cases["rows_keyed"]["out_of_core"]
    assert cases["huge_keyed"]["out_of_core"] and cases["huge_unkeyed"]["out_of_core"]
    assert cases["huge_keyed"]["counts"]["before"] == 60_000 and cases["huge_keyed"]["mode"] == "key"
    for case in cases.values():
        assert case["peak_rss_mib"] > 10 and 0 < case["min_s"] <= case["median_s"] <= case["max_s"]
    assert "| row diff of 20,000 rows" in proc.stdout
    assert not work.exists()  # removed without --keep
