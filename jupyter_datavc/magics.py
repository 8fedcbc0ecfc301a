"""``%dv`` and ``%%dv``: the verbs in IPython. Every DataVCError becomes a one-line UsageError."""

from __future__ import annotations

import argparse
import os
import shlex
from pathlib import Path
from typing import Any, NoReturn

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_cell_magic, magics_class

from . import commands
from .core.errors import DataVCError
from .core.jobs import Job
from .core.repo import Repo
from .verbs import MAGIC, build_parser


class _MagicParser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(f"%dv: {message}")

    def exit(self, status: int = 0, message: str | None = None) -> NoReturn:
        if message:
            raise UsageError(message.strip())
        raise UsageError("%dv: see the help above")  # after --help


def _present_job(job: Job, repo: Repo) -> Any:
    from .widgets import JobProgress

    return JobProgress(job)


@magics_class
class DataVCMagics(Magics):  # type: ignore[misc]
    parser = build_parser("%dv", MAGIC, _MagicParser, commands.all_verbs())

    def _cell_info(self) -> dict[str, str | None]:
        """The notebook's path and the running cell's id, where the front end says them."""
        kernel = getattr(self.shell, "kernel", None)
        parent = kernel.get_parent() if kernel is not None and hasattr(kernel, "get_parent") else {}
        cell_id = (parent or {}).get("metadata", {}).get("cellId")
        notebook = os.environ.get("JPY_SESSION_NAME") or self.shell.user_ns.get("__session__")
        return {"notebook": str(notebook) if notebook else None, "cell_id": cell_id}

    def _run_cell(self, code: str) -> None:
        """Run code in the notebook's namespace; its exceptions are its own and propagate."""
        python = self.shell.transform_cell(code)
        exec(compile(python, "<%%dv transform cell>", "exec"), self.shell.user_ns)

    @line_cell_magic
    def dv(self, line: str, cell: str | None = None) -> Any:
        """Version datasets: %dv add|checkout|load|log|status|diff|lineage|... ; %%dv transform ..."""
        try:
            argv = shlex.split(line)
        except ValueError as err:
            raise UsageError(f"%dv: {err}") from None
        if not argv:
            raise UsageError("%dv: give a verb: " + ", ".join(v.name for v in commands.all_verbs()))
        ns = self.parser.parse_args(argv)
        if cell is not None and ns.verb != "transform":
            raise UsageError(f"%%dv {ns.verb} takes no cell body; only %%dv transform runs a cell")
        ctx = commands.Context(
            cwd=Path.cwd(),
            namespace=self.shell.user_ns,
            present_job=_present_job,
            cell=cell,
            run_cell=self._run_cell,
            cell_info=self._cell_info() if cell is not None else {},
        )
        try:
            result = commands.run(ctx, ns)
        except DataVCError as err:
            raise UsageError(str(err)) from None
        except OSError as err:
            raise UsageError(f"{ns.verb} failed: {err}") from None
        for notice in ctx.notices:
            print(notice)
        return result


def register(ipython: Any) -> None:
    ipython.register_magics(DataVCMagics)
