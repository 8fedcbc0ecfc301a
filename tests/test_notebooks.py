"""Real kernels: the quickstart notebook end to end, and the progress bar under a busy kernel."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path
from queue import Empty

import nbformat
import pytest
from jupyter_client.manager import start_new_kernel
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"

SLOW_ADD = """
import time, jupyter_datavc.core.chunking as ch, jupyter_datavc.core.ingest as ing
_real = ch.chunk_and_store
ch.PIECE_SIZE = 1 << 20; ch.SMALL_FILE = 1 << 20; ing.SMALL_FILE = 1 << 20
def _slow(path, store, *, on_bytes=None, **kw):
    def cb(n):
        on_bytes(n); time.sleep(0.15)
    return _real(path, store, on_bytes=cb, **kw)
ing.chunk_and_store = _slow
"""


def test_quickstart_runs_end_to_end(tmp_path: Path) -> None:
    shutil.copy(NOTEBOOKS / "quickstart.ipynb", tmp_path / "quickstart.ipynb")
    nb = nbformat.read(tmp_path / "quickstart.ipynb", as_version=4)
    client = NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}})
    client.execute()  # raises CellExecutionError on any failing cell
    texts = "\n".join(
        str(o.get("text", "")) + str(o.get("data", {}).get("text/plain", ""))
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.outputs
    )
    assert "50000 rows restored from sales@v1" in texts
    assert "drop rows without a price" in texts
    states = nb.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    bars = [m["state"] for m in states.values() if m["model_name"] == "FloatProgressModel"]
    assert bars and all(b["bar_style"] == "success" and b["value"] == 1.0 for b in bars)
    project = tmp_path / "quickstart-project"
    assert (project / ".datavc" / "refs" / "sales" / "v2.json").exists()


def _drain_until_idle(kc, msg_id: str, timeout: float = 60) -> list[tuple[float, dict]]:
    msgs = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            msg = kc.get_iopub_msg(timeout=1)
        except Empty:
            continue
        msgs.append((time.monotonic(), msg))
        if (
            msg["msg_type"] == "status"
            and msg["parent_header"].get("msg_id") == msg_id
            and msg["content"]["execution_state"] == "idle"
        ):
            return msgs
    raise AssertionError("cell did not finish")


def test_progress_updates_while_later_cells_run(tmp_path: Path) -> None:
    (tmp_path / "big.bin").write_bytes(os.urandom(48 << 20))
    km, kc = start_new_kernel(kernel_name="python3", cwd=str(tmp_path))
    try:
        setup = kc.execute(SLOW_ADD + "\n%load_ext jupyter_datavc\n%dv init")
        _drain_until_idle(kc, setup)
        add = kc.execute("w = %dv add big.bin --name big\nw")
        add_msgs = _drain_until_idle(kc, add)
        opened = [m for _, m in add_msgs if m["msg_type"] == "comm_open"]
        bar_ids = [
            m["content"]["comm_id"]
            for m in opened
            if m["content"]["data"]["state"].get("_model_name") == "FloatProgressModel"
        ]
        assert bar_ids, "the add cell displayed no progress bar"
        busy = kc.execute("import time\nfor _ in range(20): sum(range(100000)); time.sleep(0.05)")
        msgs = _drain_until_idle(kc, busy)
        updates = [
            m["content"]["data"]["state"]["value"]
            for _, m in msgs
            if m["msg_type"] == "comm_msg"
            and m["content"]["comm_id"] == bar_ids[0]
            and "value" in m["content"]["data"].get("state", {})
        ]
        assert len(updates) >= 3 and updates == sorted(updates)  # the bar moved while this cell ran
        wait = kc.execute("%dv wait")
        msgs = _drain_until_idle(kc, wait)
        out = [m["content"] for _, m in msgs if m["msg_type"] in ("execute_result", "error")]
        assert out and "added big@v1" in out[0]["data"]["text/plain"]
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


@pytest.mark.parametrize(("line", "text"), [("%dv load nope", "unknown dataset"), ("%dv add missing.csv", "does not")])
def test_errors_in_a_kernel_show_one_line(tmp_path: Path, line: str, text: str) -> None:
    km, kc = start_new_kernel(kernel_name="python3", cwd=str(tmp_path))
    try:
        _drain_until_idle(kc, kc.execute("%load_ext jupyter_datavc\n%dv init"))
        msgs = _drain_until_idle(kc, kc.execute(line))
        stderr = "".join(m["content"]["text"] for _, m in msgs if m["msg_type"] == "stream")
        assert stderr.startswith("UsageError: ") and stderr.strip().count("\n") == 0  # one line, no traceback
        assert text in stderr and not [m for _, m in msgs if m["msg_type"] == "error"]
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
