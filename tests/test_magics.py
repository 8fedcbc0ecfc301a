"""The %dv magics in a real IPython shell."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell


@pytest.fixture
def ip(project: Path) -> InteractiveShell:
    shell = InteractiveShell.instance()
    shell.run_line_magic("load_ext", "jupyter_datavc")
    yield shell
    shell.user_ns.clear()


def test_magics_flow(ip: InteractiveShell, make_parquet, project: Path) -> None:
    make_parquet(rows=10)
    widget = ip.run_line_magic("dv", "add data/raw.parquet --name raw -m 'initial import'")
    assert type(widget).__name__ == "JobProgress"
    msg = ip.run_line_magic("dv", "wait")
    assert "added raw@v1" in str(msg)
    assert widget.bar.bar_style == "success" and "raw@v1" in widget.label.value
    ip.user_ns["clean_df"] = pd.DataFrame({"a": [1, 2, 3]})
    assert "clean@v1" in str(ip.run_line_magic("dv", "add --df clean_df --name clean --wait"))
    df = ip.run_line_magic("dv", "load raw@v1")
    assert isinstance(df, pd.DataFrame) and len(df) == 10
    log = ip.run_line_magic("dv", "log raw")
    assert "initial import" in log._repr_html_() and "initial import" in str(log)
    assert "tagged" in str(ip.run_line_magic("dv", "tag raw@v1 baseline"))
    assert "clean" in str(ip.run_line_magic("dv", "ls"))
    assert "table" in str(ip.run_line_magic("dv", "status"))
    assert "checked out raw@v1" in str(ip.run_line_magic("dv", "checkout raw@baseline --to copy/"))
    assert (project / "copy" / "raw.parquet").exists()
    assert "jobs" in str(ip.run_line_magic("dv", "jobs"))


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("", "give a verb"),
        ("frobnicate", "invalid choice"),
        ("load nope", "unknown dataset"),
        ("load raw@", "malformed revision"),
        ("add --df missing_var --name x", "no variable named 'missing_var'"),
        ("add --df not_a_table --name x", "not a pandas DataFrame"),
        ("add data/raw.parquet --df not_a_table", "not both"),
        ("add 'unclosed", "No closing quotation"),
        ("cancel nope", "unknown job"),
    ],
)
def test_magic_errors_are_usage_errors(ip: InteractiveShell, make_parquet, line: str, message: str) -> None:
    make_parquet()
    ip.run_line_magic("dv", "add data/raw.parquet --name raw --wait")
    ip.user_ns["not_a_table"] = [1, 2]
    with pytest.raises(UsageError, match=message) as info:
        ip.run_line_magic("dv", line)
    assert "\n" not in str(info.value)


def test_magic_cancel_and_wait_reports_it(ip: InteractiveShell, project: Path, slow_chunker) -> None:
    (project / "big.bin").write_bytes(b"x" * (8 << 20))
    slow_chunker(0.2)
    widget = ip.run_line_magic("dv", "add big.bin --name big")
    ip.run_line_magic("dv", f"cancel {widget.job.id}")
    with pytest.raises(UsageError, match="cancelled"):
        ip.run_line_magic("dv", f"wait {widget.job.id}")
    assert widget.bar.bar_style == "danger" and "cancelled" in widget.label.value


def test_wait_sends_the_widgets_final_state_from_the_waiting_cell(
    ip: InteractiveShell, make_parquet, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The job thread's last widget update may arrive after its cell went idle; ``%dv wait`` repeats it."""
    import threading

    import ipywidgets

    sent: list[tuple[str, str, bool]] = []
    real = ipywidgets.Widget.send_state

    def record(self: ipywidgets.Widget, key: object = None) -> None:
        sent.append((type(self).__name__, threading.current_thread().name, getattr(self, "bar_style", "") == "success"))
        real(self, key)

    monkeypatch.setattr(ipywidgets.Widget, "send_state", record)
    make_parquet(rows=10)
    widget = ip.run_line_magic("dv", "add data/raw.parquet --name raw")
    widget.job._done.wait(30)  # the job ended (and updated the widget) before the wait below
    sent.clear()
    ip.run_line_magic("dv", "wait")
    main = threading.main_thread().name
    assert ("FloatProgress", main, True) in sent and any(n == "HTML" and t == main for n, t, _ in sent)
