"""Run a notebook in a fresh kernel with nbclient, papermill-style parameters injected (repro's executor).

Parameters become a code cell tagged ``injected-parameters`` placed after the cell tagged
``parameters`` (or first). The kernel gets ``JPY_SESSION_NAME`` (the notebook's path) and every
execute request carries the cell's id in its metadata, as JupyterLab sends them, so transform
records made by the re-run name their notebook and cell. The executed notebook is written back
over the copy it ran from.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

from .core.notebook import INJECTED, PARAMETERS
from .core.repro import Execution


def inject_parameters(nb: Any, params: dict[str, Any]) -> list[int | None]:
    """Replace any injected-parameters cell by one holding ``params``, after the ``parameters`` cell (or first).

    Returns, for each cell now in ``nb``, its index in the notebook as it was (None for the new cell).
    """
    origin: list[int | None] = []
    kept = []
    for i, c in enumerate(nb.cells):
        if INJECTED not in c.get("metadata", {}).get("tags", []):
            kept.append(c)
            origin.append(i)
    nb.cells = kept
    usable = {k: v for k, v in params.items() if isinstance(k, str) and k.isidentifier()}
    if not usable:
        return origin
    lines = ["# Parameters injected by datavc repro"] + [f"{k} = {v!r}" for k, v in usable.items()]
    cell = nbformat.v4.new_code_cell("\n".join(lines), metadata={"tags": [INJECTED]})
    at = next((i + 1 for i, c in enumerate(nb.cells) if PARAMETERS in c.get("metadata", {}).get("tags", [])), 0)
    nb.cells.insert(at, cell)
    origin.insert(at, None)
    return origin


class _Client(NotebookClient):  # type: ignore[misc]
    """NotebookClient that remembers the running cell and sends its id like JupyterLab does."""

    running: int | None = None
    cell_id: str | None = None

    async def async_execute_cell(self, cell: Any, cell_index: int, *args: Any, **kwargs: Any) -> Any:
        self.running, self.cell_id = cell_index, cell.get("id")
        return await super().async_execute_cell(cell, cell_index, *args, **kwargs)

    async def async_start_new_kernel_client(self) -> Any:
        kc = await super().async_start_new_kernel_client()
        make = kc.session.msg

        def msg(
            msg_type: str, content: Any = None, parent: Any = None, header: Any = None, metadata: Any = None
        ) -> Any:
            if msg_type == "execute_request" and self.cell_id:
                metadata = {**(metadata or {}), "cellId": self.cell_id}
            return make(msg_type, content, parent, header, metadata)

        kc.session.msg = msg
        return kc


def _one_line(text: str) -> str:
    lines = [ln for ln in str(text).strip().splitlines() if ln.strip()]
    return lines[-1][:300] if lines else ""


def execute_notebook(path: Path, params: dict[str, Any], timeout: float | None = None) -> Execution:
    """Execute ``path`` in a new kernel (its folder is the working directory); never raises for the code's errors."""
    nb = nbformat.read(path, as_version=4)
    origin = inject_parameters(nb, params)
    kernel = nb.metadata.get("kernelspec", {}).get("name") or "python3"
    client = _Client(
        nb,
        timeout=math.ceil(timeout) if timeout else None,
        kernel_name=kernel,
        resources={"metadata": {"path": str(path.parent)}},
    )
    env = {**os.environ, "JPY_SESSION_NAME": str(path)}

    def cell() -> int | None:  # the running cell's index in the notebook as saved (before injection)
        return origin[client.running] if client.running is not None else None

    try:
        client.execute(env=env)
        result = Execution("ok")
    except CellExecutionError as err:
        result = Execution("error", f"{err.ename}: {_one_line(err.evalue)}", cell())
    except CellTimeoutError:
        result = Execution("timeout", f"a cell ran longer than {timeout} s", cell())
    except DeadKernelError as err:
        result = Execution("dead", _one_line(str(err)) or "the kernel died", cell())
    except Exception as err:  # no such kernel, cannot start it, ...: the run could not happen
        result = Execution("aborted", f"{type(err).__name__}: {_one_line(str(err))}", cell())
    finally:
        nbformat.write(nb, path)
    return result
