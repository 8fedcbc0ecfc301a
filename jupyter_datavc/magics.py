"""``%dv``: the verbs in IPython. Every DataVCError becomes a one-line UsageError."""

from __future__ import annotations

import argparse
import shlex
from pathlib import Path
from typing import Any, NoReturn

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_magic, magics_class

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

    @line_magic
    def dv(self, line: str) -> Any:
        """Version datasets: %dv add|checkout|load|log|status|tag|ls|jobs|wait|cancel|init ..."""
        try:
            argv = shlex.split(line)
        except ValueError as err:
            raise UsageError(f"%dv: {err}") from None
        if not argv:
            raise UsageError("%dv: give a verb: " + ", ".join(v.name for v in commands.all_verbs()))
        ns = self.parser.parse_args(argv)
        ctx = commands.Context(cwd=Path.cwd(), namespace=self.shell.user_ns, present_job=_present_job)
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
